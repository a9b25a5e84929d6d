package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/api"
)

// 21.4's node_uuid through HTTP: every answer that is a port or
// portgroup record, or a list of them, carries it right after node_id,
// the uuid of the record's node, null without one; both read modes.
func TestNodeUUIDThroughHTTP(t *testing.T) {
	for _, mode := range []struct {
		name string
		cfg  api.Config
	}{{"direct", api.Config{}}, {"cached", api.Config{ReadCache: true}}} {
		t.Run(mode.name, func(t *testing.T) { checkNodeUUIDs(t, startAPI(t, mode.cfg)) })
	}
}

func checkNodeUUIDs(t *testing.T, s *apiServer) {
	uuidOf := map[string]string{} // node id, as JSON, to uuid
	newNode := func(values obj) any {
		n := s.ok(t, "create_node", obj{"values": values}).Obj(t)
		uuidOf[fmt.Sprint(n["id"])] = n["uuid"].(string)
		return n["id"]
	}
	a, b := newNode(obj{"owner": "o"}), newNode(obj{"shard": "s1"})
	ga := s.ok(t, "create_portgroup", obj{"values": obj{"node_id": a, "name": "ga", "address": "52:54:00:00:01:01"}}).Obj(t)
	gb := s.ok(t, "create_portgroup", obj{"values": obj{"node_id": b, "name": "gb", "address": "52:54:00:00:01:02"}}).Obj(t)
	gn := s.ok(t, "create_portgroup", obj{"values": obj{"name": "gn", "address": "52:54:00:00:01:03"}}).Obj(t)
	pa := s.ok(t, "create_port", obj{"values": obj{"node_id": a, "portgroup_id": ga["id"], "address": "52:54:00:00:00:01", "name": "pa"}}).Obj(t)
	s.ok(t, "create_port", obj{"values": obj{"node_id": b, "portgroup_id": gb["id"], "address": "52:54:00:00:00:02"}})
	pn := s.ok(t, "create_port", obj{"values": obj{"address": "52:54:00:00:00:03", "name": "pn"}}).Obj(t)
	// Each route answering ports or portgroups, with how many records
	// (0: one record, not a list) and of how many distinct nodes.
	cases := []struct {
		method       string
		args         obj
		list, nodes  int
		wantNullNode bool
	}{
		{"get_port_by_id", obj{"port_id": pa["id"]}, 0, 1, false},
		{"get_port_by_uuid", obj{"port_uuid": pn["uuid"]}, 0, 0, true},
		{"get_port_by_address", obj{"address": "52:54:00:00:00:02"}, 0, 1, false},
		{"get_port_by_name", obj{"port_name": "pn"}, 0, 0, true},
		{"get_port_list", obj{}, 3, 2, true},
		{"get_port_list", obj{"sort_key": "address", "sort_dir": "desc", "limit": 2}, 2, 1, true},
		{"get_port_list", obj{"project": "o"}, 1, 1, false},
		{"get_ports_by_node_id", obj{"node_id": a}, 1, 1, false},
		{"get_ports_by_portgroup_id", obj{"portgroup_id": gb["id"]}, 1, 1, false},
		{"get_ports_by_shards", obj{"shards": []string{"s1"}}, 1, 1, false},
		{"create_port", obj{"values": obj{"node_id": b, "address": "52:54:00:00:00:04"}}, 0, 1, false},
		{"update_port", obj{"port_id": fmt.Sprint(pa["id"]), "values": obj{"node_id": b, "portgroup_id": nil}}, 0, 1, false},
		{"update_port", obj{"port_id": pa["uuid"], "values": obj{"node_id": nil}}, 0, 0, true},
		{"get_portgroup_by_id", obj{"portgroup_id": ga["id"]}, 0, 1, false},
		{"get_portgroup_by_uuid", obj{"portgroup_uuid": gb["uuid"]}, 0, 1, false},
		{"get_portgroup_by_address", obj{"address": "52:54:00:00:01:03"}, 0, 0, true},
		{"get_portgroup_by_name", obj{"name": "ga"}, 0, 1, false},
		{"get_portgroup_list", obj{}, 3, 2, true},
		{"get_portgroups_by_node_id", obj{"node_id": b}, 1, 1, false},
		{"create_portgroup", obj{"values": obj{"node_id": a, "address": "52:54:00:00:01:04"}}, 0, 1, false},
		{"update_portgroup", obj{"portgroup_id": gn["uuid"], "values": obj{"node_id": a}}, 0, 1, false},
	}
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.method] = true
		ans := s.ok(t, c.method, c.args)
		recs := []any{ans.JSON(t)}
		if c.list > 0 {
			recs = ans.JSON(t).([]any)
		}
		if c.list > 0 && len(recs) != c.list {
			t.Errorf("%s %v: %d records, want %d", c.method, c.args, len(recs), c.list)
		}
		nodes, nulls := map[string]bool{}, 0
		for _, r := range recs {
			rec := r.(map[string]any)
			got, has := rec["node_uuid"]
			nodeID := fmt.Sprint(rec["node_id"])
			switch {
			case !has:
				t.Errorf("%s %v: no node_uuid in %v", c.method, c.args, rec)
			case rec["node_id"] == nil && got != nil:
				t.Errorf("%s %v: node_uuid %v without node", c.method, c.args, got)
			case rec["node_id"] == nil:
				nulls++
			case got != uuidOf[nodeID]:
				t.Errorf("%s %v: node_uuid %v of node %v, want %s", c.method, c.args, got, nodeID, uuidOf[nodeID])
			default:
				nodes[got.(string)] = true
			}
		}
		if len(nodes) != c.nodes || (nulls > 0) != c.wantNullNode {
			t.Errorf("%s %v: records of %d nodes and %d without, want %d and %v", c.method, c.args, len(nodes), nulls, c.nodes, c.wantNullNode)
		}
		if !strings.Contains(string(ans.Body), `"node_id":null,"node_uuid":null`) && !strings.Contains(string(ans.Body), `,"node_uuid":"`) {
			t.Errorf("%s: node_uuid does not follow node_id: %s", c.method, ans.Body)
		}
	}
	// Every route answering ports or portgroups is among the cases, so a
	// new one cannot forget the column.
	for _, r := range api.Routes() {
		if answersPortsOrPortgroups(r) && !covered[r.Name] {
			t.Errorf("%s answers ports or portgroups but is not checked for node_uuid", r.Name)
		}
	}
	// node_uuid is read-only: as a value it is an unknown column, and
	// nothing is written.
	if typ := s.call(t, "update_port", obj{"port_id": pn["uuid"], "values": obj{"node_uuid": uuidOf[fmt.Sprint(a)]}}).ErrorType(); typ != "InvalidParameterValue" {
		t.Errorf("update_port with node_uuid: %s, want InvalidParameterValue", typ)
	}
}

// answersPortsOrPortgroups reports whether r's result is a Port or
// Portgroup record, or a list of them.
func answersPortsOrPortgroups(r *api.Route) bool {
	ref, _ := r.Result.Schema["$ref"].(string)
	if items, ok := r.Result.Schema["items"].(map[string]any); ok {
		ref, _ = items["$ref"].(string)
	}
	return ref == "#/components/schemas/Port" || ref == "#/components/schemas/Portgroup"
}

// The OpenAPI document shows node_uuid in the Port and Portgroup
// records, read-only, and in no other record.
func TestNodeUUIDInOpenAPI(t *testing.T) {
	schemas := api.OpenAPI()["components"].(map[string]any)["schemas"].(map[string]any)
	for name, schema := range schemas {
		props, _ := schema.(map[string]any)["properties"].(map[string]any)
		col, has := props["node_uuid"].(map[string]any)
		switch {
		case name == "Port" || name == "Portgroup":
			if !has || col["readOnly"] != true || fmt.Sprint(col["type"]) != "[string null]" {
				t.Errorf("%s: node_uuid %v, want a read-only string or null", name, col)
			}
		case has:
			t.Errorf("%s has node_uuid", name)
		}
	}
}
