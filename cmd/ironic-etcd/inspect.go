package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/internal/render"
)

func init() {
	subcommands = append(subcommands,
		func(g *globalFlags) *cobra.Command { return inspectCmd(g, nodeKind) },
		func(g *globalFlags) *cobra.Command { return inspectCmd(g, portKind) },
		func(g *globalFlags) *cobra.Command { return inspectCmd(g, portgroupKind) },
		func(g *globalFlags) *cobra.Command { return inspectCmd(g, chassisKind) },
		func(g *globalFlags) *cobra.Command { return inspectCmd(g, conductorKind) },
		newVolumeCmd,
	)
}

// kind is one record type the inspection commands show.
type kind struct {
	name    string
	columns []string
	list    func(context.Context, *etcdstore.Store) ([]proto.Message, error)
	show    func(context.Context, *etcdstore.Store, string) (proto.Message, error) // nil: list only
}

func msgs[T proto.Message](items []T, err error) ([]proto.Message, error) {
	out := make([]proto.Message, len(items))
	for i, it := range items {
		out[i] = it
	}
	return out, err
}

func msg[T proto.Message](item T, err error) (proto.Message, error) { return item, err }

// byIdent picks the lookup an argument calls for: an id, a uuid, else
// other (a name or a MAC).
func byIdent(arg string, byID func(int64) (proto.Message, error), byUUID, other func(string) (proto.Message, error)) (proto.Message, error) {
	if id, err := strconv.ParseInt(arg, 10, 64); err == nil {
		return byID(id)
	}
	if etcdstore.IsUUIDLike(arg) || other == nil {
		return byUUID(arg)
	}
	return other(arg)
}

var nodeKind = kind{
	name:    "node",
	columns: []string{"id", "uuid", "name", "provision_state", "power_state", "driver", "maintenance", "reservation", "tags"},
	list: func(ctx context.Context, s *etcdstore.Store) ([]proto.Message, error) {
		return msgs(s.GetNodeList(ctx, etcdstore.NodeFilter{}, etcdstore.ListOptions{}))
	},
	show: func(ctx context.Context, s *etcdstore.Store, arg string) (proto.Message, error) {
		return byIdent(arg,
			func(id int64) (proto.Message, error) { return msg(s.GetNodeByID(ctx, id)) },
			func(u string) (proto.Message, error) { return msg(s.GetNodeByUUID(ctx, u)) },
			func(n string) (proto.Message, error) { return msg(s.GetNodeByName(ctx, n)) })
	},
}

var portKind = kind{
	name:    "port",
	columns: []string{"id", "uuid", "address", "node_id", "portgroup_id", "pxe_enabled"},
	list: func(ctx context.Context, s *etcdstore.Store) ([]proto.Message, error) {
		return msgs(s.GetPortList(ctx, etcdstore.ListOptions{}))
	},
	show: func(ctx context.Context, s *etcdstore.Store, arg string) (proto.Message, error) {
		return byIdent(arg,
			func(id int64) (proto.Message, error) { return msg(s.GetPortByID(ctx, id)) },
			func(u string) (proto.Message, error) { return msg(s.GetPortByUUID(ctx, u)) },
			func(a string) (proto.Message, error) { return msg(s.GetPortByAddress(ctx, a)) })
	},
}

var portgroupKind = kind{
	name:    "portgroup",
	columns: []string{"id", "uuid", "name", "address", "node_id", "mode"},
	list: func(ctx context.Context, s *etcdstore.Store) ([]proto.Message, error) {
		return msgs(s.GetPortgroupList(ctx, etcdstore.ListOptions{}))
	},
	show: func(ctx context.Context, s *etcdstore.Store, arg string) (proto.Message, error) {
		return byIdent(arg,
			func(id int64) (proto.Message, error) { return msg(s.GetPortgroupByID(ctx, id)) },
			func(u string) (proto.Message, error) { return msg(s.GetPortgroupByUUID(ctx, u)) },
			func(n string) (proto.Message, error) {
				if etcdstore.IsMACLike(n) {
					return msg(s.GetPortgroupByAddress(ctx, n))
				}
				return msg(s.GetPortgroupByName(ctx, n))
			})
	},
}

