package etcdstore_test

import (
	"slices"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// The read cache merges markers into their nodes when it loads and as
// they appear and vanish, and its reservation index follows: a cache
// started over stale holders, and one that watches them come and go.
func TestCacheFollowsStaleHolders(t *testing.T) {
	choosesReadMode(t)
	f := newFixture(t)
	nodes := f.staleNodes(t, "dead", 2)
	cached, err := etcdstore.New(client, etcdstore.WithPrefix(f.prefix), etcdstore.WithReadCache())
	if err != nil {
		t.Fatal(err)
	}
	defer cached.Close()
	orphans := func() []int64 {
		t.Helper()
		got, err := cached.GetNodeList(f.ctx, etcdstore.NodeFilter{ReservedByAnyOf: []string{"dead"}}, etcdstore.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, n := range got {
			if n.GetReservation() != "dead" || n.ReservationRevision != 0 {
				t.Fatalf("cached node %d: reservation %q token %d", n.Id, n.GetReservation(), n.ReservationRevision)
			}
			ids = append(ids, n.Id)
		}
		return ids
	}
	if got := orphans(); !slices.Equal(got, []int64{nodes[0].Id, nodes[1].Id}) {
		t.Fatalf("loaded over stale holders, the cache lists %v", got)
	}
	// A third appears: reserved with a lease, the lease revoked.
	more := f.staleNodes(t, "dead", 1)
	if got := orphans(); len(got) != 3 {
		t.Fatalf("after a marker appeared, the cache lists %v", got)
	}
	// They vanish: one released by the stale holder, one reserved by
	// another, one destroyed.
	if err := f.ReleaseNode(f.ctx, "dead", nodes[0].Uuid); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReserveNode(f.ctx, "other", nodes[1].Uuid); err != nil {
		t.Fatal(err)
	}
	if err := f.DestroyNode(f.ctx, more[0].Uuid); err != nil {
		t.Fatal(err)
	}
	if got := orphans(); len(got) != 0 {
		t.Fatalf("after the markers vanished, the cache lists %v", got)
	}
	if n, err := cached.GetNodeByID(f.ctx, nodes[1].Id); err != nil || n.GetReservation() != "other" {
		t.Fatalf("cached read after another reserved: %v %v", n, err)
	}
	if !cached.MirrorSelfCheck(f.ctx) {
		t.Fatal("the cache's self-check failed")
	}
}
