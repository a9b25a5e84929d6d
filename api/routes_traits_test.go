package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/api"
)

// exerciseTraitAndBIOSRoutes calls every node-trait and BIOS-settings
// route once on node nodeID, for TestEveryRouteThroughHTTP, and checks a
// node read returns its traits.
func exerciseTraitAndBIOSRoutes(t *testing.T, s *apiServer, nodeID any) {
	t.Helper()
	traits := s.ok(t, "set_node_traits", obj{"node_id": nodeID, "traits": []string{"CUSTOM_A", "CUSTOM_B", "CUSTOM_A"}, "version": "1.0"}).JSON(t).([]any)
	if len(traits) != 2 || traits[0].(obj)["version"] != "1.0" || traits[0].(obj)["node_id"] != nodeID {
		t.Fatalf("set_node_traits %v", traits)
	}
	s.ok(t, "add_node_trait", obj{"node_id": nodeID, "trait": "CUSTOM_C", "version": "1.0"})
	if got := s.ok(t, "node_trait_exists", obj{"node_id": nodeID, "trait": "CUSTOM_C"}).JSON(t); got != true {
		t.Fatalf("node_trait_exists %v", got)
	}
	s.ok(t, "delete_node_trait", obj{"node_id": nodeID, "trait": "CUSTOM_C"})
	if got := s.ok(t, "get_node_traits_by_node_id", obj{"node_id": nodeID}).JSON(t).([]any); len(got) != 2 {
		t.Fatalf("traits %v", got)
	}
	if got := s.ok(t, "get_node_by_id", obj{"node_id": nodeID}).Obj(t)["traits"].([]any); len(got) != 2 || got[1].(obj)["trait"] != "CUSTOM_B" {
		t.Fatalf("node traits %v", got)
	}
	s.ok(t, "unset_node_traits", obj{"node_id": nodeID})

	created := s.ok(t, "create_bios_setting_list", `{"node_id": `+jsonOf(t, nodeID)+`, "version": "1.1", "settings": [
		{"name": "virtualization", "value": "on", "attribute_type": "Enumeration", "allowable_values": ["on", "off"],
		 "lower_bound": 1, "read_only": false, "reset_required": true, "unique": false},
		{"name": "numlock", "value": null}]}`).JSON(t).([]any)
	v := created[0].(obj)
	if len(created) != 2 || v["allowable_values"].([]any)[1] != "off" || fmt.Sprint(v["lower_bound"]) != "1" || v["read_only"] != false ||
		v["max_length"] != nil || v["version"] != "1.1" || created[1].(obj)["value"] != nil || created[1].(obj)["allowable_values"] == nil {
		t.Fatalf("create_bios_setting_list %v", created)
	}
	updated := s.ok(t, "update_bios_setting_list", obj{"node_id": nodeID, "settings": []obj{{"name": "numlock", "value": "off"}}, "version": "1.1"}).JSON(t).([]any)
	if updated[0].(obj)["value"] != "off" || updated[0].(obj)["updated_at"] == nil {
		t.Fatalf("update_bios_setting_list %v", updated)
	}
	if got := s.ok(t, "get_bios_setting", obj{"node_id": nodeID, "name": "numlock"}).Obj(t); got["value"] != "off" {
		t.Fatalf("get_bios_setting %v", got)
	}
	s.ok(t, "delete_bios_setting_list", obj{"node_id": nodeID, "names": []string{"numlock"}})
	if got := s.ok(t, "get_bios_setting_list", obj{"node_id": nodeID}).JSON(t).([]any); len(got) != 1 {
		t.Fatalf("get_bios_setting_list %v", got)
	}
}

// The errors of 21.4 through the API: their type, status and parameters;
// a refused write leaves etcd as it was.
func TestTraitAndBIOSErrorsThroughHTTP(t *testing.T) {
	s := startAPI(t, api.Config{})
	node := s.ok(t, "create_node", obj{"values": obj{"name": "n1"}}).Obj(t)
	id := node["id"]
	exerciseTraitAndBIOSRoutes(t, s, id)
	for _, c := range []struct {
		method string
		args   obj
		status int
		typ    string
	}{
		{"add_node_trait", obj{"node_id": 999, "trait": "CUSTOM_A", "version": "1.0"}, http.StatusNotFound, "NodeNotFound"},
		{"node_trait_exists", obj{"node_id": 999, "trait": "CUSTOM_A"}, http.StatusNotFound, "NodeNotFound"},
		{"delete_node_trait", obj{"node_id": id, "trait": "CUSTOM_X"}, http.StatusNotFound, "NodeTraitNotFound"},
		{"set_node_traits", obj{"node_id": id, "traits": traitList(51), "version": "1.0"}, http.StatusBadRequest, "InvalidParameterValue"},
		{"add_node_trait", obj{"node_id": id, "trait": "", "version": "1.0"}, http.StatusBadRequest, "InvalidParameterValue"},
		{"add_node_trait", obj{"node_id": id, "trait": "CUSTOM_A"}, http.StatusBadRequest, "MissingArgument"},
		{"create_bios_setting_list", obj{"node_id": id, "settings": []obj{{"name": "virtualization", "value": "on"}}, "version": "1.0"},
			http.StatusConflict, "BIOSSettingAlreadyExists"},
		{"create_bios_setting_list", obj{"node_id": id, "settings": []obj{{"name": "x"}}, "version": "1.0"}, http.StatusBadRequest, "InvalidParameterValue"},
		{"create_bios_setting_list", obj{"node_id": 999, "settings": []obj{}, "version": "1.0"}, http.StatusNotFound, "NodeNotFound"},
		{"create_bios_setting_list", obj{"node_id": id, "settings": "x", "version": "1.0"}, http.StatusBadRequest, "InvalidArgumentType"},
		{"update_bios_setting_list", obj{"node_id": id, "settings": []obj{{"name": "x", "value": "1"}}, "version": "1.0"}, http.StatusNotFound, "BIOSSettingNotFound"},
		{"delete_bios_setting_list", obj{"node_id": id, "names": []string{"x", "y"}}, http.StatusNotFound, "BIOSSettingListNotFound"},
		{"get_bios_setting", obj{"node_id": id, "name": "x"}, http.StatusNotFound, "BIOSSettingNotFound"},
		{"get_bios_setting_list", obj{"node_id": 999}, http.StatusNotFound, "NodeNotFound"},
	} {
		before := keysUnder(t, s.Prefix)
		a := s.call(t, c.method, c.args)
		if a.Status != c.status || a.ErrorType() != c.typ {
			t.Errorf("%s(%v): %d %s, want %d %s", c.method, c.args, a.Status, a.Body, c.status, c.typ)
		}
		if after := keysUnder(t, s.Prefix); !slices.Equal(before, after) {
			t.Errorf("%s(%v): keys changed", c.method, c.args)
		}
	}
	if p := s.call(t, "delete_bios_setting_list", obj{"node_id": id, "names": []string{"x", "y"}}).JSON(t).(obj)["error"].(obj)["params"].(obj); p["names"] != "x,y" {
		t.Fatalf("params %v", p)
	}
	s.ok(t, "destroy_node", obj{"node_id": id})
	if keys := keysUnder(t, s.Prefix); len(keys) != 1 { // the id counter
		t.Fatalf("left behind: %v", keys)
	}
}

func traitList(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "CUSTOM_" + string(rune('A'+i%26)) + string(rune('A'+i/26))
	}
	return out
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := jsonMarshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
