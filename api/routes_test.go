package api_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/api"
)

// seedMethods are the 66 methods of the seed's Connection
// (ironic/db/api.py).
var seedMethods = strings.Fields(`get_nodeinfo_list get_node_list reserve_node release_node create_node
get_node_by_id get_node_by_uuid get_node_by_name get_node_by_instance destroy_node update_node
get_port_by_id get_port_by_uuid get_port_by_address get_port_list get_ports_by_node_id
get_ports_by_portgroup_id create_port update_port destroy_port get_portgroup_by_id
get_portgroup_by_uuid get_portgroup_by_address get_portgroup_by_name get_portgroup_list
get_portgroups_by_node_id create_portgroup update_portgroup destroy_portgroup create_chassis
get_chassis_by_id get_chassis_by_uuid get_chassis_list update_chassis destroy_chassis
register_conductor get_conductor unregister_conductor touch_conductor get_active_driver_dict
get_offline_conductors list_conductor_hardware_interfaces register_conductor_hardware_interfaces
unregister_conductor_hardware_interfaces touch_node_provisioning set_node_tags unset_node_tags
get_node_tags_by_node_id add_node_tag delete_node_tag node_tag_exists get_node_by_port_addresses
get_volume_connector_list get_volume_connector_by_id get_volume_connector_by_uuid
get_volume_connectors_by_node_id create_volume_connector update_volume_connector
destroy_volume_connector get_volume_target_list get_volume_target_by_id get_volume_target_by_uuid
get_volume_targets_by_node_id create_volume_target update_volume_target destroy_volume_target`)

func TestEverySeedMethodIsRouted(t *testing.T) {
	if len(seedMethods) != 66 {
		t.Fatalf("%d seed methods listed", len(seedMethods))
	}
	for _, m := range seedMethods {
		if _, ok := api.Lookup(m); !ok {
			t.Errorf("seed method %s has no route", m)
		}
	}
}

// The OpenAPI document and the route table are one: every route is
// described with exactly its arguments, every described path is routed.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	s := startAPI(t, api.Config{})
	a := s.get(t, "/v1/openapi.json")
	if a.Status != http.StatusOK {
		t.Fatalf("%d %s", a.Status, a.Body)
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
		Paths   map[string]struct {
			Post struct {
				OperationID string `json:"operationId"`
				RequestBody struct {
					Content map[string]struct {
						Schema struct {
							Properties map[string]json.RawMessage `json:"properties"`
							Required   []string                   `json:"required"`
						} `json:"schema"`
					} `json:"content"`
				} `json:"requestBody"`
				Responses map[string]json.RawMessage `json:"responses"`
			} `json:"post"`
		} `json:"paths"`
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(a.Body, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	routes := api.Routes()
	if len(doc.Paths) != len(routes) {
		t.Errorf("%d paths described, %d routes", len(doc.Paths), len(routes))
	}
	for _, r := range routes {
		p, ok := doc.Paths["/v1/"+r.Name]
		if !ok {
			t.Errorf("route %s not described", r.Name)
			continue
		}
		schema := p.Post.RequestBody.Content["application/json"].Schema
		var names, required []string
		for _, arg := range r.Args {
			names = append(names, arg.Name)
			if arg.Required {
				required = append(required, arg.Name)
			}
			if _, ok := schema.Properties[arg.Name]; !ok {
				t.Errorf("%s: argument %s not described", r.Name, arg.Name)
			}
		}
		if len(schema.Properties) != len(names) || !slices.Equal(sorted(schema.Required), sorted(required)) {
			t.Errorf("%s: described %v required %v, routed %v required %v", r.Name, schema.Properties, schema.Required, names, required)
		}
		if _, ok := p.Post.Responses["200"]; !ok {
			t.Errorf("%s: no 200 response", r.Name)
		}
	}
	// Every described path is routed: a call with no arguments reaches the
	// route (missing arguments or an answer), never UnknownMethod.
	for path := range doc.Paths {
		name := strings.TrimPrefix(path, "/v1/")
		if _, ok := api.Lookup(name); !ok {
			t.Errorf("described path %s is not routed", path)
		}
		r, _ := api.Lookup(name)
		if typ := s.call(t, name, `{"no_such_argument": 1}`).ErrorType(); typ != "UnknownArgument" && !(r != nil && r.TestingOnly && typ == "TestingModeOnly") {
			t.Errorf("POST %s: %s, want UnknownArgument from its route", path, typ)
		}
	}
	for _, ref := range []string{"Node", "Port", "Portgroup", "Chassis", "Conductor", "VolumeConnector", "VolumeTarget", "NodeTag", "NodeTrait", "BIOSSetting", "Error"} {
		if _, ok := doc.Components.Schemas[ref]; !ok {
			t.Errorf("schema %s missing", ref)
		}
	}
	list := s.get(t, "/v1/").Obj(t)["methods"].([]any)
	if len(list) != len(routes)-1 { // reset_for_tests only with --testing
		t.Errorf("GET /v1/ lists %d methods, %d routes", len(list), len(routes))
	}
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
