package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/api"
)

// errorParams is the params object of an error answer.
func errorParams(t *testing.T, a answer) map[string]any {
	t.Helper()
	e, ok := a.Obj(t)["error"].(map[string]any)
	if !ok {
		t.Fatalf("not an error: %s", a.Body)
	}
	p, _ := e["params"].(map[string]any)
	return p
}

// What a Python client needs to raise the exception 21.4 raises: the
// reference's own message where it passes one (NodeNotFound of
// get_node_by_port_addresses and check_node_list), and, on an
// InvalidParameterValue, the non-Ironic exception 21.4 raises for that
// input (ValueError for an unknown filter, DBError for a value its
// columns refuse). Ironic's test_nodes, test_allocations, test_types and
// test_deploy_templates assert those.
func TestReferenceErrorsThroughHTTP(t *testing.T) {
	s := startAPI(t, api.Config{})
	n1 := s.ok(t, "create_node", obj{"values": obj{"name": "n1"}}).Obj(t)
	n2 := s.ok(t, "create_node", obj{"values": obj{"name": "n2"}}).Obj(t)
	s.ok(t, "create_port", obj{"values": obj{"node_id": n1["id"], "address": "52:54:00:cf:2d:41"}})
	s.ok(t, "create_port", obj{"values": obj{"node_id": n2["id"], "address": "52:54:00:cf:2d:42"}})
	step := obj{"interface": "raid", "step": "create_configuration", "args": obj{}, "priority": 10}
	big := strings.Repeat("a", 400<<10) // three of them make a record over 1 MiB
	noInterface := obj{"step": "create_configuration", "args": obj{}, "priority": 10}
	for _, c := range []struct {
		method string
		args   obj
		status int
		typ    string
		param  string // the parameter checked
		want   string // its value; "" for absent
	}{
		{"get_node_by_port_addresses", obj{"addresses": []string{"11:22:33:44:55:66"}}, http.StatusNotFound, "NodeNotFound",
			"message", "Node with port addresses 11:22:33:44:55:66 was not found"},
		{"get_node_by_port_addresses", obj{"addresses": []string{"52:54:00:cf:2d:41", "52:54:00:cf:2d:42"}}, http.StatusNotFound, "NodeNotFound",
			"message", "Multiple nodes with port addresses 52:54:00:cf:2d:41,52:54:00:cf:2d:42 were found"},
		{"check_node_list", obj{"idents": []string{"n1", "nope"}}, http.StatusNotFound, "NodeNotFound",
			"message", "Nodes cannot be found: nope"},
		{"get_node_list", obj{"filters": obj{"bad_filter": "foo", "id": n1["id"]}}, http.StatusBadRequest, "InvalidParameterValue",
			"reference_error", "ValueError"},
		{"get_nodeinfo_list", obj{"filters": obj{"bad_filter": "foo"}}, http.StatusBadRequest, "InvalidParameterValue",
			"reference_error", "ValueError"},
		{"get_allocation_list", obj{"filters": obj{"foo": 42}}, http.StatusBadRequest, "InvalidParameterValue",
			"reference_error", "ValueError"},
		{"create_chassis", obj{"values": obj{"extra": []string{"this is not a dict"}}}, http.StatusBadRequest, "InvalidParameterValue",
			"reference_error", "DBError"},
		{"register_conductor", obj{"values": obj{"hostname": "h3", "drivers": obj{"this is not a list": "test"}}}, http.StatusBadRequest,
			"InvalidParameterValue", "reference_error", "DBError"},
		{"create_deploy_template", obj{"values": obj{"name": "CUSTOM_DT2", "steps": []obj{step, noInterface}}}, http.StatusBadRequest,
			"InvalidParameterValue", "reference_error", "DBError"},
		{"create_deploy_template", obj{"values": obj{"name": "CUSTOM_DT2", "steps": []obj{{"interface": "raid", "step": "x", "args": []string{}, "priority": 1}}}},
			http.StatusBadRequest, "InvalidParameterValue", "reference_error", "DBError"},
		// Over a size cap: MySQL's "data too long" (DBDataError).
		{"create_chassis", obj{"values": obj{"extra": obj{"x": strings.Repeat("a", 600<<10)}}}, http.StatusBadRequest,
			"InvalidParameterValue", "reference_error", "DBDataError"},
		{"create_node", obj{"values": obj{"extra": obj{"x": big}, "properties": obj{"x": big}, "driver_info": obj{"x": big}}},
			http.StatusBadRequest, "InvalidParameterValue", "reference_error", "DBDataError"},
		// Too long in characters stays InvalidParameterValue alone.
		{"create_node", obj{"values": obj{"name": strings.Repeat("n", 300)}}, http.StatusBadRequest,
			"InvalidParameterValue", "reference_error", ""},
		// Input 21.4 takes, refused here only: no reference exception.
		{"create_node", obj{"values": obj{"name": "rack/1"}}, http.StatusBadRequest, "InvalidParameterValue", "reference_error", ""},
		{"get_node_list", obj{"sort_dir": "ASC"}, http.StatusBadRequest, "InvalidParameterValue", "reference_error", ""},
		{"get_node_by_id", obj{"node_id": 4242}, http.StatusNotFound, "NodeNotFound", "message", ""},
	} {
		before := keysUnder(t, s.Prefix)
		a := s.call(t, c.method, c.args)
		if a.Status != c.status || a.ErrorType() != c.typ {
			t.Errorf("%s(%v): %d %s, want %d %s", c.method, c.args, a.Status, a.Body, c.status, c.typ)
			continue
		}
		got, given := errorParams(t, a)[c.param]
		if c.want == "" && given || c.want != "" && got != c.want {
			t.Errorf("%s(%v): params %s, want %s %q", c.method, c.args, a.Body, c.param, c.want)
		}
		if after := keysUnder(t, s.Prefix); !slices.Equal(before, after) {
			t.Errorf("%s(%v): keys changed", c.method, c.args)
		}
	}
}

// 21.4's node_tag_exists checks the node first (test_node_tag_node_not_exist,
// test_tags_get_destroyed_after_destroying_a_node).
func TestNodeTagExistsOfMissingNodeThroughHTTP(t *testing.T) {
	s := startAPI(t, api.Config{})
	n := s.ok(t, "create_node", obj{"values": obj{"name": "n1"}}).Obj(t)
	s.ok(t, "add_node_tag", obj{"node_id": n["id"], "tag": "t1"})
	if got := s.ok(t, "node_tag_exists", obj{"node_id": n["id"], "tag": "t2"}).JSON(t); got != false {
		t.Fatalf("node_tag_exists of a tag the node lacks: %v", got)
	}
	s.ok(t, "destroy_node", obj{"node_id": n["id"]})
	a := s.call(t, "node_tag_exists", obj{"node_id": n["id"], "tag": "t1"})
	if a.Status != http.StatusNotFound || a.ErrorType() != "NodeNotFound" {
		t.Fatalf("node_tag_exists of a destroyed node: %d %s", a.Status, a.Body)
	}
}
