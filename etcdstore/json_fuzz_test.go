package etcdstore

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// FuzzJSONColumn holds what a JSON column promises: whatever it accepts
// reads back through DecodeJSON and means what was given — no string or
// key silently turned into U+FFFD.
func FuzzJSONColumn(f *testing.F) {
	for _, s := range []struct{ doc, key, val string }{
		{`{"a":"b"}`, "a", "b"}, {`{"a":"\udc00"}`, "\xff", "x"}, {`{"a":"\ud83d\ude00"}`, "k", "\xfe"},
		{`{"\\udc00":[[[]]]}`, "\ufffd", "\ufffd"}, {`{"a":"\ufffd` + "\ufffd" + `"}`, "", ""},
		{strings.Repeat(`{"a":`, 600) + "1" + strings.Repeat("}", 600), "a\x00", "\u2028"},
	} {
		f.Add([]byte(s.doc), s.key, s.val)
	}
	f.Fuzz(func(t *testing.T, doc []byte, key, val string) {
		if stored, err := encodeJSON(pb.JSONKind_JSON_OBJECT, json.RawMessage(doc)); err == nil {
			got, err := DecodeJSON(stored)
			if err != nil {
				t.Fatalf("accepted %q does not read back: %v", doc, err)
			}
			if n, max := replacements(got), bytes.Count(doc, []byte("\ufffd"))+countFold(doc, `\ufffd`); n > max {
				t.Fatalf("accepted %q reads back with %d U+FFFD, the text spells %d", doc, n, max)
			}
		}
		given := map[string]any{key: []any{val}}
		stored, err := encodeJSON(pb.JSONKind_JSON_OBJECT, given)
		valid := utf8.ValidString(key) && utf8.ValidString(val)
		if (err == nil) != valid {
			t.Fatalf("key %q, value %q: error %v", key, val, err)
		}
		if err == nil {
			if got, err := DecodeJSON(stored); err != nil || !reflect.DeepEqual(got, given) {
				t.Fatalf("key %q, value %q read back as %v (%v)", key, val, got, err)
			}
		}
	})
}

// replacements counts U+FFFD in the strings and keys of a decoded value.
func replacements(v any) int {
	switch x := v.(type) {
	case string:
		return strings.Count(x, "\ufffd")
	case []any:
		n := 0
		for _, e := range x {
			n += replacements(e)
		}
		return n
	case map[string]any:
		n := 0
		for k, e := range x {
			n += strings.Count(k, "\ufffd") + replacements(e)
		}
		return n
	}
	return 0
}

func countFold(doc []byte, s string) int {
	return strings.Count(strings.ToLower(string(doc)), s)
}
