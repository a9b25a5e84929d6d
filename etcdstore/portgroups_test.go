package etcdstore_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

func (f *fixture) mustPortgroup(t *testing.T, values etcdstore.Values) *pb.Portgroup {
	t.Helper()
	pg, err := f.CreatePortgroup(f.ctx, values)
	if err != nil {
		t.Fatal(err)
	}
	return pg
}

func TestCreatePortgroupDefaultsAndLookups(t *testing.T) {
	mode := "active-backup"
	f := newFixture(t, etcdstore.WithDefaultPortgroupMode(func() string { return mode }))
	n := f.mustNode(t, nil)
	pg := f.mustPortgroup(t, etcdstore.Values{"node_id": n.Id, "name": "bond0", "address": "52:54:00:00:00:01"})
	if pg.GetMode() != "active-backup" || !pg.StandalonePortsSupported || pg.Uuid == "" || string(pg.Properties) != "{}" {
		t.Fatalf("defaults: %v", pg)
	}
	mode = "802.3ad" // the configuration is read at every create
	pg2 := f.mustPortgroup(t, etcdstore.Values{"node_id": n.Id, "mode": "", "standalone_ports_supported": false})
	if pg2.GetMode() != "802.3ad" || pg2.StandalonePortsSupported || pg2.Name != nil {
		t.Fatalf("mode default read at call time / explicit false: %v", pg2)
	}
	pg3 := f.mustPortgroup(t, etcdstore.Values{"node_id": n.Id, "mode": "balance-rr"})
	if pg3.GetMode() != "balance-rr" {
		t.Fatalf("explicit mode: %v", pg3)
	}
	for name, get := range map[string]func() (*pb.Portgroup, error){
		"id":      func() (*pb.Portgroup, error) { return f.GetPortgroupByID(f.ctx, pg.Id) },
		"uuid":    func() (*pb.Portgroup, error) { return f.GetPortgroupByUUID(f.ctx, pg.Uuid) },
		"address": func() (*pb.Portgroup, error) { return f.GetPortgroupByAddress(f.ctx, "52:54:00:00:00:01") },
		"name":    func() (*pb.Portgroup, error) { return f.GetPortgroupByName(f.ctx, "bond0") },
	} {
		if got, err := get(); err != nil || got.Id != pg.Id {
			t.Fatalf("by %s: %v %v", name, got, err)
		}
	}
	_, err := f.GetPortgroupByID(f.ctx, 999)
	wantErr(t, err, etcdstore.ErrPortgroupNotFound)
	_, err = f.GetPortgroupByUUID(f.ctx, "1be26c0b-03f2-4d2e-ae87-c02d7f33c123")
	wantErr(t, err, etcdstore.ErrPortgroupNotFound)
	_, err = f.GetPortgroupByAddress(f.ctx, "52:54:00:00:00:99")
	wantErr(t, err, etcdstore.ErrPortgroupNotFound)
	_, err = f.GetPortgroupByName(f.ctx, "bond9")
	wantErr(t, err, etcdstore.ErrPortgroupNotFound)
	list, err := f.GetPortgroupsByNodeID(f.ctx, n.Id, etcdstore.ListOptions{SortDir: "desc"})
	if err != nil || len(list) != 3 || list[0].Id != pg3.Id {
		t.Fatal(list, err)
	}
	all, err := f.GetPortgroupList(f.ctx, etcdstore.ListOptions{SortKey: "name"})
	if err != nil || len(all) != 3 || all[2].Id != pg.Id { // NULL names first
		t.Fatal(all, err)
	}
	_, err = f.GetPortgroupList(f.ctx, etcdstore.ListOptions{SortKey: "foo"})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
}

