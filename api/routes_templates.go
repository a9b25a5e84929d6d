package api

import (
	"context"
	"encoding/json"

	"google.golang.org/protobuf/proto"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Deploy templates (with their steps), node history and node inventory,
// as Ironic 21.4 names their methods and arguments.

var (
	newDeployTemplate = func() proto.Message { return &pb.DeployTemplate{} }
	newTemplateStep   = func() proto.Message { return &pb.DeployTemplateStep{} }
	newNodeHistory    = func() proto.Message { return &pb.NodeHistory{} }
	newNodeInventory  = func() proto.Message { return &pb.NodeInventory{} }
)

// tIntegers is a list of integer ids.
var tIntegers = ArgType{Schema: map[string]any{"type": "array", "items": map[string]any{"type": "integer", "format": "int64"}},
	decode: func(raw json.RawMessage) (any, error) {
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil || items == nil {
			return nil, want("an array of integers", raw)
		}
		out := make([]int64, len(items))
		for i, item := range items {
			n, err := decodeInt(item)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	}}

// rPurge is query_node_history_records_for_purge's dict: node id (as a
// JSON object key, a string) to the ids of its records to delete.
var rPurge = Result{Doc: "node id to the ids of its history records to purge",
	Schema: map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "array", "items": map[string]any{"type": "integer"}}}}

var templateRoutes = []Route{
	{Name: "create_deploy_template", Doc: "Create a deploy template with its steps.", Result: rRecord(newDeployTemplate),
		Args: []Arg{req("values", tValues(newDeployTemplate))},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().CreateDeployTemplate(ctx, c.Values("values")))
		}},
	{Name: "update_deploy_template", Doc: "Update a deploy template's columns and steps.", Result: rRecord(newDeployTemplate),
		Args: []Arg{req("template_id", tIdent), req("values", tValues(newDeployTemplate))},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().UpdateDeployTemplate(ctx, c.Str("template_id"), c.Values("values")))
		}},
	{Name: "destroy_deploy_template", Doc: "Destroy a deploy template and its steps.", Result: rNone,
		Args: []Arg{req("template_id", tInteger)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return none(c.store().DestroyDeployTemplate(ctx, c.Int("template_id")))
		}},
	{Name: "get_deploy_template_by_id", Doc: "A deploy template by id.", Result: rRecord(newDeployTemplate),
		Args: []Arg{req("template_id", tInteger)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetDeployTemplateByID(ctx, c.Int("template_id")))
		}},
	{Name: "get_deploy_template_by_uuid", Doc: "A deploy template by uuid.", Result: rRecord(newDeployTemplate),
		Args: []Arg{req("template_uuid", tString)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetDeployTemplateByUUID(ctx, c.Str("template_uuid")))
		}},
	{Name: "get_deploy_template_by_name", Doc: "A deploy template by name.", Result: rRecord(newDeployTemplate),
		Args: []Arg{req("template_name", tString)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetDeployTemplateByName(ctx, c.Str("template_name")))
		}},
	{Name: "get_deploy_template_list", Doc: "Every deploy template, paged.", Result: rRecords(newDeployTemplate),
		Args: listArgs(newDeployTemplate),
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetDeployTemplateList(ctx, c.ListOptions()))
		}},
	{Name: "get_deploy_template_list_by_names", Doc: "The deploy templates with one of these names.", Result: rRecords(newDeployTemplate),
		Args: []Arg{req("names", tStrings)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetDeployTemplateListByNames(ctx, c.Strings("names")))
		}},
}

