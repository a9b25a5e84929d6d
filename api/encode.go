package api

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"github.com/ironic-etcd/ironic-etcd/internal/render"
)

// Results as JSON: records as objects keyed by column name in column
// order, JSON columns inline (numbers exact), datetimes ISO 8601 UTC with
// microseconds, lists as arrays, dicts as objects, sets as arrays.
//
// The answer is written into one buffer by hand: encoding/json would
// re-scan every record a Marshaler returns (JSON columns included), which
// made a page of 1,000 nodes cost more than reading it.

// TimeLayout is how datetimes are written: Python's isoformat() of an
// aware UTC datetime, always six fraction digits.
const TimeLayout = "2006-01-02T15:04:05.000000+00:00"

// encodeResult writes a store result as JSON.
func encodeResult(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := appendValue(&b, v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func appendValue(b *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case proto.Message:
		if reflect.ValueOf(x).IsNil() {
			b.WriteString("null")
			return nil
		}
		return appendRecord(b, ironicColumns(render.Of(x)))
	case record:
		return appendRecord(b, x)
	case render.Record:
		return appendRecord(b, record(x))
	case time.Time:
		b.WriteByte('"')
		b.Write(x.UTC().AppendFormat(b.AvailableBuffer(), TimeLayout))
		b.WriteByte('"')
	case json.RawMessage:
		if len(x) == 0 {
			b.WriteString("null")
		} else {
			b.Write(x) // a stored JSON column: valid JSON (render drops any other)
		}
	case string:
		appendString(b, x)
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int64:
		b.Write(strconv.AppendInt(b.AvailableBuffer(), x, 10))
	case int:
		b.Write(strconv.AppendInt(b.AvailableBuffer(), int64(x), 10))
	case []string:
		b.WriteByte('[')
		for i, s := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			appendString(b, s)
		}
		b.WriteByte(']')
	default:
		return appendReflected(b, v)
	}
	return nil
}

// appendReflected writes slices and string-keyed maps element by element,
// anything else with encoding/json.
func appendReflected(b *bytes.Buffer, v any) error {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice:
		b.WriteByte('[')
		for i := 0; i < rv.Len(); i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := appendValue(b, rv.Index(i).Interface()); err != nil {
				return err
			}
		}
		b.WriteByte(']')
		return nil
	case reflect.Map:
		if rv.Type().Key().Kind() == reflect.String {
			out, err := json.Marshal(jsonMap(rv))
			b.Write(out)
			return err
		}
	}
	out, err := json.Marshal(v)
	b.Write(out)
	return err
}

// jsonMap converts a map's values for encoding/json (sorted keys).
func jsonMap(rv reflect.Value) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, rv.Len())
	for _, k := range rv.MapKeys() {
		raw, _ := encodeResult(rv.MapIndex(k).Interface())
		out[k.String()] = raw
	}
	return out
}

// appendString writes s as a JSON string; plain ASCII without the
// characters JSON escapes is copied, anything else goes to encoding/json.
func appendString(b *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c >= utf8.RuneSelf {
			out, _ := json.Marshal(s)
			b.Write(out)
			return
		}
	}
	b.WriteByte('"')
	b.WriteString(s)
	b.WriteByte('"')
}

// storeOnly are fields the store keeps for itself, not Ironic columns, and
// not useful to a client: a conductor's lease id (the API manages it).
// A node's reservation_revision stays: it is the lock's fencing token.
var storeOnly = map[string]string{"Conductor": "lease"}

func ironicColumns(r render.Record) record {
	if skip, ok := storeOnly[r.Type]; ok {
		cols := make([]render.Column, 0, len(r.Columns))
		for _, c := range r.Columns {
			if c.Name != skip {
				cols = append(cols, c)
			}
		}
		r.Columns = cols
	}
	return record(r)
}

// record is a record's columns in order.
type record render.Record

func appendRecord(b *bytes.Buffer, r record) error {
	b.WriteByte('{')
	for i, c := range r.Columns {
		if i > 0 {
			b.WriteByte(',')
		}
		appendString(b, c.Name)
		b.WriteByte(':')
		if err := appendValue(b, c.Value); err != nil {
			return err
		}
	}
	b.WriteByte('}')
	return nil
}

// only keeps the named columns of records (get_node_list's fields).
func only(v any, columns []string) any {
	keep := map[string]bool{}
	for _, c := range columns {
		keep[c] = true
	}
	rv := reflect.ValueOf(v)
	out := make([]any, rv.Len())
	for i := range out {
		full := render.Of(rv.Index(i).Interface().(proto.Message))
		rec := record{Type: full.Type}
		for _, c := range full.Columns {
			if keep[c.Name] {
				rec.Columns = append(rec.Columns, c)
			}
		}
		out[i] = rec
	}
	return out
}
