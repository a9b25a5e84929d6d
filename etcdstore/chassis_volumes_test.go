package etcdstore_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

func TestChassis(t *testing.T) {
	f := newFixture(t)
	c, err := f.CreateChassis(f.ctx, etcdstore.Values{"description": "rack 1", "extra": nil})
	if err != nil || c.Uuid == "" || string(c.Extra) != "{}" {
		t.Fatal(c, err)
	}
	_, err = f.CreateChassis(f.ctx, etcdstore.Values{"uuid": c.Uuid})
	wantErr(t, err, etcdstore.ErrChassisAlreadyExists)
	_, err = f.CreateChassis(f.ctx, etcdstore.Values{"id": c.Id})
	wantErr(t, err, etcdstore.ErrChassisAlreadyExists)
	if got, err := f.GetChassisByID(f.ctx, c.Id); err != nil || got.Uuid != c.Uuid {
		t.Fatal(got, err)
	}
	if got, err := f.GetChassisByUUID(f.ctx, c.Uuid); err != nil || got.Id != c.Id {
		t.Fatal(got, err)
	}
	_, err = f.GetChassisByID(f.ctx, 404)
	wantErr(t, err, etcdstore.ErrChassisNotFound)
	_, err = f.GetChassisByUUID(f.ctx, "1be26c0b-03f2-4d2e-ae87-c02d7f33c123")
	wantErr(t, err, etcdstore.ErrChassisNotFound)

	got, err := f.UpdateChassis(f.ctx, c.Uuid, etcdstore.Values{"description": "rack 2", "extra": nil})
	if err != nil || got.GetDescription() != "rack 2" || string(got.Extra) != "{}" {
		t.Fatal(got, err)
	}
	_, err = f.UpdateChassis(f.ctx, id(c.Id), etcdstore.Values{"uuid": c.Uuid})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	_, err = f.UpdateChassis(f.ctx, id(c.Id), etcdstore.Values{"foo": "bar"})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	_, err = f.UpdateChassis(f.ctx, "12345", etcdstore.Values{"description": "x"})
	wantErr(t, err, etcdstore.ErrChassisNotFound)
	_, err = f.UpdateChassis(f.ctx, "rack", etcdstore.Values{})
	wantErr(t, err, etcdstore.ErrInvalidIdentity)

	list, err := f.GetChassisList(f.ctx, etcdstore.ListOptions{SortKey: "description", SortDir: "desc"})
	if err != nil || len(list) != 1 {
		t.Fatal(list, err)
	}
	_, err = f.GetChassisList(f.ctx, etcdstore.ListOptions{SortKey: "foo"})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)

	// Nodes refer to existing chassis; the chassis_uuid filter finds them;
	// a chassis with nodes cannot go.
	n := f.mustNode(t, etcdstore.Values{"chassis_id": c.Id})
	_, err = f.CreateNode(f.ctx, etcdstore.Values{"chassis_id": 9999})
	wantErr(t, err, etcdstore.ErrChassisNotFound)
	nodes, err := f.GetNodeList(f.ctx, etcdstore.NodeFilter{ChassisUUID: &c.Uuid}, etcdstore.ListOptions{})
	if err != nil || len(nodes) != 1 || nodes[0].Id != n.Id {
		t.Fatal(nodes, err)
	}
	missing := "1be26c0b-03f2-4d2e-ae87-c02d7f33c123"
	_, err = f.GetNodeList(f.ctx, etcdstore.NodeFilter{ChassisUUID: &missing}, etcdstore.ListOptions{})
	wantErr(t, err, etcdstore.ErrChassisNotFound)
	wantErr(t, f.DestroyChassis(f.ctx, c.Uuid), etcdstore.ErrChassisNotEmpty)
	wantErr(t, f.DestroyChassis(f.ctx, "rack"), etcdstore.ErrInvalidIdentity)
	if _, err := f.UpdateNode(f.ctx, n.Uuid, etcdstore.Values{"chassis_id": nil}); err != nil {
		t.Fatal(err)
	}
	if err := f.DestroyChassis(f.ctx, id(c.Id)); err != nil {
		t.Fatal(err)
	}
	wantErr(t, f.DestroyChassis(f.ctx, id(c.Id)), etcdstore.ErrChassisNotFound)
}

