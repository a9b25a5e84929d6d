package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/api"
)

// exerciseTemplateRoutes calls every route of deploy templates, node
// history and node inventory on node nodeID of a conductor conductorID
// (the node's conductor_affinity), as a 21.4 conductor would.
func exerciseTemplateRoutes(t *testing.T, s *apiServer, nodeID any) {
	t.Helper()
	step := obj{"interface": "raid", "step": "create_configuration", "args": obj{"logical_disks": []any{}, "big": json.Number("123456789012345678901234567890")}, "priority": 10}
	tmpl := s.ok(t, "create_deploy_template", obj{"values": obj{"name": "CUSTOM_DT1", "steps": []obj{step}, "extra": obj{}}})
	if !strings.Contains(string(tmpl.Body), `"big":123456789012345678901234567890`) {
		t.Fatalf("step args not kept exact: %s", tmpl.Body)
	}
	tm := tmpl.Obj(t)
	steps := tm["steps"].([]any)
	first := steps[0].(obj)
	if len(steps) != 1 || first["deploy_template_id"] != tm["id"] || first["interface"] != "raid" {
		t.Fatalf("template %s", tmpl.Body)
	}
	s.ok(t, "get_deploy_template_by_id", obj{"template_id": tm["id"]})
	s.ok(t, "get_deploy_template_by_uuid", obj{"template_uuid": tm["uuid"]})
	s.ok(t, "get_deploy_template_by_name", obj{"template_name": "CUSTOM_DT1"})
	// The step as read, sent back with a new one: it keeps its id.
	bios := obj{"interface": "bios", "step": "apply_configuration", "args": obj{}, "priority": 50}
	up := s.ok(t, "update_deploy_template", obj{"template_id": tm["uuid"], "values": obj{"name": "CUSTOM_DT2", "steps": []any{first, bios}}}).Obj(t)
	if got := up["steps"].([]any); len(got) != 2 || got[0].(obj)["id"] != first["id"] || up["name"] != "CUSTOM_DT2" {
		t.Fatalf("updated %v", up)
	}
	if got := s.ok(t, "get_deploy_template_list", obj{"sort_key": "name", "limit": 5}).JSON(t).([]any); len(got) != 1 {
		t.Fatalf("list %v", got)
	}
	if got := s.ok(t, "get_deploy_template_list_by_names", obj{"names": []string{"CUSTOM_DT2", "CUSTOM_X"}}).JSON(t).([]any); len(got) != 1 {
		t.Fatalf("by names %v", got)
	}

	h := s.ok(t, "create_node_history", obj{"values": obj{"node_id": nodeID, "event": "e1", "severity": "ERROR",
		"uuid": "1be26c0b-03f2-4d2e-ae87-c02d7f33c123"}}).Obj(t)
	if h["uuid"] == "1be26c0b-03f2-4d2e-ae87-c02d7f33c123" {
		t.Fatalf("history uuid kept: %v", h)
	}
	h2 := s.ok(t, "create_node_history", obj{"values": obj{"node_id": nodeID, "event": "e2"}}).Obj(t)
	s.ok(t, "get_node_history_by_id", obj{"history_id": h["id"]})
	s.ok(t, "get_node_history_by_uuid", obj{"history_uuid": h["uuid"]})
	if got := s.ok(t, "get_node_history_list", obj{"sort_dir": "desc"}).JSON(t).([]any); len(got) != 2 {
		t.Fatalf("history list %v", got)
	}
	if got := s.ok(t, "get_node_history_by_node_id", obj{"node_id": nodeID}).JSON(t).([]any); len(got) != 2 {
		t.Fatalf("history of node %v", got)
	}
	purge := s.ok(t, "query_node_history_records_for_purge", obj{"conductor_id": 77, "node_history_max_entries": 1}).Obj(t)
	if fmt.Sprint(purge) != fmt.Sprintf("map[%v:[%v]]", nodeID, h["id"]) {
		t.Fatalf("purge %s", purge)
	}
	if got := s.ok(t, "query_node_history_records_for_purge", obj{"conductor_id": 77}).Obj(t); len(got) != 0 {
		t.Fatalf("purge with 21.4's defaults %v", got)
	}
	s.ok(t, "bulk_delete_node_history_records", obj{"entries": []any{h["id"], 424242}})
	s.ok(t, "destroy_node_history_by_uuid", obj{"history_uuid": h2["uuid"]})
	if a := s.call(t, "get_node_history_by_uuid", obj{"history_uuid": h2["uuid"]}); a.Status != http.StatusNotFound || a.ErrorType() != "NodeHistoryNotFound" {
		t.Fatalf("%d %s", a.Status, a.Body)
	}

	inv := s.ok(t, "create_node_inventory", obj{"values": obj{"node_id": nodeID, "inventory_data": obj{"cpu": obj{"count": 64}}, "plugin_data": obj{}}}).Obj(t)
	if got := s.ok(t, "get_node_inventory_by_node_id", obj{"node_id": nodeID}).Obj(t); got["id"] != inv["id"] || fmt.Sprint(got["inventory_data"]) != "map[cpu:map[count:64]]" {
		t.Fatalf("inventory %v", got)
	}
	s.ok(t, "destroy_node_inventory_by_node_id", obj{"node_id": nodeID})
	if a := s.call(t, "get_node_inventory_by_node_id", obj{"node_id": nodeID}); a.Status != http.StatusNotFound || a.ErrorType() != "NodeInventoryNotFound" {
		t.Fatalf("%d %s", a.Status, a.Body)
	}
	s.ok(t, "destroy_deploy_template", obj{"template_id": tm["id"]})
}

