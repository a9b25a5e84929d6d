package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/ironic-etcd/ironic-etcd/api"
	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/internal/etcdtest"
)

// Every exception the store raises reaches the client as
// {"error": {"type": <Ironic class>, "message", "params"}} with the
// family's HTTP status, and a refused call writes nothing.
func TestErrorShapeOfEveryException(t *testing.T) {
	s := startAPI(t, api.Config{})
	ch := s.ok(t, "create_chassis", obj{"values": obj{}}).Obj(t)
	n1 := s.ok(t, "create_node", obj{"values": obj{"name": "n1", "chassis_id": ch["id"], "instance_uuid": "1be26c0b-03f2-4d2e-ae87-c02d7f33c123"}}).Obj(t)
	n2 := s.ok(t, "create_node", obj{"values": obj{"name": "n2"}}).Obj(t)
	pg := s.ok(t, "create_portgroup", obj{"values": obj{"node_id": n1["id"], "name": "pg", "address": "52:54:00:00:00:aa"}}).Obj(t)
	port := s.ok(t, "create_port", obj{"values": obj{"node_id": n1["id"], "address": "52:54:00:00:00:01", "portgroup_id": pg["id"]}}).Obj(t)
	vc := s.ok(t, "create_volume_connector", obj{"connector_info": obj{"node_id": n1["id"], "type": "iqn", "connector_id": "iqn.1"}}).Obj(t)
	vt := s.ok(t, "create_volume_target", obj{"target_info": obj{"node_id": n1["id"], "volume_type": "iscsi", "boot_index": 0, "volume_id": "v1"}}).Obj(t)
	cd := s.ok(t, "register_conductor", obj{"values": obj{"hostname": "c1", "drivers": []string{"ipmi"}}}).Obj(t)
	hw := obj{"conductor_id": cd["id"], "hardware_type": "ipmi", "interface_type": "power", "interfaces": []string{"ipmitool"}, "default_interface": "ipmitool"}
	s.ok(t, "register_conductor_hardware_interfaces", hw)
	s.ok(t, "reserve_node", obj{"tag": "c1", "node_id": n1["id"]})
	const missing = "2be26c0b-03f2-4d2e-ae87-c02d7f33c999"

	cases := []struct {
		exc    string
		status int
		params []string
		method string
		args   obj
	}{
		{"InvalidParameterValue", 400, []string{"err"}, "create_node", obj{"values": obj{"no_such_column": 1}}},
		{"InvalidIdentity", 400, []string{"identity"}, "update_node", obj{"node_id": "not an id", "values": obj{}}},
		{"InvalidUUID", 400, []string{"uuid"}, "get_node_by_instance", obj{"instance": "not-a-uuid"}},
		{"NodeNotLocked", 400, []string{"node"}, "release_node", obj{"tag": "c1", "node_id": n2["id"]}},
		{"PortgroupNotEmpty", 400, []string{"portgroup"}, "destroy_portgroup", obj{"portgroup_id": pg["uuid"]}},
		{"ChassisNotEmpty", 400, []string{"chassis"}, "destroy_chassis", obj{"chassis_id": ch["uuid"]}},
		{"NodeNotFound", 404, []string{"node"}, "get_node_by_id", obj{"node_id": 999999}},
		{"PortNotFound", 404, []string{"port"}, "get_port_by_id", obj{"port_id": 999999}},
		{"PortgroupNotFound", 404, []string{"portgroup"}, "get_portgroup_by_uuid", obj{"portgroup_uuid": missing}},
		{"ChassisNotFound", 404, []string{"chassis"}, "get_chassis_by_id", obj{"chassis_id": 999999}},
		{"VolumeConnectorNotFound", 404, []string{"connector"}, "get_volume_connector_by_uuid", obj{"connector_uuid": missing}},
		{"VolumeTargetNotFound", 404, []string{"target"}, "get_volume_target_by_uuid", obj{"uuid": missing}},
		{"ConductorNotFound", 404, []string{"conductor"}, "get_conductor", obj{"hostname": "nobody"}},
		{"InstanceNotFound", 404, []string{"instance"}, "get_node_by_instance", obj{"instance": missing}},
		{"NodeAlreadyExists", 409, []string{"uuid"}, "create_node", obj{"values": obj{"uuid": n1["uuid"]}}},
		{"ChassisAlreadyExists", 409, []string{"uuid"}, "create_chassis", obj{"values": obj{"uuid": ch["uuid"]}}},
		{"PortAlreadyExists", 409, []string{"uuid"}, "create_port", obj{"values": obj{"uuid": port["uuid"], "node_id": n1["id"], "address": "52:54:00:00:00:02"}}},
		{"PortgroupAlreadyExists", 409, []string{"uuid"}, "create_portgroup", obj{"values": obj{"uuid": pg["uuid"], "node_id": n1["id"]}}},
		{"VolumeConnectorAlreadyExists", 409, []string{"uuid"}, "create_volume_connector", obj{"connector_info": obj{"uuid": vc["uuid"], "node_id": n1["id"], "type": "iqn", "connector_id": "iqn.2"}}},
		{"VolumeTargetAlreadyExists", 409, []string{"uuid"}, "create_volume_target", obj{"target_info": obj{"uuid": vt["uuid"], "node_id": n1["id"], "volume_type": "iscsi", "boot_index": 1, "volume_id": "v2"}}},
		{"DuplicateName", 409, []string{"name"}, "create_node", obj{"values": obj{"name": "n1"}}},
		{"PortgroupDuplicateName", 409, []string{"name"}, "create_portgroup", obj{"values": obj{"name": "pg", "node_id": n1["id"]}}},
		{"MACAlreadyExists", 409, []string{"mac"}, "create_port", obj{"values": obj{"node_id": n1["id"], "address": "52:54:00:00:00:01"}}},
		{"PortgroupMACAlreadyExists", 409, []string{"mac"}, "create_portgroup", obj{"values": obj{"node_id": n1["id"], "address": "52:54:00:00:00:aa"}}},
		{"InstanceAssociated", 409, []string{"instance_uuid", "node"}, "update_node", obj{"node_id": n2["id"], "values": obj{"instance_uuid": n1["instance_uuid"]}}},
		{"VolumeConnectorTypeAndIdAlreadyExists", 409, []string{"type", "connector_id"}, "create_volume_connector", obj{"connector_info": obj{"node_id": n1["id"], "type": "iqn", "connector_id": "iqn.1"}}},
		{"VolumeTargetBootIndexAlreadyExists", 409, []string{"boot_index"}, "create_volume_target", obj{"target_info": obj{"node_id": n1["id"], "volume_type": "iscsi", "boot_index": 0, "volume_id": "v3"}}},
		{"NodeLocked", 409, []string{"node", "host"}, "reserve_node", obj{"tag": "c2", "node_id": n1["id"]}},
		{"ConductorAlreadyRegistered", 409, []string{"conductor"}, "register_conductor", obj{"values": obj{"hostname": "c1", "drivers": []string{}}}},
		{"ConductorHardwareInterfacesAlreadyRegistered", 409, []string{}, "register_conductor_hardware_interfaces", hw},
		{"NodeTagNotFound", 404, []string{"node_id", "tag"}, "delete_node_tag", obj{"node_id": n1["id"], "tag": "absent"}},
	}
	for _, c := range cases {
		before := keysUnder(t, s.Prefix)
		a := s.call(t, c.method, c.args)
		e := a.Obj(t)["error"].(obj)
		if a.Status != c.status || e["type"] != c.exc {
			t.Errorf("%s: %d %s, want %d %s", c.exc, a.Status, a.Body, c.status, c.exc)
			continue
		}
		msg, _ := e["message"].(string)
		params, _ := e["params"].(obj)
		if msg == "" || params == nil {
			t.Errorf("%s: no message or params: %s", c.exc, a.Body)
		}
		for _, p := range c.params {
			if _, ok := params[p]; !ok {
				t.Errorf("%s: no param %s: %s", c.exc, p, a.Body)
			}
		}
		if after := keysUnder(t, s.Prefix); !slices.Equal(before, after) {
			t.Errorf("%s: the refused call changed keys", c.exc)
		}
	}
}

