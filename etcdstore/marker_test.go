package etcdstore_test

import (
	"errors"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/lease"
)

// A heartbeat whose liveness-key compare keeps failing (a registration
// rebinds the key before each of its transactions, more times than it
// used to retry) looks again until it wins: the internal compare-failed
// marker never reaches the caller.
func TestTouchConductorNeverLeaksCompareMarker(t *testing.T) {
	f := newFixture(t)
	s, in := injectedStore(t, f)
	sess, err := lease.New(f.ctx, client, lease.WithTTL(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close(f.ctx)
	withLease := etcdstore.WithConductorLease(sess.Lease())
	if _, err := s.RegisterConductor(f.ctx, etcdstore.Values{"hostname": "cond-a", "drivers": []string{"ipmi"}}, false, withLease); err != nil {
		t.Fatal(err)
	}
	alive := f.Keys().Alive("cond-a")
	const rebinds = 8 // the old loop gave up, marker and all, after 6
	left := rebinds
	var rebind func() error
	rebind = func() error {
		// A new create revision, as a registration's delete and put make
		// (two requests: the key is gone in between).
		if _, err := client.Delete(f.ctx, alive); err != nil {
			return err
		}
		_, err := client.Put(f.ctx, alive, "1", clientv3.WithLease(sess.Lease()))
		if left--; left > 0 {
			in.beforeWrite(1, rebind)
		}
		return err
	}
	in.beforeWrite(1, rebind)
	if err := s.TouchConductor(f.ctx, "cond-a", withLease); err != nil {
		t.Fatalf("TouchConductor after %d lost compares (marker: %v): %v", rebinds-left, errors.Is(err, etcdstore.ErrExtraCompareForTest), err)
	}
	in.done(t)
	if left != 0 {
		t.Fatalf("%d rebinds left: the heartbeat stopped retrying early", left)
	}
	if c, err := f.GetConductor(f.ctx, "cond-a"); err != nil || !c.Online {
		t.Fatalf("conductor after the heartbeat: %v %v", c, err)
	}
}

// The compare-failed marker is a plain sentinel, not an *Error: it is no
// reference exception and matches no error family a caller tests for.
func TestCompareMarkerMatchesNoFamily(t *testing.T) {
	marker := etcdstore.ErrExtraCompareForTest
	for _, family := range []error{etcdstore.ErrInvalid, etcdstore.ErrNotFound, etcdstore.ErrConflict, etcdstore.ErrInternal} {
		if errors.Is(marker, family) {
			t.Errorf("the marker matches the family %v", family)
		}
	}
	var e *etcdstore.Error
	if errors.As(marker, &e) {
		t.Errorf("the marker is an *etcdstore.Error (%v), which callers would take for an answer", e.Kind)
	}
}
