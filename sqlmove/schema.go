package sqlmove

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// The schema of Ironic 21.4, in one place: every table, its columns, its
// primary key and where its rows live in the store. Import, export and
// verify all work from this map.

// Head is the alembic revision of Ironic 21.4's schema (nodes.shard,
// 4dbec778866e_create_node_shard.py); python/ironic_etcd/migration.py
// names the same head.
const Head = "4dbec778866e"

// SupportedRevisions are the alembic revisions whose schema this package
// reads and writes.
var SupportedRevisions = []string{Head}

// Table is one SQL table of Ironic's schema.
type Table struct {
	Name string
	// Key is the primary key, in order.
	Key []string
	// Store is the store table whose records hold the rows: the table's
	// own, or its owner's for rows kept inside another record (node_tags
	// inside nodes).
	Store string
	// Columns are the column names, in the row order this package uses.
	Columns []string
	// row is the message one row is built in.
	row func() proto.Message
	// fields are the message's fields per column.
	fields []protoreflect.FieldDescriptor
}

// Tables is every table of the 21.4 schema, in an order in which each
// table comes after the tables its foreign keys name (nodes.allocation_id
// aside: allocations refer to nodes too, see write.go).
var Tables = []*Table{
	table("chassis", "chassis", func() proto.Message { return &pb.Chassis{} }, "id"),
	table("conductors", "conductors", func() proto.Message { return &pb.Conductor{} }, "id"),
	table("conductor_hardware_interfaces", "conductor_hardware_interfaces", func() proto.Message { return &pb.ConductorHardwareInterface{} }, "id"),
	table("nodes", "nodes", func() proto.Message { return &pb.Node{} }, "id"),
	table("allocations", "allocations", func() proto.Message { return &pb.Allocation{} }, "id"),
	table("portgroups", "portgroups", func() proto.Message { return &pb.Portgroup{} }, "id"),
	table("ports", "ports", func() proto.Message { return &pb.Port{} }, "id"),
	table("node_tags", "nodes", func() proto.Message { return &pb.NodeTag{} }, "node_id", "tag"),
	table("node_traits", "nodes", func() proto.Message { return &pb.NodeTrait{} }, "node_id", "trait"),
	table("volume_connectors", "volume_connectors", func() proto.Message { return &pb.VolumeConnector{} }, "id"),
	table("volume_targets", "volume_targets", func() proto.Message { return &pb.VolumeTarget{} }, "id"),
	table("bios_settings", "bios_settings", func() proto.Message { return &pb.BIOSSetting{} }, "node_id", "name"),
	table("deploy_templates", "deploy_templates", func() proto.Message { return &pb.DeployTemplate{} }, "id"),
	table("deploy_template_steps", "deploy_templates", func() proto.Message { return &pb.DeployTemplateStep{} }, "id"),
	table("node_history", "node_history", func() proto.Message { return &pb.NodeHistory{} }, "id"),
	table("node_inventory", "node_inventory", func() proto.Message { return &pb.NodeInventory{} }, "id"),
}

// TableByName finds a table of Tables.
func TableByName(name string) *Table {
	for _, t := range Tables {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// notColumns are the fields of the row messages that the store keeps and
// SQL does not: rows kept inside a record, a node's lock token, a
// conductor's lease.
var notColumns = map[protoreflect.FullName]bool{
	"ironic.v1.Node.tags":                 true,
	"ironic.v1.Node.traits":               true,
	"ironic.v1.Node.reservation_revision": true,
	"ironic.v1.Conductor.lease":           true,
	"ironic.v1.DeployTemplate.steps":      true,
}

func table(name, store string, row func() proto.Message, key ...string) *Table {
	t := &Table{Name: name, Key: key, Store: store, row: row}
	fields := row().ProtoReflect().Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if notColumns[fd.FullName()] {
			continue
		}
		t.Columns = append(t.Columns, string(fd.Name()))
		t.fields = append(t.fields, fd)
	}
	return t
}

// column kinds, as the rows hold them.
type kind int

const (
	kindString kind = iota
	kindInt
	kindBool
	kindTime
	kindJSON
)

func kindOf(fd protoreflect.FieldDescriptor) kind {
	switch fd.Kind() {
	case protoreflect.Int64Kind:
		return kindInt
	case protoreflect.BoolKind:
		return kindBool
	case protoreflect.BytesKind:
		return kindJSON
	case protoreflect.MessageKind:
		return kindTime
	}
	return kindString
}

// emptyJSON is the document Ironic writes for an unset JSON column.
func emptyJSON(fd protoreflect.FieldDescriptor) string {
	if proto.GetExtension(fd.Options(), pb.E_Json).(pb.JSONKind) == pb.JSONKind_JSON_LIST {
		return "[]"
	}
	return "{}"
}

// keyColumns are the positions of t's key columns in its rows.
func (t *Table) keyColumns() []int {
	out := make([]int, len(t.Key))
	for i, k := range t.Key {
		for j, c := range t.Columns {
			if c == k {
				out[i] = j
			}
		}
	}
	return out
}
