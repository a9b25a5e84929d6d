package etcdstore_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/lease"
)

// aliveKeys are the liveness keys of the fixture's conductors.
func (f *fixture) aliveKeys(t *testing.T) []string {
	t.Helper()
	resp, err := client.Get(f.ctx, f.Keys().AlivePrefix(), clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, kv := range resp.Kvs {
		out = append(out, strings.TrimPrefix(string(kv.Key), f.Keys().AlivePrefix()))
	}
	return out
}

// A conductor re-registering under another spelling of its hostname takes
// over its record (same id, the new spelling stored) and its one liveness
// key moves to that spelling; touch and unregister find it by any
// spelling.
func TestCaseConductorRespelled(t *testing.T) {
	f := newFixture(t)
	sess, err := lease.New(f.ctx, client, lease.WithTTL(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close(context.Background())
	withLease := etcdstore.WithConductorLease(sess.Lease())
	c, err := f.RegisterConductor(f.ctx, etcdstore.Values{"hostname": "Cond-A", "drivers": []string{"ipmi"}}, false, withLease)
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.RegisterConductor(f.ctx, etcdstore.Values{"hostname": "COND-A", "drivers": []string{"ipmi"}}, true, withLease)
	if err != nil || again.Id != c.Id || again.Hostname != "COND-A" {
		t.Fatalf("re-registration under another spelling: %v %v", again, err)
	}
	if keys := f.aliveKeys(t); !slices.Equal(keys, []string{"COND-A"}) {
		t.Fatalf("liveness keys %v, want one, of the new spelling", keys)
	}
	dict, _ := f.GetActiveDriverDict(f.ctx, time.Minute)
	if !slices.Equal(dict["ipmi"], []string{"COND-A"}) {
		t.Fatalf("active %v", dict)
	}
	if err := f.TouchConductor(f.ctx, "cond-a", withLease); err != nil {
		t.Fatal(err)
	}
	if keys := f.aliveKeys(t); !slices.Equal(keys, []string{"COND-A"}) {
		t.Fatalf("after touch: liveness keys %v", keys)
	}
	if err := f.UnregisterConductor(f.ctx, "cond-A"); err != nil {
		t.Fatal(err)
	}
	if keys := f.aliveKeys(t); len(keys) != 0 {
		t.Fatalf("after unregister: liveness keys %v", keys)
	}
	_, err = f.GetConductor(f.ctx, "COND-A")
	wantErr(t, err, etcdstore.ErrConductorNotFound) // offline
}

// Hardware interface names are unique without regard to case, within one
// call and across calls.
func TestCaseHardwareInterfaces(t *testing.T) {
	f := newFixture(t)
	if err := f.RegisterConductorHardwareInterfaces(f.ctx, 7, "ipmi", "deploy", []string{"direct"}, "direct"); err != nil {
		t.Fatal(err)
	}
	before := f.keysUnder(t)
	for _, try := range [][]string{{"Direct"}, {"ansible", "ANSIBLE"}} {
		err := f.RegisterConductorHardwareInterfaces(f.ctx, 7, "ipmi", "deploy", try, "")
		wantErr(t, err, etcdstore.ErrConductorHardwareInterfacesAlreadyRegistered)
	}
	err := f.RegisterConductorHardwareInterfaces(f.ctx, 7, "IPMI", "Deploy", []string{"DIRECT"}, "")
	wantErr(t, err, etcdstore.ErrConductorHardwareInterfacesAlreadyRegistered)
	if after := f.keysUnder(t); !slices.Equal(before, after) {
		t.Fatalf("refused registrations wrote keys:\n%v\n%v", before, after)
	}
}

// The chassis_uuid filter of node lists takes any spelling of the uuid.
func TestCaseChassisUUIDFilter(t *testing.T) {
	f := newFixture(t)
	ch, err := f.CreateChassis(f.ctx, etcdstore.Values{"uuid": strings.ToUpper(uuidA)})
	if err != nil || ch.Uuid != uuidA {
		t.Fatalf("chassis stored with uuid %q (%v), want %q", ch.GetUuid(), err, uuidA)
	}
	n := f.mustNode(t, etcdstore.Values{"chassis_id": ch.Id})
	f.mustNode(t, nil)
	for _, form := range uuidSpellings(uuidA) {
		nodes, err := f.GetNodeList(f.ctx, etcdstore.NodeFilter{ChassisUUID: &form}, etcdstore.ListOptions{})
		if err != nil || len(nodes) != 1 || nodes[0].Id != n.Id {
			t.Fatalf("chassis_uuid %q: %v %v", form, nodes, err)
		}
	}
}
