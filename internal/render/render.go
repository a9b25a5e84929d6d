// Package render turns stored records into JSON and table rows for
// people and scripts: Ironic column names, JSON columns inline (not
// base64, numbers exact), timestamps in RFC 3339, NULL as null.
package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Tables maps the key segment of each table to a new record of its type.
var Tables = map[string]func() proto.Message{
	"nodes":                         func() proto.Message { return &pb.Node{} },
	"ports":                         func() proto.Message { return &pb.Port{} },
	"portgroups":                    func() proto.Message { return &pb.Portgroup{} },
	"chassis":                       func() proto.Message { return &pb.Chassis{} },
	"conductors":                    func() proto.Message { return &pb.Conductor{} },
	"conductor_hardware_interfaces": func() proto.Message { return &pb.ConductorHardwareInterface{} },
	"volume_connectors":             func() proto.Message { return &pb.VolumeConnector{} },
	"volume_targets":                func() proto.Message { return &pb.VolumeTarget{} },
	"deploy_templates":              func() proto.Message { return &pb.DeployTemplate{} },
	"node_history":                  func() proto.Message { return &pb.NodeHistory{} },
	"node_inventory":                func() proto.Message { return &pb.NodeInventory{} },
	"allocations":                   func() proto.Message { return &pb.Allocation{} },
	"bios_settings":                 func() proto.Message { return &pb.NodeBIOSSettings{} },
}

// TableNames lists Tables' keys in a stable order.
func TableNames() []string {
	names := make([]string, 0, len(Tables))
	for n := range Tables {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Record is a record as an ordered list of columns, for JSON output.
type Record struct {
	Type    string
	Columns []Column
}

// Column is one named value: nil, string, int64, bool, a time, a
// json.RawMessage, or a list of records (a node's tags).
type Column struct {
	Name  string
	Value any
}

// Of renders m column by column, in field order.
func Of(m proto.Message) Record {
	r := m.ProtoReflect()
	fields := r.Descriptor().Fields()
	out := Record{Type: string(r.Descriptor().Name())}
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		out.Columns = append(out.Columns, Column{Name: string(fd.Name()), Value: value(r, fd)})
	}
	return out
}

func value(r protoreflect.Message, fd protoreflect.FieldDescriptor) any {
	if fd.IsList() {
		list := r.Get(fd).List()
		items := make([]Record, list.Len())
		for i := range items {
			items[i] = Of(list.Get(i).Message().Interface())
		}
		return items
	}
	v := etcdstore.ColumnValue(r, fd)
	if raw, ok := v.(json.RawMessage); ok && !json.Valid(raw) {
		return nil // never stored so; an empty column of a hand-made record
	}
	return v
}

// MarshalJSON writes the columns in order.
func (r Record) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, c := range r.Columns {
		if i > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(c.Name)
		b.Write(name)
		b.WriteByte(':')
		v := c.Value
		if t, ok := v.(time.Time); ok {
			v = t.Format(time.RFC3339Nano)
		}
		val, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		b.Write(val)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// JSON renders m as indented JSON.
func JSON(m proto.Message) ([]byte, error) {
	return json.MarshalIndent(Of(m), "", "  ")
}

// Cell renders one column for a table cell.
func Cell(m proto.Message, column string) string {
	r := m.ProtoReflect()
	fd := r.Descriptor().Fields().ByName(protoreflect.Name(column))
	if fd == nil {
		return ""
	}
	switch v := value(r, fd).(type) {
	case nil:
		return "-"
	case time.Time:
		return v.Format(time.RFC3339)
	case json.RawMessage:
		return string(v)
	case []Record:
		var names []string
		for _, rec := range v {
			for _, c := range rec.Columns {
				if c.Name == "tag" {
					names = append(names, fmt.Sprint(c.Value))
				}
			}
		}
		return strings.Join(names, ",")
	default:
		return fmt.Sprint(v)
	}
}

// Decode reads a stored value as a record of table, refusing bytes that
// are not one: unknown fields or JSON columns that are not JSON.
func Decode(table string, value []byte) (proto.Message, error) {
	newMsg, ok := Tables[table]
	if !ok {
		return nil, fmt.Errorf("unknown table %q (known: %s)", table, strings.Join(TableNames(), ", "))
	}
	m := newMsg()
	if err := proto.Unmarshal(value, m); err != nil {
		return nil, err
	}
	r := m.ProtoReflect()
	if len(r.GetUnknown()) > 0 {
		return nil, fmt.Errorf("not a %s record: unknown fields", table)
	}
	fields := r.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if fd.Kind() != protoreflect.BytesKind || fd.IsList() {
			continue
		}
		if b := r.Get(fd).Bytes(); len(b) > 0 && !json.Valid(b) {
			return nil, fmt.Errorf("not a %s record: column %s is not JSON", table, fd.Name())
		}
	}
	return m, nil
}

// Guess decodes a value whose table is unknown: the first table (by the
// table's keys order, nodes first) whose decoding is clean and whose id
// is set. It says which table it chose.
func Guess(value []byte) (string, proto.Message, error) {
	order := append([]string{"nodes", "ports", "portgroups"}, TableNames()...)
	seen := map[string]bool{}
	for _, t := range order {
		if seen[t] {
			continue
		}
		seen[t] = true
		m, err := Decode(t, value)
		if err == nil && m.ProtoReflect().Get(m.ProtoReflect().Descriptor().Fields().ByName("id")).Int() > 0 {
			return t, m, nil
		}
	}
	return "", nil, fmt.Errorf("the value decodes as no record type; name one with --type")
}

// TableOfKey returns the table a record key belongs to under prefix.
func TableOfKey(prefix, key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok {
		return "", false
	}
	table, _, ok := strings.Cut(rest, "/")
	_, known := Tables[table]
	return table, ok && known
}
