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
// with NodeLocked, until it gets the lock or ctx ends (then NodeLocked,
// joined with the context's error). Waiters get the lock in the order
// they started waiting. A caller that does not wait is not queued: it
// fails as before, or wins a free lock.
func WithWait() ReserveOption { return func(o *reserveOptions) { o.wait = true } }

// waiterTTL bounds how long a dead waiter without a session of its own
// stays in a queue.
const waiterTTL = 5 * time.Second

func (s *Store) reserveWaiting(ctx context.Context, tag, nodeID string, id ident, o reserveOptions) (*pb.Node, error) {
	tgt, found, err := s.targetNode(ctx, id, false)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errNodeNotFound(nodeID)
	}
	queue := s.keys.Waiters(tgt.id)
	// Uncontended: nobody queued and the lock free, take it at once.
	n, holder, err := s.tryReserveHead(ctx, tag, nodeID, id, tgt, o, queue, 0, "")
	if n != nil || err != nil {
		return n, err
	}
	gaveUp := func(err error) error {
		if ctx.Err() != nil {
			return errors.Join(errNodeLocked(nodeID, holder), ctx.Err())
		}
		return err
	}
	leaseID := o.lease
	if leaseID == 0 {
		sess, err := lease.New(ctx, s.cli, lease.WithTTL(waiterTTL))
		if err != nil {
			return nil, gaveUp(etcdError(err, false))
		}
		defer sess.Close(context.WithoutCancel(ctx))
		leaseID = sess.Lease()
	}
	me := queue + uuid.NewString()
	put, err := s.cli.Put(ctx, me, tag, clientv3.WithLease(leaseID))
	if err != nil {
		return nil, gaveUp(etcdError(err, true))
	}
	leave := func() {
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		s.cli.Delete(lctx, me)
	}
	for {
		n, ahead, err := s.tryReserveHead(ctx, tag, nodeID, id, tgt, o, queue, put.Header.Revision, me)
		if n != nil || err != nil {
			if err != nil {
				leave()
			}
			return n, err
		}
		if ahead == "" {
			continue // the lock was freed meanwhile
		}
		if err := s.waitDeleted(ctx, ahead, put.Header.Revision); err != nil {
			leave()
			return nil, gaveUp(err)
		}
	}
}

// tryReserveHead takes the lock if no waiter older than myRev is queued
// (myRev 0: nobody at all) and the lock is free, leaving the queue (me) in
// the same transaction. Otherwise it returns the key to wait for: the
// waiter just ahead, or the lock; for myRev 0 it returns the holder
// instead. One round trip.
func (s *Store) tryReserveHead(ctx context.Context, tag, nodeID string, id ident, tgt nodeTarget, o reserveOptions, queue string, myRev int64, me string) (*pb.Node, string, error) {
	nodeKey, lockKey := s.keys.Record(tableNodes, tgt.id), s.keys.Reservation(tgt.id)
	queued := clientv3.Compare(clientv3.CreateRevision(queue), "=", 0).WithPrefix()
	ahead := clientv3.OpGet(queue, clientv3.WithPrefix(), clientv3.WithLimit(1), clientv3.WithKeysOnly())
	then := []clientv3.Op{clientv3.OpPut(lockKey, tag, clientv3.WithLease(o.lease)), clientv3.OpGet(nodeKey)}
	if myRev > 0 {
		queued = clientv3.Compare(clientv3.CreateRevision(queue), ">", myRev-1).WithPrefix()
		ahead = clientv3.OpGet(queue, clientv3.WithPrefix(), clientv3.WithMaxCreateRev(myRev-1),
			clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortDescend), clientv3.WithLimit(1), clientv3.WithKeysOnly())
		then = append(then, clientv3.OpDelete(me))
	}
	cmps := append([]clientv3.Cmp{
		clientv3.Compare(clientv3.CreateRevision(nodeKey), ">", 0),
		clientv3.Compare(clientv3.CreateRevision(lockKey), "=", 0),
		queued,
	}, tgt.guard...)
	resp, err := s.cli.Txn(ctx).If(cmps...).Then(then...).
		Else(clientv3.OpGet(nodeKey), clientv3.OpGet(lockKey), ahead).Commit()
	if err != nil {
		return nil, "", etcdError(err, true)
	}
	if resp.Succeeded {
		st, err := s.decode(nodesTable, resp.Responses[1].GetResponseRange().Kvs[0], nil)
		if err != nil {
			return nil, "", err
		}
		st.lockModRev = resp.Header.Revision
		applyLock(st.rec, tag, resp.Header.Revision)
		s.recent.put(nodesTable, st)
		return nodeOf(st.rec), "", nil
	}
	st, found, err := s.parseRead(nodesTable, resp.Responses[:2])
	if err != nil {
		return nil, "", err
	}
	if !found || !id.names(st) {
		return nil, "", errNodeNotFound(nodeID)
	}
	holder := nodeOf(st.rec).GetReservation()
	if myRev == 0 {
		return nil, holder, nil
	}
	if kvs := resp.Responses[2].GetResponseRange().Kvs; len(kvs) > 0 {
		return nil, string(kvs[0].Key), nil
	}
	if holder == "" {
		return nil, "", nil
	}
	return nil, lockKey, nil
}

// waitDeleted returns once key is deleted after revision rev (at once if
// it is already gone), or with ctx's error.
func (s *Store) waitDeleted(ctx context.Context, key string, rev int64) error {
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
