package api_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/ironic-etcd/ironic-etcd/api"
)

const ttl = 2 * time.Second // the conductors' heartbeat timeout in these tests

// waitUnlocked polls until node's lock is free (its fencing token 0; a
// holder whose lease expired stays its reservation, a stale holder), and
// returns how long it took.
func waitUnlocked(t *testing.T, s *apiServer, nodeID any, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < within {
		if n := s.ok(t, "get_node_by_id", obj{"node_id": nodeID}).Obj(t); fmt.Sprint(n["reservation_revision"]) == "0" {
			return time.Since(start)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("node %v still locked after %v", nodeID, within)
	return 0
}

// A conductor that stops heartbeating loses its locks when its lease
// expires, with no cleanup from anyone; a later heartbeat revives it.
func TestConductorLeaseExpiryFreesLocks(t *testing.T) {
	s := startAPI(t, api.Config{HeartbeatTimeout: ttl})
	node := s.ok(t, "create_node", obj{"values": obj{"name": "n"}}).Obj(t)
	other := s.ok(t, "create_node", obj{"values": obj{"name": "unbound"}}).Obj(t)
	s.ok(t, "register_conductor", obj{"values": obj{"hostname": "c1", "drivers": []string{"ipmi"}}})
	s.ok(t, "reserve_node", obj{"tag": "c1", "node_id": node["id"]})
	s.ok(t, "reserve_node", obj{"tag": "not-a-conductor", "node_id": other["id"]})
	// Heartbeats keep it: three TTLs of touches, the lock stays.
	for range 12 {
		time.Sleep(ttl / 4)
		s.ok(t, "touch_conductor", obj{"hostname": "c1"})
	}
	if n := s.ok(t, "get_node_by_id", obj{"node_id": node["id"]}).Obj(t); n["reservation"] != "c1" {
		t.Fatalf("lock lost while heartbeating: %v", n["reservation"])
	}
	// The conductor dies (stops calling): within TTL + 1 s its lock is gone.
	took := waitUnlocked(t, s, node["id"], ttl+time.Second)
	t.Logf("lock freed %v after the last heartbeat", took)
	if n := s.ok(t, "get_node_by_id", obj{"node_id": node["id"]}).Obj(t); n["reservation"] != "c1" {
		t.Fatalf("the dead conductor is not the node's stale holder: %v", n["reservation"])
	}
	if got := s.ok(t, "get_offline_conductors", obj{}).JSON(t).([]any); fmt.Sprint(got) != "[c1]" {
		t.Fatalf("offline after lease expiry: %v", got)
	}
	if got := s.ok(t, "get_active_driver_dict", obj{}).Obj(t); len(got) != 0 {
		t.Fatalf("dead conductor still active: %v", got)
	}
	// A lock taken under a tag that is no conductor is not bound to a lease.
	if n := s.ok(t, "get_node_by_id", obj{"node_id": other["id"]}).Obj(t); n["reservation"] != "not-a-conductor" {
		t.Fatalf("unbound lock lost: %v", n["reservation"])
	}
	// A heartbeat revives it under a new lease, and its new locks are bound.
	s.ok(t, "touch_conductor", obj{"hostname": "c1"})
	if got := s.ok(t, "get_offline_conductors", obj{}).JSON(t).([]any); len(got) != 0 {
		t.Fatalf("offline after a heartbeat: %v", got)
	}
	s.ok(t, "reserve_node", obj{"tag": "c1", "node_id": node["id"]})
	waitUnlocked(t, s, node["id"], ttl+time.Second)
}

// unregister_conductor revokes the lease: the locks go at once.
func TestUnregisterRevokesLease(t *testing.T) {
	s := startAPI(t, api.Config{HeartbeatTimeout: time.Minute})
	node := s.ok(t, "create_node", obj{"values": obj{}}).Obj(t)
	s.ok(t, "register_conductor", obj{"values": obj{"hostname": "c1", "drivers": []string{}}})
	s.ok(t, "reserve_node", obj{"tag": "c1", "node_id": node["id"]})
	s.ok(t, "unregister_conductor", obj{"hostname": "c1"})
	waitUnlocked(t, s, node["id"], 2*time.Second)
	// update_existing keeps a live conductor's lease, and so its locks.
	s.ok(t, "register_conductor", obj{"values": obj{"hostname": "c2", "drivers": []string{}}})
	s.ok(t, "reserve_node", obj{"tag": "c2", "node_id": node["id"]})
	s.ok(t, "register_conductor", obj{"values": obj{"hostname": "c2", "drivers": []string{"x"}}, "update_existing": true})
	if n := s.ok(t, "get_node_by_id", obj{"node_id": node["id"]}).Obj(t); n["reservation"] != "c2" {
		t.Fatalf("re-registration lost the lock: %v", n["reservation"])
	}
	s.ok(t, "unregister_conductor", obj{"hostname": "c2"})
	waitUnlocked(t, s, node["id"], 2*time.Second)
}

// Two replicas over one cluster; one is killed mid-run. Every write it
// acknowledged is there, and the survivor keeps the conductor's lease (it
// belongs to the conductor, not to the replica that granted it).
func TestReplicaKilledMidRun(t *testing.T) {
	const ttl = 2 * time.Second
	a := startAPI(t, api.Config{HeartbeatTimeout: ttl})
	b := startAPI(t, api.Config{HeartbeatTimeout: ttl, Prefix: a.Prefix})
	node := a.ok(t, "create_node", obj{"values": obj{"name": "locked"}}).Obj(t)
	a.ok(t, "register_conductor", obj{"values": obj{"hostname": "c1", "drivers": []string{"ipmi"}}})
	a.ok(t, "reserve_node", obj{"tag": "c1", "node_id": node["id"]})

	// The conductor heartbeats through b all along: b renews the lease a
	// granted. It stops at the end of the test.
	beats := make(chan struct{})
	beating := make(chan int)
	go func() {
		n := 0
		defer func() { beating <- n }()
		for {
			select {
			case <-beats:
				return
			case <-time.After(ttl / 4):
			}
			if code, err := postQuiet(b.URL, "touch_conductor", `{"hostname": "c1"}`); err == nil && code == http.StatusOK {
				n++
			}
		}
	}()

	// Writers on replica a until it dies; each remembers what a acknowledged.
	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("w%d-%d", w, i)
				ans, err := postQuiet(a.URL, "create_node", fmt.Sprintf(`{"values": {"name": %q}}`, name))
				if err != nil || ans != http.StatusOK {
					continue // refused or cut off: not acknowledged
				}
				mu.Lock()
				acked = append(acked, name)
				mu.Unlock()
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	a.Kill()
	time.Sleep(100 * time.Millisecond)
	close(stop)
	wg.Wait()
	if len(acked) == 0 {
		t.Fatal("replica a acknowledged nothing before it died")
	}
	for _, name := range acked {
		if ans := b.call(t, "get_node_by_name", obj{"node_name": name}); ans.Status != http.StatusOK {
			t.Fatalf("acknowledged write %s lost: %d %s", name, ans.Status, ans.Body)
		}
	}
	// Three more TTLs of heartbeats through b alone: its lock stays.
	time.Sleep(3 * ttl)
	close(beats)
	if n := <-beating; n < 4 {
		t.Fatalf("only %d heartbeats went through", n)
	}
	if n := b.ok(t, "get_node_by_id", obj{"node_id": node["id"]}).Obj(t); n["reservation"] != "c1" {
		t.Fatalf("lock lost with the replica: %v", n["reservation"])
	}
	if got := b.ok(t, "get_offline_conductors", obj{}).JSON(t).([]any); len(got) != 0 {
		t.Fatalf("conductor offline: %v", got)
	}
	t.Logf("%d writes acknowledged by the killed replica, all found through the survivor", len(acked))
}

// postQuiet posts without failing the test (the server may be dying).
func postQuiet(url, method, body string) (int, error) {
	resp, err := http.Post(url+"/v1/"+method, "application/json", stringsReader(body))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, nil
}
