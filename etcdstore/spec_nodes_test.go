package etcdstore_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Tests of BEHAVIOUR.md for nodes: listing (§5, §6), create_node,
// update_node, touch_node_provisioning, release_node (§7.1) and the
// identity resolver (§1).

// wantParams fails unless err is a kind error carrying the parameters kv
// (name, value pairs).
func wantParams(t *testing.T, err, kind error, kv ...string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("got error %v, want %v", err, kind)
	}
	var e *etcdstore.Error
	if !errors.As(err, &e) {
		t.Fatalf("%v is not an *etcdstore.Error", err)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if got := e.Param(kv[i]); got != kv[i+1] {
			t.Errorf("%v: parameter %s = %q, want %q", err, kv[i], got, kv[i+1])
		}
	}
}

// rowIDs is the first column (the id) of get_nodeinfo_list rows.
func rowIDs(t *testing.T, rows [][]any) []int64 {
	t.Helper()
	out := []int64{}
	for _, r := range rows {
		v, ok := r[0].(int64)
		if !ok {
			t.Fatalf("row %v: first column is %T, not an int64 id", r, r[0])
		}
		out = append(out, v)
	}
	return out
}

func TestSpecNodeinfoListFilters(t *testing.T) {
	f := newFixture(t)
	ch, err := f.CreateChassis(f.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := f.mustNode(t, etcdstore.Values{"provision_state": "available", "chassis_id": ch.Id})
	b := f.mustNode(t, etcdstore.Values{"provision_state": "active", "maintenance": true})
	c := f.mustNode(t, etcdstore.Values{"provision_state": "available"})
	d := f.mustNode(t, etcdstore.Values{"provision_state": "manageable", "maintenance": true})
	if _, err := f.ReserveNode(f.ctx, "h1", c.Uuid); err != nil {
		t.Fatal(err)
	}
	tr, fa := true, false
	cases := []struct {
		name string
		flt  etcdstore.NodeFilter
		want []int64
	}{
		{"none", etcdstore.NodeFilter{}, []int64{a.Id, b.Id, c.Id, d.Id}},
		{"provision_state", etcdstore.NodeFilter{ProvisionState: &etcdstore.NullableString{Value: "available"}}, []int64{a.Id, c.Id}},
		{"maintenance", etcdstore.NodeFilter{Maintenance: &tr}, []int64{b.Id, d.Id}},
		{"not maintenance", etcdstore.NodeFilter{Maintenance: &fa}, []int64{a.Id, c.Id}},
		{"reserved", etcdstore.NodeFilter{Reserved: &tr}, []int64{c.Id}},
		{"not reserved", etcdstore.NodeFilter{Reserved: &fa}, []int64{a.Id, b.Id, d.Id}},
		{"chassis", etcdstore.NodeFilter{ChassisUUID: &ch.Uuid}, []int64{a.Id}},
		{"and", etcdstore.NodeFilter{ProvisionState: &etcdstore.NullableString{Value: "available"}, Reserved: &fa}, []int64{a.Id}},
	}
	for _, tc := range cases {
		rows, err := f.GetNodeinfoList(f.ctx, nil, tc.flt, etcdstore.ListOptions{})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := rowIDs(t, rows); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	// The selected columns come back in the requested order.
	rows, err := f.GetNodeinfoList(f.ctx, []string{"id", "provision_state", "reservation"},
		etcdstore.NodeFilter{Reserved: &tr}, etcdstore.ListOptions{})
	if err != nil || len(rows) != 1 || rows[0][0] != c.Id || rows[0][1] != "available" || rows[0][2] != "h1" {
		t.Fatalf("reserved row: %v %v", rows, err)
	}
	// An unknown chassis is an error even when another filter matches nothing.
	missing := uuidC
	_, err = f.GetNodeinfoList(f.ctx, nil, etcdstore.NodeFilter{ChassisUUID: &missing}, etcdstore.ListOptions{})
	wantErr(t, err, etcdstore.ErrChassisNotFound)
	none := etcdstore.NullableString{Value: "no such state"}
	_, err = f.GetNodeinfoList(f.ctx, nil, etcdstore.NodeFilter{ChassisUUID: &missing, ProvisionState: &none}, etcdstore.ListOptions{})
	wantErr(t, err, etcdstore.ErrChassisNotFound)
}

func TestSpecNodeinfoListLimitAndMarker(t *testing.T) {
	f := newFixture(t)
	var all []*pb.Node
	for i := 0; i < 5; i++ {
		all = append(all, f.mustNode(t, nil))
	}
	rows, err := f.GetNodeinfoList(f.ctx, nil, etcdstore.NodeFilter{}, etcdstore.ListOptions{Limit: etcdstore.Limit(0)})
	if err != nil || len(rows) != 0 {
		t.Fatalf("limit 0: %v %v", rows, err)
	}
	// limit 0 still validates the sort key.
	_, err = f.GetNodeinfoList(f.ctx, nil, etcdstore.NodeFilter{}, etcdstore.ListOptions{Limit: etcdstore.Limit(0), SortKey: "foo"})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)

	// Walk the list two rows at a time; the marker is the node record of
	// the previous page's last row.
	var got []int64
	opts := etcdstore.ListOptions{Limit: etcdstore.Limit(2)}
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatalf("paging does not end: %v", got)
		}
		rows, err := f.GetNodeinfoList(f.ctx, nil, etcdstore.NodeFilter{}, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) > 2 {
			t.Fatalf("limit 2 returned %d rows", len(rows))
		}
		ids := rowIDs(t, rows)
		got = append(got, ids...)
		if len(ids) < 2 {
			break
		}
		marker, err := f.GetNodeByID(f.ctx, ids[len(ids)-1])
		if err != nil {
			t.Fatal(err)
		}
		opts.Marker = marker
	}
	if want := nodeIDs(all); !slices.Equal(got, want) {
		t.Fatalf("paged by id: %v, want %v", got, want)
	}
	// Descending, after the third node.
	rows, err = f.GetNodeinfoList(f.ctx, nil, etcdstore.NodeFilter{}, etcdstore.ListOptions{SortDir: "desc", Marker: all[2]})
	if err != nil {
		t.Fatal(err)
	}
	if got := rowIDs(t, rows); !slices.Equal(got, []int64{all[1].Id, all[0].Id}) {
		t.Fatalf("desc after marker: %v", got)
	}
}

