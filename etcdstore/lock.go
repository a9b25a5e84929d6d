package etcdstore

import (
	"context"
	"fmt"
	"strconv"
	"unicode/utf8"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// The node lock is its own key, <prefix>reservations/<node id>, holding
// the holder's tag. Taking it is a create-if-absent and releasing it a
// delete-if-value-matches, each one transaction that never reads first;
// a lock taken on behalf of a conductor session is bound to the session's
// lease and vanishes with it. update_node may also move it: setting
// "reservation" to another holder puts the key with the new tag, bound to
// no lease (the old holder's lease must not take the new holder's lock
// with it).
//
// The fencing token (pb.Node.ReservationRevision) is the lock key's
// ModRevision: the revision at which the current holder got the lock. The
// key is written only when its holder changes — created by a reserve (or a
// create or update that sets a reservation on an unreserved node), put
// over by an update that moves it to another holder, never rewritten
// otherwise — so the token changes at every change of holder and at every
// reserve, even by the same tag (the key was deleted in between), and
// stays put while the holder keeps the lock. For a lock taken by a reserve
// it equals the key's create revision. A fence compares both the token and
// the holder, and every update of a node compares the token as read, so
// nothing decided on a lock that has since changed is written.
//
// A lock bound to a lease has a last-holder marker beside it,
// <prefix>holders/<node id>, holding the same tag but bound to no lease,
// written in the lock's own transaction. When the lease expires without a
// release, etcd deletes the lock and the marker stays: the node then
// reports the marker's holder as its reservation (a stale holder, token
// 0), as SQL keeps a dead conductor's reservation, so that Ironic's
// orphan task (reserved_by_any_of: the offline conductors) finds the node
// and release_node(stale holder) clears it. The lock itself is free: any
// holder may reserve the node at once, and the marker becomes its own (or
// goes, for a lock bound to no lease). Every write that changes the holder
// or removes the lock removes a marker of another holder; a lock bound to
// no lease has none (its key persists).

// ReserveOption configures ReserveNode.
type ReserveOption func(*reserveOptions)

type reserveOptions struct {
	lease clientv3.LeaseID
	wait  bool
}

// WithLease binds the reservation to an etcd lease (a conductor's
// session): when the lease expires, the lock is released by etcd itself.
func WithLease(id clientv3.LeaseID) ReserveOption {
	return func(o *reserveOptions) { o.lease = id }
}

// WriteOption configures node writes made on behalf of a lock holder.
type WriteOption func(*writeOpts)

type writeOpts struct {
	fenced   bool
	holder   string
	revision int64
}

// WithFence makes a node write conditional, in its own transaction, on the
// lock still being held by holder under the token revision (the
// ReservationRevision of the node ReserveNode, or the update that gave
// holder the lock, returned). A holder that was paused past its lease and
// lost the node — even if the lock came back to the same tag since — gets
// NodeLocked (or NodeNotLocked) instead of a stale write.
func WithFence(holder string, revision int64) WriteOption {
	return func(o *writeOpts) { o.fenced, o.holder, o.revision = true, holder, revision }
}

func writeOptions(opts []WriteOption) writeOpts {
	var o writeOpts
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// fence checks the lock as read and returns the compares that keep it so
// until the write commits. A stale reservation of the holder itself (its
// lease expired) is NodeNotLocked: the lock the fence names is gone.
func (o writeOpts) fence(s *Store, cur stored) (txnPart, error) {
	if !o.fenced {
		return txnPart{}, nil
	}
	node := nodeOf(cur.rec)
	if node.GetReservation() == "" || node.GetReservation() == o.holder && cur.lockModRev == 0 {
		return txnPart{}, errNodeNotLocked(node.Uuid)
	}
	if node.GetReservation() != o.holder || cur.lockModRev != o.revision {
		return txnPart{}, errNodeLocked(node.Uuid, node.GetReservation())
	}
	key := s.keys.Reservation(node.Id)
	return txnPart{cmps: []clientv3.Cmp{
		clientv3.Compare(clientv3.ModRevision(key), "=", o.revision),
		clientv3.Compare(clientv3.Value(key), "=", o.holder),
	}}, nil
}

func validateHolder(tag string) error {
	if tag == "" || !utf8.ValidString(tag) || utf8.RuneCountInString(tag) > 255 {
		return invalidParam("a reservation tag must be a non-empty UTF-8 string of at most 255 characters")
	}
	return nil
}

// setReservation applies a "reservation" value to a node record.
func setReservation(node *pb.Node, v any) error {
	if v == nil {
		node.Reservation = nil
		return nil
	}
	holder, ok := v.(string)
	if !ok || validateHolder(holder) != nil {
		return invalidParam("reservation must be null or a non-empty string of at most 255 characters")
	}
	node.Reservation = proto.String(holder)
	return nil
}

// lockChange turns a change of a node's holder in an update into a write
// of the lock key (and only a change: a write is a new token). The update
// compares the lock and marker as read. A put without a lease detaches the
// key from the old holder's lease and needs no marker, so both a put and a
// delete remove the marker (a stale holder's too: setting reservation to
// null is a release).
func (s *Store) lockChange(cur stored, next protoreflect.Message) txnPart {
	holder := nodeOf(next).GetReservation()
	if holder == nodeOf(cur.rec).GetReservation() {
		return txnPart{}
	}
	id := recordID(next)
	key, marker := s.keys.Reservation(id), s.keys.Holder(id)
	if holder == "" {
		return txnPart{ops: []clientv3.Op{clientv3.OpDelete(key), clientv3.OpDelete(marker)}}
	}
	return txnPart{ops: []clientv3.Op{clientv3.OpPut(key, holder), clientv3.OpDelete(marker)}}
}

func errNodeNotLocked(uuid string) error {
	return newError(ErrNodeNotLocked, fmt.Sprintf("node %s found not to be locked on release", uuid), "node", uuid)
}

// releaseTxn is the one transaction that drops holder's reservation of
// node id, live or stale:
//
//	If(lock == holder, extra)
//	Then(delete lock, delete marker)
//	Else(Txn(If(lock absent, marker == holder, extra) Then(delete marker)),
//	     the caller's reads)
//
// staleOK is false for a fenced release, which needs the live lock.
// released reports, after commit, whether either branch dropped it.
func (s *Store) releaseTxn(id int64, holder string, extra []clientv3.Cmp, staleOK bool) (b txnBuilder, released func(*clientv3.TxnResponse) bool) {
	lockKey, marker := s.keys.Reservation(id), s.keys.Holder(id)
	b.cmps = append([]clientv3.Cmp{clientv3.Compare(clientv3.Value(lockKey), "=", holder)}, extra...)
	b.ops = []clientv3.Op{clientv3.OpDelete(lockKey), clientv3.OpDelete(marker)}
	if !staleOK {
		return b, func(resp *clientv3.TxnResponse) bool { return resp.Succeeded }
	}
	stale := b.read(clientv3.OpTxn(
		append([]clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(lockKey), "=", 0), clientv3.Compare(clientv3.Value(marker), "=", holder)}, extra...),
		[]clientv3.Op{clientv3.OpDelete(marker)}, nil))
	return b, func(resp *clientv3.TxnResponse) bool {
		return resp.Succeeded || resp.Responses[stale.at].GetResponseTxn().GetSucceeded()
	}
}