var chassisKind = kind{
	name:    "chassis",
	columns: []string{"id", "uuid", "description"},
	list: func(ctx context.Context, s *etcdstore.Store) ([]proto.Message, error) {
		return msgs(s.GetChassisList(ctx, etcdstore.ListOptions{}))
	},
	show: func(ctx context.Context, s *etcdstore.Store, arg string) (proto.Message, error) {
		return byIdent(arg,
			func(id int64) (proto.Message, error) { return msg(s.GetChassisByID(ctx, id)) },
			func(u string) (proto.Message, error) { return msg(s.GetChassisByUUID(ctx, u)) }, nil)
	},
}

var conductorKind = kind{
	name:    "conductor",
	columns: []string{"id", "hostname", "online", "drivers", "updated_at", "lease"},
	list: func(ctx context.Context, s *etcdstore.Store) ([]proto.Message, error) {
		return msgs(s.GetConductorList(ctx))
	},
}

var connectorKind = kind{
	name:    "connector",
	columns: []string{"id", "uuid", "node_id", "type", "connector_id"},
	list: func(ctx context.Context, s *etcdstore.Store) ([]proto.Message, error) {
		return msgs(s.GetVolumeConnectorList(ctx, etcdstore.ListOptions{}))
	},
	show: func(ctx context.Context, s *etcdstore.Store, arg string) (proto.Message, error) {
		return byIdent(arg,
			func(id int64) (proto.Message, error) { return msg(s.GetVolumeConnectorByID(ctx, id)) },
			func(u string) (proto.Message, error) { return msg(s.GetVolumeConnectorByUUID(ctx, u)) }, nil)
	},
}

var targetKind = kind{
	name:    "target",
	columns: []string{"id", "uuid", "node_id", "boot_index", "volume_type", "volume_id"},
	list: func(ctx context.Context, s *etcdstore.Store) ([]proto.Message, error) {
		return msgs(s.GetVolumeTargetList(ctx, etcdstore.ListOptions{}))
	},
	show: func(ctx context.Context, s *etcdstore.Store, arg string) (proto.Message, error) {
		return byIdent(arg,
			func(id int64) (proto.Message, error) { return msg(s.GetVolumeTargetByID(ctx, id)) },
			func(u string) (proto.Message, error) { return msg(s.GetVolumeTargetByUUID(ctx, u)) }, nil)
	},
}

func newVolumeCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "volume", Short: "Inspect volume connectors and targets"}
	cmd.AddCommand(inspectCmd(g, connectorKind), inspectCmd(g, targetKind))
	return cmd
}

// inspectCmd is "<kind> list" and "<kind> show <ident>".
func inspectCmd(g *globalFlags, k kind) *cobra.Command {
	cmd := &cobra.Command{Use: k.name, Short: "Inspect " + k.name + " records"}
	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List every " + k.name,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(g, func(ctx context.Context, s *etcdstore.Store) error {
				items, err := k.list(ctx, s)
				if err != nil {
					return err
				}
				return printRecords(cmd.OutOrStdout(), g.output, k.columns, items)
			})
		},
	})
	if k.show != nil {
		cmd.AddCommand(&cobra.Command{
			Use:   "show <id|uuid|name|mac>",
			Short: "Show one " + k.name,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return withStore(g, func(ctx context.Context, s *etcdstore.Store) error {
					item, err := k.show(ctx, s, args[0])
					if err != nil {
						return err
					}
					return printRecord(cmd.OutOrStdout(), g.output, item)
				})
			},
		})
	}
	return cmd
}

func withStore(g *globalFlags, f func(context.Context, *etcdstore.Store) error) error {
	s, cli, err := g.store()
	if err != nil {
		return err
	}
	defer cli.Close()
	ctx, cancel := g.ctx()
	defer cancel()
	return f(ctx, s)
}

// printRecords writes a table of the chosen columns, or a JSON array.
func printRecords(w io.Writer, output string, columns []string, items []proto.Message) error {
	if output == "json" {
		recs := make([]render.Record, len(items))
		for i, it := range items {
			recs[i] = render.Of(it)
		}
		return writeJSON(w, recs)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(columns, "\t")))
	for _, it := range items {
		cells := make([]string, len(columns))
		for i, c := range columns {
			cells[i] = render.Cell(it, c)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// printRecord writes one record: every column, as a two-column table or
// as JSON.
func printRecord(w io.Writer, output string, item proto.Message) error {
	rec := render.Of(item)
	if output == "json" {
		return writeJSON(w, rec)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range rec.Columns {
		fmt.Fprintf(tw, "%s\t%s\n", c.Name, render.Cell(item, c.Name))
	}
	return tw.Flush()
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