// etcd out of reach: a read says StoreUnavailable, a write whose request
// may have reached etcd says UnknownOutcome; both 503.
func TestUnreachableEtcd(t *testing.T) {
	proxy, cli := etcdtest.ProxiedClient(t, server.Endpoints[0])
	s := startAPI(t, api.Config{Client: cli, RequestTimeout: 700 * time.Millisecond, StoreOptions: []etcdstore.Option{etcdstore.WithIDBlock(1)}})
	node := s.ok(t, "create_node", obj{"values": obj{"name": "before"}}).Obj(t)
	proxy.Block()
	defer proxy.Unblock()
	a := s.call(t, "get_node_by_id", obj{"node_id": node["id"]})
	if a.Status != http.StatusServiceUnavailable || a.ErrorType() != "StoreUnavailable" {
		t.Fatalf("read with etcd unreachable: %d %s", a.Status, a.Body)
	}
	a = s.call(t, "update_node", obj{"node_id": node["id"], "values": obj{"extra": obj{"a": 1}}})
	if a.Status != http.StatusServiceUnavailable || (a.ErrorType() != "UnknownOutcome" && a.ErrorType() != "StoreUnavailable") {
		t.Fatalf("write with etcd unreachable: %d %s", a.Status, a.Body)
	}
	if got := s.get(t, "/readyz"); got.Status != http.StatusServiceUnavailable {
		t.Fatalf("readyz with etcd unreachable: %d %s", got.Status, got.Body)
	}
	t.Log(fmt.Sprintf("write: %s", a.Body))
}
