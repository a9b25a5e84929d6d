package etcdstore_test

import (
	"context"
	"fmt"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Rows of the race table for allocations: their unique name, the
// association of an allocation with a node (against another association,
// destroy_node, update_node and a reservation of that node), the take
// over of an allocation by two conductors, and destroy_allocation against
// a node coming to point at the allocation.

func (w *world) makeAllocation(ctx context.Context, key string, values etcdstore.Values) error {
	a, err := w.admin.CreateAllocation(ctx, values)
	if err != nil {
		return fmt.Errorf("create allocation %s: %w", key, err)
	}
	w.id[key], w.uuid[key] = a.Id, a.Uuid
	return nil
}

// setupAllocations: the node, and allocations alloc1 and alloc2 (alloc1
// with conductor_affinity 1).
func setupAllocations(ctx context.Context, w *world) error {
	if err := setupNode(ctx, w); err != nil {
		return err
	}
	if err := w.makeAllocation(ctx, "alloc1", etcdstore.Values{"name": "alloc-1", "conductor_affinity": 1}); err != nil {
		return err
	}
	return w.makeAllocation(ctx, "alloc2", etcdstore.Values{"name": "alloc-2"})
}

// setupAssociated: setupAllocations with alloc1 associated with the node.
func setupAssociated(ctx context.Context, w *world) error {
	if err := setupAllocations(ctx, w); err != nil {
		return err
	}
	_, err := w.admin.UpdateAllocation(ctx, w.uuid["alloc1"], etcdstore.Values{"node_id": w.id["node"]}, true)
	return err
}

// associateWith associates allocation key with the node through s.
func (w *world) associateWith(ctx context.Context, s *etcdstore.Store, key string) (*pb.Allocation, error) {
	return s.UpdateAllocation(ctx, w.uuid[key], etcdstore.Values{"node_id": w.id["node"], "state": "active", "traits": []any{"CUSTOM_" + key}}, true)
}

func allocBy(key string) func(*world, *snapshot) []string {
	return func(w *world, s *snapshot) []string { return s.named("allocations", "uuid", w.uuid[key]) }
}

// associationScope: the allocation and the node (and its lock).
func associationScope(key string) func(*world, *snapshot) []string {
	return func(w *world, s *snapshot) []string { return append(allocBy(key)(w, s), nodeBy("uuid")(w, s)...) }
}

// endNode is the node at the end of a run (nil: gone).
func endNode(w *world, r *runResult) *pb.Node {
	return recordOf[*pb.Node](r.end, r.end.space.Record("nodes", w.id["node"]))
}

// nodeAllocationAgrees: a node pointing at an allocation has that
// allocation's uuid as its instance and is the allocation's node; an
// allocation whose node points back is that node's.
func nodeAllocationAgrees(w *world, r *runResult) []string {
	n := endNode(w, r)
	if n == nil || n.AllocationId == nil {
		return nil
	}
	a := recordOf[*pb.Allocation](r.end, r.end.space.Record("allocations", n.GetAllocationId()))
	switch {
	case a == nil:
		return []string{fmt.Sprintf("association: node points at missing allocation %d", n.GetAllocationId())}
	case n.GetInstanceUuid() != a.Uuid || a.GetNodeId() != n.Id:
		return []string{fmt.Sprintf("association: node (allocation %d, instance %s) and allocation (uuid %s, node %d) disagree",
			n.GetAllocationId(), n.GetInstanceUuid(), a.Uuid, a.GetNodeId())}
	}
	return nil
}

func allocationRaceCases() []raceCase {
	none := func(*world, *snapshot) []string { return nil }
	nameTaken := func(ctx context.Context, w *world) error {
		return w.makeAllocation(ctx, "rival", etcdstore.Values{"name": "ALLOC-X"})
	}
	associate := func(key string) func(context.Context, *world) (any, error) {
		return func(ctx context.Context, w *world) (any, error) { return w.associateWith(ctx, w.victim, key) }
	}
	takeOver := func(ctx context.Context, w *world) (any, error) {
		return w.victim.TakeOverAllocation(ctx, fmt.Sprint(w.id["alloc1"]), 1, 2)
	}
	return []raceCase{
		{name: "create_allocation, name taken", setup: setupNode, scope: none, creates: true,
			errs: []error{etcdstore.ErrAllocationDuplicateName}, rival: nameTaken,
			call: func(ctx context.Context, w *world) (any, error) {
				return w.victim.CreateAllocation(ctx, etcdstore.Values{"name": "alloc-x"})
			}},
		{name: "update_allocation name, name taken", setup: setupAllocations, scope: allocBy("alloc1"),
			errs: []error{etcdstore.ErrAllocationDuplicateName}, rival: nameTaken,
			call: func(ctx context.Context, w *world) (any, error) {
				return w.victim.UpdateAllocation(ctx, w.uuid["alloc1"], etcdstore.Values{"name": "alloc-x"}, true)
			}},
		{name: "update_allocation associating, another allocation associates the node", setup: setupAllocations,
			call: associate("alloc1"), scope: associationScope("alloc1"), errs: []error{etcdstore.ErrNodeAssociated},
			rival: func(ctx context.Context, w *world) error {
				_, err := w.associateWith(ctx, w.admin, "alloc2")
				return err
			},
			check: func(w *world, r *runResult) []string {
				out := nodeAllocationAgrees(w, r)
				if n := endNode(w, r); r.fired && n.GetAllocationId() != w.id["alloc2"] {
					out = append(out, fmt.Sprintf("association: the rival associated first, the node has allocation %d", n.GetAllocationId()))
				}
				return out
			}},
		{name: "update_allocation associating, node destroyed", setup: setupAllocations, call: associate("alloc1"),
			scope: associationScope("alloc1"), errs: []error{etcdstore.ErrAllocationNotFound}, rival: destroyNode},
		{name: "destroy_node, an allocation associates it", setup: setupAllocations, call: destroyBy("uuid"), scope: nodeTree,
			errs: []error{etcdstore.ErrNodeNotFound},
			rival: mayLose(func(ctx context.Context, w *world) error {
				_, err := w.associateWith(ctx, w.admin, "alloc1")
				return err
			}),
			check: func(w *world, r *runResult) []string {
				if a := recordOf[*pb.Allocation](r.end, r.end.space.Record("allocations", w.id["alloc1"])); a != nil && a.NodeId != nil {
					return []string{"association: the allocation of the destroyed node is left"}
				}
				return nil
			}},
		{name: "update_allocation associating, update_node of the node", setup: setupAllocations, call: associate("alloc1"),
			scope: associationScope("alloc1"),
			rival: func(ctx context.Context, w *world) error {
				_, err := w.admin.UpdateNode(ctx, w.uuid["node"], etcdstore.Values{"power_state": "power on"})
				return err
			},
			check: func(w *world, r *runResult) []string {
				out := nodeAllocationAgrees(w, r)
				if n := endNode(w, r); r.fired && n.GetPowerState() != "power on" || n.GetAllocationId() != w.id["alloc1"] || string(n.InstanceInfo) != `{"traits":["CUSTOM_alloc1"]}` {
					out = append(out, fmt.Sprintf("lost update: power %q allocation %d instance_info %s", n.GetPowerState(), n.GetAllocationId(), n.InstanceInfo))
				}
				return out
			}},
		{name: "update_allocation associating, update_node sets the instance", setup: setupAllocations, call: associate("alloc1"),
			scope: associationScope("alloc1"), errs: []error{etcdstore.ErrNodeAssociated},
			rival: func(ctx context.Context, w *world) error {
				_, err := w.admin.UpdateNode(ctx, w.uuid["node"], etcdstore.Values{"instance_uuid": otherInstance})
				return err
			},
			check: func(w *world, r *runResult) []string {
				if n := endNode(w, r); r.fired && (n.GetInstanceUuid() != otherInstance || n.AllocationId != nil) {
					return []string{fmt.Sprintf("association: instance %s allocation %v", n.GetInstanceUuid(), n.AllocationId)}
				}
				return nil
			}},
		{name: "update_allocation associating, node reserved", setup: setupAllocations, call: associate("alloc1"),
			scope: associationScope("alloc1"), rival: func(ctx context.Context, w *world) error { return w.reserve(ctx, "c2") },
			check: func(w *world, r *runResult) []string {
				out := nodeAllocationAgrees(w, r)
				if h, _ := r.end.lock(w.id["node"]); r.fired && h != "c2" || endNode(w, r).GetAllocationId() != w.id["alloc1"] {
					out = append(out, fmt.Sprintf("association under another's lock: holder %q, allocation %d", h, endNode(w, r).GetAllocationId()))
				}
				return out
			}},
		{name: "take_over_allocation, another conductor takes over", setup: setupAllocations, call: takeOver, scope: allocBy("alloc1"),
			rival: func(ctx context.Context, w *world) error {
				won, err := w.admin.TakeOverAllocation(ctx, w.uuid["alloc1"], 1, 3)
				if won {
					w.id["rival won"] = 1
				}
				return err
			},
			check: func(w *world, r *runResult) []string {
				victimWon, _ := r.res.(bool)
				rivalWon := w.id["rival won"] == 1
				a := recordOf[*pb.Allocation](r.end, r.end.space.Record("allocations", w.id["alloc1"]))
				want := map[bool]int64{true: 2, false: 3}[victimWon]
				if victimWon == rivalWon && r.fired || !victimWon && !r.fired || a.GetConductorAffinity() != want {
					return []string{fmt.Sprintf("take over: victim %v, rival %v, affinity %d", victimWon, rivalWon, a.GetConductorAffinity())}
				}
				return nil
			}},
		{name: "destroy_allocation, a node comes to point at it", setup: setupAllocations, errs: []error{etcdstore.ErrAllocationNotFound},
			call: func(ctx context.Context, w *world) (any, error) {
				return nil, w.victim.DestroyAllocation(ctx, w.uuid["alloc1"])
			},
			scope: func(w *world, s *snapshot) []string {
				return append(allocBy("alloc1")(w, s), s.named("nodes", "allocation_id", w.id["alloc1"])...)
			},
			rival: func(ctx context.Context, w *world) error {
				_, err := w.admin.UpdateNode(ctx, w.uuid["node"], etcdstore.Values{"allocation_id": w.id["alloc1"], "instance_uuid": w.uuid["alloc1"]})
				return err
			},
			check: func(w *world, r *runResult) []string {
				if n := endNode(w, r); n.AllocationId != nil || n.InstanceUuid != nil {
					return []string{fmt.Sprintf("destroy_allocation left node pointing at it: %v %v", n.AllocationId, n.InstanceUuid)}
				}
				return nil
			}},
		{name: "destroy_allocation of an associated node, update_node of the node", setup: setupAssociated,
			call: func(ctx context.Context, w *world) (any, error) {
				return nil, w.victim.DestroyAllocation(ctx, fmt.Sprint(w.id["alloc1"]))
			},
			scope: func(w *world, s *snapshot) []string {
				return append(allocBy("alloc1")(w, s), s.named("nodes", "allocation_id", w.id["alloc1"])...)
			},
			rival: func(ctx context.Context, w *world) error {
				_, err := w.admin.UpdateNode(ctx, w.uuid["node"], etcdstore.Values{"power_state": "power on"})
				return err
			},
			check: func(w *world, r *runResult) []string {
				if n := endNode(w, r); n.AllocationId != nil || n.InstanceUuid != nil || r.fired && n.GetPowerState() != "power on" {
					return []string{fmt.Sprintf("destroy_allocation vs update_node: allocation %v instance %v power %q", n.AllocationId, n.InstanceUuid, n.GetPowerState())}
				}
				return nil
			}},
	}
}
