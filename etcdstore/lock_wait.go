package etcdstore

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/lease"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Fair lock waits. A waiter enqueues a key under
// <prefix>waiters/<node id>/, bound to a lease so that a waiter that dies
// leaves the queue by itself; etcd's create revisions order the queue.
// The head of the queue takes the lock with a transaction that compares
// that no older waiter exists (a range compare on the queue) and that the
// lock is free, and leaves the queue in the same transaction. Everybody
// else watches the key in front of it — its predecessor, or the lock for
// the head — and looks again when that key is deleted: woken by a watch,
// never by polling, and one waiter at a time.

// WithWait makes ReserveNode wait for a locked node instead of failing
// with NodeLocked, until it gets the lock or ctx ends (then, by ctx's
// deadline, NodeLocked naming the holder — or, while the lock is free,
// the waiter it goes to next — joined with the context's error; the
// caller's place in the queue is given up in the background). Waiters get
// the lock in the order they started waiting. A caller that does not wait
// is not queued: it fails as before, or wins a free lock.
func WithWait() ReserveOption { return func(o *reserveOptions) { o.wait = true } }

// waiterTTL bounds how long a dead waiter without a session of its own
// stays in a queue.
const waiterTTL = 5 * time.Second

// reserveWaiting is ReserveNode WithWait: one attempt, and while it fails,
// a place in the queue and an attempt each time the key ahead goes. It
// returns by ctx's deadline: leaving the queue is a background cleanup
// (a waiter key left behind goes with its lease).
func (s *Store) reserveWaiting(ctx context.Context, nodeID string, id ident, a reserveTry) (*pb.Node, error) {
	// Uncontended: nobody queued and the lock free, take it at once.
	last, tgt, err := s.reserveByIdent(ctx, nodeID, id, a)
	if err != nil || last.node != nil {
		return last.node, err
	}
	gaveUp := func(err error) error {
		if ctx.Err() != nil {
			return errors.Join(errNodeLocked(last.uuid, last.blocker()), ctx.Err())
		}
		return err
	}
	leaseID := a.lease
	var sess *lease.Session
	if leaseID == 0 {
		if sess, err = lease.New(ctx, s.cli, lease.WithTTL(waiterTTL)); err != nil {
			return nil, gaveUp(etcdError(err, false))
		}
		leaseID = sess.Lease()
	}
	a.me = s.keys.Waiters(tgt.id) + uuid.NewString()
	queued := true // until the transaction that takes the lock removes a.me
	defer func() { s.leaveQueue(a.me, queued, sess) }()
	put, err := s.cli.Put(ctx, a.me, a.tag, clientv3.WithLease(leaseID))
	if err != nil {
		return nil, gaveUp(etcdError(err, true))
	}
	a.myRev = put.Header.Revision
	for {
		r, err := s.tryReserve(ctx, tgt, id, a)
		switch {
		case err != nil:
			return nil, err
		case r.stale:
			return nil, errNodeNotFound(nodeID)
		case r.node != nil:
			queued = false
			return r.node, nil
		}
		last = r
		// Wait for a delete after this attempt's read: one before it (the
		// lock released and taken again since the caller queued) is old news.
		if err := s.waitDeleted(ctx, r.ahead, r.rev); err != nil {
			return nil, gaveUp(err)
		}
	}
}

// leaveQueue removes a waiter's key if it is still queued and ends the
// waiter's own session (sess nil: it had none), in the background:
// revoking the session removes the key with it.
func (s *Store) leaveQueue(me string, queued bool, sess *lease.Session) {
	if sess == nil && !queued {
		return
	}
	s.cleanups.run(func(ctx context.Context) {
		if sess != nil {
			sess.Close(ctx)
			return
		}
		s.cli.Delete(ctx, me)
	})
}

// waitDeleted returns once key is deleted after revision rev (at once if
// it is already gone), or with ctx's error.
func (s *Store) waitDeleted(ctx context.Context, key string, rev int64) error {
	if s.opts.onLockWait != nil {
		s.opts.onLockWait()
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wch := s.cli.Watch(clientv3.WithRequireLeader(wctx), key, clientv3.WithRev(rev+1), clientv3.WithFilterPut())
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case resp, ok := <-wch:
			if !ok || resp.Err() != nil || len(resp.Events) > 0 {
				// Deleted, or the watch broke: either way, look again.
				return ctx.Err()
			}
		}
	}
}
