package api_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/api"
	"github.com/ironic-etcd/ironic-etcd/keys"
)

// A conductor that dies holding nodes: once its lease expires its locks
// are gone, but its nodes still name it (a stale holder), so Ironic's
// orphan task finds them with reserved_by_any_of the offline conductors
// and releases them; another conductor may reserve one at once.
func TestStaleHolderThroughAPI(t *testing.T) {
	s := startAPI(t, api.Config{HeartbeatTimeout: time.Minute})
	s.ok(t, "register_conductor", obj{"values": obj{"hostname": "dead", "drivers": []string{"fake-hardware"}}})
	var ids []any
	for i := range 3 {
		n := s.ok(t, "create_node", obj{"values": obj{"name": fmt.Sprint("n", i), "provision_state": "deploying"}}).Obj(t)
		s.ok(t, "reserve_node", obj{"tag": "dead", "node_id": n["id"]})
		ids = append(ids, n["id"])
	}
	// The conductor is SIGKILLed: its lease expires (revoked here rather
	// than waited for).
	alive, err := client.Get(t.Context(), keys.MustNew(s.Prefix).Alive("dead"))
	if err != nil || len(alive.Kvs) != 1 || alive.Kvs[0].Lease == 0 {
		t.Fatalf("the conductor's liveness key: %v %v", alive, err)
	}
	if _, err := client.Revoke(t.Context(), clientv3.LeaseID(alive.Kvs[0].Lease)); err != nil {
		t.Fatal(err)
	}
	if got := s.ok(t, "get_offline_conductors", obj{}).JSON(t).([]any); fmt.Sprint(got) != "[dead]" {
		t.Fatalf("offline conductors: %v", got)
	}
	for _, id := range ids {
		n := s.ok(t, "get_node_by_id", obj{"node_id": id}).Obj(t)
		if n["reservation"] != "dead" || fmt.Sprint(n["reservation_revision"]) != "0" {
			t.Fatalf("node %v after the lease expired: reservation %v token %v, want the stale holder, token 0", id, n["reservation"], n["reservation_revision"])
		}
	}
	orphans := func() []any {
		return s.ok(t, "get_nodeinfo_list", obj{"columns": []string{"id", "reservation"},
			"filters": obj{"reserved_by_any_of": []string{"dead"}, "provision_state": "deploying"}}).JSON(t).([]any)
	}
	if got := orphans(); len(got) != 3 {
		t.Fatalf("the orphan task's filter found %v", got)
	}
	// Another conductor takes one at once: the lock is free.
	s.ok(t, "register_conductor", obj{"values": obj{"hostname": "survivor", "drivers": []string{"fake-hardware"}}})
	if n := s.ok(t, "reserve_node", obj{"tag": "survivor", "node_id": ids[0]}).Obj(t); n["reservation"] != "survivor" {
		t.Fatalf("reserve by another conductor: %v", n["reservation"])
	}
	if a := s.call(t, "release_node", obj{"tag": "dead", "node_id": ids[0]}); a.Status != http.StatusConflict || a.Obj(t)["error"].(obj)["type"] != "NodeLocked" {
		t.Fatalf("the stale holder released the survivor's node: %d %s", a.Status, a.Body)
	}
	// The orphan task: release_node(dead host) on the others.
	for _, id := range ids[1:] {
		s.ok(t, "release_node", obj{"tag": "dead", "node_id": id})
		if n := s.ok(t, "get_node_by_id", obj{"node_id": id}).Obj(t); n["reservation"] != nil {
			t.Fatalf("node %v after the stale holder's release: %v", id, n["reservation"])
		}
		if a := s.call(t, "release_node", obj{"tag": "dead", "node_id": id}); a.Status != http.StatusBadRequest || a.Obj(t)["error"].(obj)["type"] != "NodeNotLocked" {
			t.Fatalf("a second release: %d %s", a.Status, a.Body)
		}
	}
	if got := orphans(); len(got) != 0 {
		t.Fatalf("orphans left after the release: %v", got)
	}
}
