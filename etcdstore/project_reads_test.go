package etcdstore_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// The project filters of the portgroup and volume reads (21.4's
// add_portgroup_filter_by_node_project and its volume twins), the version
// column of every table of this area, and get_volume_targets_by_volume_id.

func TestPortgroupProjectFilters(t *testing.T) {
	f := newFixture(t)
	owned := f.mustNode(t, etcdstore.Values{"owner": "o1"})
	leased := f.mustNode(t, etcdstore.Values{"lessee": "o1"})
	other := f.mustNode(t, etcdstore.Values{"owner": "o2"})
	var pgs []*pb.Portgroup
	for i, n := range []*pb.Node{owned, leased, other} {
		pg, err := f.CreatePortgroup(f.ctx, etcdstore.Values{"node_id": n.Id, "address": fmt.Sprintf("52:54:00:00:00:0%d", i), "name": fmt.Sprint("pg", i)})
		if err != nil {
			t.Fatal(err)
		}
		pgs = append(pgs, pg)
	}
	if _, err := f.CreatePortgroup(f.ctx, etcdstore.Values{"address": "52:54:00:00:00:09"}); err != nil { // no node
		t.Fatal(err)
	}
	o1 := etcdstore.ProjectFilter{Project: "o1"}
	for i, pg := range pgs {
		got, err := f.GetPortgroupByIDForProject(f.ctx, pg.Id, o1)
		addr, aerr := f.GetPortgroupByAddressForProject(f.ctx, strings.ToUpper(pg.GetAddress()), o1)
		if i < 2 {
			if err != nil || got.Id != pg.Id || aerr != nil || addr.Id != pg.Id {
				t.Fatalf("portgroup %d of project o1: %v %v / %v %v", i, got, err, addr, aerr)
			}
			continue
		}
		wantErr(t, err, etcdstore.ErrPortgroupNotFound)
		if paramOf(t, err, "portgroup") != fmt.Sprint(pg.Id) {
			t.Fatalf("PortgroupNotFound does not name the id: %v", err)
		}
		wantErr(t, aerr, etcdstore.ErrPortgroupNotFound)
		if paramOf(t, aerr, "portgroup") != strings.ToUpper(pg.GetAddress()) {
			t.Fatalf("PortgroupNotFound does not name the address: %v", aerr)
		}
	}
	_, err := f.GetPortgroupByIDForProject(f.ctx, 12345, o1)
	wantErr(t, err, etcdstore.ErrPortgroupNotFound)
	if got, err := f.GetPortgroupByIDForProject(f.ctx, pgs[2].Id, etcdstore.ProjectFilter{}); err != nil || got.Id != pgs[2].Id {
		t.Fatalf("no filter: %v %v", got, err)
	}
	list, err := f.GetPortgroupListForProject(f.ctx, etcdstore.ListOptions{}, o1)
	if err != nil || len(list) != 2 || list[0].Id != pgs[0].Id || list[1].Id != pgs[1].Id {
		t.Fatalf("get_portgroup_list(project=o1): %v %v", list, err)
	}
	if list, err := f.GetPortgroupListForProject(f.ctx, etcdstore.ListOptions{}, etcdstore.ProjectFilter{}); err != nil || len(list) != 4 {
		t.Fatalf("get_portgroup_list(): %v %v", list, err)
	}
	for _, c := range []struct {
		node *pb.Node
		want int
	}{{owned, 1}, {leased, 1}, {other, 0}} {
		got, err := f.GetPortgroupsByNodeIDForProject(f.ctx, c.node.Id, etcdstore.ListOptions{}, o1)
		if err != nil || len(got) != c.want {
			t.Fatalf("get_portgroups_by_node_id(%d, project=o1): %v %v", c.node.Id, got, err)
		}
	}
	// The reference takes no owner for portgroups.
	owner := etcdstore.ProjectFilter{Owner: "o1"}
	for _, call := range []func() error{
		func() error { _, err := f.GetPortgroupByIDForProject(f.ctx, pgs[0].Id, owner); return err },
		func() error {
			_, err := f.GetPortgroupByAddressForProject(f.ctx, pgs[0].GetAddress(), owner)
			return err
		},
		func() error {
			_, err := f.GetPortgroupListForProject(f.ctx, etcdstore.ListOptions{}, owner)
			return err
		},
		func() error {
			_, err := f.GetPortgroupsByNodeIDForProject(f.ctx, owned.Id, etcdstore.ListOptions{}, owner)
			return err
		},
		func() error {
			_, err := f.GetVolumeConnectorListForProject(f.ctx, etcdstore.ListOptions{}, owner)
			return err
		},
		func() error {
			_, err := f.GetVolumeTargetListForProject(f.ctx, etcdstore.ListOptions{}, owner)
			return err
		},
		func() error {
			_, err := f.GetVolumeTargetsByVolumeID(f.ctx, "v", etcdstore.ListOptions{}, owner)
			return err
		},
	} {
		wantErr(t, call(), etcdstore.ErrInvalidParameterValue)
	}
}

