package api

import (
	"errors"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// Any body, for any route: decoding never panics, and a refusal is typed
// (a request error or the store's InvalidParameterValue), never untyped.
func FuzzDecodeArguments(f *testing.F) {
	for _, seed := range []string{`{}`, `{"node_id": 1}`, `{"values": {"extra": {"a": [1, 2.5e400]}}}`,
		`{"marker": {"id": 3, "name": "x", "created_at": "2026-01-01T00:00:00Z"}, "limit": 2}`,
		`{"filters": {"provisioned_before": 60, "reserved_by_any_of": ["a"]}}`, `{"interfaces": [{"hardware_type": 1}]}`,
		`{"a": 1, "a": 2}`, `[`, "\xff"} {
		f.Add(seed)
	}
	routes := Routes()
	f.Fuzz(func(t *testing.T, body string) {
		obj, err := decodeBody([]byte(body))
		if err != nil {
			var re *requestError
			if !errors.As(err, &re) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		for _, r := range routes {
			if _, err := r.bind(obj); err != nil {
				var re *requestError
				var se *etcdstore.Error
				if !errors.As(err, &re) && !errors.As(err, &se) {
					t.Fatalf("%s: untyped error %v", r.Name, err)
				}
			}
		}
	})
}
