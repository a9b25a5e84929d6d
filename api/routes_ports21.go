package api

import (
	"context"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// Ironic 21.4's new port and volume reads, and the owner= / project=
// arguments of the port, portgroup and volume reads.

var (
	ownerFilterArg = opt("owner", ArgType{Schema: map[string]any{"type": "string",
		"description": "only records whose node's owner is this (wins over project)"}, decode: tString.decode}, nil)
	projectArg = opt("project", ArgType{Schema: map[string]any{"type": "string",
		"description": "only records whose node's owner or lessee is this"}, decode: tString.decode}, nil)
	// ownerArgs are the port reads' owner= and project=.
	ownerArgs = []Arg{ownerFilterArg, projectArg}
	// ignoredProjectArg is the project= of get_volume_connectors_by_node_id
	// and get_volume_targets_by_node_id, which 21.4 takes and ignores.
	ignoredProjectArg = opt("project", ArgType{Schema: map[string]any{"type": "string",
		"description": "accepted and ignored, as Ironic 21.4 does"}, decode: tString.decode}, nil)
)

// ProjectFilter reads the owner and project arguments (null or absent:
// no filter).
func (c *Call) ProjectFilter() etcdstore.ProjectFilter {
	return etcdstore.ProjectFilter{Owner: c.Str("owner"), Project: c.Str("project")}
}

var ports21Routes = []Route{
	{Name: "get_port_by_name", Doc: "A port by name.", Result: rRecord(newPort), Args: []Arg{req("port_name", tString)},
		Call: withNodeUUID(func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetPortByName(ctx, c.Str("port_name")))
		})},
	{Name: "get_ports_by_shards", Doc: "The ports of the nodes in these shards, paged.", Result: rRecords(newPort),
		Args: args([]Arg{req("shards", tStrings)}, listArgs(newPort)),
		Call: withNodeUUID(func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetPortsByShards(ctx, c.Strings("shards"), c.ListOptions()))
		})},
	{Name: "get_volume_targets_by_volume_id", Doc: "The volume targets of a volume, paged.", Result: rRecords(newTarget),
		Args: args([]Arg{req("volume_id", tString)}, listArgs(newTarget), []Arg{projectArg}),
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetVolumeTargetsByVolumeID(ctx, c.Str("volume_id"), c.ListOptions(), c.ProjectFilter()))
		}},
}
