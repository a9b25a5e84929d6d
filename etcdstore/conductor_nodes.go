package etcdstore

import (
	"context"
	"fmt"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/keys"
)

// The reference's backend methods a conductor calls when it starts
// (BEHAVIOUR.md §11); not in ironic_db_api.py.

// ClearNodeReservationsForConductor drops every node lock held by
// hostname, in any case (21.4 matches with ilike: a conductor's hostname is
// one name however it is spelled, difference 16), and no other; the
// pattern characters % and _ are literal. Each lock goes with a compare on
// its holder, so a lock released and re-taken by another conductor
// meanwhile survives.
// Round trips: one read of the locks, then one transaction per
// WithMaxTxnOps locks.
func (s *Store) ClearNodeReservationsForConductor(ctx context.Context, hostname string) error {
	if err := validateHolder(hostname); err != nil {
		return err
	}
	resp, err := s.cli.Get(ctx, s.keys.Reservations(), clientv3.WithPrefix())
	if err != nil {
		return etcdError(err, false)
	}
	var mine, holders []string
	for _, kv := range resp.Kvs {
		if strings.EqualFold(string(kv.Value), hostname) {
			mine = append(mine, string(kv.Key))
			holders = append(holders, string(kv.Value))
		}
	}
	for start := 0; start < len(mine); start += s.opts.maxTxnOps {
		// One transaction per lock keeps each compare independent: a lock
		// that changed hands only spares itself.
		for i, key := range mine[start:min(start+s.opts.maxTxnOps, len(mine))] {
			_, err := s.cli.Txn(ctx).
				If(clientv3.Compare(clientv3.Value(key), "=", holders[start+i])).
				Then(clientv3.OpDelete(key)).Commit()
			if err != nil {
				return etcdError(err, true)
			}
			if id, err := keys.ParseID(key); err == nil {
				s.recent.forget(nodesTable, id)
			}
		}
	}
	return nil
}

// ClearNodeTargetPowerState aborts the power operations hostname had in
// flight: on every node it holds (its hostname in any case, as
// ClearNodeReservationsForConductor) with a target_power_state, that is set
// to null and last_error explains that the operation was aborted. Other
// nodes are untouched. Round trips: one read of the locks, then a read
// and a write per affected node.
func (s *Store) ClearNodeTargetPowerState(ctx context.Context, hostname string) error {
	resp, err := s.cli.Get(ctx, s.keys.Reservations(), clientv3.WithPrefix())
	if err != nil {
		return etcdError(err, false)
	}
	msg := fmt.Sprintf("Pending power operation was aborted due to conductor %s restart", hostname)
	for _, kv := range resp.Kvs {
		holder := string(kv.Value)
		if !strings.EqualFold(holder, hostname) {
			continue
		}
		id, err := keys.ParseID(string(kv.Key))
		if err != nil {
			continue
		}
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
				lock := s.keys.Reservation(n.Id)
				return txnPart{cmps: []clientv3.Cmp{clientv3.Compare(clientv3.Value(lock), "=", holder)}}, nil
			})
		// errExtraCompare: the lock changed hands meanwhile, so the node
		// is no longer this conductor's to clear.
		if err != nil && !isErr(err, ErrNodeNotFound) && !isErr(err, errExtraCompare) {
			return err
		}
	}
	return nil
}
