package etcdstore_test

import (
	"encoding/json"
	"slices"
	"sort"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// The list cases of test_allocations.py (get_allocation_list: every
// filter, sorting, paging).

func allocUUIDs(as []*pb.Allocation) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Uuid
	}
	return out
}

func sameSet(t *testing.T, got, want []string) {
	t.Helper()
	got, want = slices.Clone(got), slices.Clone(want)
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestAllocationGetList(t *testing.T) {
	f := newAllocFixture(t)
	uuids := append(f.allocationRange(t, 6, 0, nil), f.alloc.Uuid)
	res, err := f.GetAllocationList(f.ctx, etcdstore.AllocationFilter{}, etcdstore.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sameSet(t, allocUUIDs(res), uuids)
	// sorted
	res, err = f.GetAllocationList(f.ctx, etcdstore.AllocationFilter{}, etcdstore.ListOptions{SortKey: "uuid"})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(uuids)
	if got := allocUUIDs(res); !slices.Equal(got, uuids) {
		t.Fatalf("sorted by uuid: %v, want %v", got, uuids)
	}
	// paged: a marker and a limit
	page, err := f.GetAllocationList(f.ctx, etcdstore.AllocationFilter{}, etcdstore.ListOptions{SortKey: "uuid", Marker: res[2], Limit: etcdstore.Limit(2)})
	if err != nil || !slices.Equal(allocUUIDs(page), uuids[3:5]) {
		t.Fatalf("page after the third: %v %v, want %v", allocUUIDs(page), err, uuids[3:5])
	}
}

func filters(t *testing.T, m map[string]any) etcdstore.AllocationFilter {
	t.Helper()
	f, err := etcdstore.ParseAllocationFilters(m)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f allocFixture) listed(t *testing.T, m map[string]any) []string {
	t.Helper()
	res, err := f.GetAllocationList(f.ctx, filters(t, m), etcdstore.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return allocUUIDs(res)
}

func TestAllocationGetListFilterByState(t *testing.T) {
	f := newAllocFixture(t)
	f.allocationRange(t, 6, 0, etcdstore.Values{"state": "error"})
	sameSet(t, f.listed(t, map[string]any{"state": "allocating"}), []string{f.alloc.Uuid})
	if got := f.listed(t, map[string]any{"state": "error"}); len(got) != 6 {
		t.Fatalf("state error: %d", len(got))
	}
	if got := f.listed(t, map[string]any{"state": nil}); len(got) != 0 {
		t.Fatalf("state NULL: %v", got) // NOT NULL column
	}
}

func TestAllocationGetListFilterByNode(t *testing.T) {
	f := newAllocFixture(t)
	f.allocationRange(t, 6, 0, nil)
	if _, err := f.UpdateAllocation(f.ctx, id(f.alloc.Id), etcdstore.Values{"node_id": f.node.Id}, true); err != nil {
		t.Fatal(err)
	}
	sameSet(t, f.listed(t, map[string]any{"node_uuid": f.node.Uuid}), []string{f.alloc.Uuid})
	// by id, as add_allocation_filter_by_node takes an int-like value
	sameSet(t, f.listed(t, map[string]any{"node_uuid": f.node.Id}), []string{f.alloc.Uuid})
	sameSet(t, f.listed(t, map[string]any{"node_uuid": id(f.node.Id)}), []string{f.alloc.Uuid})
	sameSet(t, f.listed(t, map[string]any{"node_uuid": uuidC}), nil)
	sameSet(t, f.listed(t, map[string]any{"node_uuid": f.node.Uuid, "state": "error"}), nil)
}

func TestAllocationGetListFilterByResourceClass(t *testing.T) {
	f := newAllocFixture(t)
	f.allocationRange(t, 6, 0, nil)
	if _, err := f.UpdateAllocation(f.ctx, id(f.alloc.Id), etcdstore.Values{"resource_class": "very-large"}, true); err != nil {
		t.Fatal(err)
	}
	sameSet(t, f.listed(t, map[string]any{"resource_class": "very-large"}), []string{f.alloc.Uuid})
}

func TestAllocationGetListFilterByConductorAffinity(t *testing.T) {
	f := newAllocFixture(t)
	var ids []int64
	for _, h := range []string{"host1", "host2"} {
		c, err := f.RegisterConductor(f.ctx, etcdstore.Values{"hostname": h, "drivers": []string{"ipmi"}}, false)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.Id)
	}
	inHost1 := f.allocationRange(t, 2, 0, etcdstore.Values{"conductor_affinity": ids[0]})
	inHost2 := f.allocationRange(t, 2, 2, etcdstore.Values{"conductor_affinity": ids[1]})
	sameSet(t, f.listed(t, map[string]any{"conductor_affinity": ids[0]}), inHost1)
	sameSet(t, f.listed(t, map[string]any{"conductor_affinity": "host2"}), inHost2)
	sameSet(t, f.listed(t, map[string]any{"conductor_affinity": json.Number(id(ids[1]))}), inHost2)
	sameSet(t, f.listed(t, map[string]any{"conductor_affinity": "no-such-host"}), nil)
}

func TestAllocationGetListInvalidFields(t *testing.T) {
	f := newAllocFixture(t)
	_, err := f.GetAllocationList(f.ctx, etcdstore.AllocationFilter{}, etcdstore.ListOptions{SortKey: "foo"})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	_, err = etcdstore.ParseAllocationFilters(map[string]any{"foo": 42})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	for _, bad := range []map[string]any{{"state": 1}, {"node_uuid": true}, {"conductor_affinity": 1.5}, {"owner": []any{"a"}}} {
		_, err = etcdstore.ParseAllocationFilters(bad)
		wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	}
}
