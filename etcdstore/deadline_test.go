package etcdstore_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/connectivity"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/internal/etcdtest"
	"github.com/ironic-etcd/ironic-etcd/lease"
)

// No blocking call outlives its context: on a client cut off from etcd, a
// call with a 2 s deadline returns by the deadline, with the context's
// error (and, for a write, ErrUnknownOutcome). The slack is generous for a
// loaded 2-core machine, far below the cleanup timeouts a call used to
// wait for.
const (
	cutOffDeadline = 2 * time.Second
	cutOffSlack    = 1500 * time.Millisecond
)

// withinDeadline runs call with a cutOffDeadline context and fails the
// test if it returns late or with an error other than want.
func withinDeadline(t *testing.T, want error, call func(ctx context.Context) error) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cutOffDeadline)
	defer cancel()
	start := time.Now()
	err := call(ctx)
	if took := time.Since(start); took > cutOffDeadline+cutOffSlack {
		t.Errorf("returned after %v, deadline %v", took.Round(time.Millisecond), cutOffDeadline)
	}
	if !errors.Is(err, want) {
		t.Errorf("got %v, want %v", err, want)
	}
	return err
}

// cutOffStore is a Store under f's prefix on a client the returned
// function cuts off from etcd.
func cutOffStore(t *testing.T, f *fixture, more ...etcdstore.Option) (*etcdstore.Store, func()) {
	t.Helper()
	proxy, cli := proxiedClient(t)
	return f.storeOn(t, cli, more...), func() { cut(t, proxy, cli) }
}

// cut blocks proxy and returns once cli has noticed: from then on its
// requests wait for a connection (and their deadline) instead of racing
// the cut on a connection that is about to fail.
func cut(t *testing.T, proxy *etcdtest.Proxy, cli *clientv3.Client) {
	proxy.Block()
	conn := cli.ActiveConnection()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for st := conn.GetState(); st == connectivity.Ready; st = conn.GetState() {
		if !conn.WaitForStateChange(ctx, st) {
			t.Error("the client never noticed the cut")
			return
		}
	}
}

// A waiter cut off while queued gives up by its deadline, naming the
// holder; leaving the queue (revoking its own lease, or deleting its key
// from the caller's) does not hold it up.
func TestReserveWaitCutOffWhileQueued(t *testing.T) {
	for _, own := range []bool{true, false} {
		t.Run(map[bool]string{true: "own lease", false: "caller's lease"}[own], func(t *testing.T) {
			f := newFixture(t)
			n := f.mustNode(t, nil)
			if _, err := f.ReserveNode(f.ctx, "holder", n.Uuid); err != nil {
				t.Fatal(err)
			}
			opts := []etcdstore.ReserveOption{etcdstore.WithWait()}
			if !own {
				sess, err := lease.New(f.ctx, client, lease.WithTTL(waitTTL))
				if err != nil {
					t.Fatal(err)
				}
				defer sess.Close(context.Background())
				opts = append(opts, etcdstore.WithLease(sess.Lease()))
			}
			var cut sync.Once
			var cutOff func()
			s, cutOff := cutOffStore(t, f, etcdstore.WithLockWaitHook(func() { cut.Do(cutOff) }))
			err := withinDeadline(t, context.DeadlineExceeded, func(ctx context.Context) error {
				_, err := s.ReserveNode(ctx, "waiter", n.Uuid, opts...)
				return err
			})
			if holder, ok := etcdstore.NodeLockedHolder(err); !ok || holder != "holder" {
				t.Errorf("got %v, want NodeLocked by holder", err)
			}
		})
	}
}

// A waiter cut off before it starts gives up by its deadline; its first
// transaction may have reached etcd, so the outcome is unknown (the
// context's error, or the connection's if the cut failed the request
// first).
func TestReserveWaitCutOffBeforeStart(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	s, cutOff := cutOffStore(t, f)
	cutOff()
	withinDeadline(t, etcdstore.ErrUnknownOutcome, func(ctx context.Context) error {
		_, err := s.ReserveNode(ctx, "waiter", id(n.Id), etcdstore.WithWait())
		return err
	})
}

// A session cannot start on a cut-off client: lease.New returns by its
// deadline.
func TestSessionStartCutOff(t *testing.T) {
	proxy, cli := proxiedClient(t)
	cut(t, proxy, cli)
	withinDeadline(t, context.DeadlineExceeded, func(ctx context.Context) error {
		sess, err := lease.New(ctx, cli, lease.WithTTL(waitTTL))
		if err == nil {
			sess.Close(context.Background())
		}
		return err
	})
}

const waitTTL = 5 * time.Second

// The membership watch cannot start on a cut-off client: WatchConductors
// returns by its deadline.
func TestWatchConductorsCutOff(t *testing.T) {
	f := newFixture(t)
	s, cutOff := cutOffStore(t, f)
	cutOff()
	withinDeadline(t, context.DeadlineExceeded, func(ctx context.Context) error {
		_, events, err := s.WatchConductors(ctx)
		if err == nil {
			for range events {
			}
		}
		return err
	})
}
