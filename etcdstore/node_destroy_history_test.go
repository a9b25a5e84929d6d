package etcdstore_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// destroy_node removes the node's history and inventory, as 21.4 does,
// also when they take several transactions.
func TestDestroyNodeRemovesHistoryAndInventory(t *testing.T) {
	for _, maxOps := range []int{128, 16} {
		f := newFixture(t, etcdstore.WithMaxTxnOps(maxOps))
		n := f.mustNode(t, nil)
		other := f.mustNode(t, nil)
		for i := 0; i < 10; i++ {
			f.mustHistory(t, etcdstore.Values{"node_id": n.Id})
		}
		f.mustInventory(t, etcdstore.Values{"node_id": n.Id})
		keptH := f.mustHistory(t, etcdstore.Values{"node_id": other.Id})
		keptI := f.mustInventory(t, etcdstore.Values{"node_id": other.Id})
		if err := f.DestroyNode(f.ctx, n.Uuid); err != nil {
			t.Fatal(maxOps, err)
		}
		if list, _ := f.GetNodeHistoryByNodeID(f.ctx, n.Id, etcdstore.ListOptions{}); len(list) != 0 {
			t.Fatalf("max ops %d: history left: %v", maxOps, list)
		}
		_, err := f.GetNodeInventoryByNodeID(f.ctx, n.Id)
		wantErr(t, err, etcdstore.ErrNodeInventoryNotFound)
		for _, k := range f.keysUnder(t) {
			if strings.Contains(k, "/"+padded(n.Id)) && !strings.HasPrefix(k, "ids/") {
				t.Fatalf("max ops %d: a key of the node is left: %s", maxOps, k)
			}
		}
		if h, err := f.GetNodeHistoryByID(f.ctx, keptH.Id); err != nil || h.GetNodeId() != other.Id {
			t.Fatal(h, err)
		}
		if i, err := f.GetNodeInventoryByNodeID(f.ctx, other.Id); err != nil || i.Id != keptI.Id {
			t.Fatal(i, err)
		}
	}
}

func padded(n int64) string {
	s := id(n)
	return strings.Repeat("0", 19-len(s)) + s
}

// A transaction limit below what destroy_node's last transaction needs
// (one compare per child table and the node) is refused up front: with
// such a limit the destroy could never finish.
func TestMaxTxnOpsFloor(t *testing.T) {
	f := newFixture(t)
	for _, n := range []int{0, 8, 15} {
		if _, err := etcdstore.New(f.Store.Client(), etcdstore.WithMaxTxnOps(n)); !errors.Is(err, etcdstore.ErrInvalidParameterValue) {
			t.Fatalf("WithMaxTxnOps(%d): %v", n, err)
		}
	}
	s, err := etcdstore.New(f.Store.Client(), etcdstore.WithPrefix(f.prefix), etcdstore.WithMaxTxnOps(16))
	if err != nil {
		t.Fatal(err)
	}
	n := f.mustNode(t, nil)
	f.mustInventory(t, etcdstore.Values{"node_id": n.Id})
	if err := s.DestroyNode(f.ctx, n.Uuid); err != nil {
		t.Fatal(err)
	}
}
