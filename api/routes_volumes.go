package api

import "context"

// 21.4's project filter of the volume lists is the store's ...ForProject
// methods; get_volume_connectors_by_node_id and
// get_volume_targets_by_node_id accept it and, as 21.4 does, ignore it.

var volumeRoutes = []Route{
	{Name: "get_volume_connector_list", Doc: "Every volume connector, paged.", Result: rRecords(newConnector),
		Args: args(listArgs(newConnector), []Arg{projectArg}),
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetVolumeConnectorListForProject(ctx, c.ListOptions(), c.ProjectFilter()))
		}},
	{Name: "get_volume_connector_by_id", Doc: "A volume connector by id.", Result: rRecord(newConnector),
		Args: []Arg{req("db_id", tInteger)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetVolumeConnectorByID(ctx, c.Int("db_id")))
		}},
	{Name: "get_volume_connector_by_uuid", Doc: "A volume connector by uuid.", Result: rRecord(newConnector),
		Args: []Arg{req("connector_uuid", tString)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetVolumeConnectorByUUID(ctx, c.Str("connector_uuid")))
		}},
	{Name: "get_volume_connectors_by_node_id", Doc: "The volume connectors of a node.", Result: rRecords(newConnector),
		Args: args([]Arg{req("node_id", tInteger)}, listArgs(newConnector), []Arg{ignoredProjectArg}),
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetVolumeConnectorsByNodeID(ctx, c.Int("node_id"), c.ListOptions()))
		}},
	{Name: "create_volume_connector", Doc: "Create a volume connector.", Result: rRecord(newConnector),
		Args: []Arg{req("connector_info", tValues(newConnector))},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().CreateVolumeConnector(ctx, c.Values("connector_info")))
		}},
	{Name: "update_volume_connector", Doc: "Update a volume connector's columns.", Result: rRecord(newConnector),
		Args: []Arg{req("ident", tIdent), req("connector_info", tValues(newConnector))},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().UpdateVolumeConnector(ctx, c.Str("ident"), c.Values("connector_info")))
		}},
	{Name: "destroy_volume_connector", Doc: "Destroy a volume connector.", Result: rNone, Args: []Arg{req("ident", tIdent)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return none(c.store().DestroyVolumeConnector(ctx, c.Str("ident")))
		}},
	{Name: "get_volume_target_list", Doc: "Every volume target, paged.", Result: rRecords(newTarget),
		Args: args(listArgs(newTarget), []Arg{projectArg}),
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetVolumeTargetListForProject(ctx, c.ListOptions(), c.ProjectFilter()))
		}},
	{Name: "get_volume_target_by_id", Doc: "A volume target by id.", Result: rRecord(newTarget),
		Args: []Arg{req("db_id", tInteger)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetVolumeTargetByID(ctx, c.Int("db_id")))
		}},
	{Name: "get_volume_target_by_uuid", Doc: "A volume target by uuid.", Result: rRecord(newTarget),
		Args: []Arg{req("uuid", tString)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetVolumeTargetByUUID(ctx, c.Str("uuid")))
		}},
	{Name: "get_volume_targets_by_node_id", Doc: "The volume targets of a node.", Result: rRecords(newTarget),
		Args: args([]Arg{req("node_id", tInteger)}, listArgs(newTarget), []Arg{ignoredProjectArg}),
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetVolumeTargetsByNodeID(ctx, c.Int("node_id"), c.ListOptions()))
		}},
	{Name: "create_volume_target", Doc: "Create a volume target.", Result: rRecord(newTarget),
		Args: []Arg{req("target_info", tValues(newTarget))},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().CreateVolumeTarget(ctx, c.Values("target_info")))
		}},
	{Name: "update_volume_target", Doc: "Update a volume target's columns.", Result: rRecord(newTarget),
		Args: []Arg{req("ident", tIdent), req("target_info", tValues(newTarget))},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().UpdateVolumeTarget(ctx, c.Str("ident"), c.Values("target_info")))
		}},
	{Name: "destroy_volume_target", Doc: "Destroy a volume target.", Result: rNone, Args: []Arg{req("ident", tIdent)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return none(c.store().DestroyVolumeTarget(ctx, c.Str("ident")))
		}},
}

var tagRoutes = []Route{
	{Name: "set_node_tags", Doc: "Replace a node's tags.", Result: rRecords(newTag),
		Args: []Arg{req("node_id", tInteger), req("tags", tStrings)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().SetNodeTags(ctx, c.Int("node_id"), c.Strings("tags")))
		}},
	{Name: "unset_node_tags", Doc: "Remove every tag of a node.", Result: rNone, Args: []Arg{req("node_id", tInteger)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return none(c.store().UnsetNodeTags(ctx, c.Int("node_id")))
		}},
	{Name: "get_node_tags_by_node_id", Doc: "A node's tags.", Result: rRecords(newTag), Args: []Arg{req("node_id", tInteger)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetNodeTagsByNodeID(ctx, c.Int("node_id")))
		}},
	{Name: "add_node_tag", Doc: "Add a tag to a node.", Result: rRecord(newTag),
		Args: []Arg{req("node_id", tInteger), req("tag", tString)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().AddNodeTag(ctx, c.Int("node_id"), c.Str("tag")))
		}},
	{Name: "delete_node_tag", Doc: "Remove a tag from a node.", Result: rNone,
		Args: []Arg{req("node_id", tInteger), req("tag", tString)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return none(c.store().DeleteNodeTag(ctx, c.Int("node_id"), c.Str("tag")))
		}},
	{Name: "node_tag_exists", Doc: "Whether a node has a tag (21.4: NodeNotFound for a missing node).", Result: rBool,
		Args: []Arg{req("node_id", tInteger), req("tag", tString)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().NodeTagExists21(ctx, c.Int("node_id"), c.Str("tag")))
		}},
}
