package api_test

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/api"
)

// Hostile requests through the wire: each is refused with 400 (403 for
// test-mode features) and a typed error saying what was wrong, and
// nothing is written.
func TestHostileRequests(t *testing.T) {
	s := startAPI(t, api.Config{MaxBodyBytes: 64 << 10})
	node := s.ok(t, "create_node", obj{"values": obj{"name": "n"}}).Obj(t)
	id := node["id"]
	big := `{"values": {"extra": {"x": "` + strings.Repeat("a", 70<<10) + `"}}}`
	deep := strings.Repeat(`[`, 20000) + strings.Repeat(`]`, 20000)
	cases := []struct {
		name, method, body, want string
		status                   int
	}{
		{"not JSON", "get_node_by_id", `{"node_id": `, "MalformedRequest", 400},
		{"an array", "get_node_by_id", `[1]`, "MalformedRequest", 400},
		{"a string", "get_node_by_id", `"x"`, "MalformedRequest", 400},
		{"null", "get_node_by_id", `null`, "MalformedRequest", 400},
		{"trailing data", "get_node_by_id", `{"node_id": 1} {}`, "MalformedRequest", 400},
		{"duplicate argument", "update_node", `{"node_id": 1, "node_id": 2, "values": {}}`, "MalformedRequest", 400},
		{"invalid UTF-8", "create_node", "{\"values\": {\"name\": \"\xff\xfe\"}}", "MalformedRequest", 400},
		{"lone surrogate escape in a name", "create_node", `{"values": {"name": "a\udcffb"}}`, "MalformedRequest", 400},
		{"lone surrogate escape in a JSON column", "create_node", `{"values": {"extra": {"k": "\ud800"}}}`, "MalformedRequest", 400},
		{"low surrogate first", "create_node", `{"values": {"name": "\udc00\ud800"}}`, "MalformedRequest", 400},
		{"deep nesting", "create_node", `{"values": {"extra": ` + deep + `}}`, "MalformedRequest", 400},
		{"oversized body", "create_node", big, "RequestTooLarge", 400},
		{"unknown method", "drop_database", `{}`, "UnknownMethod", 400},
		{"unknown method with path tricks", "..%2Fhealthz", `{}`, "UnknownMethod", 400},
		{"unknown argument", "get_node_by_id", `{"node_id": 1, "sql": "1=1"}`, "UnknownArgument", 400},
		{"missing argument", "get_node_by_id", `{}`, "MissingArgument", 400},
		{"required null", "get_node_by_id", `{"node_id": null}`, "InvalidArgumentType", 400},
		{"string for integer", "get_node_by_id", `{"node_id": "1"}`, "InvalidArgumentType", 400},
		{"float for integer", "get_node_by_id", `{"node_id": 1.5}`, "InvalidArgumentType", 400},
		{"integer beyond 64 bits", "get_node_by_id", `{"node_id": 99999999999999999999}`, "InvalidArgumentType", 400},
		{"bool for ident", "destroy_node", `{"node_id": true}`, "InvalidArgumentType", 400},
		{"object for string", "reserve_node", `{"tag": {}, "node_id": 1}`, "InvalidArgumentType", 400},
		{"values not an object", "create_node", `{"values": [1]}`, "InvalidArgumentType", 400},
		{"strings not strings", "set_node_tags", `{"node_id": 1, "tags": [1, 2]}`, "InvalidArgumentType", 400},
		{"bad marker", "get_node_list", `{"marker": {"id": "x"}}`, "InvalidArgumentType", 400},
		{"negative interval", "get_active_driver_dict", `{"interval": -1}`, "InvalidArgumentType", 400},
		{"unknown filter", "get_node_list", `{"filters": {"drop": true}}`, "InvalidParameterValue", 400},
		{"bad sort key", "get_node_list", `{"sort_key": "../x"}`, "InvalidParameterValue", 400},
		{"negative limit", "get_node_list", `{"limit": -5}`, "InvalidParameterValue", 400},
		{"bad datetime", "update_node", `{"node_id": 1, "values": {"provision_updated_at": "yesterday"}}`, "InvalidArgumentType", 400},
		{"JSON column of the wrong kind", "update_node", `{"node_id": 1, "values": {"extra": [1]}}`, "InvalidParameterValue", 400},
		{"NUL in a name", "update_node", `{"node_id": 1, "values": {"name": "a\u0000b"}}`, "InvalidParameterValue", 400},
		{"21.4 filter not a string", "get_port_list", `{"owner": 5}`, "InvalidArgumentType", 400},
		{"owner where 21.4 takes none", "get_portgroup_list", `{"owner": "p1"}`, "UnknownArgument", 400},
		{"reset without --testing", "reset_for_tests", `{}`, "TestingModeOnly", 403},
	}
	for _, c := range cases {
		before := keysUnder(t, s.Prefix)
		body := strings.ReplaceAll(c.body, `"node_id": 1`, `"node_id": `+string(mustJSON(t, id)))
		a := s.raw(t, c.method, []byte(body))
		if a.Status != c.status || a.ErrorType() != c.want {
			t.Errorf("%s: %d %.300s, want %d %s", c.name, a.Status, a.Body, c.status, c.want)
		}
		if e, _ := a.Obj(t)["error"].(obj); e == nil || e["message"] == "" {
			t.Errorf("%s: no message", c.name)
		}
		if after := keysUnder(t, s.Prefix); !slices.Equal(before, after) {
			t.Errorf("%s: keys changed", c.name)
		}
	}
	// The clock header is refused without --testing: a client's clock
	// never decides liveness.
	a := s.call(t, "get_offline_conductors", obj{}, api.NowHeader, "2030-01-01T00:00:00Z")
	if a.Status != http.StatusForbidden || a.ErrorType() != "TestingModeOnly" {
		t.Errorf("now header without --testing: %d %s", a.Status, a.Body)
	}
	// Wrong HTTP methods.
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/v1/get_node_list", nil)
	if a := do(t, req); a.Status != http.StatusMethodNotAllowed {
		t.Errorf("GET on a method: %d", a.Status)
	}
	req, _ = http.NewRequest(http.MethodPost, s.URL+"/v1/openapi.json", bytes.NewReader(nil))
	if a := do(t, req); a.Status != http.StatusBadRequest {
		t.Errorf("POST on openapi.json: %d", a.Status)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := jsonMarshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
