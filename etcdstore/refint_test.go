package etcdstore_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// 8 goroutines create ports for a node while another destroys it: every
// create lands before the destroy (and goes with it) or fails with
// NodeNotFound; afterwards nothing refers to the node.
func TestCreatePortsRacingDestroyNode(t *testing.T) {
	for round := 0; round < 5; round++ {
		f := newFixture(t)
		n := f.mustNode(t, nil)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				<-start
				for i := 0; i < 10; i++ {
					_, err := f.CreatePort(f.ctx, etcdstore.Values{"node_id": n.Id, "address": macOf(w*100 + i)})
					if err != nil && !errors.Is(err, etcdstore.ErrNodeNotFound) {
						t.Errorf("create: %v", err)
						return
					}
				}
			}(w)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if err := f.DestroyNode(f.ctx, n.Uuid); err != nil {
				t.Errorf("destroy: %v", err)
			}
		}()
		close(start)
		wg.Wait()
		assertNoOrphans(t, f)
	}
}

// assertNoOrphans checks that no port, membership key or index entry
// refers to a node, portgroup or record that does not exist.
func assertNoOrphans(t *testing.T, f *fixture) {
	t.Helper()
	resp, err := client.Get(f.ctx, f.prefix, clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	exists := map[string]bool{}
	for _, kv := range resp.Kvs {
		exists[strings.TrimPrefix(string(kv.Key), f.prefix)] = true
	}
	ports, err := f.GetPortList(f.ctx, etcdstore.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ports {
		if p.NodeId != nil && !exists[fmt.Sprintf("nodes/%019d", p.GetNodeId())] {
			t.Fatalf("port %d points to missing node %d", p.Id, p.GetNodeId())
		}
	}
	owners := map[string]string{"node_id": "nodes", "portgroup_id": "portgroups", "chassis_id": "chassis", "conductor_id": "conductors"}
	for k := range exists {
		parts := strings.Split(k, "/")
		switch {
		case parts[0] == "index" && len(parts) == 5 && owners[parts[2]] != "":
			// membership: index/<table>/<column>/<owner>/<id>
			if !exists[parts[1]+"/"+parts[4]] || !exists[owners[parts[2]]+"/"+parts[3]] {
				t.Fatalf("membership key %s refers to a missing record", k)
			}
		case parts[0] == "index" && len(parts) == 4:
			// unique index: index/<table>/<field>/<value> -> id
			v, _ := client.Get(f.ctx, f.prefix+k)
			var id int64
			fmt.Sscan(string(v.Kvs[0].Value), &id)
			if !exists[fmt.Sprintf("%s/%019d", parts[1], id)] {
				t.Fatalf("index key %s refers to missing %s %d", k, parts[1], id)
			}
		}
	}
}
