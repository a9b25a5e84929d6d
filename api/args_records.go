package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// Argument types that carry records: a values dict, a paging marker, the
// node filters. They know the record type, so JSON columns stay JSON
// documents (exact numbers, as sent) and datetimes are parsed.

// tValues is a create/update values dict of record type newMsg.
func tValues(newMsg func() proto.Message) ArgType {
	return ArgType{Schema: map[string]any{"$ref": schemaRef(newMsg())},
		decode: func(raw json.RawMessage) (any, error) {
			var cols map[string]json.RawMessage
			if err := json.Unmarshal(raw, &cols); err != nil || cols == nil {
				return nil, want("an object of column values", raw)
			}
			fields := newMsg().ProtoReflect().Descriptor().Fields()
			values := make(etcdstore.Values, len(cols))
			for name, col := range cols {
				v, err := columnValue(fields.ByName(protoreflect.Name(name)), col)
				if err != nil {
					return nil, fmt.Errorf("column %s: %v", name, err)
				}
				values[name] = v
			}
			return values, nil
		}}
}

// columnValue turns one JSON column value into what etcdstore.Values
// takes; the store validates it (an unknown column, a wrong type: its
// InvalidParameterValue).
func columnValue(fd protoreflect.FieldDescriptor, raw json.RawMessage) (any, error) {
	raw = bytes.TrimSpace(raw)
	if bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	if fd != nil && fd.Kind() == protoreflect.BytesKind {
		var doc bytes.Buffer // a JSON column: the document as sent, numbers exact, compacted
		if err := json.Compact(&doc, raw); err != nil {
			return nil, err
		}
		return json.RawMessage(doc.Bytes()), nil
	}
	if fd != nil && isTimestamp(fd) {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, want("an ISO 8601 time", raw)
		}
		return parseTime(s)
	}
	var v any
	if err := decodeExact(raw, &v); err != nil {
		return nil, err
	}
	return v, nil
}

func isTimestamp(fd protoreflect.FieldDescriptor) bool {
	return fd.Kind() == protoreflect.MessageKind && fd.Message().FullName() == "google.protobuf.Timestamp"
}

// timeLayouts are the ISO 8601 forms accepted: with a zone (RFC 3339), or
// without one as Python's naive isoformat() writes UTC times.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"}

// parseTime reads an ISO 8601 time; a time without a zone is UTC.
func parseTime(s string) (time.Time, error) {
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an ISO 8601 time", s)
}

// tMarker is a paging marker: the last record of the previous page, as
// the API returned it (only its id and sort column matter).
func tMarker(newMsg func() proto.Message) ArgType {
	return ArgType{Schema: map[string]any{"$ref": schemaRef(newMsg())},
		decode: func(raw json.RawMessage) (any, error) {
			var cols map[string]json.RawMessage
			if err := json.Unmarshal(raw, &cols); err != nil || cols == nil {
				return nil, want("a record object", raw)
			}
			m := newMsg()
			r := m.ProtoReflect()
			if _, ok := cols["id"]; !ok {
				return nil, fmt.Errorf("the marker has no id")
			}
			for name, col := range cols {
				fd := r.Descriptor().Fields().ByName(protoreflect.Name(name))
				if fd == nil || fd.IsList() || fd.Kind() == protoreflect.BytesKind {
					continue // not a sort column: the marker is a whole record as returned
				}
				if err := setMarkerField(r, fd, col); err != nil {
					return nil, fmt.Errorf("marker column %s: %v", name, err)
				}
			}
			return m, nil
		}}
}

func setMarkerField(r protoreflect.Message, fd protoreflect.FieldDescriptor, raw json.RawMessage) error {
	v, err := columnValue(fd, raw)
	if err != nil || v == nil {
		return err
	}
	switch x := v.(type) {
	case time.Time:
		r.Set(fd, protoreflect.ValueOfMessage(timestamppb.New(x).ProtoReflect()))
		return nil
	case string:
		if fd.Kind() == protoreflect.StringKind {
			r.Set(fd, protoreflect.ValueOfString(x))
			return nil
		}
	case bool:
		if fd.Kind() == protoreflect.BoolKind {
			r.Set(fd, protoreflect.ValueOfBool(x))
			return nil
		}
	case json.Number:
		if fd.Kind() == protoreflect.Int64Kind {
			n, err := strconv.ParseInt(x.String(), 10, 64)
			if err != nil {
				return err
			}
			r.Set(fd, protoreflect.ValueOfInt64(n))
			return nil
		}
	}
	return fmt.Errorf("wrong type %T", v)
}

// tFilters is the filters dict of the node lists.
var tFilters = ArgType{Schema: map[string]any{"type": "object", "description": "node filters: " +
	strings.Join(etcdstore.NodeFilterNames(), ", ")},
	decode: func(raw json.RawMessage) (any, error) {
		var m map[string]any
		if err := decodeExact(raw, &m); err != nil || m == nil {
			return nil, want("an object of filters", raw)
		}
		for k, v := range m {
			if n, ok := v.(json.Number); ok {
				if i, err := n.Int64(); err == nil {
					m[k] = i
				} else if f, err := n.Float64(); err == nil {
					m[k] = f
				}
			}
		}
		return etcdstore.ParseNodeFilters(m)
	}}

// listArgs are the paging arguments of every list method.
func listArgs(newMsg func() proto.Message) []Arg {
	return []Arg{
		{Name: "limit", Type: tInteger},
		{Name: "marker", Type: tMarker(newMsg)},
		{Name: "sort_key", Type: tString},
		{Name: "sort_dir", Type: ArgType{Schema: map[string]any{"type": "string",
			"enum": []any{"asc", "desc", "asc-nullsfirst", "asc-nullslast", "desc-nullsfirst", "desc-nullslast"}},
			decode: tString.decode}},
	}
}

// ListOptions reads the paging arguments.
func (c *Call) ListOptions() etcdstore.ListOptions {
	var o etcdstore.ListOptions
	if n, ok := c.args["limit"].(int64); ok {
		limit := int(max(min(n, 1<<31), -1))
		o.Limit = &limit
	}
	if m, ok := c.args["marker"].(proto.Message); ok {
		o.Marker = m
	}
	o.SortKey, o.SortDir = c.Str("sort_key"), c.Str("sort_dir")
	return o
}

// Values reads a values dict.
func (c *Call) Values(name string) etcdstore.Values {
	v, _ := c.args[name].(etcdstore.Values)
	return v
}

// Filter reads the node filters (none: every node).
func (c *Call) Filter(name string) etcdstore.NodeFilter {
	f, _ := c.args[name].(etcdstore.NodeFilter)
	return f
}
