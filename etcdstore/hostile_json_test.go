package etcdstore_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// jsonCase is one value for the JSON columns, in the form an object
// column and a list column (conductor drivers) take.
type jsonCase struct {
	name      string
	obj, list any
}

// nestedGo is a document depth levels deep, as Go values.
func nestedGo(list bool, depth int) any {
	var v any = map[string]any{}
	if list {
		v = []any{}
	}
	for i := 1; i < depth; i++ {
		if list {
			v = []any{v}
		} else {
			v = map[string]any{"a": v}
		}
	}
	return v
}

// nestedText is nestedGo as JSON text.
func nestedText(list bool, depth int) json.RawMessage {
	if list {
		return json.RawMessage(strings.Repeat("[", depth) + strings.Repeat("]", depth))
	}
	return json.RawMessage(strings.Repeat(`{"a":`, depth-1) + "{}" + strings.Repeat("}", depth-1))
}

// refusedJSON would not read back as given: invalid UTF-8 (in a string
// or a key, at any depth, as Go values or as JSON text), lone surrogates,
// nesting deeper than 500 levels.
func refusedJSON() []jsonCase {
	return []jsonCase{
		{"invalid UTF-8 in a string", map[string]any{"a": "\xff"}, []any{"\xff"}},
		{"invalid UTF-8 in a key", map[string]any{"\xfe": 1}, []any{map[string]any{"\xfe": 1}}},
		{"invalid UTF-8 in a deep key", map[string]any{"a": []any{map[string]any{"b": map[string]any{"c\xc3": true}}}}, []any{[]any{map[string]any{"c\xc3": true}}}},
		{"invalid UTF-8 in a typed map", map[string]string{"k": "v\xff"}, []string{"v\xff"}},
		{"invalid UTF-8 in a struct", struct{ A []string }{[]string{"\xff"}}, []struct{ A string }{{"\xff"}}},
		{"invalid UTF-8 in JSON text", json.RawMessage("{\"a\":\"\xff\"}"), json.RawMessage("[\"\xff\"]")},
		{"invalid UTF-8 in a key of JSON text", json.RawMessage("{\"\xff\":1}"), json.RawMessage("[{\"\xff\":1}]")},
		{"lone low surrogate", json.RawMessage(`{"a":"\udc00"}`), json.RawMessage(`["\udc00"]`)},
		{"lone high surrogate", json.RawMessage(`{"a":"x\ud800"}`), json.RawMessage(`["\ud800\u0041"]`)},
		{"lone surrogate in a key", json.RawMessage(`{"\udfff":1}`), json.RawMessage(`[{"\udfff":1}]`)},
		{"lone surrogate in JSON text inside Go values", map[string]any{"a": json.RawMessage(`"\ud800"`)}, []any{json.RawMessage(`"\ud800"`)}},
		{"501 levels", nestedGo(false, 501), nestedGo(true, 501)},
		{"501 levels of JSON text", nestedText(false, 501), nestedText(true, 501)},
		{"10,001 levels", nestedGo(false, 10001), nestedGo(true, 10001)},
	}
}

// acceptedJSON is near the limits and must read back equal.
func acceptedJSON() []jsonCase {
	return []jsonCase{
		{"U+FFFD itself", map[string]any{"a": "\ufffd", "\ufffd": "b"}, []any{"\ufffd"}},
		{"U+FFFD escaped", json.RawMessage(`{"a":"\ufffd"}`), json.RawMessage(`["\ufffd"]`)},
		{"a surrogate pair", json.RawMessage(`{"a":"\ud83d\ude00","\uD83D\uDE00":1}`), json.RawMessage(`["\ud83d\ude00"]`)},
		{"an escaped backslash before u", json.RawMessage(`{"a":"\\udc00"}`), json.RawMessage(`["\\ud800"]`)},
		{"500 levels", nestedGo(false, 500), nestedGo(true, 500)},
		{"500 levels of JSON text", nestedText(false, 500), nestedText(true, 500)},
		{"brackets inside strings", map[string]any{"a": strings.Repeat("[{", 600)}, []any{strings.Repeat("[", 600)}},
		{"a big integer", json.RawMessage(`{"n":123456789012345678901234567890}`), json.RawMessage(`[123456789012345678901234567890]`)},
	}
}