// nodeTarget is a node identity turned into the node's id, with the
// compare that proves, inside the write's own transaction, that a uuid
// still names that id.
type nodeTarget struct {
	id    int64
	guard []clientv3.Cmp
	index string // the uuid index key, when the identity was a uuid
}

// targetNode resolves a node identity to an id without reading the node:
// free for an id; for a uuid, free when this Store's copy of the uuid
// index has it and one read of the index otherwise. found is false for an unknown uuid.
func (s *Store) targetNode(ctx context.Context, id ident, fresh bool) (nodeTarget, bool, error) {
	if id.byID() {
		return nodeTarget{id: id.id}, true, nil
	}
	key := s.keys.Unique(nodesTable.name, "uuid", id.uuid)
	nid, ok := s.indexedID(nodesTable.name, "uuid", key)
	if !ok || fresh {
		resp, err := s.cli.Get(ctx, key)
		if err != nil {
			return nodeTarget{}, false, etcdError(err, false)
		}
		if len(resp.Kvs) == 0 {
			return nodeTarget{}, false, nil
		}
		if nid, err = indexEntryID(resp.Kvs[0]); err != nil {
			return nodeTarget{}, false, err
		}
		s.uniques.put(key, nid)
	}
	return nodeTarget{
		id:    nid,
		guard: []clientv3.Cmp{clientv3.Compare(clientv3.Value(key), "=", strconv.FormatInt(nid, 10))},
		index: key,
	}, true, nil
}

// ReleaseNode drops tag's lock on node nodeID (id or uuid), and its
// marker; when the lock is gone with tag's lease but the marker names tag
// (a stale holder, exactly tag as release matches), it deletes the marker:
// that is 21.4's orphan task releasing a dead conductor's node.
// InvalidIdentity, NodeNotFound, NodeNotLocked when the node is
// unreserved, NodeLocked naming the holder when another tag holds it, or
// is its stale holder. WithFence additionally requires the reservation
// taken at that revision (a live lock: a stale holder's fenced release is
// NodeNotLocked).
//
// Round trips: one transaction (delete-if-value-matches, the stale case
// in a transaction nested in its Else branch); for a uuid, as
// ReserveNode.
func (s *Store) ReleaseNode(ctx context.Context, tag, nodeID string, opts ...WriteOption) error {
	if err := validateHolder(tag); err != nil {
		return err
	}
	wo := writeOptions(opts)
	id, err := resolveIdentity(nodeID)
	if err != nil {
		return err
	}
	for fresh := false; ; fresh = true {
		tgt, found, err := s.targetNode(ctx, id, fresh)
		if err != nil {
			return err
		}
		if !found {
			return errNodeNotFound(nodeID)
		}
		extra := tgt.guard
		if wo.fenced {
			extra = append(extra, clientv3.Compare(clientv3.ModRevision(s.keys.Reservation(tgt.id)), "=", wo.revision))
		}
		b, released := s.releaseTxn(tgt.id, tag, extra, !wo.fenced)
		reread := b.readRecord(s, nodesTable, tgt.id)
		resp, err := b.commit(ctx, s.cli)
		if err != nil {
			return etcdError(err, true)
		}
		if released(resp) {
			s.recent.forget(nodesTable, tgt.id)
			return nil
		}
		st, found, err := s.decodeRead(nodesTable, reread, resp)
		if err != nil {
			return err
		}
		if !found || !id.names(st) {
			if tgt.index != "" && !fresh {
				continue
			}
			return errNodeNotFound(nodeID)
		}
		node := nodeOf(st.rec)
		switch {
		case node.GetReservation() == "", node.GetReservation() == tag && st.lockModRev == 0 && wo.fenced:
			return errNodeNotLocked(node.Uuid)
		case node.GetReservation() == tag && st.lockModRev != wo.revision && wo.fenced:
			return errNodeLocked(node.Uuid, node.GetReservation())
		case node.GetReservation() == tag:
			continue // lock re-taken by tag between compare and read: try again
		}
		return errNodeLocked(node.Uuid, node.GetReservation())
	}
}
