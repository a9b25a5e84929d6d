package etcdstore_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// The rules of 21.4's allocation methods that test_allocations.py does not
// cover, and the allocation row of the hostile-input tests.

func TestAllocationGetListFilterByOwner(t *testing.T) {
	f := newAllocFixture(t)
	mine := f.allocationRange(t, 2, 0, etcdstore.Values{"owner": "p1"})
	sameSet(t, f.listed(t, map[string]any{"owner": "p1"}), mine)
	sameSet(t, f.listed(t, map[string]any{"owner": nil}), []string{f.alloc.Uuid})
}

// Other keys of instance_info are kept as stored, in their order, numbers
// to the digit; "traits" stays where it was.
func TestAllocationUpdateKeepsInstanceInfo(t *testing.T) {
	f := newAllocFixture(t)
	if _, err := f.UpdateNode(f.ctx, f.node.Uuid, etcdstore.Values{"instance_info": json.RawMessage(`{"image_source":"x","big":123456789012345678901234567890}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.UpdateAllocation(f.ctx, f.alloc.Uuid, etcdstore.Values{"node_id": f.node.Id}, true); err != nil {
		t.Fatal(err)
	}
	node, _ := f.GetNodeByID(f.ctx, f.node.Id)
	if want := `{"image_source":"x","big":123456789012345678901234567890,"traits":[]}`; string(node.InstanceInfo) != want {
		t.Fatalf("instance_info %s, want %s", node.InstanceInfo, want)
	}
	if _, err := f.UpdateNode(f.ctx, f.node.Uuid, etcdstore.Values{"instance_uuid": nil,
		"instance_info": json.RawMessage(`{"traits":["old"],"z":1}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.UpdateAllocation(f.ctx, f.alloc.Uuid, etcdstore.Values{"traits": []any{"new"}, "node_id": f.node.Id}, true); err != nil {
		t.Fatal(err)
	}
	node, _ = f.GetNodeByID(f.ctx, f.node.Id)
	if want := `{"traits":["new"],"z":1}`; string(node.InstanceInfo) != want {
		t.Fatalf("instance_info %s, want %s", node.InstanceInfo, want)
	}
}

func TestAllocationUpdateWithoutUpdateNode(t *testing.T) {
	f := newAllocFixture(t)
	res, err := f.UpdateAllocation(f.ctx, id(f.alloc.Id), etcdstore.Values{"node_id": f.node.Id, "traits": []any{"foo"}}, false)
	if err != nil || res.GetNodeId() != f.node.Id {
		t.Fatal(res, err)
	}
	node, _ := f.GetNodeByID(f.ctx, f.node.Id)
	if node.AllocationId != nil || node.InstanceUuid != nil || string(node.InstanceInfo) != "{}" {
		t.Fatalf("node touched: %v", node)
	}
	// Without association the node must exist all the same.
	_, err = f.UpdateAllocation(f.ctx, id(f.alloc.Id), etcdstore.Values{"node_id": 4242}, false)
	wantErr(t, err, etcdstore.ErrNodeNotFound)
	// With it, 21.4 reports the node's absence as the allocation's.
	_, err = f.UpdateAllocation(f.ctx, id(f.alloc.Id), etcdstore.Values{"node_id": 4242}, true)
	wantErr(t, err, etcdstore.ErrAllocationNotFound)
}

func TestAllocationCreateDefaultsFromNullAndEmpty(t *testing.T) {
	f := newAllocFixture(t)
	a, err := f.CreateAllocation(f.ctx, etcdstore.Values{"state": "", "uuid": "", "traits": nil, "extra": nil})
	if err != nil {
		t.Fatal(err)
	}
	if a.State != "allocating" || a.Uuid == "" || string(a.Traits) != "[]" || string(a.Extra) != "{}" {
		t.Fatalf("%v", a)
	}
}

// destroy_node removes the node's allocations (node_id), and with the node
// its allocation_id; an allocation of another node it pointed at stays.
func TestAllocationDestroyNode(t *testing.T) {
	f := newAllocFixture(t)
	if _, err := f.UpdateAllocation(f.ctx, f.alloc.Uuid, etcdstore.Values{"node_id": f.node.Id}, true); err != nil {
		t.Fatal(err)
	}
	second := f.mustAllocation(t, etcdstore.Values{"node_id": f.node.Id, "name": "second"})
	other := f.mustAllocation(t, etcdstore.Values{"name": "other"})
	n2 := f.mustNode(t, etcdstore.Values{"allocation_id": other.Id})
	if err := f.DestroyNode(f.ctx, f.node.Uuid); err != nil {
		t.Fatal(err)
	}
	for _, a := range []*pb.Allocation{f.alloc, second} {
		_, err := f.GetAllocationByID(f.ctx, a.Id)
		wantErr(t, err, etcdstore.ErrAllocationNotFound)
	}
	if _, err := f.GetAllocationByName(f.ctx, "host1"); !errors.Is(err, etcdstore.ErrAllocationNotFound) {
		t.Fatalf("name index left behind: %v", err)
	}
	if err := f.DestroyNode(f.ctx, n2.Uuid); err != nil {
		t.Fatal(err)
	}
	if _, err := f.GetAllocationByID(f.ctx, other.Id); err != nil {
		t.Fatalf("another node's allocation went: %v", err)
	}
	for _, k := range f.keysUnder(t) {
		if strings.HasPrefix(k, "index/nodes/") || strings.HasPrefix(k, "index/allocations/node_id/") {
			t.Fatalf("index key left behind: %s", k)
		}
	}
}

// allocationHostileKind is the allocation row of TestHostileInput and
// TestHostileJSON.
func allocationHostileKind() hostileKind {
	return hostileKind{name: "allocation", msg: &pb.Allocation{}, base: func(*fixture, *testing.T) etcdstore.Values { return etcdstore.Values{} },
		create: func(f *fixture, v etcdstore.Values) (proto.Message, error) { return f.CreateAllocation(f.ctx, v) },
		update: func(f *fixture, id string, v etcdstore.Values) (proto.Message, error) {
			return f.UpdateAllocation(f.ctx, id, v, true)
		},
		gets: []func(*fixture, string) error{
			func(f *fixture, s string) error { _, err := f.GetAllocationByUUID(f.ctx, s); return err },
			func(f *fixture, s string) error { _, err := f.GetAllocationByName(f.ctx, s); return err },
			func(f *fixture, s string) error { _, err := f.TakeOverAllocation(f.ctx, s, 1, 2); return err },
			func(f *fixture, s string) error {
				_, err := f.GetAllocationList(f.ctx, etcdstore.AllocationFilter{NodeUUID: &s, ConductorAffinity: &s}, etcdstore.ListOptions{})
				return err
			},
			func(f *fixture, s string) error { return f.DestroyAllocation(f.ctx, s) },
		}}
}
