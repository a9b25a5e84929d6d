package etcdstore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Values holds the fields of a create or update, keyed by Ironic column
// name, as the reference's `values` dict. A nil value is SQL NULL.
//
// Accepted Go types per column kind:
//   - string columns: string;
//   - integer columns: int, int32, int64, uint32, json.Number or an
//     integral float64 below 2^53;
//   - boolean columns: bool;
//   - datetime columns: time.Time, *time.Time;
//   - JSON columns: map[string]any, []any (conductor drivers), []string,
//     json.RawMessage, or any value encoding/json marshals to the right
//     kind of document, at most 512 KiB and 500 levels deep.
//
// Anything else, an unknown column, invalid UTF-8 (in a JSON column too:
// any string or key, or a \u escape of a lone surrogate) or a value longer
// than the SQL column is refused with InvalidParameterValue before any
// write.
type Values map[string]any

// maxJSONBytes bounds one JSON column; a record must fit in one etcd
// request (1.5 MiB by default) with room for its index keys.
const maxJSONBytes = 512 << 10

// maxTextBytes bounds text columns without an SQL size (last_error,
// maintenance_reason): MySQL's TEXT holds 64 KiB.
const maxTextBytes = 64 << 10

// field finds a settable column of m by name.
func field(m protoreflect.Message, name string) (protoreflect.FieldDescriptor, bool) {
	fd := m.Descriptor().Fields().ByName(protoreflect.Name(name))
	if fd == nil || derivedField(fd) {
		return nil, false
	}
	return fd, true
}

// derivedField reports the fields the store fills itself: they are not
// columns a caller may write or sort by.
func derivedField(fd protoreflect.FieldDescriptor) bool {
	return derivedFields[fd.ContainingMessage().Name()][fd.Name()]
}

// derivedFields are, per record type, the fields that are not Ironic
// columns: the store maintains them.
var derivedFields = map[protoreflect.Name]map[protoreflect.Name]bool{
	"Node":      {"tags": true, "traits": true, "reservation_revision": true},
	"Conductor": {"lease": true},
	// A deploy template's steps are set through their own rules
	// (deploy_template_steps.go), not as a column.
	"DeployTemplate": {"steps": true},
}

// notNullBools are the boolean columns declared NOT NULL (nullable=False
// in models.py): NULL is refused, where the seed's nullable booleans
// (maintenance, console_enabled, ...) take their default.
var notNullBools = map[protoreflect.Name]map[protoreflect.Name]bool{
	"Node": {"protected": true},
}

// jsonKind is the JSON document a bytes column holds.
func jsonKind(fd protoreflect.FieldDescriptor) pb.JSONKind {
	return proto.GetExtension(fd.Options(), pb.E_Json).(pb.JSONKind)
}

func maxLen(fd protoreflect.FieldDescriptor) int {
	if n := proto.GetExtension(fd.Options(), pb.E_MaxLen).(int32); n > 0 {
		return int(n)
	}
	return maxTextBytes
}

// setValue stores v into column name of m, converting and validating it.
func setValue(m protoreflect.Message, name string, v any) error {
	fd, ok := field(m, name)
	if !ok {
		return invalidParam("unknown field %q for %s", name, m.Descriptor().Name())
	}
	if v == nil {
		return setNull(m, fd)
	}
	if s, ok := v.(string); ok && uuidColumn(name) {
		v = CanonicalUUID(s) // one spelling per uuid, whichever form was given
	}
	pv, err := convert(fd, v)
	if err != nil {
		return invalidLike(err, "field %q: %v", name, err)
	}
	m.Set(fd, pv)
	return nil
}

// setNull clears a column: NULL for nullable scalars and datetimes, the
// empty document for JSON, the zero value (the reference's default is
// applied by create) for booleans.
func setNull(m protoreflect.Message, fd protoreflect.FieldDescriptor) error {
	switch {
	case notNullBools[fd.ContainingMessage().Name()][fd.Name()]:
		return invalidParam("field %q may not be null", fd.Name())
	case fd.Kind() == protoreflect.BytesKind:
		m.Set(fd, protoreflect.ValueOfBytes(emptyJSON(fd)))
	case fd.HasPresence() || fd.Kind() == protoreflect.BoolKind:
		m.Clear(fd)
	default:
		return invalidParam("field %q may not be null", fd.Name())
	}
	return nil
}

func emptyJSON(fd protoreflect.FieldDescriptor) []byte {
	if jsonKind(fd) == pb.JSONKind_JSON_LIST {
		return []byte("[]")
	}
	return []byte("{}")
}