// readBack reads a record of kind again by id (a conductor by hostname).
func readBack(f *fixture, kind string, rec proto.Message) (proto.Message, error) {
	id := rec.ProtoReflect().Get(rec.ProtoReflect().Descriptor().Fields().ByName("id")).Int()
	switch kind {
	case "node":
		return f.GetNodeByID(f.ctx, id)
	case "port":
		return f.GetPortByID(f.ctx, id)
	case "portgroup":
		return f.GetPortgroupByID(f.ctx, id)
	case "chassis":
		return f.GetChassisByID(f.ctx, id)
	case "volume connector":
		return f.GetVolumeConnectorByID(f.ctx, id)
	case "volume target":
		return f.GetVolumeTargetByID(f.ctx, id)
	case "conductor":
		return f.GetConductor(f.ctx, rec.(*pb.Conductor).Hostname)
	case "allocation":
		return f.GetAllocationByID(f.ctx, id)
	}
	return nil, fmt.Errorf("no reader for %s", kind)
}

// snapshot is every key under the fixture's prefix with its revision:
// equal before and after a call means the call wrote nothing.
func (f *fixture) snapshot(t *testing.T) []string {
	t.Helper()
	resp, err := client.Get(f.ctx, f.prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(resp.Kvs))
	for i, kv := range resp.Kvs {
		out[i] = fmt.Sprintf("%s@%d", kv.Key, kv.ModRevision)
	}
	return out
}

// Issue 10 item 7: every JSON column of every record type, on create and
// on update, refuses what would not read back as given (nothing written),
// and what it accepts reads back equal through DecodeJSON.
func TestHostileJSON(t *testing.T) {
	for _, k := range hostileKinds() {
		t.Run(k.name, k.attackJSON)
	}
}

// attackJSON is TestHostileJSON on one kind.
func (k hostileKind) attackJSON(t *testing.T) {
	refused, accepted := refusedJSON(), acceptedJSON()
	f, base, ident := k.start(t)
	fields := k.msg.ProtoReflect().Descriptor().Fields()
	bootIndex := 0
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if fd.Kind() != protoreflect.BytesKind {
			continue
		}
		pick := func(c jsonCase) any {
			if proto.GetExtension(fd.Options(), pb.E_Json).(pb.JSONKind) == pb.JSONKind_JSON_LIST {
				return c.list
			}
			return c.obj
		}
		col := string(fd.Name())
		for _, c := range refused {
			before := f.snapshot(t)
			v := copyValues(base)
			v[col] = pick(c)
			_, err := k.create(f, v)
			if !errors.Is(err, etcdstore.ErrInvalidParameterValue) {
				t.Fatalf("create %s %s: got %.200v, want InvalidParameterValue", col, c.name, err)
			}
			if k.update != nil {
				_, err = k.update(f, ident, etcdstore.Values{col: pick(c)})
				if !errors.Is(err, etcdstore.ErrInvalidParameterValue) {
					t.Fatalf("update %s %s: got %.200v, want InvalidParameterValue", col, c.name, err)
				}
			}
			if after := f.snapshot(t); !slices.Equal(before, after) {
				t.Fatalf("refused %s %s wrote something", col, c.name)
			}
		}
		for _, c := range accepted {
			v := copyValues(base)
			v[col] = pick(c)
			if fields.ByName("boot_index") != nil { // unique per node
				bootIndex++
				v["boot_index"] = bootIndex
			}
			rec, err := k.create(f, v)
			if err != nil {
				t.Fatalf("create %s %s: %v", col, c.name, err)
			}
			assertJSONReadsBack(t, f, k, rec, fd, pick(c))
			if k.update != nil {
				if rec, err = k.update(f, ident, etcdstore.Values{col: pick(c)}); err != nil {
					t.Fatalf("update %s %s: %v", col, c.name, err)
				}
				assertJSONReadsBack(t, f, k, rec, fd, pick(c))
			}
		}
	}
}

// assertJSONReadsBack reads rec again and checks that column fd decodes
// to what was given.
func assertJSONReadsBack(t *testing.T, f *fixture, k hostileKind, rec proto.Message, fd protoreflect.FieldDescriptor, given any) {
	t.Helper()
	kind := k.name
	got, err := readBack(f, kind, rec)
	if k.read != nil {
		got, err = k.read(f, rec.ProtoReflect().Get(rec.ProtoReflect().Descriptor().Fields().ByName("id")).Int())
	}
	if err != nil {
		t.Fatal(err)
	}
	stored, err := etcdstore.DecodeJSON(got.ProtoReflect().Get(fd).Bytes())
	if err != nil {
		t.Fatalf("%s %s does not read back: %v", kind, fd.Name(), err)
	}
	text, err := json.Marshal(given)
	if err != nil {
		t.Fatal(err)
	}
	want, err := etcdstore.DecodeJSON(text)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(stored, want) {
		t.Fatalf("%s %s reads back as %.200v, want %.200v", kind, fd.Name(), stored, want)
	}
}
