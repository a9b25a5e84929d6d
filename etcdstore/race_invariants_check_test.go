package etcdstore_test

import (
	"strings"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// The race table's invariant checks find each kind of broken state: a
// key space tampered with behind the store's back, one break at a time.
func TestRaceInvariantsDetectBreaks(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, etcdstore.Values{"name": "node-1"})
	pg := f.mustPortgroup(t, etcdstore.Values{"node_id": n.Id, "name": "pg-1"})
	p := f.mustPort(t, etcdstore.Values{"node_id": n.Id, "portgroup_id": pg.Id, "address": macOf(1)})
	if _, err := f.ReserveNode(f.ctx, "c1", n.Uuid); err != nil {
		t.Fatal(err)
	}
	ks := f.Keys()
	clean, err := takeSnapshot(f.ctx, f.Store)
	if err != nil {
		t.Fatal(err)
	}
	if v := clean.violations(); len(v) > 0 {
		t.Fatalf("violations in an untouched key space: %v", v)
	}
	for _, tc := range []struct {
		name   string
		tamper []clientv3.Op
		want   string
	}{
		{"unique key missing", []clientv3.Op{clientv3.OpDelete(ks.Unique("nodes", "name", "node-1"))}, "unique index: record " + ks.Record("nodes", n.Id) + " has no index key"},
		{"stray unique key", []clientv3.Op{clientv3.OpPut(ks.Unique("nodes", "name", "ghost"), "1")}, "index: key " + ks.Unique("nodes", "name", "ghost") + ` (-> "1") is held by no record`},
		{"unique key on another record", []clientv3.Op{clientv3.OpPut(ks.Unique("ports", "uuid", p.Uuid), "99")}, "unique index: " + ks.Unique("ports", "uuid", p.Uuid) + " points at 99"},
		{"membership key missing", []clientv3.Op{clientv3.OpDelete(ks.Member("ports", "node_id", n.Id, p.Id))}, "membership: record " + ks.Record("ports", p.Id) + " has no membership key"},
		{"stray membership key", []clientv3.Op{clientv3.OpPut(ks.Member("ports", "node_id", n.Id, 77), "")}, "index: key " + ks.Member("ports", "node_id", n.Id, 77)},
		{"reference to a missing record", []clientv3.Op{clientv3.OpDelete(ks.Record("portgroups", pg.Id))}, "reference: record " + ks.Record("ports", p.Id) + " points at missing " + ks.Record("portgroups", pg.Id)},
		{"lock without its node", []clientv3.Op{clientv3.OpPut(ks.Reservation(42), "c9")}, "lock: key " + ks.Reservation(42) + ` (held by "c9") has no node`},
		{"marker without its node", []clientv3.Op{clientv3.OpPut(ks.Holder(42), "c9")}, "marker: key " + ks.Holder(42) + ` (naming "c9") has no node`},
		{"marker beside a lock bound to no lease", []clientv3.Op{clientv3.OpPut(ks.Holder(n.Id), "c1")}, "marker: lock " + ks.Reservation(n.Id) + ` of "c1" is bound to no lease but a marker names "c1"`},
		{"waiter left behind", []clientv3.Op{clientv3.OpPut(ks.Waiters(n.Id)+"w", "c2")}, "lock: waiter key"},
		{"corrupt record", []clientv3.Op{clientv3.OpPut(ks.Record("chassis", 5), "\xff\xff")}, "record " + ks.Record("chassis", 5) + " cannot be decoded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var undo []clientv3.Op
			for _, op := range tc.tamper {
				key := string(op.KeyBytes())
				if kv, ok := clean.kvs[key]; ok {
					undo = append(undo, clientv3.OpPut(key, kv.value))
				} else {
					undo = append(undo, clientv3.OpDelete(key))
				}
			}
			if _, err := client.Txn(f.ctx).Then(tc.tamper...).Commit(); err != nil {
				t.Fatal(err)
			}
			defer client.Txn(f.ctx).Then(undo...).Commit()
			s, err := takeSnapshot(f.ctx, f.Store)
			if err != nil {
				t.Fatal(err)
			}
			v := s.violations()
			if !strings.Contains(strings.Join(v, "\n"), tc.want) {
				t.Fatalf("want a violation %q, got %v", tc.want, v)
			}
		})
	}
}

// A token that names two holders, and a node whose reservation differs
// from its lock key, are reported.
func TestRaceLockChecksDetectBreaks(t *testing.T) {
	obs := []lockObs{{node: 1, holder: "c1", token: 8, where: "a"}, {node: 1, holder: "c2", token: 9, where: "b"}, {node: 1, holder: "c1", token: 8, where: "c"}}
	if v := tokenViolations(obs); len(v) != 0 {
		t.Fatalf("violations where tokens changed with holders: %v", v)
	}
	obs = append(obs, lockObs{node: 1, holder: "c2", token: 8, where: "d"})
	if v := tokenViolations(obs); len(v) != 1 || !strings.Contains(v[0], `token 8 held by "c1" (a) and by "c2" (d)`) {
		t.Fatalf("token 8 of two holders: %v", v)
	}
	f := newFixture(t)
	n := f.mustNode(t, nil)
	r, err := f.ReserveNode(f.ctx, "c1", n.Uuid)
	if err != nil {
		t.Fatal(err)
	}
	s, err := takeSnapshot(f.ctx, f.Store)
	if err != nil {
		t.Fatal(err)
	}
	if v := nodeAgreesWithLock(r, s, "as returned"); len(v) != 0 {
		t.Fatalf("a true reservation reported: %v", v)
	}
	wrong := &pb.Node{Id: r.Id, Reservation: r.Reservation, ReservationRevision: r.ReservationRevision + 1}
	if v := nodeAgreesWithLock(wrong, s, "as returned"); len(v) != 1 {
		t.Fatalf("a wrong token not reported: %v", v)
	}
}
