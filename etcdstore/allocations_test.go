package etcdstore_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// The cases of Ironic 21.4's ironic/tests/unit/db/test_allocations.py
// (AllocationsTestCase, same names; its list cases are in
// allocations_list_test.go), each also checking that a refused call
// writes nothing.

// allocFixture is the test case's setUp: a node and allocation "host1".
type allocFixture struct {
	*fixture
	node  *pb.Node
	alloc *pb.Allocation
}

func newAllocFixture(t *testing.T) allocFixture {
	f := newFixture(t)
	return allocFixture{fixture: f, node: f.mustNode(t, nil), alloc: f.mustAllocation(t, etcdstore.Values{"name": "host1"})}
}

// mustAllocation is db_utils.create_test_allocation: its defaults, then kw.
func (f *fixture) mustAllocation(t *testing.T, kw etcdstore.Values) *pb.Allocation {
	t.Helper()
	return mustCreate(t, f, f.CreateAllocation, etcdstore.Values{"candidate_nodes": []any{}, "extra": map[string]any{}, "resource_class": "baremetal",
		"state": "allocating", "traits": []any{}, "uuid": uuid.NewString(), "version": "1.1"}, kw)
}

func (f allocFixture) allocationRange(t *testing.T, count, start int, kw etcdstore.Values) []string {
	var out []string
	for i := start; i < start+count; i++ {
		v := etcdstore.Values{"name": "allocation" + id(int64(i))}
		for k, x := range kw {
			v[k] = x
		}
		out = append(out, f.mustAllocation(t, v).Uuid)
	}
	return out
}

