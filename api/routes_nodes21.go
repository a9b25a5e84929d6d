package api

import (
	"context"
	"encoding/json"
)

// nodeRoutes21 are the node methods Ironic 21.4 added to the seed's.
var nodeRoutes21 = []Route{
	{Name: "get_node_list_columns", Doc: "The matching nodes, each with only the asked columns and its id (21.4).",
		Result: rRecords(newNode),
		Args:   args([]Arg{req("columns", tStrings), opt("filters", tFilters, nil)}, listArgs(newNode)),
		Call: func(ctx context.Context, c *Call) (any, error) {
			return nodeColumnsCall(ctx, c, c.Strings("columns"))
		}},
	{Name: "check_node_list", Doc: "Each ident (uuid or name) mapped to its node's uuid; NodeNotFound names the others (21.4).",
		Result: Result{Doc: "ident to node uuid", Schema: map[string]any{"type": "object",
			"additionalProperties": map[string]any{"type": "string"}}},
		Args: []Arg{req("idents", tStrings), opt("project", tString, nil)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().CheckNodeList(ctx, c.Strings("idents"), c.Str("project")))
		}},
	{Name: "count_nodes_in_provision_state", Doc: "How many nodes are in the state, or in one of the states (21.4).",
		Result: Result{Doc: "a count", Schema: map[string]any{"type": "integer"}},
		Args:   []Arg{req("state", tStringOrStrings)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().CountNodesInProvisionState(ctx, c.Strings("state")...))
		}},
	{Name: "get_shard_list", Doc: "The number of nodes per shard, most first (21.4).",
		Result: Result{Doc: "one {name, count} per shard, \"None\" for nodes without one", Schema: map[string]any{
			"type": "array", "items": map[string]any{"type": "object", "properties": map[string]any{
				"name": map[string]any{"type": "string"}, "count": map[string]any{"type": "integer"}}}}},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetShardList(ctx))
		}},
}

// nodeColumnsCall is get_node_list_columns, and get_node_list with
// fields: nodes rendered with only the asked columns and the id the
// reference always loads.
func nodeColumnsCall(ctx context.Context, c *Call, columns []string) (any, error) {
	nodes, err := c.store().GetNodeListColumns(ctx, columns, c.Filter("filters"), c.ListOptions())
	if err != nil {
		return nil, err
	}
	return only(nodes, append([]string{"id"}, columns...)), nil
}

// tStringOrStrings is one string or an array of them (the reference's
// "state or list of states"), read as a list.
var tStringOrStrings = ArgType{Schema: map[string]any{"oneOf": []any{map[string]any{"type": "string"},
	map[string]any{"type": "array", "items": map[string]any{"type": "string"}}}},
	decode: func(raw json.RawMessage) (any, error) {
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			return []string{s}, nil
		}
		v, err := tStrings.decode(raw)
		if err != nil {
			return nil, want("a string or an array of strings", raw)
		}
		return v, nil
	}}
