package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/api"
)

// The 21.4 conductor and version methods through HTTP, in test mode so
// that "now" follows X-Ironic-Etcd-Now as Ironic's tests mock utcnow.

func wantError(t *testing.T, a answer, status int, typ string) {
	t.Helper()
	if a.Status != status || a.ErrorType() != typ {
		t.Fatalf("got %d %s, want %d %s", a.Status, a.Body, status, typ)
	}
}

func hostsOf(t *testing.T, a answer) []string {
	t.Helper()
	var out []string
	for _, c := range a.JSON(t).([]any) {
		out = append(out, c.(obj)["hostname"].(string))
	}
	return out
}

func TestConductors21ThroughHTTP(t *testing.T) {
	s := startAPI(t, api.Config{Testing: true})
	s.ok(t, "reset_for_tests", obj{})
	t0 := "2000-01-01T00:00:00Z"
	at := func(secs int) string { return fmt.Sprintf("2000-01-01T00:%02d:%02dZ", secs/60, secs%60) }
	for _, h := range []string{"b", "c", "a"} {
		s.ok(t, "register_conductor", obj{"values": obj{"hostname": h, "conductor_group": "g-" + h}}, api.NowHeader, t0)
	}
	// get_conductor(online=...)
	s.ok(t, "unregister_conductor", obj{"hostname": "c"}, api.NowHeader, t0)
	wantError(t, s.call(t, "get_conductor", obj{"hostname": "c"}), http.StatusNotFound, "ConductorNotFound")
	if got := s.ok(t, "get_conductor", obj{"hostname": "c", "online": false}).Obj(t); got["conductor_group"] != "g-c" {
		t.Fatalf("offline c: %v", got)
	}
	wantError(t, s.call(t, "get_conductor", obj{"hostname": "a", "online": false}), http.StatusNotFound, "ConductorNotFound")
	s.ok(t, "get_conductor", obj{"hostname": "a", "online": nil})
	// get_conductor_list, paged as 21.4.
	if got := hostsOf(t, s.ok(t, "get_conductor_list", obj{})); !slices.Equal(got, []string{"b", "c", "a"}) {
		t.Fatalf("list %v", got)
	}
	page := s.ok(t, "get_conductor_list", obj{"limit": 2, "sort_key": "hostname"}).JSON(t).([]any)
	if got := hostsOf(t, s.ok(t, "get_conductor_list", obj{"sort_key": "hostname", "marker": page[1]})); !slices.Equal(got, []string{"c"}) {
		t.Fatalf("after marker: %v", got)
	}
	wantError(t, s.call(t, "get_conductor_list", obj{"sort_key": "lease"}), http.StatusBadRequest, "InvalidParameterValue")
	// Liveness by the request's "now": 30 s alive, 61 s dead.
	if got := s.ok(t, "get_online_conductors", obj{}, api.NowHeader, at(30)).JSON(t); fmt.Sprint(got) != "[b a]" {
		t.Fatalf("online %v", got)
	}
	if got := s.ok(t, "get_offline_conductors", obj{}, api.NowHeader, at(30)).JSON(t); fmt.Sprint(got) != "[]" {
		t.Fatalf("offline %v", got)
	}
	if got := s.ok(t, "get_offline_conductors", obj{"field": "conductor_group"}, api.NowHeader, at(61)).JSON(t); fmt.Sprint(got) != "[g-b g-c g-a]" {
		t.Fatalf("offline groups %v", got)
	}
	if got := s.ok(t, "get_offline_conductors", obj{"field": "updated_at"}, api.NowHeader, at(61)).JSON(t).([]any); got[0] != "2000-01-01T00:00:00.000000+00:00" {
		t.Fatalf("offline updated_at %v", got)
	}
	wantError(t, s.call(t, "get_offline_conductors", obj{"field": "nope"}), http.StatusBadRequest, "InvalidParameterValue")
	// Hardware interfaces of several types in one call (21.4's form).
	b := s.ok(t, "get_conductor", obj{"hostname": "b"}).Obj(t)
	rows := []obj{
		{"hardware_type": "ht1", "interface_type": "power", "interface_name": "ipmi", "default": true},
		{"hardware_type": "ht1", "interface_type": "deploy", "interface_name": "direct", "default": true},
		{"hardware_type": "ht2", "interface_type": "power", "interface_name": "redfish", "default": false, "version": "1.0"},
	}
	s.ok(t, "register_conductor_hardware_interfaces", obj{"conductor_id": b["id"], "interfaces": rows}, api.NowHeader, at(10))
	dup := s.call(t, "register_conductor_hardware_interfaces", obj{"conductor_id": b["id"], "interfaces": rows[2:]})
	wantError(t, dup, http.StatusConflict, "ConductorHardwareInterfacesAlreadyRegistered")
	wantError(t, s.call(t, "register_conductor_hardware_interfaces", obj{"conductor_id": b["id"],
		"interfaces": []obj{{"hardware_type": "x", "interface_type": "power"}}}), http.StatusBadRequest, "InvalidParameterValue")
	wantError(t, s.call(t, "register_conductor_hardware_interfaces", obj{"conductor_id": b["id"],
		"interfaces": []obj{{"hardware_type": "x", "interface_type": "power", "interface_name": "y", "bogus": 1}}}), http.StatusBadRequest, "InvalidParameterValue")
	if got := s.ok(t, "get_active_hardware_type_dict", obj{}, api.NowHeader, at(30)).JSON(t); fmt.Sprint(got) != "map[ht1:[b] ht2:[b]]" {
		t.Fatalf("active hardware types %v", got)
	}
	if got := s.ok(t, "get_active_hardware_type_dict", obj{"use_groups": true}, api.NowHeader, at(30)).JSON(t); fmt.Sprint(got) != "map[g-b:ht1:[b] g-b:ht2:[b]]" {
		t.Fatalf("active hardware types by group %v", got)
	}
	if got := s.ok(t, "get_active_hardware_type_dict", obj{}, api.NowHeader, at(61)).JSON(t); fmt.Sprint(got) != "map[]" {
		t.Fatalf("active hardware types when dead %v", got)
	}
	got := s.ok(t, "list_hardware_type_interfaces", obj{"hardware_types": []string{"ht2"}}, api.NowHeader, at(30)).JSON(t).([]any)
	if len(got) != 1 || got[0].(obj)["interface_name"] != "redfish" || got[0].(obj)["version"] != "1.0" {
		t.Fatalf("ht2 interfaces %v", got)
	}
	if got := s.ok(t, "list_hardware_type_interfaces", obj{"hardware_types": []string{"ht1", "ht2"}}, api.NowHeader, at(61)).JSON(t); fmt.Sprint(got) != "[]" {
		t.Fatalf("interfaces when dead %v", got)
	}
}

