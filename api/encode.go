package api

import (
	"bytes"
	"encoding/json"
	"reflect"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/ironic-etcd/ironic-etcd/internal/render"
)

// Results as JSON: records as objects keyed by column name in column
// order, JSON columns inline (numbers exact), datetimes ISO 8601 UTC with
// microseconds, lists as arrays, dicts as objects, sets as arrays.

// TimeLayout is how datetimes are written: Python's isoformat() of an
// aware UTC datetime, always six fraction digits.
const TimeLayout = "2006-01-02T15:04:05.000000+00:00"

// encodeResult marshals a store result.
func encodeResult(v any) ([]byte, error) { return json.Marshal(jsonValue(v)) }

// jsonValue converts a store result into values encoding/json writes as
// the API promises.
func jsonValue(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case proto.Message:
		if reflect.ValueOf(x).IsNil() {
			return nil
		}
		return ironicColumns(render.Of(x))
	case render.Record:
		return record(x)
	case time.Time:
		return x.UTC().Format(TimeLayout)
	case json.RawMessage, string, bool, int64, int, float64, json.Number:
		return x
	case map[string][]string:
		return x
	case []string:
		if x == nil {
			return []string{}
		}
		return x
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice:
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = jsonValue(rv.Index(i).Interface())
		}
		return out
	case reflect.Map:
		out := make(map[string]any, rv.Len())
		for _, k := range rv.MapKeys() {
			out[k.String()] = jsonValue(rv.MapIndex(k).Interface())
		}
		return out
	}
	return v
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

// record writes a record's columns in order.
type record render.Record

func (r record) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, c := range r.Columns {
		if i > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(c.Name)
		b.Write(name)
		b.WriteByte(':')
		val, err := json.Marshal(jsonValue(c.Value))
		if err != nil {
			return nil, err
		}
		b.Write(val)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
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