// provisioned_before and inspection_started_before keep only values
// strictly before now - seconds.
func TestSpecNodeListTimeFiltersAreStrict(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, etcdstore.Values{"provision_state": "manageable"})
	if _, err := f.UpdateNode(f.ctx, n.Uuid, etcdstore.Values{"provision_state": "inspecting"}); err != nil {
		t.Fatal(err)
	}
	// provision_updated_at = inspection_started_at = epoch.
	never := f.mustNode(t, nil) // both null: never matches
	d := 10 * time.Minute
	f.clock.Advance(d)
	for name, flt := range map[string]etcdstore.NodeFilter{
		"provisioned_before":        {ProvisionedBefore: &d},
		"inspection_started_before": {InspectionStartedBefore: &d},
	} {
		got, err := f.GetNodeList(f.ctx, flt, etcdstore.ListOptions{})
		if err != nil || len(got) != 0 {
			t.Errorf("%s at the exact boundary: %v %v, want none", name, nodeIDs(got), err)
		}
	}
	f.clock.Advance(time.Microsecond)
	for name, flt := range map[string]etcdstore.NodeFilter{
		"provisioned_before":        {ProvisionedBefore: &d},
		"inspection_started_before": {InspectionStartedBefore: &d},
	} {
		got, err := f.GetNodeList(f.ctx, flt, etcdstore.ListOptions{})
		if err != nil || !slices.Equal(nodeIDs(got), []int64{n.Id}) {
			t.Errorf("%s just past the boundary: %v %v, want [%d] (not %d)", name, nodeIDs(got), err, n.Id, never.Id)
		}
	}
}

