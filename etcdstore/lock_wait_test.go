package etcdstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/lease"
)

// queueLen counts the waiters queued for a node.
func (f *fixture) queueLen(t *testing.T, nodeID int64) int64 {
	t.Helper()
	resp, err := client.Get(f.ctx, f.Keys().Waiters(nodeID), clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		t.Fatal(err)
	}
	return resp.Count
}

func (f *fixture) waitQueue(t *testing.T, nodeID, n int64) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); f.queueLen(t, nodeID) != n; {
		if time.Now().After(deadline) {
			t.Fatalf("queue of node %d never reached %d", nodeID, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Waiters get the lock in the order they started waiting.
func TestFairLockWaitsInArrivalOrder(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	if _, err := f.ReserveNode(f.ctx, "holder", n.Uuid); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	for i := 0; i < 6; i++ {
		tag := fmt.Sprintf("w%d", i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := f.ReserveNode(f.ctx, tag, n.Uuid, etcdstore.WithWait()); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			order = append(order, tag)
			mu.Unlock()
			time.Sleep(10 * time.Millisecond) // hold it a little
			if err := f.ReleaseNode(f.ctx, tag, n.Uuid); err != nil {
				t.Error(err)
			}
		}()
		f.waitQueue(t, n.Id, int64(i+1)) // w<i> is queued before w<i+1> starts
	}
	if err := f.ReleaseNode(f.ctx, "holder", n.Uuid); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	want := []string{"w0", "w1", "w2", "w3", "w4", "w5"}
	if fmt.Sprint(order) != fmt.Sprint(want) {
		t.Fatalf("served in order %v, want %v", order, want)
	}
	if q := f.queueLen(t, n.Id); q != 0 {
		t.Fatalf("%d waiters left in the queue", q)
	}
}

// A waiter that gives up leaves the queue and reports NodeLocked with the
// holder; the next waiter is not held up by it.
func TestLockWaitGivesUp(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	if _, err := f.ReserveNode(f.ctx, "holder", id(n.Id)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(f.ctx, time.Second)
	defer cancel()
	_, err := f.ReserveNode(ctx, "impatient", id(n.Id), etcdstore.WithWait())
	if holder, ok := etcdstore.NodeLockedHolder(err); !ok || holder != "holder" || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
	f.waitQueue(t, n.Id, 0) // it leaves the queue in the background
	_, err = f.ReserveNode(f.ctx, "x", "424242", etcdstore.WithWait())
	wantErr(t, err, etcdstore.ErrNodeNotFound)
}

// A waiter bound to a session gets a lease-bound lock; destroying the node
// wakes waiters with NodeNotFound.
func TestLockWaitWithLeaseAndDestroy(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	if _, err := f.ReserveNode(f.ctx, "holder", n.Uuid); err != nil {
		t.Fatal(err)
	}
	sess, err := lease.New(f.ctx, client, lease.WithTTL(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := f.ReserveNode(f.ctx, "waiter", n.Uuid, etcdstore.WithWait(), etcdstore.WithLease(sess.Lease()))
		done <- err
	}()
	f.waitQueue(t, n.Id, 1)
	if err := f.DestroyNode(f.ctx, n.Uuid); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		wantErr(t, err, etcdstore.ErrNodeNotFound)
	case <-time.After(10 * time.Second):
		t.Fatal("waiter not woken by the destroy")
	}
}

func TestWatchConductors(t *testing.T) {
	f := newFixture(t)
	sess1, err := lease.New(f.ctx, client, lease.WithTTL(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.RegisterConductor(f.ctx, etcdstore.Values{"hostname": "c1"}, false, etcdstore.WithConductorLease(sess1.Lease())); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	running, events, err := f.WatchConductors(ctx)
	if err != nil || fmt.Sprint(running) != "[c1]" {
		t.Fatal(running, err)
	}
	sess2, _ := lease.New(f.ctx, client, lease.WithTTL(5*time.Second))
	defer sess2.Close(context.Background())
	if _, err := f.RegisterConductor(f.ctx, etcdstore.Values{"hostname": "c2"}, false, etcdstore.WithConductorLease(sess2.Lease())); err != nil {
		t.Fatal(err)
	}
	next := func() etcdstore.ConductorEvent {
		select {
		case ev := <-events:
			return ev
		case <-time.After(10 * time.Second):
			t.Fatal("no conductor event within 10 s")
		}
		return etcdstore.ConductorEvent{}
	}
	if ev := next(); ev.Kind != etcdstore.ConductorJoined || ev.Hostname != "c2" {
		t.Fatalf("got %+v", ev)
	}
	if err := f.UnregisterConductor(f.ctx, "c2"); err != nil {
		t.Fatal(err)
	}
	if ev := next(); ev.Kind != etcdstore.ConductorLeft || ev.Hostname != "c2" {
		t.Fatalf("got %+v", ev)
	}
	sess1.Abandon()
	if ev := next(); ev.Kind != etcdstore.ConductorLost || ev.Hostname != "c1" {
		t.Fatalf("got %+v", ev)
	}
	cancel()
	for range events { // closes when the context ends
	}
}
