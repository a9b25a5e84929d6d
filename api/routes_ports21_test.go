package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/api"
)

// 21.4's owner= / project= filters and the new port and volume reads,
// through HTTP.
func TestPorts21ThroughHTTP(t *testing.T) {
	s := startAPI(t, api.Config{})
	owned := s.ok(t, "create_node", obj{"values": obj{"owner": "o1", "shard": "s1"}}).Obj(t)["id"]
	leased := s.ok(t, "create_node", obj{"values": obj{"lessee": "o1"}}).Obj(t)["id"]
	other := s.ok(t, "create_node", obj{"values": obj{"owner": "o2"}}).Obj(t)["id"]
	for i, n := range []any{owned, leased, other} {
		s.ok(t, "create_port", obj{"values": obj{"node_id": n, "address": fmt.Sprintf("52:54:00:00:00:0%d", i), "name": fmt.Sprint("p", i)}})
		s.ok(t, "create_portgroup", obj{"values": obj{"node_id": n, "address": fmt.Sprintf("52:54:00:00:01:0%d", i)}})
		s.ok(t, "create_volume_connector", obj{"connector_info": obj{"node_id": n, "type": "iqn", "connector_id": fmt.Sprint("c", i)}})
		s.ok(t, "create_volume_target", obj{"target_info": obj{"node_id": n, "volume_type": "iscsi", "boot_index": 0, "volume_id": "vol"}})
	}
	count := func(method string, args obj) int {
		t.Helper()
		return len(s.ok(t, method, args).JSON(t).([]any))
	}
	for _, c := range []struct {
		method string
		args   obj
		want   int
	}{
		{"get_port_list", obj{}, 3},
		{"get_port_list", obj{"owner": "o1"}, 1},
		{"get_port_list", obj{"project": "o1"}, 2},
		{"get_port_list", obj{"owner": "o2", "project": "o1"}, 1},
		{"get_port_list", obj{"owner": nil, "project": nil}, 3},
		{"get_ports_by_node_id", obj{"node_id": leased, "owner": "o1"}, 0},
		{"get_ports_by_node_id", obj{"node_id": leased, "project": "o1"}, 1},
		{"get_ports_by_portgroup_id", obj{"portgroup_id": 1, "owner": "o1"}, 0},
		{"get_portgroup_list", obj{"project": "o1"}, 2},
		{"get_portgroups_by_node_id", obj{"node_id": other, "project": "o1"}, 0},
		{"get_volume_connector_list", obj{"project": "o2"}, 1},
		{"get_volume_target_list", obj{"project": "o1", "limit": 1}, 1},
		// 21.4 ignores project here.
		{"get_volume_connectors_by_node_id", obj{"node_id": other, "project": "o1"}, 1},
		{"get_volume_targets_by_node_id", obj{"node_id": other, "project": "o1"}, 1},
		{"get_volume_targets_by_volume_id", obj{"volume_id": "vol"}, 3},
		{"get_volume_targets_by_volume_id", obj{"volume_id": "vol", "project": "o1", "sort_dir": "desc"}, 2},
		{"get_volume_targets_by_volume_id", obj{"volume_id": "VOL"}, 0},
		{"get_ports_by_shards", obj{"shards": []string{"s1", "s2"}}, 1},
		{"get_ports_by_shards", obj{"shards": []string{}}, 0},
	} {
		if got := count(c.method, c.args); got != c.want {
			t.Errorf("%s %v: %d records, want %d", c.method, c.args, got, c.want)
		}
	}
	if got := s.ok(t, "get_port_by_address", obj{"address": "52:54:00:00:00:01", "project": "o1"}).Obj(t); got["name"] != "p1" {
		t.Fatalf("get_port_by_address(project=o1) %v", got)
	}
	if got := s.ok(t, "get_port_by_name", obj{"port_name": "P2"}).Obj(t); got["address"] != "52:54:00:00:00:02" || got["is_smartnic"] != false {
		t.Fatalf("get_port_by_name %v", got)
	}
	for _, c := range []struct {
		method string
		args   obj
		status int
		want   string
	}{
		{"get_port_by_address", obj{"address": "52:54:00:00:00:01", "owner": "o1"}, http.StatusNotFound, "PortNotFound"},
		{"get_port_by_name", obj{"port_name": "missing"}, http.StatusNotFound, "PortNotFound"},
		{"get_portgroup_by_id", obj{"portgroup_id": 3, "project": "o1"}, http.StatusNotFound, "PortgroupNotFound"},
		{"get_portgroup_by_address", obj{"address": "52:54:00:00:01:02", "project": "o1"}, http.StatusNotFound, "PortgroupNotFound"},
		{"create_port", obj{"values": obj{"address": "52:54:00:00:00:09", "name": "P0"}}, http.StatusConflict, "PortAlreadyExists"},
		{"update_port", obj{"port_id": "52:54:00:00:00:01", "values": obj{"name": "p0"}}, http.StatusConflict, "PortDuplicateName"},
		{"get_ports_by_shards", obj{"shards": []string{"s1"}, "sort_key": "nope"}, http.StatusBadRequest, "InvalidParameterValue"},
		{"get_ports_by_shards", obj{}, http.StatusBadRequest, "MissingArgument"},
		{"get_volume_targets_by_volume_id", obj{"volume_id": "vol", "owner": "o1"}, http.StatusBadRequest, "UnknownArgument"},
	} {
		if a := s.call(t, c.method, c.args); a.Status != c.status || a.ErrorType() != c.want {
			t.Errorf("%s %v: %d %s, want %d %s", c.method, c.args, a.Status, a.Body, c.status, c.want)
		}
	}
}