// The errors of the new tables, typed as Ironic's exceptions.
func TestTemplateHistoryInventoryErrorsThroughHTTP(t *testing.T) {
	s := startAPI(t, api.Config{})
	step := obj{"interface": "raid", "step": "x", "args": obj{}, "priority": 1}
	tm := s.ok(t, "create_deploy_template", obj{"values": obj{"name": "CUSTOM_A", "steps": []obj{step}}}).Obj(t)
	for _, c := range []struct {
		method string
		args   obj
		status int
		typ    string
	}{
		{"create_deploy_template", obj{"values": obj{"name": "custom_a"}}, 409, "DeployTemplateDuplicateName"},
		{"create_deploy_template", obj{"values": obj{"name": "CUSTOM_B", "uuid": tm["uuid"]}}, 409, "DeployTemplateAlreadyExists"},
		{"create_deploy_template", obj{"values": obj{"name": "CUSTOM_B", "steps": []obj{{"step": "x", "priority": 1}}}}, 400, "InvalidParameterValue"},
		{"update_deploy_template", obj{"template_id": 4242, "values": obj{}}, 404, "DeployTemplateNotFound"},
		{"update_deploy_template", obj{"template_id": "x/y", "values": obj{}}, 400, "InvalidIdentity"},
		{"update_deploy_template", obj{"template_id": tm["id"], "values": obj{"uuid": tm["uuid"]}}, 400, "InvalidParameterValue"},
		{"destroy_deploy_template", obj{"template_id": 4242}, 404, "DeployTemplateNotFound"},
		{"get_deploy_template_by_name", obj{"template_name": "nope"}, 404, "DeployTemplateNotFound"},
		{"get_deploy_template_list", obj{"sort_key": "steps"}, 400, "InvalidParameterValue"},
		{"create_node_history", obj{"values": obj{"node_id": 4242}}, 404, "NodeNotFound"},
		{"destroy_node_history_by_uuid", obj{"history_uuid": "wrong-uuid"}, 404, "NodeHistoryNotFound"},
		{"get_node_history_by_id", obj{"history_id": -1}, 404, "NodeHistoryNotFound"},
		{"query_node_history_records_for_purge", obj{"conductor_id": 1, "node_history_max_entries": -1}, 400, "InvalidParameterValue"},
		{"bulk_delete_node_history_records", obj{"entries": []any{"1"}}, 400, "InvalidArgumentType"},
		{"create_node_inventory", obj{"values": obj{"node_id": 4242}}, 404, "NodeNotFound"},
		{"create_node_inventory", obj{"values": obj{"inventory_data": "x"}}, 400, "InvalidParameterValue"},
		{"destroy_node_inventory_by_node_id", obj{"node_id": 4242}, 404, "NodeInventoryNotFound"},
	} {
		a := s.call(t, c.method, c.args)
		if a.Status != c.status || a.ErrorType() != c.typ {
			t.Errorf("%s(%v): %d %s, want %d %s", c.method, c.args, a.Status, a.Body, c.status, c.typ)
		}
	}
}