func TestAllocationCreate(t *testing.T) {
	f := newAllocFixture(t)
	a, err := f.CreateAllocation(f.ctx, etcdstore.Values{"resource_class": "bm"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Uuid == "" || a.State != "allocating" {
		t.Fatalf("uuid %q state %q", a.Uuid, a.State)
	}
	if string(a.Traits) != "[]" || string(a.CandidateNodes) != "[]" || string(a.Extra) != "{}" || a.CreatedAt == nil {
		t.Fatalf("defaults: %v", a)
	}
}

func TestAllocationGetByID(t *testing.T) {
	f := newAllocFixture(t)
	res, err := f.GetAllocationByID(f.ctx, f.alloc.Id)
	if err != nil || res.Uuid != f.alloc.Uuid {
		t.Fatal(res, err)
	}
	_, err = f.GetAllocationByID(f.ctx, 99)
	wantErr(t, err, etcdstore.ErrAllocationNotFound)
}

func TestAllocationGetByUUID(t *testing.T) {
	f := newAllocFixture(t)
	res, err := f.GetAllocationByUUID(f.ctx, f.alloc.Uuid)
	if err != nil || res.Id != f.alloc.Id {
		t.Fatal(res, err)
	}
	_, err = f.GetAllocationByUUID(f.ctx, "EEEEEEEE-EEEE-EEEE-EEEE-EEEEEEEEEEEE")
	wantErr(t, err, etcdstore.ErrAllocationNotFound)
}

func TestAllocationGetByName(t *testing.T) {
	f := newAllocFixture(t)
	res, err := f.GetAllocationByName(f.ctx, f.alloc.GetName())
	if err != nil || res.Id != f.alloc.Id {
		t.Fatal(res, err)
	}
	_, err = f.GetAllocationByName(f.ctx, "testfail")
	wantErr(t, err, etcdstore.ErrAllocationNotFound)
}

func TestAllocationDestroy(t *testing.T) {
	f := newAllocFixture(t)
	if err := f.DestroyAllocation(f.ctx, id(f.alloc.Id)); err != nil {
		t.Fatal(err)
	}
	_, err := f.GetAllocationByID(f.ctx, f.alloc.Id)
	wantErr(t, err, etcdstore.ErrAllocationNotFound)
	wantErr(t, f.DestroyAllocation(f.ctx, "99"), etcdstore.ErrAllocationNotFound)
	wantErr(t, f.DestroyAllocation(f.ctx, "not-an-id"), etcdstore.ErrInvalidIdentity)
}

func TestAllocationDestroyUUID(t *testing.T) {
	f := newAllocFixture(t)
	if err := f.DestroyAllocation(f.ctx, f.alloc.Uuid); err != nil {
		t.Fatal(err)
	}
	if _, err := f.GetAllocationByName(f.ctx, "host1"); !errors.Is(err, etcdstore.ErrAllocationNotFound) {
		t.Fatalf("the name index still finds it: %v", err)
	}
}

func TestAllocationDestroyWithNode(t *testing.T) {
	f := newAllocFixture(t)
	inst := uuid.NewString()
	if _, err := f.UpdateNode(f.ctx, f.node.Uuid, etcdstore.Values{"allocation_id": f.alloc.Id, "instance_uuid": inst,
		"instance_info": map[string]any{"traits": []any{"foo"}}}); err != nil {
		t.Fatal(err)
	}
	if err := f.DestroyAllocation(f.ctx, id(f.alloc.Id)); err != nil {
		t.Fatal(err)
	}
	_, err := f.GetAllocationByID(f.ctx, f.alloc.Id)
	wantErr(t, err, etcdstore.ErrAllocationNotFound)
	node, err := f.GetNodeByID(f.ctx, f.node.Id)
	if err != nil {
		t.Fatal(err)
	}
	if node.AllocationId != nil || node.InstanceUuid != nil {
		t.Fatalf("allocation_id %v instance_uuid %v", node.AllocationId, node.InstanceUuid)
	}
	if string(node.InstanceInfo) != `{"traits":["foo"]}` {
		t.Fatalf("instance_info %s", node.InstanceInfo)
	}
	// The instance index let go of the uuid: another node may take it.
	if _, err := f.GetNodeByInstance(f.ctx, inst); !errors.Is(err, etcdstore.ErrInstanceNotFound) {
		t.Fatalf("instance still indexed: %v", err)
	}
	f.mustNode(t, etcdstore.Values{"instance_uuid": inst})
}

func TestAllocationUpdate(t *testing.T) {
	f := newAllocFixture(t)
	res, err := f.UpdateAllocation(f.ctx, id(f.alloc.Id), etcdstore.Values{"name": "newname"}, true)
	if err != nil || res.GetName() != "newname" {
		t.Fatal(res, err)
	}
	if _, err := f.GetAllocationByName(f.ctx, "host1"); !errors.Is(err, etcdstore.ErrAllocationNotFound) {
		t.Fatalf("old name still indexed: %v", err)
	}
}

func TestAllocationUpdateUUID(t *testing.T) {
	f := newAllocFixture(t)
	for _, k := range []string{"uuid", "id"} {
		_, err := f.UpdateAllocation(f.ctx, id(f.alloc.Id), etcdstore.Values{k: ""}, true)
		wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	}
}

func TestAllocationUpdateNotFound(t *testing.T) {
	f := newAllocFixture(t)
	_, err := f.UpdateAllocation(f.ctx, "99", etcdstore.Values{"name": "newname"}, true)
	wantErr(t, err, etcdstore.ErrAllocationNotFound)
	_, err = f.UpdateAllocation(f.ctx, "99", etcdstore.Values{"node_id": f.node.Id}, true)
	wantErr(t, err, etcdstore.ErrAllocationNotFound)
	_, err = f.UpdateAllocation(f.ctx, "x", etcdstore.Values{"name": "newname"}, true)
	wantErr(t, err, etcdstore.ErrInvalidIdentity)
}

func TestAllocationUpdateDuplicatedName(t *testing.T) {
	f := newAllocFixture(t)
	a2 := f.mustAllocation(t, etcdstore.Values{"name": "name2"})
	_, err := f.UpdateAllocation(f.ctx, id(a2.Id), etcdstore.Values{"name": f.alloc.GetName()}, true)
	wantErr(t, err, etcdstore.ErrAllocationDuplicateName)
	// The same when the update also associates a node: nothing written.
	before := f.keysUnder(t)
	_, err = f.UpdateAllocation(f.ctx, id(a2.Id), etcdstore.Values{"name": "HOST1", "node_id": f.node.Id}, true)
	wantErr(t, err, etcdstore.ErrAllocationDuplicateName)
	if after := f.keysUnder(t); !slices.Equal(before, after) {
		t.Fatalf("keys changed: %v -> %v", before, after)
	}
}

func TestAllocationUpdateWithNodeID(t *testing.T) {
	f := newAllocFixture(t)
	res, err := f.UpdateAllocation(f.ctx, id(f.alloc.Id), etcdstore.Values{"name": "newname", "traits": []any{"foo"}, "node_id": f.node.Id}, true)
	if err != nil {
		t.Fatal(err)
	}
	if res.GetName() != "newname" || string(res.Traits) != `["foo"]` || res.GetNodeId() != f.node.Id {
		t.Fatalf("returned %v", res)
	}
	node, err := f.GetNodeByID(f.ctx, f.node.Id)
	if err != nil {
		t.Fatal(err)
	}
	if node.GetAllocationId() != res.Id || node.GetInstanceUuid() != res.Uuid || string(node.InstanceInfo) != `{"traits":["foo"]}` {
		t.Fatalf("node %v %v %s", node.AllocationId, node.InstanceUuid, node.InstanceInfo)
	}
	if byInst, err := f.GetNodeByInstance(f.ctx, res.Uuid); err != nil || byInst.Id != f.node.Id {
		t.Fatalf("instance index: %v %v", byInst, err)
	}
	got, err := f.GetAllocationByID(f.ctx, res.Id)
	if err != nil || got.GetNodeId() != f.node.Id {
		t.Fatal(got, err)
	}
	// Again, with other traits: the same node, instance_info follows.
	if _, err := f.UpdateAllocation(f.ctx, res.Uuid, etcdstore.Values{"traits": []any{"bar"}, "node_id": f.node.Id}, true); err != nil {
		t.Fatal(err)
	}
	node, _ = f.GetNodeByID(f.ctx, f.node.Id)
	if string(node.InstanceInfo) != `{"traits":["bar"]}` {
		t.Fatalf("instance_info %s", node.InstanceInfo)
	}
}

func TestAllocationUpdateNodeAlreadyAssociated(t *testing.T) {
	f := newAllocFixture(t)
	existing := uuid.NewString()
	if _, err := f.UpdateNode(f.ctx, f.node.Uuid, etcdstore.Values{"instance_uuid": existing}); err != nil {
		t.Fatal(err)
	}
	before := f.keysUnder(t)
	_, err := f.UpdateAllocation(f.ctx, id(f.alloc.Id), etcdstore.Values{"node_id": f.node.Id, "traits": []any{"foo"}}, true)
	wantErr(t, err, etcdstore.ErrNodeAssociated)
	a, _ := f.GetAllocationByID(f.ctx, f.alloc.Id)
	if string(a.Traits) != "[]" || a.NodeId != nil {
		t.Fatalf("partial update of the allocation: %v", a)
	}
	node, _ := f.GetNodeByID(f.ctx, f.node.Id)
	if node.AllocationId != nil || node.GetInstanceUuid() != existing || string(node.InstanceInfo) != "{}" {
		t.Fatalf("partial update of the node: %v", node)
	}
	if after := f.keysUnder(t); !slices.Equal(before, after) {
		t.Fatalf("keys changed: %v -> %v", before, after)
	}
}

func TestAllocationUpdateAssociatedWithAnotherNode(t *testing.T) {
	f := newAllocFixture(t)
	f.mustNode(t, etcdstore.Values{"allocation_id": f.alloc.Id, "instance_uuid": f.alloc.Uuid})
	before := f.keysUnder(t)
	_, err := f.UpdateAllocation(f.ctx, id(f.alloc.Id), etcdstore.Values{"node_id": f.node.Id, "traits": []any{"foo"}}, true)
	wantErr(t, err, etcdstore.ErrInstanceAssociated)
	var e *etcdstore.Error
	if !errors.As(err, &e) || e.Param("instance_uuid") != f.alloc.Uuid || e.Param("node") != f.node.Uuid {
		t.Fatalf("InstanceAssociated names %v", err)
	}
	a, _ := f.GetAllocationByID(f.ctx, f.alloc.Id)
	if string(a.Traits) != "[]" || a.NodeId != nil {
		t.Fatalf("partial update of the allocation: %v", a)
	}
	node, _ := f.GetNodeByID(f.ctx, f.node.Id)
	if node.AllocationId != nil || node.InstanceUuid != nil || string(node.InstanceInfo) != "{}" {
		t.Fatalf("partial update of the node: %v", node)
	}
	if after := f.keysUnder(t); !slices.Equal(before, after) {
		t.Fatalf("keys changed: %v -> %v", before, after)
	}
}

func TestAllocationTakeOver(t *testing.T) {
	f := newAllocFixture(t)
	a := f.mustAllocation(t, etcdstore.Values{"conductor_affinity": 0})
	ok, err := f.TakeOverAllocation(f.ctx, id(a.Id), 0, 1)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	got, _ := f.GetAllocationByID(f.ctx, a.Id)
	if got.GetConductorAffinity() != 1 {
		t.Fatalf("affinity %v", got.ConductorAffinity)
	}
	// conflict: the affinity is 2, not 0
	b := f.mustAllocation(t, etcdstore.Values{"conductor_affinity": 2})
	before := f.keysUnder(t)
	rev := f.revision(t)
	ok, err = f.TakeOverAllocation(f.ctx, b.Uuid, 0, 1)
	if err != nil || ok {
		t.Fatal(ok, err)
	}
	got, _ = f.GetAllocationByID(f.ctx, b.Id)
	if got.GetConductorAffinity() != 2 || f.revision(t) != rev || !slices.Equal(before, f.keysUnder(t)) {
		t.Fatalf("a lost take over wrote: affinity %v", got.ConductorAffinity)
	}
	// NULL affinity is not any conductor's
	ok, err = f.TakeOverAllocation(f.ctx, id(f.alloc.Id), 0, 1)
	if err != nil || ok {
		t.Fatal(ok, err)
	}
	_, err = f.TakeOverAllocation(f.ctx, "999", 0, 1)
	wantErr(t, err, etcdstore.ErrAllocationNotFound)
}

func TestAllocationCreateDuplicated(t *testing.T) {
	f := newAllocFixture(t)
	before := f.keysUnder(t)
	_, err := f.CreateAllocation(f.ctx, etcdstore.Values{"name": f.alloc.GetName()})
	wantErr(t, err, etcdstore.ErrAllocationDuplicateName)
	_, err = f.CreateAllocation(f.ctx, etcdstore.Values{"uuid": f.alloc.Uuid})
	wantErr(t, err, etcdstore.ErrAllocationAlreadyExists)
	// both: the name is reported, as 21.4 checks it first
	_, err = f.CreateAllocation(f.ctx, etcdstore.Values{"uuid": f.alloc.Uuid, "name": "HOST1"})
	wantErr(t, err, etcdstore.ErrAllocationDuplicateName)
	_, err = f.CreateAllocation(f.ctx, etcdstore.Values{"id": f.alloc.Id})
	wantErr(t, err, etcdstore.ErrAllocationAlreadyExists)
	_, err = f.CreateAllocation(f.ctx, etcdstore.Values{"node_id": 4242})
	wantErr(t, err, etcdstore.ErrNodeNotFound)
	if after := f.keysUnder(t); !slices.Equal(before, after) {
		t.Fatalf("keys changed: %v -> %v", before, after)
	}
}