var historyRoutes = []Route{
	{Name: "create_node_history", Doc: "Record a node history event (its uuid is always generated).", Result: rRecord(newNodeHistory),
		Args: []Arg{req("values", tValues(newNodeHistory))},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().CreateNodeHistory(ctx, c.Values("values")))
		}},
	{Name: "destroy_node_history_by_uuid", Doc: "Delete a node history record.", Result: rNone,
		Args: []Arg{req("history_uuid", tString)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return none(c.store().DestroyNodeHistoryByUUID(ctx, c.Str("history_uuid")))
		}},
	{Name: "get_node_history_by_id", Doc: "A node history record by id.", Result: rRecord(newNodeHistory),
		Args: []Arg{req("history_id", tInteger)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetNodeHistoryByID(ctx, c.Int("history_id")))
		}},
	{Name: "get_node_history_by_uuid", Doc: "A node history record by uuid.", Result: rRecord(newNodeHistory),
		Args: []Arg{req("history_uuid", tString)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetNodeHistoryByUUID(ctx, c.Str("history_uuid")))
		}},
	{Name: "get_node_history_list", Doc: "Every node history record, paged (by created_at unless told).", Result: rRecords(newNodeHistory),
		Args: historyListArgs(),
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetNodeHistoryList(ctx, c.ListOptions()))
		}},
	{Name: "get_node_history_by_node_id", Doc: "The history records of a node, paged.", Result: rRecords(newNodeHistory),
		Args: args([]Arg{req("node_id", tInteger)}, listArgs(newNodeHistory)),
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetNodeHistoryByNodeID(ctx, c.Int("node_id"), c.ListOptions()))
		}},
	{Name: "query_node_history_records_for_purge", Doc: "Per node of this conductor, the ids of its history records beyond the limits; " +
		"node_history_max_entries and node_history_minimum_days are 21.4's [conductor] options (defaults 300 and 0).",
		Result: rPurge,
		Args: []Arg{req("conductor_id", tInteger),
			opt("node_history_max_entries", tInteger, int64(etcdstore.DefaultHistoryPurgeLimits.MaxEntries)),
			opt("node_history_minimum_days", tInteger, int64(etcdstore.DefaultHistoryPurgeLimits.MinimumDays))},
		Call: func(ctx context.Context, c *Call) (any, error) {
			limits := etcdstore.HistoryPurgeLimits{MaxEntries: clampInt(c.Int("node_history_max_entries")),
				MinimumDays: clampInt(c.Int("node_history_minimum_days"))}
			return ret(c.store().QueryNodeHistoryRecordsForPurge(ctx, c.Int("conductor_id"), limits))
		}},
	{Name: "bulk_delete_node_history_records", Doc: "Delete the node history records with these ids.", Result: rNone,
		Args: []Arg{req("entries", tIntegers)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			ids, _ := c.Get("entries").([]int64)
			return none(c.store().BulkDeleteNodeHistoryRecords(ctx, ids))
		}},
	{Name: "create_node_inventory", Doc: "Store a node's inventory.", Result: rRecord(newNodeInventory),
		Args: []Arg{req("values", tValues(newNodeInventory))},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().CreateNodeInventory(ctx, c.Values("values")))
		}},
	{Name: "destroy_node_inventory_by_node_id", Doc: "Delete a node's inventory.", Result: rNone,
		Args: []Arg{req("node_id", tInteger)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return none(c.store().DestroyNodeInventoryByNodeID(ctx, c.Int("node_id")))
		}},
	{Name: "get_node_inventory_by_node_id", Doc: "A node's inventory.", Result: rRecord(newNodeInventory),
		Args: []Arg{req("node_id", tInteger)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetNodeInventoryByNodeID(ctx, c.Int("node_id")))
		}},
}

// historyListArgs are the paging arguments with 21.4's defaults of
// get_node_history_list: sort_key created_at, sort_dir asc.
func historyListArgs() []Arg {
	a := listArgs(newNodeHistory)
	for i := range a {
		switch a[i].Name {
		case "sort_key":
			a[i].Default = "created_at"
		case "sort_dir":
			a[i].Default = "asc"
		}
	}
	return a
}

// clampInt narrows an int64 argument to int; out of range values stay
// out of range (negative stays negative) for the store to refuse.
func clampInt(n int64) int { return int(max(min(n, 1<<31), -1)) }