func TestSpecNodeListNullEqualityFilters(t *testing.T) {
	f := newFixture(t)
	nullState := f.mustNode(t, etcdstore.Values{"provision_state": nil, "resource_class": "gpu"})
	enroll := f.mustNode(t, etcdstore.Values{"resource_class": nil})
	active := f.mustNode(t, etcdstore.Values{"provision_state": "active", "resource_class": "cpu"})
	filters, err := etcdstore.ParseNodeFilters(map[string]any{"provision_state": nil})
	if err != nil {
		t.Fatal(err)
	}
	rcNull, err := etcdstore.ParseNodeFilters(map[string]any{"resource_class": nil})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		flt  etcdstore.NodeFilter
		want []int64
	}{
		{"provision_state null", etcdstore.NodeFilter{ProvisionState: &etcdstore.NullableString{Null: true}}, []int64{nullState.Id}},
		{"provision_state null (parsed)", filters, []int64{nullState.Id}},
		{"provision_state enroll", etcdstore.NodeFilter{ProvisionState: &etcdstore.NullableString{Value: "enroll"}}, []int64{enroll.Id}},
		{"resource_class null", etcdstore.NodeFilter{ResourceClass: &etcdstore.NullableString{Null: true}}, []int64{enroll.Id}},
		{"resource_class null (parsed)", rcNull, []int64{enroll.Id}},
		{"resource_class cpu", etcdstore.NodeFilter{ResourceClass: &etcdstore.NullableString{Value: "cpu"}}, []int64{active.Id}},
		{"both null", etcdstore.NodeFilter{ProvisionState: &etcdstore.NullableString{Null: true}, ResourceClass: &etcdstore.NullableString{Null: true}}, []int64{}},
	}
	for _, tc := range cases {
		got, err := f.GetNodeList(f.ctx, tc.flt, etcdstore.ListOptions{})
		if err != nil || !slices.Equal(nodeIDs(got), tc.want) {
			t.Errorf("%s: got %v %v, want %v", tc.name, nodeIDs(got), err, tc.want)
		}
		rows, err := f.GetNodeinfoList(f.ctx, nil, tc.flt, etcdstore.ListOptions{})
		if err != nil || !slices.Equal(rowIDs(t, rows), tc.want) {
			t.Errorf("%s (nodeinfo): got %v %v, want %v", tc.name, rows, err, tc.want)
		}
	}
}

func TestSpecNodeListSortDatetimeAndBool(t *testing.T) {
	f := newFixture(t)
	// created_at: n0 latest, n1 earliest, n2 in between; n3 as n2 (tie on id).
	n0 := f.mustNode(t, etcdstore.Values{"created_at": epoch.Add(3 * time.Hour), "maintenance": true})
	n1 := f.mustNode(t, etcdstore.Values{"created_at": epoch.Add(1 * time.Hour), "maintenance": false})
	n2 := f.mustNode(t, etcdstore.Values{"created_at": epoch.Add(2 * time.Hour), "maintenance": true})
	n3 := f.mustNode(t, etcdstore.Values{"created_at": epoch.Add(2 * time.Hour), "maintenance": false})
	list := func(opts etcdstore.ListOptions) []int64 {
		t.Helper()
		got, err := f.GetNodeList(f.ctx, etcdstore.NodeFilter{}, opts)
		if err != nil {
			t.Fatal(err)
		}
		return nodeIDs(got)
	}
	if got, want := list(etcdstore.ListOptions{SortKey: "created_at"}), []int64{n1.Id, n2.Id, n3.Id, n0.Id}; !slices.Equal(got, want) {
		t.Errorf("created_at asc: %v, want %v", got, want)
	}
	if got, want := list(etcdstore.ListOptions{SortKey: "created_at", SortDir: "desc"}), []int64{n0.Id, n3.Id, n2.Id, n1.Id}; !slices.Equal(got, want) {
		t.Errorf("created_at desc: %v, want %v", got, want)
	}
	// false sorts before true; ties break on id in the same direction.
	if got, want := list(etcdstore.ListOptions{SortKey: "maintenance"}), []int64{n1.Id, n3.Id, n0.Id, n2.Id}; !slices.Equal(got, want) {
		t.Errorf("maintenance asc: %v, want %v", got, want)
	}
	if got, want := list(etcdstore.ListOptions{SortKey: "maintenance", SortDir: "desc"}), []int64{n2.Id, n0.Id, n3.Id, n1.Id}; !slices.Equal(got, want) {
		t.Errorf("maintenance desc: %v, want %v", got, want)
	}
	// A marker continues after its (value, id).
	if got, want := list(etcdstore.ListOptions{SortKey: "created_at", Marker: n2, Limit: etcdstore.Limit(2)}), []int64{n3.Id, n0.Id}; !slices.Equal(got, want) {
		t.Errorf("created_at after n2: %v, want %v", got, want)
	}
	if got, want := list(etcdstore.ListOptions{SortKey: "maintenance", Marker: n3}), []int64{n0.Id, n2.Id}; !slices.Equal(got, want) {
		t.Errorf("maintenance after n3: %v, want %v", got, want)
	}
}

