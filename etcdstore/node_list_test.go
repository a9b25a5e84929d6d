package etcdstore_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

func nodeIDs(ns []*pb.Node) []int64 {
	out := []int64{}
	for _, n := range ns {
		out = append(out, n.Id)
	}
	return out
}

func TestNodeFilters(t *testing.T) {
	f := newFixture(t)
	ch, err := f.CreateChassis(f.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := f.mustNode(t, etcdstore.Values{"driver": "ipmi", "provision_state": "available", "resource_class": "gpu", "chassis_id": ch.Id})
	b := f.mustNode(t, etcdstore.Values{"driver": "redfish", "provision_state": "active", "instance_uuid": uuidA, "maintenance": true})
	c := f.mustNode(t, etcdstore.Values{"driver": nil, "provision_state": "wait call-back", "console_enabled": true})
	if _, err := f.ReserveNode(f.ctx, "h1", b.Uuid); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReserveNode(f.ctx, "h2", c.Uuid); err != nil {
		t.Fatal(err)
	}
	// provision_updated_at: a at t0, b at t0+10m; c never. inspection: b.
	f.clock.Advance(10 * time.Minute)
	if _, err := f.UpdateNode(f.ctx, id(a.Id), etcdstore.Values{"provision_state": "available"}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(10 * time.Minute)
	if _, err := f.UpdateNode(f.ctx, id(b.Id), etcdstore.Values{"provision_state": "inspecting"}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(5 * time.Minute)
	tr, fa := true, false
	secs := func(d time.Duration) *time.Duration { return &d }
	cases := []struct {
		name string
		flt  etcdstore.NodeFilter
		want []int64
	}{
		{"none", etcdstore.NodeFilter{}, []int64{a.Id, b.Id, c.Id}},
		{"chassis", etcdstore.NodeFilter{ChassisUUID: &ch.Uuid}, []int64{a.Id}},
		{"associated", etcdstore.NodeFilter{Associated: &tr}, []int64{b.Id}},
		{"not associated", etcdstore.NodeFilter{Associated: &fa}, []int64{a.Id, c.Id}},
		{"reserved", etcdstore.NodeFilter{Reserved: &tr}, []int64{b.Id, c.Id}},
		{"not reserved", etcdstore.NodeFilter{Reserved: &fa}, []int64{a.Id}},
		{"reserved by h2", etcdstore.NodeFilter{ReservedByAnyOf: []string{"h2", "h9"}}, []int64{c.Id}},
		{"reserved by nobody listed", etcdstore.NodeFilter{ReservedByAnyOf: []string{}}, []int64{}},
		{"maintenance", etcdstore.NodeFilter{Maintenance: &tr}, []int64{b.Id}},
		{"console", etcdstore.NodeFilter{ConsoleEnabled: &tr}, []int64{c.Id}},
		{"driver", etcdstore.NodeFilter{Driver: &etcdstore.NullableString{Value: "ipmi"}}, []int64{a.Id}},
		{"driver null", etcdstore.NodeFilter{Driver: &etcdstore.NullableString{Null: true}}, []int64{c.Id}},
		{"resource class", etcdstore.NodeFilter{ResourceClass: &etcdstore.NullableString{Value: "gpu"}}, []int64{a.Id}},
		{"provision state", etcdstore.NodeFilter{ProvisionState: &etcdstore.NullableString{Value: "wait call-back"}}, []int64{c.Id}},
		{"provisioned before 10m", etcdstore.NodeFilter{ProvisionedBefore: secs(10 * time.Minute)}, []int64{a.Id}},
		{"provisioned before 1m", etcdstore.NodeFilter{ProvisionedBefore: secs(time.Minute)}, []int64{a.Id, b.Id}},
		{"inspection started before 1m", etcdstore.NodeFilter{InspectionStartedBefore: secs(time.Minute)}, []int64{b.Id}},
		{"inspection started before 1h", etcdstore.NodeFilter{InspectionStartedBefore: secs(time.Hour)}, []int64{}},
		{"and", etcdstore.NodeFilter{Reserved: &tr, Maintenance: &fa}, []int64{c.Id}},
	}
	for _, tc := range cases {
		got, err := f.GetNodeList(f.ctx, tc.flt, etcdstore.ListOptions{})
		if err != nil || !slices.Equal(nodeIDs(got), tc.want) {
			t.Errorf("%s: got %v %v, want %v", tc.name, nodeIDs(got), err, tc.want)
		}
	}
	missing := uuidC
	_, err = f.GetNodeList(f.ctx, etcdstore.NodeFilter{ChassisUUID: &missing, Reserved: &tr}, etcdstore.ListOptions{})
	wantErr(t, err, etcdstore.ErrChassisNotFound)
}

func TestParseNodeFilters(t *testing.T) {
	f, err := etcdstore.ParseNodeFilters(map[string]any{
		"provision_state": "active", "maintenance": false, "reserved_by_any_of": []any{"a"},
		"provisioned_before": 60, "driver": nil,
	})
	if err != nil || f.ProvisionState.Value != "active" || *f.Maintenance || f.ReservedByAnyOf[0] != "a" ||
		*f.ProvisionedBefore != time.Minute || !f.Driver.Null {
		t.Fatal(f, err)
	}
	for _, bad := range []map[string]any{{"bogus": 1}, {"maintenance": "no"}, {"reserved_by_any_of": "a"},
		{"provisioned_before": -5}, {"chassis_uuid": 7}} {
		if _, err := etcdstore.ParseNodeFilters(bad); !errors.Is(err, etcdstore.ErrInvalidParameterValue) {
			t.Errorf("%v: %v", bad, err)
		}
	}
}

func TestNodeinfoListColumns(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, etcdstore.Values{"name": "n1", "maintenance": true, "properties": map[string]any{"a": 1}})
	if _, err := f.SetNodeTags(f.ctx, n.Id, []string{"z", "y"}); err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetNodeinfoList(f.ctx, nil, etcdstore.NodeFilter{}, etcdstore.ListOptions{})
	if err != nil || len(rows) != 1 || len(rows[0]) != 1 || rows[0][0] != n.Id {
		t.Fatal(rows, err)
	}
	rows, err = f.GetNodeinfoList(f.ctx, []string{"name", "uuid", "reservation", "maintenance", "created_at", "properties", "tags"},
		etcdstore.NodeFilter{}, etcdstore.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := rows[0]
	if r[0] != "n1" || r[1] != n.Uuid || r[2] != nil || r[3] != true || !r[4].(time.Time).Equal(epoch) ||
		fmt.Sprint(r[5]) != fmt.Sprint([]byte(`{"a":1}`)) || !slices.Equal(r[6].([]string), []string{"y", "z"}) {
		t.Fatalf("row %v", r)
	}
	for _, cols := range [][]string{{"foo"}, {"id", "reservation_revision"}} {
		_, err := f.GetNodeinfoList(f.ctx, cols, etcdstore.NodeFilter{}, etcdstore.ListOptions{})
		wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	}
}

func TestNodePagination(t *testing.T) {
	f := newFixture(t)
	names := []any{"c", nil, "a", "b", nil, "a2", "d"}
	var all []*pb.Node
	for _, name := range names {
		all = append(all, f.mustNode(t, etcdstore.Values{"name": name}))
	}
	walk := func(opts etcdstore.ListOptions) []int64 {
		t.Helper()
		var out []int64
		opts.Limit = etcdstore.Limit(2)
		for {
			page, err := f.GetNodeList(f.ctx, etcdstore.NodeFilter{}, opts)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, nodeIDs(page)...)
			if len(page) < 2 {
				return out
			}
			opts.Marker = page[len(page)-1]
		}
	}
	ids := nodeIDs(all)
	if got := walk(etcdstore.ListOptions{}); !slices.Equal(got, ids) {
		t.Fatalf("by id: %v", got)
	}
	rev := slices.Clone(ids)
	slices.Reverse(rev)
	if got := walk(etcdstore.ListOptions{SortDir: "desc"}); !slices.Equal(got, rev) {
		t.Fatalf("by id desc: %v", got)
	}
	// By name: NULLs first ascending (ties by id), last descending; every
	// page continues after its marker, NULL markers included.
	byName := []int64{all[1].Id, all[4].Id, all[2].Id, all[5].Id, all[3].Id, all[0].Id, all[6].Id}
	if got := walk(etcdstore.ListOptions{SortKey: "name"}); !slices.Equal(got, byName) {
		t.Fatalf("by name: %v, want %v", got, byName)
	}
	slices.Reverse(byName)
	if got := walk(etcdstore.ListOptions{SortKey: "name", SortDir: "desc"}); !slices.Equal(got, byName) {
		t.Fatalf("by name desc: %v, want %v", got, byName)
	}
	if got := walk(etcdstore.ListOptions{SortKey: "name", SortDir: "asc-nullslast"}); got[len(got)-1] != all[4].Id {
		t.Fatalf("nulls last: %v", got)
	}
	// A marker that no longer exists still pages by its values.
	gone := f.mustNode(t, etcdstore.Values{"name": "b1"})
	if err := f.DestroyNode(f.ctx, gone.Uuid); err != nil {
		t.Fatal(err)
	}
	page, _ := f.GetNodeList(f.ctx, etcdstore.NodeFilter{}, etcdstore.ListOptions{SortKey: "name", Marker: gone, Limit: etcdstore.Limit(1)})
	if len(page) != 1 || page[0].GetName() != "c" {
		t.Fatalf("after a vanished marker: %v", page)
	}
	if page, err := f.GetNodeList(f.ctx, etcdstore.NodeFilter{}, etcdstore.ListOptions{Limit: etcdstore.Limit(0)}); err != nil || len(page) != 0 {
		t.Fatal(page, err)
	}
	for _, bad := range []etcdstore.ListOptions{{SortKey: "foo"}, {SortKey: "tags"}, {SortDir: "up"}, {SortDir: "ASC"}, {SortDir: "Desc"}, {Limit: etcdstore.Limit(-1)},
		{Marker: &pb.Port{}}} {
		_, err := f.GetNodeList(f.ctx, etcdstore.NodeFilter{}, bad)
		wantErr(t, err, etcdstore.ErrInvalidParameterValue)
		_, err = f.GetNodeinfoList(f.ctx, nil, etcdstore.NodeFilter{}, bad)
		wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	}
}