func TestVolumeProjectFilters(t *testing.T) {
	f := newFixture(t)
	owned := f.mustNode(t, etcdstore.Values{"owner": "o1"})
	leased := f.mustNode(t, etcdstore.Values{"lessee": "o1"})
	other := f.mustNode(t, nil)
	var targets []*pb.VolumeTarget
	for i, n := range []*pb.Node{owned, leased, other} {
		if _, err := f.CreateVolumeConnector(f.ctx, etcdstore.Values{"node_id": n.Id, "type": "iqn", "connector_id": fmt.Sprint("iqn.", i)}); err != nil {
			t.Fatal(err)
		}
		vt, err := f.CreateVolumeTarget(f.ctx, etcdstore.Values{"node_id": n.Id, "volume_type": "iscsi", "boot_index": 0, "volume_id": "shared-volume"})
		if err != nil {
			t.Fatal(err)
		}
		targets = append(targets, vt)
	}
	extra, err := f.CreateVolumeTarget(f.ctx, etcdstore.Values{"node_id": owned.Id, "volume_type": "iscsi", "boot_index": 1, "volume_id": "own-volume", "version": "1.0"})
	if err != nil || extra.GetVersion() != "1.0" {
		t.Fatal(extra, err)
	}
	o1 := etcdstore.ProjectFilter{Project: "o1"}
	conns, err := f.GetVolumeConnectorListForProject(f.ctx, etcdstore.ListOptions{}, o1)
	if err != nil || len(conns) != 2 || conns[0].GetNodeId() != owned.Id || conns[1].GetNodeId() != leased.Id {
		t.Fatalf("get_volume_connector_list(project=o1): %v %v", conns, err)
	}
	if conns, err := f.GetVolumeConnectorListForProject(f.ctx, etcdstore.ListOptions{}, etcdstore.ProjectFilter{Project: "o2"}); err != nil || len(conns) != 0 {
		t.Fatalf("project o2: %v %v", conns, err)
	}
	tl, err := f.GetVolumeTargetListForProject(f.ctx, etcdstore.ListOptions{SortKey: "volume_id"}, o1)
	if err != nil || len(tl) != 3 || tl[2].GetVolumeId() != "shared-volume" || tl[0].GetVolumeId() != "own-volume" {
		t.Fatalf("get_volume_target_list(project=o1, sort_key=volume_id): %v %v", tl, err)
	}
	// get_volume_targets_by_volume_id: exact match, paged, filtered.
	for _, c := range []struct {
		volume string
		pf     etcdstore.ProjectFilter
		opts   etcdstore.ListOptions
		want   []int64
	}{
		{"shared-volume", etcdstore.ProjectFilter{}, etcdstore.ListOptions{}, []int64{targets[0].Id, targets[1].Id, targets[2].Id}},
		{"shared-volume", o1, etcdstore.ListOptions{}, []int64{targets[0].Id, targets[1].Id}},
		{"shared-volume", o1, etcdstore.ListOptions{SortDir: "desc", Limit: etcdstore.Limit(1)}, []int64{targets[1].Id}},
		{"shared-volume", etcdstore.ProjectFilter{}, etcdstore.ListOptions{Marker: targets[0]}, []int64{targets[1].Id, targets[2].Id}},
		{"own-volume", etcdstore.ProjectFilter{Project: "o2"}, etcdstore.ListOptions{}, nil},
		{"SHARED-VOLUME", etcdstore.ProjectFilter{}, etcdstore.ListOptions{}, nil},
		{"", etcdstore.ProjectFilter{}, etcdstore.ListOptions{}, nil},
		{"missing", etcdstore.ProjectFilter{}, etcdstore.ListOptions{}, nil},
	} {
		got, err := f.GetVolumeTargetsByVolumeID(f.ctx, c.volume, c.opts, c.pf)
		var ids []int64
		for _, vt := range got {
			ids = append(ids, vt.Id)
		}
		if err != nil || !slices.Equal(ids, c.want) || got == nil {
			t.Fatalf("get_volume_targets_by_volume_id(%q, %+v, %+v): %v %v, want %v", c.volume, c.pf, c.opts, ids, err, c.want)
		}
	}
	_, err = f.GetVolumeTargetsByVolumeID(f.ctx, "shared-volume", etcdstore.ListOptions{SortKey: "nope"}, etcdstore.ProjectFilter{})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
}

// Every table of this area takes 21.4's version column.
func TestVersionColumns(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	ch, err := f.CreateChassis(f.ctx, etcdstore.Values{"version": "1.0"})
	if err != nil || ch.GetVersion() != "1.0" {
		t.Fatal(ch, err)
	}
	if ch, err = f.UpdateChassis(f.ctx, ch.Uuid, etcdstore.Values{"version": "1.1"}); err != nil || ch.GetVersion() != "1.1" {
		t.Fatal(ch, err)
	}
	pg, err := f.CreatePortgroup(f.ctx, etcdstore.Values{"node_id": n.Id, "version": "1.5"})
	if err != nil || pg.GetVersion() != "1.5" {
		t.Fatal(pg, err)
	}
	vc, err := f.CreateVolumeConnector(f.ctx, etcdstore.Values{"node_id": n.Id, "type": "iqn", "connector_id": "c", "version": "1.0"})
	if err != nil || vc.GetVersion() != "1.0" {
		t.Fatal(vc, err)
	}
	if vc, err = f.UpdateVolumeConnector(f.ctx, vc.Uuid, etcdstore.Values{"version": nil}); err != nil || vc.Version != nil {
		t.Fatal(vc, err)
	}
	for _, bad := range []any{7, strings.Repeat("1", 16)} { // String(15)
		_, err := f.CreateChassis(f.ctx, etcdstore.Values{"version": bad})
		wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	}
}
