package api

import (
	"context"
)

var nodeRoutes = []Route{
	{Name: "get_nodeinfo_list", Doc: "The asked columns (default id) of the matching nodes.", Result: rRows,
		Args: args([]Arg{opt("columns", tStrings, nil), opt("filters", tFilters, nil)}, listArgs(newNode)),
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetNodeinfoList(ctx, c.Strings("columns"), c.Filter("filters"), c.ListOptions()))
		}},
	{Name: "get_node_list", Doc: "The matching nodes (21.4: fields keeps only those columns).", Result: rRecords(newNode),
		Args: args([]Arg{opt("filters", tFilters, nil)}, listArgs(newNode), []Arg{opt("fields", tStrings, nil)}),
		Call: func(ctx context.Context, c *Call) (any, error) {
			if fields := c.Strings("fields"); len(fields) > 0 { // 21.4: no fields (None or []) is every column
				return nodeColumnsCall(ctx, c, fields)
			}
			return ret(c.store().GetNodeList(ctx, c.Filter("filters"), c.ListOptions()))
		}},
	{Name: "reserve_node", Doc: "Lock a node for tag; bound to tag's conductor lease when tag is a registered conductor.",
		Result: rRecord(newNode), Args: []Arg{req("tag", tString), req("node_id", tIdent)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.h.reserveNode(ctx, c.Str("tag"), c.Str("node_id")))
		}},
	{Name: "release_node", Doc: "Release tag's lock on a node.", Result: rNone,
		Args: []Arg{req("tag", tString), req("node_id", tIdent)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return none(c.store().ReleaseNode(ctx, c.Str("tag"), c.Str("node_id")))
		}},
	{Name: "create_node", Doc: "Create a node.", Result: rRecord(newNode), Args: []Arg{req("values", tValues(newNode))},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().CreateNode(ctx, c.Values("values")))
		}},
	{Name: "get_node_by_id", Doc: "A node by id.", Result: rRecord(newNode), Args: []Arg{req("node_id", tInteger)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetNodeByID(ctx, c.Int("node_id")))
		}},
	{Name: "get_node_by_uuid", Doc: "A node by uuid.", Result: rRecord(newNode), Args: []Arg{req("node_uuid", tString)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetNodeByUUID(ctx, c.Str("node_uuid")))
		}},
	{Name: "get_node_by_name", Doc: "A node by name.", Result: rRecord(newNode), Args: []Arg{req("node_name", tString)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetNodeByName(ctx, c.Str("node_name")))
		}},
	{Name: "get_node_by_instance", Doc: "A node by instance uuid.", Result: rRecord(newNode), Args: []Arg{req("instance", tString)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetNodeByInstance(ctx, c.Str("instance")))
		}},
	{Name: "destroy_node", Doc: "Destroy a node and its ports, portgroups, tags, traits, volumes and BIOS settings.", Result: rNone,
		Args: []Arg{req("node_id", tIdent)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return none(c.store().DestroyNode(ctx, c.Str("node_id")))
		}},
	{Name: "update_node", Doc: "Update a node's columns, as 21.4 (instance_uuid may replace another: no NodeAssociated).",
		Result: rRecord(newNode), Args: []Arg{req("node_id", tIdent), req("values", tValues(newNode))},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().UpdateNode21(ctx, c.Str("node_id"), c.Values("values")))
		}},
	{Name: "touch_node_provisioning", Doc: "Set a node's provision_updated_at to now.", Result: rNone,
		Args: []Arg{req("node_id", tIdent)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return none(c.store().TouchNodeProvisioning(ctx, c.Str("node_id")))
		}},
	{Name: "get_node_by_port_addresses", Doc: "The one node owning ports with these MAC addresses.", Result: rRecord(newNode),
		Args: []Arg{req("addresses", tStrings)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetNodeByPortAddresses(ctx, c.Strings("addresses")))
		}},
	{Name: "clear_node_reservations_for_conductor", Doc: "Release every lock hostname holds (21.4).", Result: rNone,
		Args: []Arg{req("hostname", tString)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return none(c.store().ClearNodeReservationsForConductor(ctx, c.Str("hostname")))
		}},
	{Name: "clear_node_target_power_state", Doc: "Clear target_power_state of hostname's locked nodes (21.4).", Result: rNone,
		Args: []Arg{req("hostname", tString)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return none(c.store().ClearNodeTargetPowerState(ctx, c.Str("hostname")))
		}},
}