func TestPortgroupClashesInReferenceOrder(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	pg := f.mustPortgroup(t, etcdstore.Values{"node_id": n.Id, "name": "bond0", "address": "52:54:00:00:00:01"})
	before := f.keysUnder(t)
	cases := []struct {
		values etcdstore.Values
		want   error
	}{
		{etcdstore.Values{"name": "bond0", "address": "52:54:00:00:00:01", "uuid": pg.Uuid}, etcdstore.ErrPortgroupDuplicateName},
		{etcdstore.Values{"name": "bond1", "address": "52:54:00:00:00:01", "uuid": pg.Uuid}, etcdstore.ErrPortgroupMACAlreadyExists},
		{etcdstore.Values{"name": "bond1", "address": "52:54:00:00:00:02", "uuid": pg.Uuid}, etcdstore.ErrPortgroupAlreadyExists},
		{etcdstore.Values{"id": pg.Id}, etcdstore.ErrPortgroupAlreadyExists},
		{etcdstore.Values{"node_id": 555}, etcdstore.ErrNodeNotFound},
		{etcdstore.Values{"name": "a/b"}, etcdstore.ErrInvalidParameterValue},
	}
	for _, c := range cases {
		if c.values["node_id"] == nil {
			c.values["node_id"] = n.Id
		}
		_, err := f.CreatePortgroup(f.ctx, c.values)
		if !errors.Is(err, c.want) {
			t.Errorf("%v: got %v, want %v", c.values, err, c.want)
		}
	}
	if !slices.Equal(before, f.keysUnder(t)) {
		t.Fatal("failed creates changed the key space")
	}
}

func TestUpdatePortgroup(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	pg := f.mustPortgroup(t, etcdstore.Values{"node_id": n.Id, "name": "bond0", "address": "52:54:00:00:00:01"})
	f.mustPortgroup(t, etcdstore.Values{"node_id": n.Id, "name": "bond1", "address": "52:54:00:00:00:02"})
	got, err := f.UpdatePortgroup(f.ctx, "52:54:00:00:00:01", etcdstore.Values{"name": "bond7", "address": "52:54:00:00:00:07"})
	if err != nil || got.GetName() != "bond7" {
		t.Fatal(got, err)
	}
	if _, err := f.GetPortgroupByName(f.ctx, "bond0"); !errors.Is(err, etcdstore.ErrPortgroupNotFound) {
		t.Fatalf("old name still indexed: %v", err)
	}
	_, err = f.UpdatePortgroup(f.ctx, pg.Uuid, etcdstore.Values{"name": "bond1"})
	wantErr(t, err, etcdstore.ErrPortgroupDuplicateName)
	_, err = f.UpdatePortgroup(f.ctx, id(pg.Id), etcdstore.Values{"address": "52:54:00:00:00:02"})
	wantErr(t, err, etcdstore.ErrPortgroupMACAlreadyExists)
	_, err = f.UpdatePortgroup(f.ctx, pg.Uuid, etcdstore.Values{"uuid": "x"})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	_, err = f.UpdatePortgroup(f.ctx, "52:54:00:00:00:99", etcdstore.Values{})
	wantErr(t, err, etcdstore.ErrPortgroupNotFound)
	_, err = f.UpdatePortgroup(f.ctx, "bond7", etcdstore.Values{})
	wantErr(t, err, etcdstore.ErrInvalidIdentity)
}

func TestDestroyPortgroup(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	pg := f.mustPortgroup(t, etcdstore.Values{"node_id": n.Id, "name": "bond0", "address": "52:54:00:00:00:01"})
	p := f.mustPort(t, etcdstore.Values{"node_id": n.Id, "portgroup_id": pg.Id, "address": "52:54:00:00:01:01"})
	ports, err := f.GetPortsByPortgroupID(f.ctx, pg.Id, etcdstore.ListOptions{})
	if err != nil || len(ports) != 1 || ports[0].Id != p.Id {
		t.Fatal(ports, err)
	}
	wantErr(t, f.DestroyPortgroup(f.ctx, id(pg.Id)), etcdstore.ErrPortgroupNotEmpty)
	wantErr(t, f.DestroyPortgroup(f.ctx, pg.Uuid), etcdstore.ErrPortgroupNotEmpty)
	// A MAC or a name is not an identity here, as in the reference.
	wantErr(t, f.DestroyPortgroup(f.ctx, "52:54:00:00:00:01"), etcdstore.ErrInvalidIdentity)
	wantErr(t, f.DestroyPortgroup(f.ctx, "bond0"), etcdstore.ErrInvalidIdentity)
	if _, err := f.UpdatePort(f.ctx, p.Uuid, etcdstore.Values{"portgroup_id": nil}); err != nil {
		t.Fatal(err)
	}
	if err := f.DestroyPortgroup(f.ctx, pg.Uuid); err != nil {
		t.Fatal(err)
	}
	wantErr(t, f.DestroyPortgroup(f.ctx, pg.Uuid), etcdstore.ErrPortgroupNotFound)
	_, err = f.UpdatePort(f.ctx, p.Uuid, etcdstore.Values{"portgroup_id": pg.Id})
	wantErr(t, err, etcdstore.ErrPortgroupNotFound)
}
