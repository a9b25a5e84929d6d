package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/api"
)

// exerciseAllocations calls every allocation route on s, on a node of its
// own, for TestEveryRouteThroughHTTP.
func exerciseAllocations(t *testing.T, s *apiServer) {
	t.Helper()
	node := s.ok(t, "create_node", obj{"values": obj{"name": "allocated"}}).Obj(t)
	nodeID, nodeUUID := node["id"], node["uuid"].(string)
	a := s.ok(t, "create_allocation", obj{"values": obj{"name": "a1", "resource_class": "bm", "conductor_affinity": 1,
		"traits": []string{"CUSTOM_GPU"}, "extra": obj{"big": json.Number("123456789012345678901234567890")}}}).Obj(t)
	if a["state"] != "allocating" || a["node_id"] != nil || fmt.Sprint(a["traits"]) != "[CUSTOM_GPU]" {
		t.Fatalf("created %v", a)
	}
	s.ok(t, "get_allocation_by_id", obj{"allocation_id": a["id"]})
	s.ok(t, "get_allocation_by_uuid", obj{"allocation_uuid": a["uuid"]})
	s.ok(t, "get_allocation_by_name", obj{"name": "a1"})
	s.ok(t, "update_allocation", obj{"allocation_id": a["uuid"], "values": obj{"node_id": nodeID, "state": "active"}})
	n := s.ok(t, "get_node_by_uuid", obj{"node_uuid": nodeUUID}).Obj(t)
	if fmt.Sprint(n["allocation_id"]) != fmt.Sprint(a["id"]) || n["instance_uuid"] != a["uuid"] ||
		fmt.Sprint(n["instance_info"].(obj)["traits"]) != "[CUSTOM_GPU]" {
		t.Fatalf("node after association %v", n)
	}
	list := s.ok(t, "get_allocation_list", obj{"filters": obj{"node_uuid": nodeUUID, "conductor_affinity": 1, "state": "active"},
		"sort_key": "name", "limit": 5}).JSON(t).([]any)
	if len(list) != 1 {
		t.Fatalf("list %v", list)
	}
	if got := s.ok(t, "take_over_allocation", obj{"allocation_id": a["id"], "old_conductor_id": 1, "new_conductor_id": 2}).JSON(t); got != true {
		t.Fatalf("take over %v", got)
	}
	if got := s.ok(t, "take_over_allocation", obj{"allocation_id": a["id"], "old_conductor_id": 1, "new_conductor_id": 3}).JSON(t); got != false {
		t.Fatalf("second take over %v", got)
	}
	s.ok(t, "destroy_allocation", obj{"allocation_id": a["uuid"]})
	n = s.ok(t, "get_node_by_uuid", obj{"node_uuid": nodeUUID}).Obj(t)
	if n["allocation_id"] != nil || n["instance_uuid"] != nil {
		t.Fatalf("node after destroy_allocation %v", n)
	}
	// destroy_node takes the node's allocations with it.
	s.ok(t, "create_allocation", obj{"values": obj{"name": "a2", "node_id": nodeID}})
	s.ok(t, "destroy_node", obj{"node_id": nodeUUID})
	if got := s.call(t, "get_allocation_by_name", obj{"name": "a2"}); got.Status != http.StatusNotFound {
		t.Fatalf("the destroyed node's allocation: %d %s", got.Status, got.Body)
	}
}

// The allocation methods' errors and arguments through HTTP.
func TestAllocationRoutesErrors(t *testing.T) {
	s := startAPI(t, api.Config{})
	node := s.ok(t, "create_node", obj{"values": obj{"instance_uuid": "1be26c0b-03f2-4d2e-ae87-c02d7f33c123"}}).Obj(t)
	a := s.ok(t, "create_allocation", obj{"values": obj{"name": "a1"}}).Obj(t)
	for _, c := range []struct {
		method string
		args   obj
		status int
		typ    string
	}{
		{"get_allocation_by_id", obj{"allocation_id": 99}, http.StatusNotFound, "AllocationNotFound"},
		{"get_allocation_by_name", obj{"name": "nope"}, http.StatusNotFound, "AllocationNotFound"},
		{"create_allocation", obj{"values": obj{"name": "A1"}}, http.StatusConflict, "AllocationDuplicateName"},
		{"create_allocation", obj{"values": obj{"uuid": a["uuid"]}}, http.StatusConflict, "AllocationAlreadyExists"},
		{"update_allocation", obj{"allocation_id": a["id"], "values": obj{"uuid": a["uuid"]}}, http.StatusBadRequest, "InvalidParameterValue"},
		{"update_allocation", obj{"allocation_id": "x", "values": obj{}}, http.StatusBadRequest, "InvalidIdentity"},
		{"update_allocation", obj{"allocation_id": a["id"], "values": obj{"node_id": node["id"]}}, http.StatusConflict, "NodeAssociated"},
		{"update_allocation", obj{"allocation_id": a["id"], "values": obj{"node_id": 4242}, "update_node": false}, http.StatusNotFound, "NodeNotFound"},
		{"take_over_allocation", obj{"allocation_id": 99, "old_conductor_id": 1, "new_conductor_id": 2}, http.StatusNotFound, "AllocationNotFound"},
		{"destroy_allocation", obj{"allocation_id": 99}, http.StatusNotFound, "AllocationNotFound"},
		{"get_allocation_list", obj{"filters": obj{"foo": 1}}, http.StatusBadRequest, "InvalidParameterValue"},
		{"get_allocation_list", obj{"filters": obj{"state": 1}}, http.StatusBadRequest, "InvalidParameterValue"},
		{"get_allocation_list", obj{"sort_key": "foo"}, http.StatusBadRequest, "InvalidParameterValue"},
	} {
		got := s.call(t, c.method, c.args)
		if got.Status != c.status || got.ErrorType() != c.typ {
			t.Errorf("%s(%v): %d %s, want %d %s", c.method, c.args, got.Status, got.Body, c.status, c.typ)
		}
	}
	if got := s.ok(t, "get_allocation_by_id", obj{"allocation_id": a["id"]}).Obj(t); got["node_id"] != nil || got["state"] != "allocating" {
		t.Fatalf("refused calls changed the allocation: %v", got)
	}
	// update_node defaults to true; false leaves the node alone.
	n2 := s.ok(t, "create_node", obj{"values": obj{}}).Obj(t)
	s.ok(t, "update_allocation", obj{"allocation_id": a["id"], "values": obj{"node_id": n2["id"]}, "update_node": false})
	if got := s.ok(t, "get_node_by_id", obj{"node_id": n2["id"]}).Obj(t); got["allocation_id"] != nil {
		t.Fatalf("update_node=false associated: %v", got)
	}
	if got := s.ok(t, "get_allocation_list", obj{"filters": obj{"node_uuid": n2["uuid"]}}).JSON(t).([]any); len(got) != 1 {
		t.Fatalf("by node uuid %v", got)
	}
}
