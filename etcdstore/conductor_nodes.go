package etcdstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The reference's backend methods a conductor calls when it starts
// (BEHAVIOUR.md §11); not in ironic_db_api.py.

// ClearNodeReservationsForConductor drops every node lock held by
// hostname, in any case (21.4 matches with ilike: a conductor's hostname is
// one name however it is spelled, difference 16), and no other, with its
// marker, and every stale reservation of hostname (a marker whose lock
// went with hostname's lease); the pattern characters % and _ are
// literal. Each node's reservation goes with a compare on its holder (as
// ReleaseNode's one transaction), so a lock released and re-taken by
// another conductor meanwhile survives, and a lock whose lease expires
// meanwhile leaves no marker behind.
// Round trips: one read of the locks and markers, then one transaction
// per node.
func (s *Store) ClearNodeReservationsForConductor(ctx context.Context, hostname string) error {
	if err := validateHolder(hostname); err != nil {
		return err
	}
	held, err := s.reservationsOf(ctx, hostname)
	if err != nil {
		return err
	}
	for _, h := range held {
		b, _ := s.releaseTxn(h.id, h.holder, nil, true)
		if _, err := b.commit(ctx, s.cli); err != nil {
			return etcdError(err, true)
		}
		s.recent.forget(nodesTable, h.id)
	}
	return nil
}

// heldNode is a node reserved by a conductor, live or stale, and the
// holder as spelled in its key.
type heldNode struct {
	id     int64
	holder string
}

// reservationsOf lists, in id order, the nodes whose reservation (the
// live lock's holder, else the marker's) is hostname in any case, from one
// read of the locks and markers.
func (s *Store) reservationsOf(ctx context.Context, hostname string) ([]heldNode, error) {
	resp, err := s.cli.Txn(ctx).Then(
		clientv3.OpGet(s.keys.Reservations(), clientv3.WithPrefix()),
		clientv3.OpGet(s.keys.Holders(), clientv3.WithPrefix())).Commit()
	if err != nil {
		return nil, etcdError(err, false)
	}
	locks := readLocks(resp.Responses[0].GetResponseRange().Kvs, resp.Responses[1].GetResponseRange().Kvs)
	var out []heldNode
	for id, l := range locks {
		kv := l.lock
		if kv == nil {
			kv = l.marker
		}
		if strings.EqualFold(string(kv.Value), hostname) {
			out = append(out, heldNode{id: id, holder: string(kv.Value)})
		}
	}
	slices.SortFunc(out, func(a, b heldNode) int { return cmp.Compare(a.id, b.id) })
	return out, nil
}

// ClearNodeTargetPowerState aborts the power operations hostname had in
// flight: on every node it holds (its hostname in any case, as
// ClearNodeReservationsForConductor) with a target_power_state, that is set
// to null and last_error explains that the operation was aborted. Other
// nodes are untouched. A stale reservation of hostname (its lease expired
// without a release) counts, as the reference's reservation column keeps
// it. Round trips: one read of the locks and markers, then a read and a
// write per affected node.
func (s *Store) ClearNodeTargetPowerState(ctx context.Context, hostname string) error {
	held, err := s.reservationsOf(ctx, hostname)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Pending power operation was aborted due to conductor %s restart", hostname)
	for _, h := range held {
		id, holder := h.id, h.holder
		cur, found, err := s.getByID(ctx, nodesTable, id)
		if err != nil {
			return err
		}
		if !found {
			continue
		}
		_, err = s.update(ctx, nodesTable, ident{id: id}, cur, false, func() error { return nil },
			func(now stored, next protoreflect.Message) (txnPart, error) {
				n := nodeOf(next)
				if n.GetReservation() != holder || n.TargetPowerState == nil {
					return txnPart{}, nil // no longer this conductor's, or nothing pending
				}
				n.TargetPowerState, n.LastError = nil, proto.String(msg)
				key := s.keys.Reservation(n.Id)
				if now.lockModRev == 0 { // a stale holder: the marker names it
					key = s.keys.Holder(n.Id)
				}
				return txnPart{cmps: []clientv3.Cmp{clientv3.Compare(clientv3.Value(key), "=", holder)}}, nil
			})
		// errExtraCompare: the lock changed hands meanwhile, so the node
		// is no longer this conductor's to clear.
		if err != nil && !isErr(err, ErrNodeNotFound) && !isErr(err, errExtraCompare) {
			return err
		}
	}
	return nil
}