func TestSpecNodeListSortDirNulls(t *testing.T) {
	f := newFixture(t)
	b := f.mustNode(t, etcdstore.Values{"name": "b"})
	null1 := f.mustNode(t, nil)
	a := f.mustNode(t, etcdstore.Values{"name": "a"})
	null2 := f.mustNode(t, nil)
	c := f.mustNode(t, etcdstore.Values{"name": "c"})
	cases := []struct {
		dir  string
		want []int64
	}{
		{"asc", []int64{null1.Id, null2.Id, a.Id, b.Id, c.Id}},
		{"asc-nullsfirst", []int64{null1.Id, null2.Id, a.Id, b.Id, c.Id}},
		{"asc-nullslast", []int64{a.Id, b.Id, c.Id, null1.Id, null2.Id}},
		{"desc", []int64{c.Id, b.Id, a.Id, null2.Id, null1.Id}},
		{"desc-nullslast", []int64{c.Id, b.Id, a.Id, null2.Id, null1.Id}},
		{"desc-nullsfirst", []int64{null2.Id, null1.Id, c.Id, b.Id, a.Id}},
	}
	for _, tc := range cases {
		got, err := f.GetNodeList(f.ctx, etcdstore.NodeFilter{}, etcdstore.ListOptions{SortKey: "name", SortDir: tc.dir})
		if err != nil || !slices.Equal(nodeIDs(got), tc.want) {
			t.Errorf("sort_dir %s: got %v %v, want %v", tc.dir, nodeIDs(got), err, tc.want)
		}
		rows, err := f.GetNodeinfoList(f.ctx, nil, etcdstore.NodeFilter{}, etcdstore.ListOptions{SortKey: "name", SortDir: tc.dir})
		if err != nil || !slices.Equal(rowIDs(t, rows), tc.want) {
			t.Errorf("nodeinfo sort_dir %s: got %v %v, want %v", tc.dir, rows, err, tc.want)
		}
	}
}

func TestSpecCreateNodeCreatedAtAndConsoleEnabled(t *testing.T) {
	f := newFixture(t)
	when := epoch.Add(-72 * time.Hour)
	n := f.mustNode(t, etcdstore.Values{"created_at": when, "console_enabled": nil})
	if n.CreatedAt == nil || !n.CreatedAt.AsTime().Equal(when) || n.ConsoleEnabled {
		t.Fatalf("returned: created_at %v console_enabled %v", n.CreatedAt.AsTime(), n.ConsoleEnabled)
	}
	got, err := f.GetNodeByID(f.ctx, n.Id)
	if err != nil || !got.CreatedAt.AsTime().Equal(when) || got.ConsoleEnabled || got.UpdatedAt != nil {
		t.Fatalf("read back: %v %v", got, err)
	}
	// A null created_at takes the clock's now.
	n2 := f.mustNode(t, etcdstore.Values{"created_at": nil})
	if !n2.CreatedAt.AsTime().Equal(epoch) {
		t.Fatalf("null created_at: %v", n2.CreatedAt.AsTime())
	}
	// console_enabled null filters as false.
	fa := false
	list, err := f.GetNodeList(f.ctx, etcdstore.NodeFilter{ConsoleEnabled: &fa}, etcdstore.ListOptions{})
	if err != nil || !slices.Equal(nodeIDs(list), []int64{n.Id, n2.Id}) {
		t.Fatalf("console_enabled false: %v %v", nodeIDs(list), err)
	}
}

