package etcdstore_test

import (
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Tests of BEHAVIOUR.md for ports, portgroups, chassis (§7.2-7.4), node
// tags (§7.6), volume connectors and targets (§7.7, §7.8), timestamps (§4)
// and limits (§5).

func TestSpecCreatePortPxeEnabledNullIsTrue(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	p := f.mustPort(t, etcdstore.Values{"node_id": n.Id, "address": "52:54:00:00:00:01", "pxe_enabled": nil})
	if !p.PxeEnabled {
		t.Fatal("pxe_enabled null: returned false")
	}
	got, err := f.GetPortByID(f.ctx, p.Id)
	if err != nil || !got.PxeEnabled {
		t.Fatalf("pxe_enabled null: read back %v %v", got, err)
	}
}

func TestSpecUpdatePortNotFoundByIDAndUUID(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	p := f.mustPort(t, etcdstore.Values{"node_id": n.Id, "address": "52:54:00:00:00:01"})
	_, err := f.UpdatePort(f.ctx, "98765", etcdstore.Values{"extra": map[string]any{"a": 1}})
	wantErr(t, err, etcdstore.ErrPortNotFound)
	_, err = f.UpdatePort(f.ctx, uuidC, etcdstore.Values{"extra": map[string]any{"a": 1}})
	wantErr(t, err, etcdstore.ErrPortNotFound)
	got, err := f.GetPortByID(f.ctx, p.Id)
	if err != nil || string(got.Extra) != "{}" || got.UpdatedAt != nil {
		t.Fatalf("the existing port changed: %v %v", got, err)
	}
}

func TestSpecPortsByPortgroupBadSortKey(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	pg := f.mustPortgroup(t, etcdstore.Values{"node_id": n.Id})
	f.mustPort(t, etcdstore.Values{"node_id": n.Id, "portgroup_id": pg.Id, "address": "52:54:00:00:00:01"})
	_, err := f.GetPortsByPortgroupID(f.ctx, pg.Id, etcdstore.ListOptions{SortKey: "foo"})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	// Checked even when the result would be empty.
	_, err = f.GetPortsByPortgroupID(f.ctx, 4242, etcdstore.ListOptions{SortKey: "foo"})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	ports, err := f.GetPortsByPortgroupID(f.ctx, pg.Id, etcdstore.ListOptions{SortKey: "address"})
	if err != nil || len(ports) != 1 {
		t.Fatal(ports, err)
	}
}

func TestSpecCreatePortgroupStandaloneNullIsTrue(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	pg := f.mustPortgroup(t, etcdstore.Values{"node_id": n.Id, "standalone_ports_supported": nil})
	if !pg.StandalonePortsSupported {
		t.Fatal("standalone_ports_supported null: returned false")
	}
	got, err := f.GetPortgroupByID(f.ctx, pg.Id)
	if err != nil || !got.StandalonePortsSupported {
		t.Fatalf("standalone_ports_supported null: read back %v %v", got, err)
	}
}

func TestSpecPortgroupsByNodeID(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	f.mustPortgroup(t, etcdstore.Values{"node_id": n.Id})
	list, err := f.GetPortgroupsByNodeID(f.ctx, 777777, etcdstore.ListOptions{})
	if err != nil || len(list) != 0 {
		t.Fatalf("unknown node: %v %v", list, err)
	}
	_, err = f.GetPortgroupsByNodeID(f.ctx, n.Id, etcdstore.ListOptions{SortKey: "foo"})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	_, err = f.GetPortgroupsByNodeID(f.ctx, 777777, etcdstore.ListOptions{SortKey: "foo"})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
}

// wantStamp fails unless ts is exactly want.
func wantStamp(t *testing.T, what string, ts *timestamppb.Timestamp, want time.Time) {
	t.Helper()
	if ts == nil || !ts.AsTime().Equal(want) {
		t.Fatalf("%s: updated_at %v, want %v", what, ts, want)
	}
}

// update_* set updated_at to now unless the caller supplies one.
func TestSpecUpdatesBumpUpdatedAt(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	pg := f.mustPortgroup(t, etcdstore.Values{"node_id": n.Id, "name": "bond0"})
	ch, err := f.CreateChassis(f.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	vc, err := f.CreateVolumeConnector(f.ctx, etcdstore.Values{"node_id": n.Id, "type": "iqn", "connector_id": "c1"})
	if err != nil {
		t.Fatal(err)
	}
	vt, err := f.CreateVolumeTarget(f.ctx, etcdstore.Values{"node_id": n.Id, "boot_index": 0})
	if err != nil {
		t.Fatal(err)
	}
	for what, ts := range map[string]*timestamppb.Timestamp{"portgroup": pg.UpdatedAt, "chassis": ch.UpdatedAt, "connector": vc.UpdatedAt, "target": vt.UpdatedAt} {
		if ts != nil {
			t.Fatalf("%s created with updated_at %v", what, ts)
		}
	}
	f.clock.Advance(90 * time.Second)
	now := f.clock.Now()
	gotPG, err := f.UpdatePortgroup(f.ctx, pg.Uuid, etcdstore.Values{"name": "bond1"})
	if err != nil {
		t.Fatal(err)
	}
	wantStamp(t, "update_portgroup", gotPG.UpdatedAt, now)
	gotCh, err := f.UpdateChassis(f.ctx, ch.Uuid, etcdstore.Values{"description": "rack"})
	if err != nil {
		t.Fatal(err)
	}
	wantStamp(t, "update_chassis", gotCh.UpdatedAt, now)
	gotVC, err := f.UpdateVolumeConnector(f.ctx, vc.Uuid, etcdstore.Values{"connector_id": "c2"})
	if err != nil {
		t.Fatal(err)
	}
	wantStamp(t, "update_volume_connector", gotVC.UpdatedAt, now)
	gotVT, err := f.UpdateVolumeTarget(f.ctx, vt.Uuid, etcdstore.Values{"boot_index": 1})
	if err != nil {
		t.Fatal(err)
	}
	wantStamp(t, "update_volume_target", gotVT.UpdatedAt, now)

	// Read back.
	if r, err := f.GetPortgroupByID(f.ctx, pg.Id); err != nil {
		t.Fatal(err)
	} else {
		wantStamp(t, "portgroup read", r.UpdatedAt, now)
	}
	if r, err := f.GetChassisByID(f.ctx, ch.Id); err != nil {
		t.Fatal(err)
	} else {
		wantStamp(t, "chassis read", r.UpdatedAt, now)
	}
	if r, err := f.GetVolumeConnectorByID(f.ctx, vc.Id); err != nil {
		t.Fatal(err)
	} else {
		wantStamp(t, "connector read", r.UpdatedAt, now)
	}
	if r, err := f.GetVolumeTargetByID(f.ctx, vt.Id); err != nil {
		t.Fatal(err)
	} else {
		wantStamp(t, "target read", r.UpdatedAt, now)
	}

	// A later update moves it again.
	f.clock.Advance(time.Minute)
	later := f.clock.Now()
	if got, err := f.UpdatePortgroup(f.ctx, id(pg.Id), etcdstore.Values{"extra": map[string]any{"x": 1}}); err != nil {
		t.Fatal(err)
	} else {
		wantStamp(t, "second update_portgroup", got.UpdatedAt, later)
	}
	if got, err := f.UpdateChassis(f.ctx, id(ch.Id), etcdstore.Values{"description": "rack 2"}); err != nil {
		t.Fatal(err)
	} else {
		wantStamp(t, "second update_chassis", got.UpdatedAt, later)
	}
	if got, err := f.UpdateVolumeConnector(f.ctx, id(vc.Id), etcdstore.Values{"connector_id": "c3"}); err != nil {
		t.Fatal(err)
	} else {
		wantStamp(t, "second update_volume_connector", got.UpdatedAt, later)
	}
	if got, err := f.UpdateVolumeTarget(f.ctx, id(vt.Id), etcdstore.Values{"boot_index": 2}); err != nil {
		t.Fatal(err)
	} else {
		wantStamp(t, "second update_volume_target", got.UpdatedAt, later)
	}
}

func TestSpecUpdatesKeepSuppliedUpdatedAt(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	pg := f.mustPortgroup(t, etcdstore.Values{"node_id": n.Id})
	ch, err := f.CreateChassis(f.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	vc, err := f.CreateVolumeConnector(f.ctx, etcdstore.Values{"node_id": n.Id, "type": "iqn", "connector_id": "c1"})
	if err != nil {
		t.Fatal(err)
	}
	vt, err := f.CreateVolumeTarget(f.ctx, etcdstore.Values{"node_id": n.Id, "boot_index": 0})
	if err != nil {
		t.Fatal(err)
	}
	p := f.mustPort(t, etcdstore.Values{"node_id": n.Id, "address": "52:54:00:00:00:01"})
	f.clock.Advance(time.Hour)
	when := epoch.Add(-24 * time.Hour)
	v := func(k string, x any) etcdstore.Values { return etcdstore.Values{k: x, "updated_at": when} }

	gotPG, err := f.UpdatePortgroup(f.ctx, pg.Uuid, v("name", "bond9"))
	if err != nil {
		t.Fatal(err)
	}
	wantStamp(t, "update_portgroup", gotPG.UpdatedAt, when)
	gotCh, err := f.UpdateChassis(f.ctx, ch.Uuid, v("description", "d"))
	if err != nil {
		t.Fatal(err)
	}
	wantStamp(t, "update_chassis", gotCh.UpdatedAt, when)
	gotVC, err := f.UpdateVolumeConnector(f.ctx, vc.Uuid, v("connector_id", "c2"))
	if err != nil {
		t.Fatal(err)
	}
	wantStamp(t, "update_volume_connector", gotVC.UpdatedAt, when)
	gotVT, err := f.UpdateVolumeTarget(f.ctx, vt.Uuid, v("boot_index", 3))
	if err != nil {
		t.Fatal(err)
	}
	wantStamp(t, "update_volume_target", gotVT.UpdatedAt, when)
	gotP, err := f.UpdatePort(f.ctx, p.Uuid, v("pxe_enabled", false))
	if err != nil {
		t.Fatal(err)
	}
	wantStamp(t, "update_port", gotP.UpdatedAt, when)

	if r, err := f.GetChassisByID(f.ctx, ch.Id); err != nil {
		t.Fatal(err)
	} else {
		wantStamp(t, "chassis read", r.UpdatedAt, when)
	}
	if r, err := f.GetVolumeTargetByID(f.ctx, vt.Id); err != nil {
		t.Fatal(err)
	} else {
		wantStamp(t, "target read", r.UpdatedAt, when)
	}
}

func TestSpecCreateChassisEmptyUUIDGenerated(t *testing.T) {
	f := newFixture(t)
	c1, err := f.CreateChassis(f.ctx, etcdstore.Values{"uuid": ""})
	if err != nil {
		t.Fatal(err)
	}
	c2, err := f.CreateChassis(f.ctx, etcdstore.Values{"uuid": ""})
	if err != nil {
		t.Fatal(err)
	}
	if !etcdstore.IsUUIDLike(c1.Uuid) || !etcdstore.IsUUIDLike(c2.Uuid) || c1.Uuid == c2.Uuid {
		t.Fatalf("generated uuids %q %q", c1.Uuid, c2.Uuid)
	}
	got, err := f.GetChassisByUUID(f.ctx, c1.Uuid)
	if err != nil || got.Id != c1.Id {
		t.Fatal(got, err)
	}
}

func TestSpecDestroyChassisNotEmptyByID(t *testing.T) {
	f := newFixture(t)
	ch, err := f.CreateChassis(f.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.mustNode(t, etcdstore.Values{"chassis_id": ch.Id})
	err = f.DestroyChassis(f.ctx, id(ch.Id))
	wantParams(t, err, etcdstore.ErrChassisNotEmpty, "chassis", id(ch.Id))
	err = f.DestroyChassis(f.ctx, ch.Uuid)
	wantParams(t, err, etcdstore.ErrChassisNotEmpty, "chassis", ch.Uuid)
	if _, err := f.GetChassisByID(f.ctx, ch.Id); err != nil {
		t.Fatalf("a non-empty chassis was deleted: %v", err)
	}
}

func TestSpecNodeTagErrorsAndExistingPair(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	err := f.DeleteNodeTag(f.ctx, n.Id, "nope")
	wantParams(t, err, etcdstore.ErrNodeTagNotFound, "node_id", id(n.Id), "tag", "nope")
	first, err := f.AddNodeTag(f.ctx, n.Id, "t1")
	if err != nil || first.NodeId != n.Id || first.Tag != "t1" {
		t.Fatal(first, err)
	}
	again, err := f.AddNodeTag(f.ctx, n.Id, "t1")
	if err != nil || again == nil || again.NodeId != n.Id || again.Tag != "t1" {
		t.Fatalf("existing pair: %v %v", again, err)
	}
	tags, err := f.GetNodeTagsByNodeID(f.ctx, n.Id)
	if err != nil || len(tags) != 1 || tags[0].Tag != "t1" {
		t.Fatalf("tags after adding twice: %v %v", tags, err)
	}
}

func TestSpecVolumeConnectorDuplicateIDAndUnknownNode(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	c, err := f.CreateVolumeConnector(f.ctx, etcdstore.Values{"node_id": n.Id, "type": "iqn", "connector_id": "a"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.CreateVolumeConnector(f.ctx, etcdstore.Values{"id": c.Id, "uuid": uuidC, "node_id": n.Id, "type": "iqn", "connector_id": "b"})
	wantParams(t, err, etcdstore.ErrVolumeConnectorAlreadyExists, "uuid", uuidC)
	if _, err := f.GetVolumeConnectorByUUID(f.ctx, uuidC); err == nil {
		t.Fatal("the refused connector was stored")
	}
	list, err := f.GetVolumeConnectorsByNodeID(f.ctx, 888888, etcdstore.ListOptions{})
	if err != nil || len(list) != 0 {
		t.Fatalf("unknown node: %v %v", list, err)
	}
}

func TestSpecVolumeTargets(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	tg, err := f.CreateVolumeTarget(f.ctx, etcdstore.Values{"node_id": n.Id, "boot_index": 0})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.CreateVolumeTarget(f.ctx, etcdstore.Values{"id": tg.Id, "uuid": uuidC, "node_id": n.Id, "boot_index": 9})
	wantParams(t, err, etcdstore.ErrVolumeTargetAlreadyExists, "uuid", uuidC)
	// A null node_id never collides: many targets share a boot_index.
	var free []*pb.VolumeTarget
	for i := 0; i < 3; i++ {
		vt, err := f.CreateVolumeTarget(f.ctx, etcdstore.Values{"node_id": nil, "boot_index": 0})
		if err != nil {
			t.Fatalf("target %d with a null node_id and boot_index 0: %v", i, err)
		}
		free = append(free, vt)
	}
	all, err := f.GetVolumeTargetList(f.ctx, etcdstore.ListOptions{})
	if err != nil || len(all) != 4 {
		t.Fatalf("targets: %v %v", all, err)
	}
	// Moving one of them to another boot_index, and back, is fine too.
	if _, err := f.UpdateVolumeTarget(f.ctx, free[0].Uuid, etcdstore.Values{"boot_index": 5}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.UpdateVolumeTarget(f.ctx, free[0].Uuid, etcdstore.Values{"boot_index": 0}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"boot0", "", "07", "+7", " 7", "52:54:00:00:00:01"} {
		_, err := f.UpdateVolumeTarget(f.ctx, bad, etcdstore.Values{"boot_index": 4})
		wantParams(t, err, etcdstore.ErrInvalidIdentity, "identity", bad)
	}
}

// limit 0 returns an empty page from every list method (§5, §12.17),
// after validating the sort key.
func TestSpecLimitZeroEverywhere(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	pg := f.mustPortgroup(t, etcdstore.Values{"node_id": n.Id})
	f.mustPort(t, etcdstore.Values{"node_id": n.Id, "portgroup_id": pg.Id, "address": "52:54:00:00:00:01"})
	if _, err := f.CreateChassis(f.ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.CreateVolumeConnector(f.ctx, etcdstore.Values{"node_id": n.Id, "type": "iqn", "connector_id": "a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.CreateVolumeTarget(f.ctx, etcdstore.Values{"node_id": n.Id, "boot_index": 0}); err != nil {
		t.Fatal(err)
	}
	lists := map[string]func(etcdstore.ListOptions) (int, error){
		"ports": func(o etcdstore.ListOptions) (int, error) { l, err := f.GetPortList(f.ctx, o); return len(l), err },
		"ports by node": func(o etcdstore.ListOptions) (int, error) {
			l, err := f.GetPortsByNodeID(f.ctx, n.Id, o)
			return len(l), err
		},
		"ports by portgroup": func(o etcdstore.ListOptions) (int, error) {
			l, err := f.GetPortsByPortgroupID(f.ctx, pg.Id, o)
			return len(l), err
		},
		"portgroups": func(o etcdstore.ListOptions) (int, error) { l, err := f.GetPortgroupList(f.ctx, o); return len(l), err },
		"portgroups by node": func(o etcdstore.ListOptions) (int, error) {
			l, err := f.GetPortgroupsByNodeID(f.ctx, n.Id, o)
			return len(l), err
		},
		"chassis": func(o etcdstore.ListOptions) (int, error) { l, err := f.GetChassisList(f.ctx, o); return len(l), err },
		"connectors": func(o etcdstore.ListOptions) (int, error) {
			l, err := f.GetVolumeConnectorList(f.ctx, o)
			return len(l), err
		},
		"connectors by node": func(o etcdstore.ListOptions) (int, error) {
			l, err := f.GetVolumeConnectorsByNodeID(f.ctx, n.Id, o)
			return len(l), err
		},
		"targets": func(o etcdstore.ListOptions) (int, error) {
			l, err := f.GetVolumeTargetList(f.ctx, o)
			return len(l), err
		},
		"targets by node": func(o etcdstore.ListOptions) (int, error) {
			l, err := f.GetVolumeTargetsByNodeID(f.ctx, n.Id, o)
			return len(l), err
		},
		"nodes": func(o etcdstore.ListOptions) (int, error) {
			l, err := f.GetNodeList(f.ctx, etcdstore.NodeFilter{}, o)
			return len(l), err
		},
		"nodeinfo": func(o etcdstore.ListOptions) (int, error) {
			l, err := f.GetNodeinfoList(f.ctx, []string{"id", "uuid"}, etcdstore.NodeFilter{}, o)
			return len(l), err
		},
	}
	names := make([]string, 0, len(lists))
	for name := range lists {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		list := lists[name]
		if got, err := list(etcdstore.ListOptions{}); err != nil || got != 1 {
			t.Errorf("%s without a limit: %d records, %v; want 1", name, got, err)
		}
		for _, o := range []etcdstore.ListOptions{
			{Limit: etcdstore.Limit(0)},
			{Limit: etcdstore.Limit(0), SortKey: "created_at", SortDir: "desc"},
		} {
			if got, err := list(o); err != nil || got != 0 {
				t.Errorf("%s limit 0 %+v: %d records, %v", name, o, got, err)
			}
		}
		if _, err := list(etcdstore.ListOptions{Limit: etcdstore.Limit(0), SortKey: "foo"}); err == nil {
			t.Errorf("%s limit 0 with sort_key foo: no error", name)
		} else {
			wantErr(t, err, etcdstore.ErrInvalidParameterValue)
		}
	}
}