func convert(fd protoreflect.FieldDescriptor, v any) (protoreflect.Value, error) {
	switch fd.Kind() {
	case protoreflect.StringKind:
		s, ok := v.(string)
		if !ok {
			return protoreflect.Value{}, fmt.Errorf("want a string, got %T", v)
		}
		if !utf8.ValidString(s) {
			return protoreflect.Value{}, fmt.Errorf("not valid UTF-8")
		}
		if n := utf8.RuneCountInString(s); n > maxLen(fd) {
			return protoreflect.Value{}, fmt.Errorf("%d characters, at most %d allowed", n, maxLen(fd))
		}
		return protoreflect.ValueOfString(s), nil
	case protoreflect.Int64Kind:
		n, err := toInt64(v)
		if err != nil {
			return protoreflect.Value{}, err
		}
		return protoreflect.ValueOfInt64(n), nil
	case protoreflect.BoolKind:
		b, ok := v.(bool)
		if !ok {
			return protoreflect.Value{}, fmt.Errorf("want a bool, got %T", v)
		}
		return protoreflect.ValueOfBool(b), nil
	case protoreflect.BytesKind:
		doc, err := encodeJSON(jsonKind(fd), v)
		if err != nil {
			return protoreflect.Value{}, err
		}
		return protoreflect.ValueOfBytes(doc), nil
	case protoreflect.MessageKind:
		if fd.Message().FullName() == "google.protobuf.Timestamp" {
			t, err := toTime(v)
			if err != nil {
				return protoreflect.Value{}, err
			}
			return protoreflect.ValueOfMessage(timestamppb.New(t).ProtoReflect()), nil
		}
	}
	return protoreflect.Value{}, fmt.Errorf("cannot be set")
}

func toInt64(v any) (int64, error) {
	switch x := v.(type) {
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case int64:
		return x, nil
	case uint32:
		return int64(x), nil
	case json.Number:
		n, err := x.Int64()
		if err != nil {
			return 0, fmt.Errorf("%q is not an integer", x)
		}
		return n, nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x), nil
		}
		return 0, fmt.Errorf("%v is not an integer", x)
	}
	return 0, fmt.Errorf("want an integer, got %T", v)
}

// toTime accepts a time and keeps it as Python's datetime does: UTC,
// microseconds.
func toTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Truncate(time.Microsecond), nil
	case *time.Time:
		if x != nil {
			return x.UTC().Truncate(time.Microsecond), nil
		}
	}
	return time.Time{}, fmt.Errorf("want a time.Time, got %T", v)
}

// encodeJSON renders a JSON column as compact JSON text of the wanted
// kind; integers keep every digit (json.Number and int64 survive).
func encodeJSON(kind pb.JSONKind, v any) ([]byte, error) {
	var buf bytes.Buffer
	raw, isText := v.(json.RawMessage)
	if isText {
		if err := json.Compact(&buf, raw); err != nil {
			return nil, fmt.Errorf("not valid JSON: %v", err)
		}
	} else {
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return nil, fmt.Errorf("not JSON-encodable: %v", err)
		}
	}
	doc := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if !utf8.Valid(doc) {
		return nil, errInvalidUTF8
	}
	if len(doc) > maxJSONBytes {
		return nil, sqlRefused{fmt.Errorf("%d bytes of JSON, at most %d allowed", len(doc), maxJSONBytes), ReferenceDBDataError}
	}
	if err := checkJSONText(doc); err != nil {
		return nil, err
	}
	if !isText {
		if err := checkGoStrings(reflect.ValueOf(v)); err != nil {
			return nil, err
		}
	}
	open, name := byte('{'), "object"
	if kind == pb.JSONKind_JSON_LIST {
		open, name = '[', "list"
	}
	if string(doc) == "null" {
		return []byte{open, open + 2}, nil // "{}" or "[]"
	}
	if len(doc) == 0 || doc[0] != open {
		return nil, sqlRefused{fmt.Errorf("want a JSON %s", name), ReferenceDBError}
	}
	return doc, nil
}

// DecodeJSON decodes a stored JSON column into Go values, keeping numbers
// exact (json.Number).
func DecodeJSON(doc []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// ColumnValue reads column fd of a record as a Go value: nil for NULL,
// string, int64, bool, time.Time (UTC), or json.RawMessage (a copy) for
// JSON columns. Tools that render records use it.
func ColumnValue(m protoreflect.Message, fd protoreflect.FieldDescriptor) any { return getValue(m, fd) }

// getValue reads column fd of m as a Go value: nil for NULL, string,
// int64, bool, time.Time, or json.RawMessage for JSON columns.
func getValue(m protoreflect.Message, fd protoreflect.FieldDescriptor) any {
	if fd.HasPresence() && !m.Has(fd) {
		return nil
	}
	v := m.Get(fd)
	switch fd.Kind() {
	case protoreflect.StringKind:
		return v.String()
	case protoreflect.Int64Kind:
		return v.Int()
	case protoreflect.BoolKind:
		return v.Bool()
	case protoreflect.BytesKind:
		return json.RawMessage(bytes.Clone(v.Bytes())) // the record may be the read cache's
	case protoreflect.MessageKind:
		if ts, ok := v.Message().Interface().(*timestamppb.Timestamp); ok {
			return ts.AsTime()
		}
	}
	return v.Interface()
}