func TestVolumeConnectors(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	c, err := f.CreateVolumeConnector(f.ctx, etcdstore.Values{"node_id": n.Id, "type": "iqn", "connector_id": "iqn.2010-10.org.openstack:1"})
	if err != nil || c.Uuid == "" {
		t.Fatal(c, err)
	}
	c2, err := f.CreateVolumeConnector(f.ctx, etcdstore.Values{"node_id": n.Id, "type": "wwpn", "connector_id": "iqn.2010-10.org.openstack:1"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.CreateVolumeConnector(f.ctx, etcdstore.Values{"node_id": n.Id, "type": "iqn", "connector_id": "iqn.2010-10.org.openstack:1", "uuid": c.Uuid})
	wantErr(t, err, etcdstore.ErrVolumeConnectorTypeAndIdAlreadyExists)
	_, err = f.CreateVolumeConnector(f.ctx, etcdstore.Values{"node_id": n.Id, "uuid": c.Uuid})
	wantErr(t, err, etcdstore.ErrVolumeConnectorAlreadyExists)
	_, err = f.CreateVolumeConnector(f.ctx, etcdstore.Values{"node_id": 31337})
	wantErr(t, err, etcdstore.ErrNodeNotFound)
	if got, err := f.GetVolumeConnectorByID(f.ctx, c.Id); err != nil || got.Uuid != c.Uuid {
		t.Fatal(got, err)
	}
	if got, err := f.GetVolumeConnectorByUUID(f.ctx, c.Uuid); err != nil || got.Id != c.Id {
		t.Fatal(got, err)
	}
	_, err = f.GetVolumeConnectorByID(f.ctx, -1)
	wantErr(t, err, etcdstore.ErrVolumeConnectorNotFound)
	_, err = f.GetVolumeConnectorByUUID(f.ctx, "1be26c0b-03f2-4d2e-ae87-c02d7f33c123")
	wantErr(t, err, etcdstore.ErrVolumeConnectorNotFound)

	// A clash on update names the merged (type, connector_id).
	_, err = f.UpdateVolumeConnector(f.ctx, c2.Uuid, etcdstore.Values{"type": "iqn"})
	wantErr(t, err, etcdstore.ErrVolumeConnectorTypeAndIdAlreadyExists)
	var e *etcdstore.Error
	if !errors.As(err, &e) || e.Param("type") != "iqn" || e.Param("connector_id") != "iqn.2010-10.org.openstack:1" {
		t.Fatalf("clash parameters: %v", err)
	}
	// The lookup fails before the values are looked at.
	_, err = f.UpdateVolumeConnector(f.ctx, "-1", etcdstore.Values{"node_id": ""})
	wantErr(t, err, etcdstore.ErrVolumeConnectorNotFound)
	_, err = f.UpdateVolumeConnector(f.ctx, id(c.Id), etcdstore.Values{"uuid": c.Uuid})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	_, err = f.UpdateVolumeConnector(f.ctx, "iqn", etcdstore.Values{})
	wantErr(t, err, etcdstore.ErrInvalidIdentity)
	if got, err := f.UpdateVolumeConnector(f.ctx, id(c.Id), etcdstore.Values{"extra": map[string]any{"k": "v"}}); err != nil || string(got.Extra) != `{"k":"v"}` {
		t.Fatal(got, err)
	}
	list, err := f.GetVolumeConnectorsByNodeID(f.ctx, n.Id, etcdstore.ListOptions{SortKey: "type", SortDir: "desc"})
	if err != nil || len(list) != 2 || list[0].Id != c2.Id {
		t.Fatal(list, err)
	}
	_, err = f.GetVolumeConnectorList(f.ctx, etcdstore.ListOptions{SortKey: "foo"})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	_, err = f.GetVolumeConnectorsByNodeID(f.ctx, n.Id, etcdstore.ListOptions{SortKey: "foo"})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	if err := f.DestroyVolumeConnector(f.ctx, c.Uuid); err != nil {
		t.Fatal(err)
	}
	wantErr(t, f.DestroyVolumeConnector(f.ctx, c.Uuid), etcdstore.ErrVolumeConnectorNotFound)
	wantErr(t, f.DestroyVolumeConnector(f.ctx, "iqn"), etcdstore.ErrInvalidIdentity)
	// The (type, connector_id) pair is free again.
	if _, err := f.CreateVolumeConnector(f.ctx, etcdstore.Values{"node_id": n.Id, "type": "iqn", "connector_id": "iqn.2010-10.org.openstack:1"}); err != nil {
		t.Fatal(err)
	}
}

func TestVolumeTargets(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	tg, err := f.CreateVolumeTarget(f.ctx, etcdstore.Values{"node_id": n.Id, "boot_index": 0, "volume_id": "v0", "volume_type": "iscsi", "properties": nil})
	if err != nil || string(tg.Properties) != "{}" {
		t.Fatal(tg, err)
	}
	tg1, err := f.CreateVolumeTarget(f.ctx, etcdstore.Values{"node_id": n.Id, "boot_index": 1, "volume_id": "v1"})
	if err != nil {
		t.Fatal(err)
	}
	// NULL never collides: targets without a boot_index share it.
	for i := 0; i < 2; i++ {
		if _, err := f.CreateVolumeTarget(f.ctx, etcdstore.Values{"node_id": n.Id}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = f.CreateVolumeTarget(f.ctx, etcdstore.Values{"node_id": n.Id, "boot_index": 0, "uuid": tg.Uuid})
	wantErr(t, err, etcdstore.ErrVolumeTargetBootIndexAlreadyExists)
	_, err = f.CreateVolumeTarget(f.ctx, etcdstore.Values{"node_id": n.Id, "boot_index": 5, "uuid": tg.Uuid})
	wantErr(t, err, etcdstore.ErrVolumeTargetAlreadyExists)
	_, err = f.CreateVolumeTarget(f.ctx, etcdstore.Values{"node_id": 31337, "boot_index": 0})
	wantErr(t, err, etcdstore.ErrNodeNotFound)
	if got, err := f.GetVolumeTargetByID(f.ctx, tg.Id); err != nil || got.Uuid != tg.Uuid {
		t.Fatal(got, err)
	}
	if got, err := f.GetVolumeTargetByUUID(f.ctx, tg.Uuid); err != nil || got.Id != tg.Id {
		t.Fatal(got, err)
	}
	_, err = f.GetVolumeTargetByID(f.ctx, 4040)
	wantErr(t, err, etcdstore.ErrVolumeTargetNotFound)
	_, err = f.GetVolumeTargetByUUID(f.ctx, "1be26c0b-03f2-4d2e-ae87-c02d7f33c123")
	wantErr(t, err, etcdstore.ErrVolumeTargetNotFound)
	_, err = f.UpdateVolumeTarget(f.ctx, tg1.Uuid, etcdstore.Values{"boot_index": 0})
	wantErr(t, err, etcdstore.ErrVolumeTargetBootIndexAlreadyExists)
	var e *etcdstore.Error
	if !errors.As(err, &e) || e.Param("boot_index") != "0" {
		t.Fatalf("clash parameters: %v", err)
	}
	_, err = f.UpdateVolumeTarget(f.ctx, id(tg.Id), etcdstore.Values{"uuid": tg.Uuid})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	_, err = f.UpdateVolumeTarget(f.ctx, "777", etcdstore.Values{})
	wantErr(t, err, etcdstore.ErrVolumeTargetNotFound)
	if got, err := f.UpdateVolumeTarget(f.ctx, tg1.Uuid, etcdstore.Values{"boot_index": 2}); err != nil || got.GetBootIndex() != 2 {
		t.Fatal(got, err)
	}
	list, err := f.GetVolumeTargetsByNodeID(f.ctx, n.Id, etcdstore.ListOptions{SortKey: "boot_index", Limit: etcdstore.Limit(2)})
	if err != nil || len(list) != 2 || list[0].BootIndex != nil { // NULL sorts first
		t.Fatal(list, err)
	}
	all, err := f.GetVolumeTargetList(f.ctx, etcdstore.ListOptions{SortKey: "boot_index", SortDir: "desc", Limit: etcdstore.Limit(1)})
	if err != nil || len(all) != 1 || all[0].Id != tg1.Id {
		t.Fatal(all, err)
	}
	_, err = f.GetVolumeTargetList(f.ctx, etcdstore.ListOptions{SortKey: "foo"})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	if err := f.DestroyVolumeTarget(f.ctx, id(tg.Id)); err != nil {
		t.Fatal(err)
	}
	wantErr(t, f.DestroyVolumeTarget(f.ctx, tg.Uuid), etcdstore.ErrVolumeTargetNotFound)
	wantErr(t, f.DestroyVolumeTarget(f.ctx, "boot"), etcdstore.ErrInvalidIdentity)
	if none, err := f.GetVolumeTargetsByNodeID(f.ctx, 5555, etcdstore.ListOptions{}); err != nil || len(none) != 0 {
		t.Fatal(none, err)
	}
}

// destroy_node removes the node's ports, portgroups, connectors and
// targets with every index key, in one transaction.
func TestDestroyNodeCascade(t *testing.T) {
	f := newFixture(t)
	keep := f.mustNode(t, etcdstore.Values{"name": "keep"})
	before := f.keysUnder(t)
	n := f.mustNode(t, etcdstore.Values{"name": "doomed"})
	pg := f.mustPortgroup(t, etcdstore.Values{"node_id": n.Id, "name": "bond0", "address": "52:54:00:00:00:01"})
	f.mustPort(t, etcdstore.Values{"node_id": n.Id, "portgroup_id": pg.Id, "address": "52:54:00:00:01:01"})
	f.mustPort(t, etcdstore.Values{"node_id": n.Id, "address": "52:54:00:00:01:02"})
	if _, err := f.CreateVolumeConnector(f.ctx, etcdstore.Values{"node_id": n.Id, "type": "iqn", "connector_id": "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.CreateVolumeTarget(f.ctx, etcdstore.Values{"node_id": n.Id, "boot_index": 0}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.SetNodeTags(f.ctx, n.Id, []string{"a", "b"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReserveNode(f.ctx, "c1", n.Uuid); err != nil {
		t.Fatal(err)
	}
	// A port of another node in this node's portgroup would dangle: refused.
	foreign := f.mustPort(t, etcdstore.Values{"node_id": keep.Id, "portgroup_id": pg.Id, "address": "52:54:00:00:02:01"})
	wantErr(t, f.DestroyNode(f.ctx, n.Uuid), etcdstore.ErrPortgroupNotEmpty)
	if err := f.DestroyPort(f.ctx, foreign.Uuid); err != nil {
		t.Fatal(err)
	}
	if err := f.DestroyNode(f.ctx, n.Uuid); err != nil {
		t.Fatal(err)
	}
	strip := func(ks []string) []string {
		return slices.DeleteFunc(ks, func(k string) bool { return len(k) > 4 && k[:4] == "ids/" })
	}
	if after := strip(f.keysUnder(t)); !slices.Equal(strip(before), after) {
		t.Fatalf("destroy_node left keys behind:\nbefore %v\nafter  %v", before, after)
	}
	wantErr(t, f.DestroyNode(f.ctx, n.Uuid), etcdstore.ErrNodeNotFound)
}

// A node with more children than one transaction can hold goes in
// batches, and nothing is left behind.
func TestDestroyNodeBeyondMaxTxnOps(t *testing.T) {
	f := newFixture(t, etcdstore.WithMaxTxnOps(16))
	n := f.mustNode(t, nil)
	for i := 0; i < 20; i++ {
		f.mustPort(t, etcdstore.Values{"node_id": n.Id, "address": macOf(i)})
	}
	if err := f.DestroyNode(f.ctx, id(n.Id)); err != nil {
		t.Fatal(err)
	}
	for _, k := range f.keysUnder(t) {
		if k[:4] != "ids/" {
			t.Fatalf("left behind: %s", k)
		}
	}
}

func macOf(i int) string {
	return "52:54:" + hex2(i>>24) + ":" + hex2(i>>16) + ":" + hex2(i>>8) + ":" + hex2(i)
}

func hex2(b int) string {
	const digits = "0123456789abcdef"
	b &= 0xff
	return string([]byte{digits[b>>4], digits[b&15]})
}