func TestVersions21ThroughHTTP(t *testing.T) {
	s := startAPI(t, api.Config{Testing: true})
	s.ok(t, "reset_for_tests", obj{})
	if got := s.ok(t, "check_versions", obj{}).JSON(t); got != true {
		t.Fatalf("empty: %v", got)
	}
	n := s.ok(t, "create_node", obj{"values": obj{"version": "1.21"}}).Obj(t)
	s.ok(t, "create_chassis", obj{"values": obj{"version": "1.3"}})
	s.ok(t, "create_node", obj{"values": obj{"version": nil}})
	if got := s.ok(t, "check_versions", obj{}).JSON(t); got != false {
		t.Fatalf("a NULL version: %v", got)
	}
	if got := s.ok(t, "check_versions", obj{"ignore_models": []string{"Node"}, "permit_initial_version": true}).JSON(t); got != true {
		t.Fatalf("ignoring nodes: %v", got)
	}
	notV := s.ok(t, "get_not_versions", obj{"model_name": "Node", "versions": []string{"1.21"}}).JSON(t).([]any)
	if len(notV) != 1 || notV[0].(obj)["version"] != nil {
		t.Fatalf("not 1.21: %v", notV)
	}
	wantError(t, s.call(t, "get_not_versions", obj{"model_name": "NotExist", "versions": []string{"1.0"}}), http.StatusBadRequest, "IronicException")
	if got := s.ok(t, "get_not_versions", obj{"model_name": "NotExist", "versions": []string{}}).JSON(t); fmt.Sprint(got) != "[]" {
		t.Fatalf("no versions: %v", got)
	}
	if got := s.ok(t, "update_to_latest_versions", obj{"max_count": 10}, api.NowHeader, "2001-01-01T00:00:00Z").JSON(t); fmt.Sprint(got) != "[1 1]" {
		t.Fatalf("migrated %v", got)
	}
	after := s.ok(t, "get_node_by_id", obj{"node_id": n["id"]}).Obj(t)
	if after["version"] != "1.37" || after["updated_at"] != "2001-01-01T00:00:00.000000+00:00" {
		t.Fatalf("node after migration %v", after)
	}
	wantError(t, s.call(t, "update_to_latest_versions", obj{"max_count": -1}), http.StatusBadRequest, "InvalidParameterValue")
	wantError(t, s.call(t, "update_to_latest_versions", obj{}), http.StatusBadRequest, "MissingArgument")
}
