package etcdstore_test

import (
	"context"
	"fmt"
	"sort"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/keys"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// The invariants the race table checks after every case, on etcd's keys
// read directly (raw clientv3, the store's own decoder), never through a
// Store: index keys and records match both ways, no reference points at
// a missing record, lock keys belong to nodes.

// kv is one key as read.
type kv struct {
	value       string
	create, mod int64
	lease       int64
	rec         proto.Message     // decoded, for record keys
	uniques     map[string]string // index keys the record must have -> id
	members     map[string]string // membership keys -> owner record key
	corrupt     error
	isRecord    bool
}

// snapshot is every key of a prefix at one revision.
type snapshot struct {
	space keys.Space
	kvs   map[string]*kv
}

func takeSnapshot(ctx context.Context, s *etcdstore.Store) (*snapshot, error) {
	resp, err := s.Client().Get(ctx, s.Keys().Prefix(), clientv3.WithPrefix())
	if err != nil {
		return nil, err
	}
	snap := &snapshot{space: s.Keys(), kvs: map[string]*kv{}}
	for _, e := range resp.Kvs {
		k := &kv{value: string(e.Value), create: e.CreateRevision, mod: e.ModRevision, lease: e.Lease}
		k.isRecord, k.rec, k.uniques, k.members, k.corrupt = s.RecordKeys(string(e.Key), e.Value)
		snap.kvs[string(e.Key)] = k
	}
	return snap, nil
}

// violations lists every broken invariant of the snapshot.
func (s *snapshot) violations() []string {
	var out []string
	wantUnique, wantMember := map[string]string{}, map[string]string{}
	for key, k := range s.kvs {
		if !k.isRecord {
			continue
		}
		if k.corrupt != nil {
			out = append(out, fmt.Sprintf("record %s cannot be decoded: %v", key, k.corrupt))
			continue
		}
		for ik, id := range k.uniques {
			wantUnique[ik] = key
			if got, ok := s.kvs[ik]; !ok {
				out = append(out, fmt.Sprintf("unique index: record %s has no index key %s", key, ik))
			} else if got.value != id {
				out = append(out, fmt.Sprintf("unique index: %s points at %s, but record %s holds the value", ik, got.value, key))
			}
		}
		for mk, owner := range k.members {
			wantMember[mk] = key
			if _, ok := s.kvs[mk]; !ok {
				out = append(out, fmt.Sprintf("membership: record %s has no membership key %s", key, mk))
			}
			if _, ok := s.kvs[owner]; !ok {
				out = append(out, fmt.Sprintf("reference: record %s points at missing %s", key, owner))
			}
		}
	}
	for key, k := range s.kvs {
		switch {
		case strings.HasPrefix(key, s.space.Prefix()+"index/"):
			if wantUnique[key] == "" && wantMember[key] == "" {
				out = append(out, fmt.Sprintf("index: key %s (-> %q) is held by no record", key, k.value))
			}
		case strings.HasPrefix(key, s.space.Reservations()):
			id, err := keys.ParseID(key)
			if _, ok := s.kvs[s.space.Record("nodes", id)]; err != nil || !ok {
				out = append(out, fmt.Sprintf("lock: key %s (held by %q) has no node", key, k.value))
			}
			m, marked := s.kvs[s.space.Holder(id)]
			switch {
			case k.lease != 0 && (!marked || m.value != k.value):
				out = append(out, fmt.Sprintf("marker: lock %s of %q is bound to a lease but its marker is %q (present %v)", key, k.value, markerValue(m), marked))
			case k.lease == 0 && marked:
				out = append(out, fmt.Sprintf("marker: lock %s of %q is bound to no lease but a marker names %q", key, k.value, m.value))
			}
		case strings.HasPrefix(key, s.space.Holders()):
			id, err := keys.ParseID(key)
			if _, ok := s.kvs[s.space.Record("nodes", id)]; err != nil || !ok {
				out = append(out, fmt.Sprintf("marker: key %s (naming %q) has no node", key, k.value))
			}
			if k.lease != 0 {
				out = append(out, fmt.Sprintf("marker: key %s is bound to a lease", key))
			}
		case strings.HasPrefix(key, s.space.Prefix()+"waiters/"):
			out = append(out, fmt.Sprintf("lock: waiter key %s left behind", key))
		}
	}
	sort.Strings(out)
	return out
}

func markerValue(m *kv) string {
	if m == nil {
		return ""
	}
	return m.value
}

// records are the keys of records, node locks and markers, the state a
// write changes (index and membership keys are the invariants' business).
func (s *snapshot) records() map[string]*kv {
	out := map[string]*kv{}
	for key, k := range s.kvs {
		if k.isRecord || strings.HasPrefix(key, s.space.Reservations()) || strings.HasPrefix(key, s.space.Holders()) {
			out[key] = k
		}
	}
	return out
}

// changed lists the record and lock keys that differ between a and b.
func changed(a, b *snapshot) []string {
	var out []string
	ra, rb := a.records(), b.records()
	for key, k := range ra {
		if o, ok := rb[key]; !ok || o.mod != k.mod || o.create != k.create {
			out = append(out, key)
		}
	}
	for key := range rb {
		if _, ok := ra[key]; !ok {
			out = append(out, key)
		}
	}
	sort.Strings(out)
	return out
}

// named returns the keys of the records of table whose column equals
// value ("id" matches the record id).
func (s *snapshot) named(table, column string, value any) []string {
	var out []string
	prefix := s.space.Table(table)
	for key, k := range s.kvs {
		if !k.isRecord || k.rec == nil || !strings.HasPrefix(key, prefix) {
			continue
		}
		m := k.rec.ProtoReflect()
		fd := m.Descriptor().Fields().ByName(protoreflect.Name(column))
		if fd != nil && (!fd.HasPresence() || m.Has(fd)) && fmt.Sprint(m.Get(fd).Interface()) == fmt.Sprint(value) {
			out = append(out, key)
		}
	}
	sort.Strings(out)
	return out
}

// lock is a node's reservation as the store must report it: the live
// lock's holder and token (the lock key's mod revision: the key is
// written only when its holder changes, see lock.go), else the marker's
// holder with token 0 (a stale holder), else "" and 0.
func (s *snapshot) lock(nodeID int64) (holder string, token int64) {
	if h, tok := s.liveLock(nodeID); h != "" {
		return h, tok
	}
	if k, ok := s.kvs[s.space.Holder(nodeID)]; ok {
		return k.value, 0
	}
	return "", 0
}

// liveLock is a node's lock key as read: holder "" when the lock is free.
func (s *snapshot) liveLock(nodeID int64) (holder string, token int64) {
	if k, ok := s.kvs[s.space.Reservation(nodeID)]; ok {
		return k.value, k.mod
	}
	return "", 0
}

// nodeIDs are the ids of the nodes in the snapshot.
func (s *snapshot) nodeIDs() []int64 {
	var out []int64
	for key, k := range s.kvs {
		if k.isRecord && strings.HasPrefix(key, s.space.Table("nodes")) {
			id, _ := keys.ParseID(key)
			out = append(out, id)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// lockObs is one observation of a node's lock: who held it under which
// fencing token (the lock key's create revision), and where it was seen.
type lockObs struct {
	node   int64
	holder string
	token  int64
	where  string
}

// tokenViolations checks that a token never names two holders: the
// token changes on every change of holder.
func tokenViolations(obs []lockObs) []string {
	var out []string
	first := map[[2]int64]lockObs{}
	for _, o := range obs {
		if o.holder == "" || o.token == 0 {
			continue
		}
		k := [2]int64{o.node, o.token}
		if p, ok := first[k]; ok && p.holder != o.holder {
			out = append(out, fmt.Sprintf("fencing: node %d token %d held by %q (%s) and by %q (%s)", o.node, o.token, p.holder, p.where, o.holder, o.where))
			continue
		}
		if _, ok := first[k]; !ok {
			first[k] = o
		}
	}
	return out
}

// readAgreesWithLock checks that every node as read through s says what
// its lock key says: reservation = holder, reservation_revision = token.
func readAgreesWithLock(ctx context.Context, s *etcdstore.Store, who string, snap *snapshot) []string {
	var out []string
	for _, id := range snap.nodeIDs() {
		n, err := s.GetNodeByID(ctx, id)
		if err != nil {
			out = append(out, fmt.Sprintf("lock: node %d unreadable through %s: %v", id, who, err))
			continue
		}
		out = append(out, nodeAgreesWithLock(n, snap, "read through "+who)...)
	}
	return out
}

func nodeAgreesWithLock(n *pb.Node, snap *snapshot, what string) []string {
	holder, token := snap.lock(n.Id)
	if n.GetReservation() != holder || n.ReservationRevision != token {
		return []string{fmt.Sprintf("lock: node %d %s has reservation %q token %d, its lock key %q token %d", n.Id, what, n.GetReservation(), n.ReservationRevision, holder, token)}
	}
	return nil
}
