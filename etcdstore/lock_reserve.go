package etcdstore

import (
	"context"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// ReserveNode takes the lock of node nodeID (id or uuid) for tag and
// returns the node, its ReservationRevision set to the fencing token.
// InvalidIdentity, NodeNotFound, and NodeLocked naming the node's uuid and
// the current holder when the node is reserved — even by tag itself, as in
// the reference.
//
// A node whose only reservation is a stale holder's (its lease expired
// without a release) has a free lock: any tag reserves it at once and
// becomes its holder, responsible for the node from then on (on SQL the
// stale reservation would keep everyone out until Ironic's orphan task
// released it).
//
// Round trips: one transaction (create-if-absent on the lock key, the
// marker written or removed and the node read in the same transaction),
// by id or uuid; one more for a uuid
// this Store's uniques copy has not seen yet (a node created elsewhere
// moments ago) or has wrong (the node destroyed and created again). The
// node's updated_at is not touched (see README).
func (s *Store) ReserveNode(ctx context.Context, tag, nodeID string, opts ...ReserveOption) (*pb.Node, error) {
	var o reserveOptions
	for _, opt := range opts {
		opt(&o)
	}
	if err := validateHolder(tag); err != nil {
		return nil, err
	}
	id, err := resolveIdentity(nodeID)
	if err != nil {
		return nil, err
	}
	if o.wait {
		return s.reserveWaiting(ctx, nodeID, id, reserveTry{tag: tag, lease: o.lease, fair: true})
	}
	r, _, err := s.reserveByIdent(ctx, nodeID, id, reserveTry{tag: tag, lease: o.lease})
	if err != nil || r.node != nil {
		return r.node, err
	}
	return nil, errNodeLocked(r.uuid, r.blocker())
}

// reserveTry is one attempt at a node's lock: the one transaction both
// ReserveNode and its fair wait send, as etcd's Mutex.Lock and TryLock
// share tryAcquire.
type reserveTry struct {
	tag   string
	lease clientv3.LeaseID // 0: the lock is bound to no lease
	// fair honours the wait queue: the lock is taken only if no older
	// waiter is queued. A caller that does not wait ignores the queue.
	fair bool
	// With fair, the caller's own waiter key and its create revision (0:
	// not queued, so the queue must be empty); the transaction that takes
	// the lock removes the key.
	me    string
	myRev int64
}

// reserveResult is how an attempt ended: the lock taken (node), the
// identity found stale, or else the node as the failed transaction read
// it, kept from the lock by a holder or (fair) by an older waiter.
type reserveResult struct {
	node *pb.Node // the lock taken: the node, its token set

	uuid   string // the node's uuid, for the error
	holder string // the lock's holder; "" when free (then an older waiter held the caller back)
	next   string // with fair: the tag of the oldest waiter, the one a free lock goes to next
	ahead  string // with myRev: the key to wait for (the waiter just ahead, or the lock)
	rev    int64  // the revision the attempt read at: ahead existed then
	// stale: the record read is not the one the identity names, or (the
	// node free of holder and older waiters) the uuid no longer names it.
	stale bool
}

// blocker is who keeps the caller from the lock: its holder, or, while
// it is free, the waiter it goes to next. Never "" for a result that is
// neither taken nor stale.
func (r reserveResult) blocker() string {
	if r.holder != "" {
		return r.holder
	}
	return r.next
}

// reserveByIdent resolves id and makes one attempt; when the attempt shows
// that this Store's copy of the uuid index named the wrong record, it
// resolves the uuid again from etcd and tries once more. NodeNotFound
// names nodeID as the caller gave it.
func (s *Store) reserveByIdent(ctx context.Context, nodeID string, id ident, a reserveTry) (reserveResult, nodeTarget, error) {
	for fresh := false; ; fresh = true {
		tgt, found, err := s.targetNode(ctx, id, fresh)
		if err != nil {
			return reserveResult{}, tgt, err
		}
		if !found {
			return reserveResult{}, tgt, errNodeNotFound(nodeID)
		}
		r, err := s.tryReserve(ctx, tgt, id, a)
		if err != nil || !r.stale {
			return r, tgt, err
		}
		if tgt.index == "" || fresh {
			return reserveResult{}, tgt, errNodeNotFound(nodeID)
		}
	}
}

// tryReserve takes the lock of the node tgt names if it is free (and,
// with a.fair, no older waiter is queued), in one transaction:
//
//	If(node exists, lock absent, the uuid still names tgt.id,
//	   fair: no waiter older than me [myRev 0: no waiter at all])
//	Then(put lock [bound to a.lease], put marker [a.lease] or delete it,
//	     get node, myRev: delete me)
//	Else(get node, lock and marker, fair: the oldest waiter, myRev: the waiter just ahead)
func (s *Store) tryReserve(ctx context.Context, tgt nodeTarget, id ident, a reserveTry) (reserveResult, error) {
	nodeKey, lockKey, queue := s.keys.Record(nodesTable.name, tgt.id), s.keys.Reservation(tgt.id), s.keys.Waiters(tgt.id)
	// A lock bound to a lease leaves its holder's tag in the marker, bound
	// to no lease; any other lock replaces a stale holder's marker.
	markerOp := clientv3.OpDelete(s.keys.Holder(tgt.id))
	var putOpts []clientv3.OpOption
	if a.lease != 0 {
		putOpts = append(putOpts, clientv3.WithLease(a.lease))
		markerOp = clientv3.OpPut(s.keys.Holder(tgt.id), a.tag)
	}
	b := txnBuilder{
		cmps: append([]clientv3.Cmp{
			clientv3.Compare(clientv3.CreateRevision(nodeKey), ">", 0),
			clientv3.Compare(clientv3.CreateRevision(lockKey), "=", 0),
		}, tgt.guard...),
		ops: []clientv3.Op{clientv3.OpPut(lockKey, a.tag, putOpts...), markerOp},
	}
	taken := b.thenRead(clientv3.OpGet(nodeKey))
	reread := b.readRecord(s, nodesTable, tgt.id)
	var oldest, ahead txnRead
	if a.fair {
		oldest = b.read(clientv3.OpGet(queue, clientv3.WithPrefix(),
			clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortAscend), clientv3.WithLimit(1)))
		if a.myRev == 0 {
			b.cmps = append(b.cmps, clientv3.Compare(clientv3.CreateRevision(queue), "=", 0).WithPrefix())
		} else {
			b.cmps = append(b.cmps, clientv3.Compare(clientv3.CreateRevision(queue), ">", a.myRev-1).WithPrefix())
			b.ops = append(b.ops, clientv3.OpDelete(a.me))
			ahead = b.read(clientv3.OpGet(queue, clientv3.WithPrefix(), clientv3.WithMaxCreateRev(a.myRev-1),
				clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortDescend), clientv3.WithLimit(1), clientv3.WithKeysOnly()))
		}
	}
	resp, err := b.commit(ctx, s.cli)
	if err != nil {
		return reserveResult{}, etcdError(err, true)
	}
	if resp.Succeeded {
		st, err := s.decode(nodesTable, taken.of(resp).Kvs[0], nodeLock{})
		if err != nil {
			return reserveResult{}, err
		}
		st.setLock(a.tag, resp.Header.Revision)
		if a.lease != 0 {
			st.holderModRev = resp.Header.Revision
		}
		s.recent.put(nodesTable, st)
		return reserveResult{node: nodeOf(st.rec)}, nil
	}
	st, found, err := s.decodeRead(nodesTable, reread, resp)
	if err != nil {
		return reserveResult{}, err
	}
	if !found || !id.names(st) {
		return reserveResult{stale: true}, nil
	}
	node := nodeOf(st.rec)
	// A stale holder (the marker alone) does not hold the lock.
	r := reserveResult{uuid: node.Uuid, holder: st.liveHolder(), rev: resp.Header.Revision}
	olderWaiter := false
	if a.fair {
		if kvs := oldest.of(resp).Kvs; len(kvs) > 0 {
			r.next, olderWaiter = string(kvs[0].Value), a.myRev == 0
		}
		if a.myRev > 0 {
			r.ahead = lockKey
			if kvs := ahead.of(resp).Kvs; len(kvs) > 0 {
				r.ahead, olderWaiter = string(kvs[0].Key), true
			}
		}
	}
	if r.holder == "" && !olderWaiter {
		// Nothing held the caller back: the compare that failed is the
		// uuid's (its index entry no longer names this node).
		return reserveResult{stale: true}, nil
	}
	return r, nil
}
