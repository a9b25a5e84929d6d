package etcdstore_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// A Store's copy of a unique index may lag the cluster; every answer is
// still current, because each use of the copy is verified by a compare in
// the read's own transaction.
func TestStaleIndexCopyNeverAnswersWrong(t *testing.T) {
	f := newFixture(t)
	reader, _ := countingStore(t, f)
	first := f.mustNode(t, etcdstore.Values{"name": "n1"})
	if n, err := reader.GetNodeByName(f.ctx, "n1"); err != nil || n.GetId() != first.GetId() {
		t.Fatalf("GetNodeByName(n1) = %v, %v", n.GetId(), err)
	}
	waitUntil(t, "the name index followed", func() bool { return reader.IndexLive("nodes", "name") })

	// Rename n1 away and give the name to a new node, then ask at once,
	// before the reader's copy can have seen it.
	for round := 0; round < 20; round++ {
		if _, err := f.UpdateNode(f.ctx, id(first.GetId()), etcdstore.Values{"name": "moved"}); err != nil {
			t.Fatal(err)
		}
		second := f.mustNode(t, etcdstore.Values{"name": "n1"})
		if n, err := reader.GetNodeByName(f.ctx, "n1"); err != nil || n.GetId() != second.GetId() {
			t.Fatalf("round %d: GetNodeByName(n1) = %d, %v; want %d", round, n.GetId(), err, second.GetId())
		}
		if n, err := reader.GetNodeByName(f.ctx, "moved"); err != nil || n.GetId() != first.GetId() {
			t.Fatalf("round %d: GetNodeByName(moved) = %d, %v; want %d", round, n.GetId(), err, first.GetId())
		}
		// Destroyed elsewhere: gone at once for the reader, by name and uuid.
		if err := f.DestroyNode(f.ctx, second.GetUuid()); err != nil {
			t.Fatal(err)
		}
		if _, err := reader.GetNodeByName(f.ctx, "n1"); !errors.Is(err, etcdstore.ErrNodeNotFound) {
			t.Fatalf("round %d: destroyed node by name: %v", round, err)
		}
		if _, err := reader.GetNodeByUUID(f.ctx, second.GetUuid()); !errors.Is(err, etcdstore.ErrNodeNotFound) {
			t.Fatalf("round %d: destroyed node by uuid: %v", round, err)
		}
		if _, err := reader.ReserveNode(f.ctx, "c", second.GetUuid()); !errors.Is(err, etcdstore.ErrNodeNotFound) {
			t.Fatalf("round %d: reserving a destroyed node: %v", round, err)
		}
		if _, err := f.UpdateNode(f.ctx, id(first.GetId()), etcdstore.Values{"name": "n1"}); err != nil {
			t.Fatal(err)
		}
		if n, err := reader.GetNodeByName(f.ctx, "n1"); err != nil || n.GetId() != first.GetId() {
			t.Fatalf("round %d: renamed back: %d, %v", round, n.GetId(), err)
		}
	}
}

// Close stops the index watches; lookups keep working without them.
func TestIndexCopyAfterClose(t *testing.T) {
	f := newFixture(t)
	s, _ := countingStore(t, f)
	n := f.mustNode(t, nil)
	s.Close()
	if got, err := s.GetNodeByUUID(f.ctx, n.GetUuid()); err != nil || got.GetId() != n.GetId() {
		t.Fatalf("after Close: %v, %v", got.GetId(), err)
	}
	if s.IndexLive("nodes", "name") {
		t.Fatal("a feed started after Close")
	}
	if _, err := s.GetNodeByName(f.ctx, "x"); !errors.Is(err, etcdstore.ErrNodeNotFound) {
		t.Fatalf("GetNodeByName: %v", err)
	}
	if s.IndexLive("nodes", "name") || s.IndexLive("nodes", "uuid") {
		t.Fatal("a feed runs after Close")
	}
}

