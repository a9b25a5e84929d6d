package etcdstore_test

import (
	"errors"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// lockAgrees fails unless node (as a write returned it) shows the lock as
// the lock key holds it now, holder and token, and a fresh read says the
// same.
func (f *fixture) lockAgrees(t *testing.T, node *pb.Node) {
	t.Helper()
	resp, err := client.Txn(f.ctx).Then(clientv3.OpGet(f.Keys().Reservation(node.Id)), clientv3.OpGet(f.Keys().Holder(node.Id))).Commit()
	if err != nil {
		t.Fatal(err)
	}
	holder, token := "", int64(0)
	if lock := resp.Responses[0].GetResponseRange().Kvs; len(lock) > 0 {
		holder, token = string(lock[0].Value), lock[0].ModRevision
	} else if marker := resp.Responses[1].GetResponseRange().Kvs; len(marker) > 0 {
		holder = string(marker[0].Value) // a stale holder: token 0
	}
	if node.GetReservation() != holder || node.ReservationRevision != token {
		t.Fatalf("returned reservation %q token %d, the lock key holds %q token %d",
			node.GetReservation(), node.ReservationRevision, holder, token)
	}
	read, err := f.GetNodeByID(f.ctx, node.Id)
	if err != nil {
		t.Fatal(err)
	}
	if read.GetReservation() != holder || read.ReservationRevision != token {
		t.Fatalf("read reservation %q token %d, the lock key holds %q token %d",
			read.GetReservation(), read.ReservationRevision, holder, token)
	}
}

// The Store that took a lease-bound lock remembers the node; once the
// lease is revoked elsewhere, its next update reports the node's stale
// holder (token 0, the lock free), as it is, not the lock it remembers.
func TestUpdateAfterLockLeaseRevoked(t *testing.T) {
	f := newFixture(t)
	s, _ := injectedStore(t, f)
	n := f.mustNode(t, nil)
	lease, err := client.Grant(f.ctx, 60)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReserveNode(f.ctx, "c1", n.Uuid, etcdstore.WithLease(lease.ID)); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Revoke(f.ctx, lease.ID); err != nil {
		t.Fatal(err)
	}
	got, err := s.UpdateNode(f.ctx, n.Uuid, etcdstore.Values{"power_state": "power on"})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetReservation() != "c1" || got.ReservationRevision != 0 {
		t.Fatalf("update after the lease was revoked returned reservation %q token %d, want the stale holder c1, token 0", got.GetReservation(), got.ReservationRevision)
	}
	f.lockAgrees(t, got)
}

// s1 reserved as c1; the lock went to c2 through another Store. s1's
// update that sets reservation c1 is judged on the lock as it is: it moves
// the lock from c2 to c1 (update_node sets the column, as the reference
// does), and what it returns is what the lock key holds; c2's token is
// dead.
func TestUpdateAfterLockChangedHands(t *testing.T) {
	f := newFixture(t)
	s1, _ := injectedStore(t, f)
	n := f.mustNode(t, nil)
	if _, err := s1.ReserveNode(f.ctx, "c1", n.Uuid); err != nil {
		t.Fatal(err)
	}
	if err := f.ReleaseNode(f.ctx, "c1", n.Uuid); err != nil {
		t.Fatal(err)
	}
	r2, err := f.ReserveNode(f.ctx, "c2", n.Uuid)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s1.UpdateNode(f.ctx, n.Uuid, etcdstore.Values{"reservation": "c1", "power_state": "power on"})
	if err != nil {
		t.Fatal(err)
	}
	f.lockAgrees(t, got)
	if got.GetReservation() != "c1" || got.ReservationRevision == r2.ReservationRevision {
		t.Fatalf("reservation %q token %d after moving the lock from c2 (token %d)", got.GetReservation(), got.ReservationRevision, r2.ReservationRevision)
	}
	_, err = f.UpdateNode(f.ctx, n.Uuid, etcdstore.Values{"power_state": "stale"}, etcdstore.WithFence("c2", r2.ReservationRevision))
	wantErr(t, err, etcdstore.ErrNodeLocked)
}

// A lock moved by update_node gets a new token at every change of holder:
// a paused holder whose lock went c2 -> c1 -> c2 by updates cannot write
// with its old token. The moved lock is not bound to the old holder's
// lease.
func TestLockMovedByUpdateGetsNewToken(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	r, err := f.ReserveNode(f.ctx, "c2", n.Uuid)
	if err != nil {
		t.Fatal(err)
	}
	f.lockAgrees(t, r)
	tokens := map[int64]bool{r.ReservationRevision: true}
	var last *pb.Node
	for _, holder := range []string{"c1", "c2"} {
		last, err = f.UpdateNode(f.ctx, n.Uuid, etcdstore.Values{"reservation": holder})
		if err != nil {
			t.Fatal(err)
		}
		f.lockAgrees(t, last)
		if tokens[last.ReservationRevision] {
			t.Fatalf("moving the lock to %s kept token %d", holder, last.ReservationRevision)
		}
		tokens[last.ReservationRevision] = true
	}
	stale := etcdstore.WithFence("c2", r.ReservationRevision)
	_, err = f.UpdateNode(f.ctx, n.Uuid, etcdstore.Values{"power_state": "stale"}, stale)
	wantErr(t, err, etcdstore.ErrNodeLocked)
	wantErr(t, f.TouchNodeProvisioning(f.ctx, n.Uuid, stale), etcdstore.ErrNodeLocked)
	wantErr(t, f.ReleaseNode(f.ctx, "c2", n.Uuid, stale), etcdstore.ErrNodeLocked)
	// An update that leaves the holder alone leaves the token alone.
	fresh := etcdstore.WithFence("c2", last.ReservationRevision)
	got, err := f.UpdateNode(f.ctx, n.Uuid, etcdstore.Values{"power_state": "power on", "reservation": "c2"}, fresh)
	if err != nil || got.ReservationRevision != last.ReservationRevision {
		t.Fatal(got, err)
	}
	f.lockAgrees(t, got)
	if err := f.ReleaseNode(f.ctx, "c2", n.Uuid, fresh); err != nil {
		t.Fatal(err)
	}

	lease, err := client.Grant(f.ctx, 60)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReserveNode(f.ctx, "c1", n.Uuid, etcdstore.WithLease(lease.ID)); err != nil {
		t.Fatal(err)
	}
	moved, err := f.UpdateNode(f.ctx, n.Uuid, etcdstore.Values{"reservation": "c3"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Revoke(f.ctx, lease.ID); err != nil {
		t.Fatal(err)
	}
	f.lockAgrees(t, moved)
	if moved.GetReservation() != "c3" {
		t.Fatalf("the lock moved to c3 went with c1's lease: %v", moved)
	}
}

// A reserve bound to a lease that is gone is refused by etcd before
// anything applies: a definite LeaseNotFound, not an unknown outcome, and
// no lock key.
func TestReserveWithRevokedLease(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	lease, err := client.Grant(f.ctx, 60)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Revoke(f.ctx, lease.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.ReserveNode(f.ctx, "c1", n.Uuid, etcdstore.WithLease(lease.ID))
	if !errors.Is(err, etcdstore.ErrLeaseNotFound) || !errors.Is(err, etcdstore.ErrNotFound) || errors.Is(err, etcdstore.ErrUnknownOutcome) {
		t.Fatalf("reserve with a revoked lease: %v, want LeaseNotFound (definite)", err)
	}
	resp, err := client.Get(f.ctx, f.Keys().Reservation(n.Id))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) != 0 {
		t.Fatalf("a lock key was written: %q", resp.Kvs[0].Value)
	}
}
