package api

import (
	"context"
	"encoding/json"

	"google.golang.org/protobuf/proto"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// The allocation methods of Ironic 21.4, under its names and arguments.

var newAllocation = func() proto.Message { return &pb.Allocation{} }

var allocationRoutes = []Route{
	{Name: "get_allocation_by_id", Doc: "An allocation by id.", Result: rRecord(newAllocation),
		Args: []Arg{req("allocation_id", tInteger)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetAllocationByID(ctx, c.Int("allocation_id")))
		}},
	{Name: "get_allocation_by_uuid", Doc: "An allocation by uuid.", Result: rRecord(newAllocation),
		Args: []Arg{req("allocation_uuid", tString)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetAllocationByUUID(ctx, c.Str("allocation_uuid")))
		}},
	{Name: "get_allocation_by_name", Doc: "An allocation by name.", Result: rRecord(newAllocation),
		Args: []Arg{req("name", tString)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetAllocationByName(ctx, c.Str("name")))
		}},
	{Name: "get_allocation_list", Doc: "The allocations the filters keep, paged.", Result: rRecords(newAllocation),
		Args: args([]Arg{opt("filters", tAllocationFilters, nil)}, listArgs(newAllocation)),
		Call: func(ctx context.Context, c *Call) (any, error) {
			f, _ := c.Get("filters").(etcdstore.AllocationFilter)
			return ret(c.store().GetAllocationList(ctx, f, c.ListOptions()))
		}},
	{Name: "create_allocation", Doc: "Create an allocation.", Result: rRecord(newAllocation),
		Args: []Arg{req("values", tValues(newAllocation))},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().CreateAllocation(ctx, c.Values("values")))
		}},
	{Name: "update_allocation", Doc: "Update an allocation's columns; with a node_id and update_node, associate the node in the same transaction.",
		Result: rRecord(newAllocation),
		Args:   []Arg{req("allocation_id", tIdent), req("values", tValues(newAllocation)), opt("update_node", tBoolean, true)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().UpdateAllocation(ctx, c.Str("allocation_id"), c.Values("values"), c.Bool("update_node")))
		}},
	{Name: "take_over_allocation", Doc: "Move an allocation's conductor affinity if it is still the old conductor's.", Result: rBool,
		Args: []Arg{req("allocation_id", tIdent), req("old_conductor_id", tInteger), req("new_conductor_id", tInteger)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().TakeOverAllocation(ctx, c.Str("allocation_id"), c.Int("old_conductor_id"), c.Int("new_conductor_id")))
		}},
	{Name: "destroy_allocation", Doc: "Destroy an allocation, clearing the nodes that point at it.", Result: rNone,
		Args: []Arg{req("allocation_id", tIdent)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return none(c.store().DestroyAllocation(ctx, c.Str("allocation_id")))
		}},
}

// tAllocationFilters is the filters dict of get_allocation_list.
var tAllocationFilters = ArgType{Schema: map[string]any{"type": "object",
	"description": "allocation filters: state, resource_class, node_uuid (a uuid or a node id), conductor_affinity (a hostname or a conductor id), owner"},
	decode: func(raw json.RawMessage) (any, error) {
		var m map[string]any
		if err := decodeExact(raw, &m); err != nil || m == nil {
			return nil, want("an object of filters", raw)
		}
		return etcdstore.ParseAllocationFilters(m)
	}}
