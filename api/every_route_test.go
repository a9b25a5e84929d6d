package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ironic-etcd/ironic-etcd/api"
)

// Every route, through real HTTP against real etcd, with the answers a
// Python client reads: records keyed by column, JSON columns as JSON with
// exact numbers, ISO 8601 UTC timestamps with microseconds.
func TestEveryRouteThroughHTTP(t *testing.T) {
	s := startAPI(t, api.Config{Testing: true})
	s.ok(t, "reset_for_tests", obj{})

	chassis := s.ok(t, "create_chassis", obj{"values": obj{"description": "rack 1"}}).Obj(t)
	chassisID, chassisUUID := chassis["id"], chassis["uuid"].(string)
	s.ok(t, "get_chassis_by_id", obj{"chassis_id": chassisID})
	s.ok(t, "get_chassis_by_uuid", obj{"chassis_uuid": chassisUUID})
	s.ok(t, "update_chassis", obj{"chassis_id": chassisUUID, "values": obj{"description": "rack 2"}})
	if got := s.ok(t, "get_chassis_list", obj{"limit": 10}).JSON(t).([]any); len(got) != 1 {
		t.Fatalf("chassis list %v", got)
	}

	// A JSON column with a number no float64 holds, and nested documents.
	node := s.ok(t, "create_node", `{"values": {"name": "n1", "driver": "ipmi", "chassis_id": `+fmt.Sprint(chassisID)+
		`, "properties": {"big": 123456789012345678901234567890, "f": 1.0, "nested": {"a": [1, "x", null]}}}}`)
	if !strings.Contains(string(node.Body), `"big":123456789012345678901234567890`) || !strings.Contains(string(node.Body), `"f":1.0`) {
		t.Fatalf("JSON column not kept exact: %s", node.Body)
	}
	n := node.Obj(t)
	nodeID, nodeUUID := n["id"], n["uuid"].(string)
	if ts := n["created_at"].(string); !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$`).MatchString(ts) {
		t.Fatalf("created_at %q", ts)
	}
	if n["provision_state"] != "enroll" || n["instance_uuid"] != nil || n["maintenance"] != false {
		t.Fatalf("node %s", node.Body)
	}
	s.ok(t, "get_node_by_id", obj{"node_id": nodeID})
	s.ok(t, "get_node_by_uuid", obj{"node_uuid": nodeUUID})
	s.ok(t, "get_node_by_name", obj{"node_name": "n1"})
	inst := "1be26c0b-03f2-4d2e-ae87-c02d7f33c123"
	s.ok(t, "update_node", obj{"node_id": nodeID, "values": obj{"instance_uuid": inst, "extra": obj{"k": "v"}}})
	if got := s.ok(t, "get_node_by_instance", obj{"instance": inst}).Obj(t); got["uuid"] != nodeUUID {
		t.Fatalf("by instance %v", got)
	}
	s.ok(t, "touch_node_provisioning", obj{"node_id": nodeUUID})
	rows := s.ok(t, "get_nodeinfo_list", obj{"columns": []string{"id", "name", "properties", "provision_updated_at", "tags"},
		"filters": obj{"chassis_uuid": chassisUUID, "provisioned_before": 0}})
	if !strings.Contains(string(rows.Body), `"big":123456789012345678901234567890`) {
		t.Fatalf("rows %s", rows.Body)
	}
	s.ok(t, "get_node_list", obj{"filters": obj{"associated": true}, "sort_key": "name", "sort_dir": "desc", "limit": 5})
	if got := s.ok(t, "get_node_list", obj{"fields": []string{"id", "name"}}).JSON(t).([]any); len(got[0].(obj)) != 2 {
		t.Fatalf("fields: %v", got)
	}
	if got := s.ok(t, "get_node_list_columns", obj{"columns": []string{"name", "traits"}}).JSON(t).([]any); len(got[0].(obj)) != 3 {
		t.Fatalf("columns: %v", got)
	}
	if got := s.ok(t, "check_node_list", obj{"idents": []string{"n1"}}).Obj(t); got["n1"] != nodeUUID {
		t.Fatalf("check_node_list: %v", got)
	}
	if got := s.ok(t, "count_nodes_in_provision_state", obj{"state": "enroll"}).JSON(t); fmt.Sprint(got) != "1" {
		t.Fatalf("count_nodes_in_provision_state: %v", got)
	}
	if got := s.ok(t, "get_shard_list", obj{}).JSON(t).([]any); len(got) != 1 {
		t.Fatalf("get_shard_list: %v", got)
	}

	s.ok(t, "set_node_tags", obj{"node_id": nodeID, "tags": []string{"a", "b"}})
	s.ok(t, "add_node_tag", obj{"node_id": nodeID, "tag": "c"})
	if got := s.ok(t, "node_tag_exists", obj{"node_id": nodeID, "tag": "c"}).JSON(t); got != true {
		t.Fatalf("node_tag_exists %v", got)
	}
	s.ok(t, "delete_node_tag", obj{"node_id": nodeID, "tag": "c"})
	if got := s.ok(t, "get_node_tags_by_node_id", obj{"node_id": nodeID}).JSON(t).([]any); len(got) != 2 {
		t.Fatalf("tags %v", got)
	}
	if tags := s.ok(t, "get_node_by_id", obj{"node_id": nodeID}).Obj(t)["tags"].([]any); len(tags) != 2 || tags[0].(obj)["tag"] != "a" {
		t.Fatalf("node tags %v", tags)
	}
	s.ok(t, "unset_node_tags", obj{"node_id": nodeID})
	exerciseTraitAndBIOSRoutes(t, s, nodeID)

	pg := s.ok(t, "create_portgroup", obj{"values": obj{"node_id": nodeID, "name": "pg1", "address": "52:54:00:00:00:aa"}}).Obj(t)
	s.ok(t, "get_portgroup_by_id", obj{"portgroup_id": pg["id"]})
	s.ok(t, "get_portgroup_by_uuid", obj{"portgroup_uuid": pg["uuid"]})
	s.ok(t, "get_portgroup_by_address", obj{"address": "52:54:00:00:00:aa"})
	s.ok(t, "get_portgroup_by_name", obj{"name": "pg1"})
	s.ok(t, "get_portgroup_list", obj{})
	s.ok(t, "get_portgroups_by_node_id", obj{"node_id": nodeID})
	s.ok(t, "update_portgroup", obj{"portgroup_id": pg["uuid"], "values": obj{"extra": obj{"x": 1}}})

	port := s.ok(t, "create_port", obj{"values": obj{"node_id": nodeID, "address": "52:54:00:00:00:01", "portgroup_id": pg["id"]}}).Obj(t)
	s.ok(t, "get_port_by_id", obj{"port_id": port["id"]})
	s.ok(t, "get_port_by_uuid", obj{"port_uuid": port["uuid"]})
	s.ok(t, "get_port_by_address", obj{"address": "52:54:00:00:00:01", "owner": nil})
	s.ok(t, "get_port_list", obj{})
	s.ok(t, "get_ports_by_node_id", obj{"node_id": nodeID})
	s.ok(t, "get_ports_by_portgroup_id", obj{"portgroup_id": pg["id"]})
	s.ok(t, "update_port", obj{"port_id": port["uuid"], "values": obj{"pxe_enabled": false, "name": "port-1", "version": "1.11"}})
	s.ok(t, "get_port_by_name", obj{"port_name": "port-1"})
	s.ok(t, "get_ports_by_shards", obj{"shards": []string{"s1"}, "limit": 5})
	if got := s.ok(t, "get_node_by_port_addresses", obj{"addresses": []string{"52:54:00:00:00:01"}}).Obj(t); got["uuid"] != nodeUUID {
		t.Fatalf("by port addresses %v", got)
	}

	vc := s.ok(t, "create_volume_connector", obj{"connector_info": obj{"node_id": nodeID, "type": "iqn", "connector_id": "iqn.2010-10.org.openstack:1"}}).Obj(t)
	s.ok(t, "get_volume_connector_by_id", obj{"db_id": vc["id"]})
	s.ok(t, "get_volume_connector_by_uuid", obj{"connector_uuid": vc["uuid"]})
	s.ok(t, "get_volume_connector_list", obj{})
	s.ok(t, "get_volume_connectors_by_node_id", obj{"node_id": nodeID})
	s.ok(t, "update_volume_connector", obj{"ident": vc["uuid"], "connector_info": obj{"extra": obj{"a": "b"}}})
	vt := s.ok(t, "create_volume_target", obj{"target_info": obj{"node_id": nodeID, "volume_type": "iscsi", "boot_index": 0, "volume_id": "v1"}}).Obj(t)
	s.ok(t, "get_volume_target_by_id", obj{"db_id": vt["id"]})
	s.ok(t, "get_volume_target_by_uuid", obj{"uuid": vt["uuid"]})
	s.ok(t, "get_volume_target_list", obj{})
	s.ok(t, "get_volume_targets_by_node_id", obj{"node_id": nodeID})
	s.ok(t, "update_volume_target", obj{"ident": vt["uuid"], "target_info": obj{"volume_id": "v2"}})
	s.ok(t, "get_volume_targets_by_volume_id", obj{"volume_id": "v2", "project": nil})

	cd := s.ok(t, "register_conductor", obj{"values": obj{"hostname": "c1", "drivers": []string{"ipmi", "fake"}}}).Obj(t)
	if _, ok := cd["lease"]; ok || cd["hostname"] != "c1" || cd["online"] != true {
		t.Fatalf("conductor %v", cd)
	}
	s.ok(t, "get_conductor", obj{"hostname": "c1"})
	s.ok(t, "touch_conductor", obj{"hostname": "c1"})
	if got := s.ok(t, "get_active_driver_dict", obj{"interval": 60}).Obj(t); fmt.Sprint(got["ipmi"]) != "[c1]" {
		t.Fatalf("active drivers %v", got)
	}
	if got := s.ok(t, "get_offline_conductors", obj{}).JSON(t).([]any); len(got) != 0 {
		t.Fatalf("offline %v", got)
	}
	s.ok(t, "register_conductor_hardware_interfaces", obj{"conductor_id": cd["id"], "hardware_type": "ipmi",
		"interface_type": "power", "interfaces": []string{"ipmitool"}, "default_interface": "ipmitool"})
	s.ok(t, "register_conductor_hardware_interfaces", obj{"conductor_id": cd["id"], "interfaces": []obj{
		{"hardware_type": "ipmi", "interface_type": "deploy", "interface_name": "direct", "default": true},
		{"hardware_type": "ipmi", "interface_type": "deploy", "interface_name": "ansible", "default": false}}})
	if got := s.ok(t, "list_conductor_hardware_interfaces", obj{"conductor_id": cd["id"]}).JSON(t).([]any); len(got) != 3 {
		t.Fatalf("hardware interfaces %v", got)
	}
	if got := s.ok(t, "get_active_hardware_type_dict", obj{"use_groups": true}).Obj(t); fmt.Sprint(got[":ipmi"]) != "[c1]" {
		t.Fatalf("active hardware types %v", got)
	}
	if got := s.ok(t, "list_hardware_type_interfaces", obj{"hardware_types": []string{"ipmi"}}).JSON(t).([]any); len(got) != 3 {
		t.Fatalf("hardware type interfaces %v", got)
	}
	if got := s.ok(t, "get_online_conductors", obj{}).JSON(t).([]any); fmt.Sprint(got) != "[c1]" {
		t.Fatalf("online %v", got)
	}
	s.ok(t, "unregister_conductor_hardware_interfaces", obj{"conductor_id": cd["id"]})
	s.ok(t, "get_conductor_list", obj{"limit": 1, "sort_key": "hostname", "sort_dir": "desc"})
	if got := s.ok(t, "check_versions", obj{"ignore_models": []string{"Node"}}).JSON(t); got != false { // rows without versions
		t.Fatalf("check_versions %v", got)
	}
	if got := s.ok(t, "get_not_versions", obj{"model_name": "Conductor", "versions": []string{"1.3"}}).JSON(t).([]any); len(got) != 1 {
		t.Fatalf("get_not_versions %v", got)
	}
	if got := s.ok(t, "update_to_latest_versions", obj{"max_count": 0}).JSON(t); fmt.Sprint(got) != "[0 0]" {
		t.Fatalf("update_to_latest_versions %v", got)
	}

	locked := s.ok(t, "reserve_node", obj{"tag": "c1", "node_id": nodeID}).Obj(t)
	if locked["reservation"] != "c1" {
		t.Fatalf("reserved %v", locked)
	}
	s.ok(t, "clear_node_target_power_state", obj{"hostname": "c1"})
	s.ok(t, "release_node", obj{"tag": "c1", "node_id": nodeUUID})
	s.ok(t, "reserve_node", obj{"tag": "c1", "node_id": nodeUUID})
	s.ok(t, "clear_node_reservations_for_conductor", obj{"hostname": "c1"})
	s.ok(t, "unregister_conductor", obj{"hostname": "c1"})
	if got := s.ok(t, "get_conductor", obj{"hostname": "c1", "online": nil}).Obj(t); got["online"] != false {
		t.Fatalf("get_conductor(online=None) %v", got)
	}
	// Unregistered, it is offline once its updated_at is older than the
	// heartbeat timeout: an hour later, by the test clock.
	later := time.Now().UTC().Add(time.Hour).Format(time.RFC3339)
	if got := s.ok(t, "get_offline_conductors", obj{"field": "id"}, api.NowHeader, later).JSON(t).([]any); fmt.Sprint(got) != fmt.Sprintf("[%v]", cd["id"]) {
		t.Fatalf("offline ids %v", got)
	}

	s.ok(t, "update_node", obj{"node_id": nodeID, "values": obj{"conductor_affinity": 77}})
	exerciseTemplateRoutes(t, s, nodeID)
	exerciseAllocations(t, s)

	s.ok(t, "destroy_volume_target", obj{"ident": vt["uuid"]})
	s.ok(t, "destroy_volume_connector", obj{"ident": vc["uuid"]})
	s.ok(t, "destroy_port", obj{"port_id": port["uuid"]})
	s.ok(t, "destroy_portgroup", obj{"portgroup_id": pg["uuid"]})
	s.ok(t, "destroy_node", obj{"node_id": nodeUUID})
	s.ok(t, "destroy_chassis", obj{"chassis_id": chassisUUID})
	if a := s.call(t, "get_node_by_id", obj{"node_id": nodeID}); a.Status != http.StatusNotFound {
		t.Fatalf("destroyed node: %d %s", a.Status, a.Body)
	}

	for _, r := range api.Routes() {
		if _, ok := s.called.Load(r.Name); !ok {
			t.Errorf("route %s not exercised", r.Name)
		}
	}
}

// A marker is the last record of the previous page, as returned.
func TestPagingWithMarkers(t *testing.T) {
	s := startAPI(t, api.Config{})
	for i := range 5 {
		s.ok(t, "create_node", obj{"values": obj{"name": fmt.Sprintf("n%d", 5-i)}})
	}
	var names []string
	var marker any
	for {
		args := obj{"limit": 2, "sort_key": "name"}
		if marker != nil {
			args["marker"] = marker
		}
		page := s.ok(t, "get_node_list", args).JSON(t).([]any)
		if len(page) == 0 {
			break
		}
		for _, n := range page {
			names = append(names, n.(obj)["name"].(string))
		}
		marker = page[len(page)-1]
		b, _ := json.Marshal(marker)
		marker = json.RawMessage(b)
	}
	if strings.Join(names, ",") != "n1,n2,n3,n4,n5" {
		t.Fatalf("pages %v", names)
	}
}
