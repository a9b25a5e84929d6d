package api

import (
	"context"

	"google.golang.org/protobuf/proto"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Ironic 21.4's node traits and BIOS settings.

var (
	newTrait       = func() proto.Message { return &pb.NodeTrait{} }
	newBIOSSetting = func() proto.Message { return &pb.BIOSSetting{} }
)

var traitRoutes = []Route{
	{Name: "set_node_traits", Doc: "Replace a node's traits, every row written with version.", Result: rRecords(newTrait),
		Args: []Arg{req("node_id", tInteger), req("traits", tStrings), req("version", tString)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().SetNodeTraits(ctx, c.Int("node_id"), c.Strings("traits"), c.Str("version")))
		}},
	{Name: "unset_node_traits", Doc: "Remove every trait of a node.", Result: rNone, Args: []Arg{req("node_id", tInteger)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return none(c.store().UnsetNodeTraits(ctx, c.Int("node_id")))
		}},
	{Name: "get_node_traits_by_node_id", Doc: "A node's traits.", Result: rRecords(newTrait), Args: []Arg{req("node_id", tInteger)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetNodeTraitsByNodeID(ctx, c.Int("node_id")))
		}},
	{Name: "add_node_trait", Doc: "Add a trait to a node (one it has already is kept as it is).", Result: rRecord(newTrait),
		Args: []Arg{req("node_id", tInteger), req("trait", tString), req("version", tString)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().AddNodeTrait(ctx, c.Int("node_id"), c.Str("trait"), c.Str("version")))
		}},
	{Name: "delete_node_trait", Doc: "Remove a trait from a node.", Result: rNone,
		Args: []Arg{req("node_id", tInteger), req("trait", tString)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return none(c.store().DeleteNodeTrait(ctx, c.Int("node_id"), c.Str("trait")))
		}},
	{Name: "node_trait_exists", Doc: "Whether a node has a trait.", Result: rBool,
		Args: []Arg{req("node_id", tInteger), req("trait", tString)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().NodeTraitExists(ctx, c.Int("node_id"), c.Str("trait")))
		}},
}

var biosRoutes = []Route{
	{Name: "create_bios_setting_list", Doc: "Add BIOS settings (dicts of their columns) to a node.", Result: rRecords(newBIOSSetting),
		Args: []Arg{req("node_id", tInteger), req("settings", tObjects), req("version", tString)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().CreateBIOSSettingList(ctx, c.Int("node_id"), c.settings("settings"), c.Str("version")))
		}},
	{Name: "update_bios_setting_list", Doc: "Set every column of a node's BIOS settings named in settings.", Result: rRecords(newBIOSSetting),
		Args: []Arg{req("node_id", tInteger), req("settings", tObjects), req("version", tString)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().UpdateBIOSSettingList(ctx, c.Int("node_id"), c.settings("settings"), c.Str("version")))
		}},
	{Name: "delete_bios_setting_list", Doc: "Remove a node's BIOS settings by name.", Result: rNone,
		Args: []Arg{req("node_id", tInteger), req("names", tStrings)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return none(c.store().DeleteBIOSSettingList(ctx, c.Int("node_id"), c.Strings("names")))
		}},
	{Name: "get_bios_setting", Doc: "One BIOS setting of a node.", Result: rRecord(newBIOSSetting),
		Args: []Arg{req("node_id", tInteger), req("name", tString)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetBIOSSetting(ctx, c.Int("node_id"), c.Str("name")))
		}},
	{Name: "get_bios_setting_list", Doc: "A node's BIOS settings.", Result: rRecords(newBIOSSetting), Args: []Arg{req("node_id", tInteger)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetBIOSSettingList(ctx, c.Int("node_id")))
		}},
}

// settings reads an array-of-objects argument as the store's dicts.
func (c *Call) settings(name string) []etcdstore.Values {
	objs, _ := c.args[name].([]map[string]any)
	out := make([]etcdstore.Values, len(objs))
	for i, o := range objs {
		out[i] = o
	}
	return out
}
