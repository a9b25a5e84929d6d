package api

import "context"

// 21.4's owner and project filters of the port and portgroup reads are
// the store's ...ForProject methods (ownerArgs, projectArg).

var portRoutes = []Route{
	{Name: "get_port_by_id", Doc: "A port by id.", Result: rRecord(newPort), Args: []Arg{req("port_id", tInteger)},
		Call: withNodeUUID(func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetPortByID(ctx, c.Int("port_id")))
		})},
	{Name: "get_port_by_uuid", Doc: "A port by uuid.", Result: rRecord(newPort), Args: []Arg{req("port_uuid", tString)},
		Call: withNodeUUID(func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetPortByUUID(ctx, c.Str("port_uuid")))
		})},
	{Name: "get_port_by_address", Doc: "A port by MAC address.", Result: rRecord(newPort),
		Args: args([]Arg{req("address", tString)}, ownerArgs),
		Call: withNodeUUID(func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetPortByAddressForProject(ctx, c.Str("address"), c.ProjectFilter()))
		})},
	{Name: "get_port_list", Doc: "Every port, paged.", Result: rRecords(newPort),
		Args: args(listArgs(newPort), ownerArgs),
		Call: withNodeUUID(func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetPortListForProject(ctx, c.ListOptions(), c.ProjectFilter()))
		})},
	{Name: "get_ports_by_node_id", Doc: "The ports of a node.", Result: rRecords(newPort),
		Args: args([]Arg{req("node_id", tInteger)}, listArgs(newPort), ownerArgs),
		Call: withNodeUUID(func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetPortsByNodeIDForProject(ctx, c.Int("node_id"), c.ListOptions(), c.ProjectFilter()))
		})},
	{Name: "get_ports_by_portgroup_id", Doc: "The ports of a portgroup.", Result: rRecords(newPort),
		Args: args([]Arg{req("portgroup_id", tInteger)}, listArgs(newPort), ownerArgs),
		Call: withNodeUUID(func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetPortsByPortgroupIDForProject(ctx, c.Int("portgroup_id"), c.ListOptions(), c.ProjectFilter()))
		})},
	{Name: "create_port", Doc: "Create a port.", Result: rRecord(newPort), Args: []Arg{req("values", tValues(newPort))},
		Call: withNodeUUID(func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().CreatePort(ctx, c.Values("values")))
		})},
	{Name: "update_port", Doc: "Update a port's columns.", Result: rRecord(newPort),
		Args: []Arg{req("port_id", tIdent), req("values", tValues(newPort))},
		Call: withNodeUUID(func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().UpdatePort(ctx, c.Str("port_id"), c.Values("values")))
		})},
	{Name: "destroy_port", Doc: "Destroy a port.", Result: rNone, Args: []Arg{req("port_id", tIdent)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return none(c.store().DestroyPort(ctx, c.Str("port_id")))
		}},
}

var portgroupRoutes = []Route{
	{Name: "get_portgroup_by_id", Doc: "A portgroup by id.", Result: rRecord(newPortgroup),
		Args: []Arg{req("portgroup_id", tInteger), projectArg},
		Call: withNodeUUID(func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetPortgroupByIDForProject(ctx, c.Int("portgroup_id"), c.ProjectFilter()))
		})},
	{Name: "get_portgroup_by_uuid", Doc: "A portgroup by uuid.", Result: rRecord(newPortgroup),
		Args: []Arg{req("portgroup_uuid", tString)},
		Call: withNodeUUID(func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetPortgroupByUUID(ctx, c.Str("portgroup_uuid")))
		})},
	{Name: "get_portgroup_by_address", Doc: "A portgroup by MAC address.", Result: rRecord(newPortgroup),
		Args: []Arg{req("address", tString), projectArg},
		Call: withNodeUUID(func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetPortgroupByAddressForProject(ctx, c.Str("address"), c.ProjectFilter()))
		})},
	{Name: "get_portgroup_by_name", Doc: "A portgroup by name.", Result: rRecord(newPortgroup), Args: []Arg{req("name", tString)},
		Call: withNodeUUID(func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetPortgroupByName(ctx, c.Str("name")))
		})},
	{Name: "get_portgroup_list", Doc: "Every portgroup, paged.", Result: rRecords(newPortgroup),
		Args: args(listArgs(newPortgroup), []Arg{projectArg}),
		Call: withNodeUUID(func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetPortgroupListForProject(ctx, c.ListOptions(), c.ProjectFilter()))
		})},
	{Name: "get_portgroups_by_node_id", Doc: "The portgroups of a node.", Result: rRecords(newPortgroup),
		Args: args([]Arg{req("node_id", tInteger)}, listArgs(newPortgroup), []Arg{projectArg}),
		Call: withNodeUUID(func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetPortgroupsByNodeIDForProject(ctx, c.Int("node_id"), c.ListOptions(), c.ProjectFilter()))
		})},
	{Name: "create_portgroup", Doc: "Create a portgroup.", Result: rRecord(newPortgroup),
		Args: []Arg{req("values", tValues(newPortgroup))},
		Call: withNodeUUID(func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().CreatePortgroup(ctx, c.Values("values")))
		})},
	{Name: "update_portgroup", Doc: "Update a portgroup's columns.", Result: rRecord(newPortgroup),
		Args: []Arg{req("portgroup_id", tIdent), req("values", tValues(newPortgroup))},
		Call: withNodeUUID(func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().UpdatePortgroup(ctx, c.Str("portgroup_id"), c.Values("values")))
		})},
	{Name: "destroy_portgroup", Doc: "Destroy an empty portgroup.", Result: rNone, Args: []Arg{req("portgroup_id", tIdent)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return none(c.store().DestroyPortgroup(ctx, c.Str("portgroup_id")))
		}},
}

var chassisRoutes = []Route{
	{Name: "create_chassis", Doc: "Create a chassis.", Result: rRecord(newChassis), Args: []Arg{req("values", tValues(newChassis))},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().CreateChassis(ctx, c.Values("values")))
		}},
	{Name: "get_chassis_by_id", Doc: "A chassis by id.", Result: rRecord(newChassis), Args: []Arg{req("chassis_id", tInteger)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetChassisByID(ctx, c.Int("chassis_id")))
		}},
	{Name: "get_chassis_by_uuid", Doc: "A chassis by uuid.", Result: rRecord(newChassis), Args: []Arg{req("chassis_uuid", tString)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetChassisByUUID(ctx, c.Str("chassis_uuid")))
		}},
	{Name: "get_chassis_list", Doc: "Every chassis, paged.", Result: rRecords(newChassis), Args: listArgs(newChassis),
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetChassisList(ctx, c.ListOptions()))
		}},
	{Name: "update_chassis", Doc: "Update a chassis' columns.", Result: rRecord(newChassis),
		Args: []Arg{req("chassis_id", tIdent), req("values", tValues(newChassis))},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().UpdateChassis(ctx, c.Str("chassis_id"), c.Values("values")))
		}},
	{Name: "destroy_chassis", Doc: "Destroy a chassis without nodes.", Result: rNone, Args: []Arg{req("chassis_id", tIdent)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return none(c.store().DestroyChassis(ctx, c.Str("chassis_id")))
		}},
}