// get_node_by_port_addresses guesses the ports behind the addresses from
// the Store's copy of the address index and reads them with the index
// entries; a guess made stale by another client is caught in the same
// read, and the answer is the current owner.
func TestPortAddressLookupThroughStaleIndexCopy(t *testing.T) {
	f := newFixture(t)
	reader, calls := countingStore(t, f)
	a, b := f.mustNode(t, nil), f.mustNode(t, nil)
	const mac = "52:54:00:aa:bb:01"
	f.mustPort(t, etcdstore.Values{"node_id": a.GetId(), "address": mac})
	if n, err := reader.GetNodeByPortAddresses(f.ctx, []string{mac}); err != nil || n.GetId() != a.GetId() {
		t.Fatalf("first lookup: %d, %v", n.GetId(), err)
	}
	waitUntil(t, "the address index followed", func() bool { return reader.IndexLive("ports", "address") })
	before := calls.Load()
	if n, err := reader.GetNodeByPortAddresses(f.ctx, []string{"52:54:00:AA:BB:01", "52:54:00:00:00:99"}); err != nil || n.GetId() != a.GetId() {
		t.Fatalf("lookup with the uniques copy: %d, %v", n.GetId(), err)
	}
	if got := calls.Load() - before; got != 2 {
		t.Errorf("lookup with the uniques copy: %d round trips, want 2", got)
	}
	owner := a
	for round := 0; round < 20; round++ {
		if err := f.DestroyPort(f.ctx, mac); err != nil {
			t.Fatal(err)
		}
		if _, err := reader.GetNodeByPortAddresses(f.ctx, []string{mac}); !errors.Is(err, etcdstore.ErrNodeNotFound) {
			t.Fatalf("round %d: port destroyed: %v", round, err)
		}
		owner = map[bool]*pb.Node{true: a, false: b}[owner == b]
		f.mustPort(t, etcdstore.Values{"node_id": owner.GetId(), "address": mac})
		if n, err := reader.GetNodeByPortAddresses(f.ctx, []string{mac}); err != nil || n.GetId() != owner.GetId() {
			t.Fatalf("round %d: port moved to %d: got %d, %v", round, owner.GetId(), n.GetId(), err)
		}
	}
}

// Ports listed by node come from one revision: ports moving between two
// nodes so that node a always has one are never all missed.
func TestPortsByNodeAtOneRevision(t *testing.T) {
	f := newFixture(t)
	a, b := f.mustNode(t, nil), f.mustNode(t, nil)
	x := f.mustPort(t, etcdstore.Values{"node_id": a.GetId(), "address": "52:54:00:aa:bb:02"})
	y := f.mustPort(t, etcdstore.Values{"node_id": b.GetId(), "address": "52:54:00:aa:bb:03"})
	done, stop := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		moves := []struct {
			port *pb.Port
			to   int64
		}{{y, a.GetId()}, {x, b.GetId()}, {x, a.GetId()}, {y, b.GetId()}}
		for i := 0; i < 200; i++ {
			select {
			case <-stop:
				return
			default:
			}
			m := moves[i%len(moves)]
			if _, err := f.UpdatePort(f.ctx, id(m.port.GetId()), etcdstore.Values{"node_id": m.to}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	defer func() { close(stop); <-done }()
	for lists := 0; ; lists++ {
		select {
		case <-done:
			t.Logf("%d lists", lists)
			return
		default:
		}
		ports, err := f.GetPortsByNodeID(f.ctx, a.GetId(), etcdstore.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(ports) == 0 {
			t.Fatal("node a listed without ports, though it always had one")
		}
	}
}

// A feed whose watch breaks (here: the cluster compacted past it while the
// client was cut off) stops, and the next lookup starts it again from a
// fresh copy.
func TestIndexCopyRestartsAfterCompaction(t *testing.T) {
	f := newFixture(t)
	proxy, cli := proxiedClient(t)
	reader, err := etcdstore.New(cli, etcdstore.WithPrefix(f.prefix))
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	waitUntil(t, "node uuid index live", func() bool { return reader.IndexLive("nodes", "uuid") })

	proxy.Block()
	n := f.mustNode(t, nil)
	if _, err := client.Compact(f.ctx, f.revision(t)); err != nil {
		t.Fatal(err)
	}
	proxy.Unblock()
	waitUntil(t, "the broken feed to stop", func() bool { return !reader.IndexLive("nodes", "uuid") })
	key := f.Keys().Unique("nodes", "uuid", n.GetUuid())
	deadline := time.Now().Add(20 * time.Second)
	for !(reader.IndexLive("nodes", "uuid") && reader.IndexHas(key, n.GetId())) {
		got, err := reader.GetNodeByUUID(f.ctx, n.GetUuid()) // answers right meanwhile, and restarts the feed
		if err != nil || got.GetId() != n.GetId() {
			t.Fatalf("lookup while the feed is down: %v, %v", got.GetId(), err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the feed did not restart")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