func TestSpecCreateNodeErrorParams(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, etcdstore.Values{"uuid": uuidA, "name": "n1", "instance_uuid": uuidB})
	_, err := f.CreateNode(f.ctx, etcdstore.Values{"name": "n1"})
	wantParams(t, err, etcdstore.ErrDuplicateName, "name", "n1")
	_, err = f.CreateNode(f.ctx, etcdstore.Values{"uuid": uuidC, "name": "n2", "instance_uuid": uuidB})
	wantParams(t, err, etcdstore.ErrInstanceAssociated, "instance_uuid", uuidB, "node", uuidC)
	_, err = f.CreateNode(f.ctx, etcdstore.Values{"uuid": uuidA, "name": "n3"})
	wantParams(t, err, etcdstore.ErrNodeAlreadyExists, "uuid", uuidA)
	// A duplicate explicit id names the uuid of the node being created.
	_, err = f.CreateNode(f.ctx, etcdstore.Values{"id": n.Id, "uuid": uuidC})
	wantParams(t, err, etcdstore.ErrNodeAlreadyExists, "uuid", uuidC)
	if list, _ := f.GetNodeList(f.ctx, etcdstore.NodeFilter{}, etcdstore.ListOptions{}); len(list) != 1 {
		t.Fatalf("refused creates stored nodes: %v", nodeIDs(list))
	}
}

func TestSpecUpdateNodeEmptyInstanceUUIDAllowed(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, etcdstore.Values{"instance_uuid": uuidB})
	got, err := f.UpdateNode(f.ctx, n.Uuid, etcdstore.Values{"instance_uuid": ""})
	if err != nil {
		t.Fatalf("instance_uuid \"\" on an associated node: %v", err)
	}
	if got.GetInstanceUuid() != "" {
		t.Fatalf("instance_uuid after setting \"\": %q", got.GetInstanceUuid())
	}
	// "" again is allowed too, and the old instance is free.
	if _, err := f.UpdateNode(f.ctx, id(n.Id), etcdstore.Values{"instance_uuid": ""}); err != nil {
		t.Fatal(err)
	}
	_, err = f.GetNodeByInstance(f.ctx, uuidB)
	wantErr(t, err, etcdstore.ErrInstanceNotFound)
	// With an empty instance_uuid the node can be associated again.
	got, err = f.UpdateNode(f.ctx, n.Uuid, etcdstore.Values{"instance_uuid": uuidC})
	if err != nil || got.GetInstanceUuid() != uuidC {
		t.Fatal(got, err)
	}
}

func TestSpecUpdateNodeOtherTransitionsKeepInspectionTimes(t *testing.T) {
	f := newFixture(t)
	started, finished := epoch.Add(-2*time.Hour), epoch.Add(-time.Hour)
	cases := []struct{ from, to string }{
		{"manageable", "available"},
		{"inspecting", "active"},         // from inspecting, but neither manageable nor inspect failed
		{"inspect failed", "manageable"}, // to manageable, but not from inspecting
		{"available", "available"},       // unchanged
	}
	for _, tc := range cases {
		n := f.mustNode(t, etcdstore.Values{"provision_state": tc.from,
			"inspection_started_at": started, "inspection_finished_at": finished})
		f.clock.Advance(time.Minute)
		got, err := f.UpdateNode(f.ctx, n.Uuid, etcdstore.Values{"provision_state": tc.to})
		if err != nil {
			t.Fatal(err)
		}
		if got.InspectionStartedAt == nil || !got.InspectionStartedAt.AsTime().Equal(started) ||
			got.InspectionFinishedAt == nil || !got.InspectionFinishedAt.AsTime().Equal(finished) {
			t.Errorf("%s -> %s changed the inspection times: %v %v", tc.from, tc.to, got.InspectionStartedAt, got.InspectionFinishedAt)
		}
		if got.ProvisionUpdatedAt == nil || !got.ProvisionUpdatedAt.AsTime().Equal(f.clock.Now()) {
			t.Errorf("%s -> %s: provision_updated_at %v", tc.from, tc.to, got.ProvisionUpdatedAt)
		}
		read, err := f.GetNodeByID(f.ctx, n.Id)
		if err != nil || !read.InspectionStartedAt.AsTime().Equal(started) || !read.InspectionFinishedAt.AsTime().Equal(finished) {
			t.Errorf("%s -> %s read back: %v %v", tc.from, tc.to, read, err)
		}
	}
}

