package etcdstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// A reserve by uuid whose Store still maps the uuid to the id of a node
// destroyed and created again (same uuid, new id) just before its
// transaction resolves the uuid again and takes the new node's lock, with
// WithWait as without.
func TestReserveThroughStaleUUIDIndex(t *testing.T) {
	for _, wait := range []bool{false, true} {
		t.Run(map[bool]string{false: "nowait", true: "wait"}[wait], func(t *testing.T) {
			f := newFixture(t)
			old := f.mustNode(t, nil)
			s, in := injectedStore(t, f)
			if _, err := s.GetNodeByUUID(f.ctx, old.Uuid); err != nil { // s learns uuid -> old id
				t.Fatal(err)
			}
			var reborn int64
			in.beforeWrite(1, func() error {
				if err := f.DestroyNode(f.ctx, old.Uuid); err != nil {
					return err
				}
				n, err := f.CreateNode(f.ctx, etcdstore.Values{"uuid": old.Uuid})
				reborn = n.GetId()
				return err
			})
			var opts []etcdstore.ReserveOption
			if wait {
				opts = append(opts, etcdstore.WithWait())
			}
			got, err := s.ReserveNode(f.ctx, "c1", old.Uuid, opts...)
			in.done(t)
			if err != nil {
				t.Fatalf("reserve through a stale uniques copy: %v", err)
			}
			if got.GetId() != reborn || got.GetId() == old.Id || got.GetReservation() != "c1" {
				t.Fatalf("reserved node %d (reservation %q), want the new node %d", got.GetId(), got.GetReservation(), reborn)
			}
		})
	}
}

// A waiter that gives up names the node by its uuid, even when the caller
// named it by id, as ReserveNode without WithWait does.
func TestReserveWaitGivesUpNamingTheUUID(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	if _, err := f.ReserveNode(f.ctx, "holder", id(n.Id)); err != nil {
		t.Fatal(err)
	}
	_, plain := f.ReserveNode(f.ctx, "other", id(n.Id))
	ctx, cancel := context.WithTimeout(f.ctx, 500*time.Millisecond)
	defer cancel()
	_, waited := f.ReserveNode(ctx, "other", id(n.Id), etcdstore.WithWait())
	for _, err := range []error{plain, waited} {
		wantErr(t, err, etcdstore.ErrNodeLocked)
		if !strings.Contains(err.Error(), "node "+n.Uuid+" is locked") {
			t.Errorf("error does not name the node's uuid %s: %v", n.Uuid, err)
		}
	}
}

// A waiter that gives up while the lock is free but others are queued
// before it names a holder: the waiter the lock goes to next, never "".
func TestReserveWaitGivesUpNamingAHolder(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	// A waiter queued (as by another Store) while the lock is free.
	if _, err := client.Put(f.ctx, f.Keys().Waiters(n.Id)+"first", "first-in-line"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(f.ctx, 500*time.Millisecond)
	defer cancel()
	_, err := f.ReserveNode(ctx, "impatient", n.Uuid, etcdstore.WithWait())
	holder, ok := etcdstore.NodeLockedHolder(err)
	if !ok || holder != "first-in-line" || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got holder %q (%v): %v", holder, ok, err)
	}
}

// A waiter woken by a release that another caller's reserve followed
// before the waiter's attempt waits again for the new holder, instead of
// being woken again and again by the release it already saw.
func TestReserveWaitAfterLockChangedHands(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	if _, err := f.ReserveNode(f.ctx, "a", n.Uuid); err != nil {
		t.Fatal(err)
	}
	waiting := make(chan struct{}, 1)
	s, in := injectedStore(t, f, etcdstore.WithLockWaitHook(func() {
		select {
		case waiting <- struct{}{}:
		default:
		}
	}))
	done := make(chan error, 1)
	go func() {
		_, err := s.ReserveNode(f.ctx, "waiter", n.Uuid, etcdstore.WithWait())
		done <- err
	}()
	<-waiting // queued, and waiting for a to release
	before := in.sent()
	in.beforeWrite(1, func() error { // the waiter's next attempt finds b holding the lock
		_, err := f.ReserveNode(f.ctx, "b", n.Uuid)
		return err
	})
	if err := f.ReleaseNode(f.ctx, "a", n.Uuid); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the waiter tried again", func() bool { return in.sent() > before })
	time.Sleep(200 * time.Millisecond) // room for attempts it should not make
	in.done(t)
	if err := f.ReleaseNode(f.ctx, "b", n.Uuid); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := in.sent() - before; got != 2 {
		t.Errorf("the waiter made %d attempts, want 2 (one failing while b held the lock, one taking it)", got)
	}
}
