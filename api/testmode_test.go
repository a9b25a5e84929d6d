package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/ironic-etcd/ironic-etcd/api"
)

// With --testing, X-Ironic-Etcd-Now sets "now" for one request and
// reset_for_tests empties the store (ids start again at 1).
func TestTestingMode(t *testing.T) {
	s := startAPI(t, api.Config{Testing: true})
	n := s.ok(t, "create_node", obj{"values": obj{"name": "a"}}, api.NowHeader, "2020-02-03T04:05:06.123456").Obj(t)
	if n["created_at"] != "2020-02-03T04:05:06.123456+00:00" {
		t.Fatalf("created_at %v", n["created_at"])
	}
	// The next request without the header is back on the real clock.
	m := s.ok(t, "create_node", obj{"values": obj{"name": "b"}}).Obj(t)
	if m["created_at"] == n["created_at"] || m["created_at"].(string) < "2026" {
		t.Fatalf("clock not restored: %v", m["created_at"])
	}
	if a := s.call(t, "get_node_list", obj{}, api.NowHeader, "not a time"); a.Status != http.StatusBadRequest {
		t.Fatalf("bad now header: %d %s", a.Status, a.Body)
	}
	// Conductors follow the reference's time rules here, so moving "now"
	// moves their liveness: offline an hour later, not now.
	s.ok(t, "register_conductor", obj{"values": obj{"hostname": "c1", "drivers": []string{"ipmi"}}})
	if got := s.ok(t, "get_offline_conductors", obj{}).JSON(t).([]any); len(got) != 0 {
		t.Fatalf("offline now: %v", got)
	}
	later := time.Now().UTC().Add(time.Hour).Format(time.RFC3339Nano)
	if got := s.ok(t, "get_offline_conductors", obj{}, api.NowHeader, later).JSON(t).([]any); len(got) != 1 {
		t.Fatalf("offline an hour later: %v", got)
	}
	if got := s.ok(t, "get_active_driver_dict", obj{"interval": 60}, api.NowHeader, later).Obj(t); len(got) != 0 {
		t.Fatalf("active an hour later: %v", got)
	}
	s.ok(t, "reset_for_tests", obj{})
	if keys := keysUnder(t, s.Prefix); len(keys) != 0 {
		t.Fatalf("keys after reset: %v", keys)
	}
	if got := s.ok(t, "get_node_list", obj{}).JSON(t).([]any); len(got) != 0 {
		t.Fatalf("nodes after reset: %v", got)
	}
	if c := s.ok(t, "create_node", obj{"values": obj{"name": "a"}}).Obj(t); c["id"].(interface{ String() string }).String() != "1" {
		t.Fatalf("first id after reset: %v", c["id"])
	}
	if list := s.get(t, "/v1/").Obj(t)["methods"].([]any); len(list) != len(api.Routes()) {
		t.Fatalf("testing server lists %d methods, %d routes", len(list), len(api.Routes()))
	}
}
