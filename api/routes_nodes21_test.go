package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/api"
)

// The 21.4 node columns, filters and methods through HTTP: what a 21.4
// conductor sends and asks.
func TestNodeRoutes21(t *testing.T) {
	s := startAPI(t, api.Config{})
	a := s.ok(t, "create_node", obj{"values": obj{"name": "a", "version": "1.40", "conductor_group": "g1", "owner": "p1",
		"bios_interface": "no-bios", "rescue_interface": "no-rescue", "shard": "s1", "provision_state": "active"}}).Obj(t)
	if a["conductor_group"] != "g1" || a["protected"] != false || a["retired"] != false || a["automated_clean"] != nil ||
		a["version"] != "1.40" || fmt.Sprint(a["traits"]) != "[]" {
		t.Fatalf("created: %v", a)
	}
	b := s.ok(t, "create_node", obj{"values": obj{"name": "b", "lessee": "p1", "description": "Hello World"}}).Obj(t)
	for _, values := range []obj{{"traits": []string{"CUSTOM_X"}}, {"conductor_group": nil}, {"protected": nil}} {
		if got := s.call(t, "create_node", obj{"values": values}); got.Status != http.StatusBadRequest || got.ErrorType() != "InvalidParameterValue" {
			t.Errorf("create %v: %d %s", values, got.Status, got.Body)
		}
	}

	// get_nodeinfo_list as a 21.4 conductor asks it.
	rows := s.ok(t, "get_nodeinfo_list", obj{"columns": []string{"id", "conductor_group", "driver", "maintenance"},
		"filters": obj{"maintenance": false, "conductor_group": "g1", "provision_state_in": []string{"active"}, "uuid_in": []string{a["uuid"].(string)}}})
	if got := fmt.Sprint(rows.JSON(t)); got != fmt.Sprintf("[[%v g1 <nil> false]]", a["id"]) {
		t.Fatalf("rows %s", rows.Body)
	}
	for filters, want := range map[string][]any{
		`{"project": "p1"}`:                                       {a["id"], b["id"]},
		`{"description_contains": "world"}`:                       {b["id"]},
		`{"sharded": false}`:                                      {b["id"]},
		`{"shard_in": ["s1"], "id": ` + fmt.Sprint(a["id"]) + `}`: {a["id"]},
	} {
		got := s.ok(t, "get_nodeinfo_list", `{"filters": `+filters+`}`).JSON(t).([]any)
		if fmt.Sprint(got) != fmt.Sprint(wrapRows(want)) {
			t.Errorf("%s: %v, want %v", filters, got, want)
		}
	}
	if got := s.call(t, "get_node_list", obj{"filters": obj{"bad_filter": "foo"}}); got.Status != http.StatusBadRequest ||
		!strings.Contains(string(got.Body), "bad_filter") {
		t.Errorf("unknown filter: %d %s", got.Status, got.Body)
	}

	// fields: only the asked columns and the id; none: every column.
	list := s.ok(t, "get_node_list", obj{"fields": []string{"uuid", "traits", "owner"}, "sort_key": "shard"}).JSON(t).([]any)
	if n := list[1].(obj); len(n) != 4 || n["owner"] != "p1" || n["id"] != a["id"] || fmt.Sprint(n["traits"]) != "[]" {
		t.Fatalf("fields: %v", list)
	}
	if n := s.ok(t, "get_node_list", obj{"fields": []string{}}).JSON(t).([]any)[0].(obj); len(n) < 40 {
		t.Fatalf("no fields: %v", n)
	}
	cols := s.ok(t, "get_node_list_columns", obj{"columns": []string{"conductor_group"}, "filters": obj{"owner": "p1"}}).JSON(t).([]any)
	if fmt.Sprint(cols) != fmt.Sprintf("[map[conductor_group:g1 id:%v]]", a["id"]) {
		t.Fatalf("columns: %v", cols)
	}
	if got := s.call(t, "get_node_list_columns", obj{"columns": []string{"nope"}}); got.ErrorType() != "InvalidParameterValue" {
		t.Fatalf("unknown column: %d %s", got.Status, got.Body)
	}

	// update_node is 21.4's: an instance uuid replaces another.
	inst1, inst2 := "1be26c0b-03f2-4d2e-ae87-c02d7f33c123", "2be26c0b-03f2-4d2e-ae87-c02d7f33c123"
	s.ok(t, "update_node", obj{"node_id": a["id"], "values": obj{"instance_uuid": inst1, "retired": true, "version": "1.41"}})
	if got := s.ok(t, "update_node", obj{"node_id": a["id"], "values": obj{"instance_uuid": inst2}}).Obj(t); got["instance_uuid"] != inst2 ||
		got["retired"] != true || got["version"] != "1.41" {
		t.Fatalf("update: %v", got)
	}
	if got := s.call(t, "update_node", obj{"node_id": b["id"], "values": obj{"instance_uuid": inst2}}); got.ErrorType() != "InstanceAssociated" {
		t.Fatalf("instance clash: %d %s", got.Status, got.Body)
	}

	// count_nodes_in_provision_state takes a state or a list of them.
	for state, want := range map[string]string{`"active"`: "1", `["active", "enroll"]`: "2", `[]`: "0"} {
		if got := s.ok(t, "count_nodes_in_provision_state", `{"state": `+state+`}`); strings.TrimSpace(string(got.Body)) != want {
			t.Errorf("count %s: %s, want %s", state, got.Body, want)
		}
	}
	if got := s.call(t, "count_nodes_in_provision_state", obj{"state": 7}); got.Status != http.StatusBadRequest {
		t.Errorf("count of 7: %d %s", got.Status, got.Body)
	}
	if got := strings.TrimSpace(string(s.ok(t, "get_shard_list", obj{}).Body)); got != `[{"name":"None","count":1},{"name":"s1","count":1}]` {
		t.Fatalf("shards: %s", got)
	}
	m := s.ok(t, "check_node_list", obj{"idents": []string{"a", b["uuid"].(string)}, "project": "p1"}).Obj(t)
	if m["a"] != a["uuid"] || m[b["uuid"].(string)] != b["uuid"] {
		t.Fatalf("check_node_list: %v", m)
	}
	got := s.call(t, "check_node_list", obj{"idents": []string{"a", "no/such"}})
	if got.Status != http.StatusNotFound || got.ErrorType() != "NodeNotFound" || !strings.Contains(string(got.Body), "no/such") {
		t.Fatalf("check_node_list missing: %d %s", got.Status, got.Body)
	}
}

func wrapRows(ids []any) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = []any{id}
	}
	return out
}