func TestSpecTouchNodeProvisioningBumpsUpdatedAt(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	if n.ProvisionUpdatedAt != nil || n.UpdatedAt != nil {
		t.Fatalf("fresh node: %v", n)
	}
	for i, ident := range []string{n.Uuid, id(n.Id)} {
		f.clock.Advance(time.Duration(i+1) * time.Minute)
		if err := f.TouchNodeProvisioning(f.ctx, ident); err != nil {
			t.Fatal(err)
		}
		got, err := f.GetNodeByID(f.ctx, n.Id)
		if err != nil {
			t.Fatal(err)
		}
		now := f.clock.Now()
		if got.ProvisionUpdatedAt == nil || !got.ProvisionUpdatedAt.AsTime().Equal(now) ||
			got.UpdatedAt == nil || !got.UpdatedAt.AsTime().Equal(now) {
			t.Fatalf("after touch by %s at %v: provision_updated_at %v updated_at %v", ident, now, got.ProvisionUpdatedAt, got.UpdatedAt)
		}
	}
}

func TestSpecReleaseNodeErrorParams(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	err := f.ReleaseNode(f.ctx, "c1", n.Uuid)
	wantParams(t, err, etcdstore.ErrNodeNotLocked, "node", n.Uuid)
	err = f.ReleaseNode(f.ctx, "c1", id(n.Id)) // an id argument still names the uuid
	wantParams(t, err, etcdstore.ErrNodeNotLocked, "node", n.Uuid)
	if _, err := f.ReserveNode(f.ctx, "c1", n.Uuid); err != nil {
		t.Fatal(err)
	}
	err = f.ReleaseNode(f.ctx, "c2", id(n.Id))
	wantParams(t, err, etcdstore.ErrNodeLocked, "node", n.Uuid, "host", "c1")
	if !strings.Contains(err.Error(), "c1") {
		t.Fatalf("NodeLocked message does not name the holder: %v", err)
	}
	got, _ := f.GetNodeByID(f.ctx, n.Id)
	if got.GetReservation() != "c1" {
		t.Fatalf("a refused release changed the holder: %q", got.GetReservation())
	}
	// Unknown uuid or id: NodeNotFound.
	wantErr(t, f.ReleaseNode(f.ctx, "c1", uuidC), etcdstore.ErrNodeNotFound)
	wantErr(t, f.ReleaseNode(f.ctx, "c1", "424242"), etcdstore.ErrNodeNotFound)
}

// A uuid identity in any form IsUUIDLike accepts (braces, upper case,
// urn:, no dashes) names the node whose uuid it is (README: deliberate
// differences; the reference matches exactly and finds nothing).
func TestIdentityUUIDFormsFindTheNode(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, etcdstore.Values{"uuid": uuidA, "driver": "ipmi"})
	for i, form := range []string{"{" + uuidA + "}", strings.ToUpper(uuidA), "urn:uuid:" + uuidA, strings.ReplaceAll(uuidA, "-", "")} {
		got, err := f.ReserveNode(f.ctx, "c1", form)
		if err != nil || got.Id != n.Id {
			t.Fatalf("reserve by %q: %v %v", form, got, err)
		}
		driver := fmt.Sprintf("d%d", i)
		if got, err = f.UpdateNode(f.ctx, form, etcdstore.Values{"driver": driver}); err != nil || got.GetDriver() != driver {
			t.Fatalf("update by %q: %v %v", form, got, err)
		}
		if err := f.TouchNodeProvisioning(f.ctx, form); err != nil {
			t.Fatalf("touch by %q: %v", form, err)
		}
		if err := f.ReleaseNode(f.ctx, "c1", form); err != nil {
			t.Fatalf("release by %q: %v", form, err)
		}
	}
	if err := f.DestroyNode(f.ctx, "{"+strings.ToUpper(uuidA)+"}"); err != nil {
		t.Fatal(err)
	}
	_, err := f.GetNodeByID(f.ctx, n.Id)
	wantErr(t, err, etcdstore.ErrNodeNotFound)
}
