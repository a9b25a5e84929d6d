package sqlmove

import (
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Rows and records: the store keeps some tables inside others' records
// (a node's tags and traits, a template's steps, a node's BIOS settings
// in one record). assemble builds records from rows, flatten rows from
// records; both go through the column map of schema.go.

// RowProblem is a row that cannot travel, and why.
type RowProblem struct {
	Table  string
	Key    string // the primary key, "id=7" or "node_id=3,tag=x"
	Reason string
}

func (p RowProblem) String() string { return p.Table + " " + p.Key + ": " + p.Reason }

// keyOf renders the primary key of a row.
func keyOf(t *Table, row Row) string {
	parts := make([]string, len(t.Key))
	for i, at := range t.keyColumns() {
		parts[i] = t.Key[i] + "=" + fmt.Sprint(row[at])
	}
	return strings.Join(parts, ",")
}

// build makes the row message of t from a row with the store's create
// conversions (etcdstore.FillRecord).
func build(t *Table, row Row) (proto.Message, error) {
	values := make(etcdstore.Values, len(row))
	for i, c := range t.Columns {
		values[c] = row[i]
	}
	msg := t.row()
	return msg, etcdstore.FillRecord(msg, values)
}

// assemble builds the store's records from the rows of data, by store
// table; rows that do not build, or whose owner row is missing, are
// problems.
func assemble(data Data) (map[string][]proto.Message, []RowProblem) {
	var problems []RowProblem
	built := map[string][]proto.Message{}
	for _, t := range Tables {
		for _, row := range data[t.Name] {
			msg, err := build(t, row)
			if err != nil {
				problems = append(problems, RowProblem{t.Name, keyOf(t, row), err.Error()})
				continue
			}
			built[t.Name] = append(built[t.Name], msg)
		}
	}
	out := map[string][]proto.Message{}
	nodes := map[int64]*pb.Node{}
	for _, m := range built["nodes"] {
		n := m.(*pb.Node)
		nodes[n.Id] = n
		out["nodes"] = append(out["nodes"], n)
	}
	templates := map[int64]*pb.DeployTemplate{}
	for _, m := range built["deploy_templates"] {
		dt := m.(*pb.DeployTemplate)
		templates[dt.Id] = dt
		out["deploy_templates"] = append(out["deploy_templates"], dt)
	}
	missing := func(table, key, owner string, id int64) {
		problems = append(problems, RowProblem{table, key, fmt.Sprintf("its %s %d does not exist", owner, id)})
	}
	for _, m := range built["node_tags"] {
		tag := m.(*pb.NodeTag)
		if n := nodes[tag.NodeId]; n != nil {
			n.Tags = append(n.Tags, tag)
		} else {
			missing("node_tags", fmt.Sprintf("node_id=%d,tag=%s", tag.NodeId, tag.Tag), "node", tag.NodeId)
		}
	}
	for _, m := range built["node_traits"] {
		tr := m.(*pb.NodeTrait)
		if n := nodes[tr.NodeId]; n != nil {
			n.Traits = append(n.Traits, tr)
		} else {
			missing("node_traits", fmt.Sprintf("node_id=%d,trait=%s", tr.NodeId, tr.Trait), "node", tr.NodeId)
		}
	}
	for _, m := range built["deploy_template_steps"] {
		st := m.(*pb.DeployTemplateStep)
		if dt := templates[st.DeployTemplateId]; dt != nil {
			dt.Steps = append(dt.Steps, st)
		} else {
			missing("deploy_template_steps", fmt.Sprintf("id=%d", st.Id), "deploy template", st.DeployTemplateId)
		}
	}
	bios := map[int64]*pb.NodeBIOSSettings{}
	for _, m := range built["bios_settings"] {
		st := m.(*pb.BIOSSetting)
		rec := bios[st.NodeId]
		if rec == nil {
			rec = &pb.NodeBIOSSettings{Id: st.NodeId}
			bios[st.NodeId] = rec
			out["bios_settings"] = append(out["bios_settings"], rec)
		}
		rec.Settings = append(rec.Settings, st)
	}
	conductors := map[int64]bool{}
	for _, m := range built["conductors"] {
		conductors[m.(*pb.Conductor).Id] = true
	}
	for _, m := range built["conductor_hardware_interfaces"] {
		if hi := m.(*pb.ConductorHardwareInterface); !conductors[hi.ConductorId] {
			missing("conductor_hardware_interfaces", fmt.Sprintf("id=%d", hi.Id), "conductor", hi.ConductorId)
			continue
		}
		out["conductor_hardware_interfaces"] = append(out["conductor_hardware_interfaces"], m)
	}
	for _, t := range Tables {
		if t.Store == t.Name && out[t.Name] == nil && t.Name != "bios_settings" && t.Name != "conductor_hardware_interfaces" {
			out[t.Name] = built[t.Name]
		}
	}
	for _, n := range nodes {
		slices.SortFunc(n.Tags, func(a, b *pb.NodeTag) int { return strings.Compare(a.Tag, b.Tag) })
		slices.SortFunc(n.Traits, func(a, b *pb.NodeTrait) int { return strings.Compare(a.Trait, b.Trait) })
	}
	for _, rec := range bios {
		slices.SortFunc(rec.Settings, func(a, b *pb.BIOSSetting) int { return strings.Compare(a.Name, b.Name) })
	}
	for _, dt := range templates {
		slices.SortFunc(dt.Steps, func(a, b *pb.DeployTemplateStep) int { return int(a.Id - b.Id) })
	}
	return out, problems
}

// rowOf is the row of t a message holds.
func rowOf(t *Table, m proto.Message) Row {
	rec := m.ProtoReflect()
	row := make(Row, len(t.fields))
	for i, fd := range t.fields {
		row[i] = etcdstore.ColumnValue(rec, fd)
	}
	return row
}

// flatten adds to data the rows a record of store table holds.
func flatten(data Data, store string, m proto.Message) {
	add := func(name string, msg proto.Message) {
		data[name] = append(data[name], rowOf(TableByName(name), msg))
	}
	switch rec := m.(type) {
	case *pb.Node:
		add("nodes", rec)
		for _, tag := range rec.Tags {
			add("node_tags", tag)
		}
		for _, tr := range rec.Traits {
			add("node_traits", tr)
		}
	case *pb.DeployTemplate:
		add("deploy_templates", rec)
		for _, st := range rec.Steps {
			add("deploy_template_steps", st)
		}
	case *pb.NodeBIOSSettings:
		for _, st := range rec.Settings {
			add("bios_settings", st)
		}
	default:
		add(store, m)
	}
}
