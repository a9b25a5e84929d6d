package etcdstore_test

import (
	"context"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// Rows of the race table for the last-holder marker: a lease expiring
// (revoked) at each step of a reserve, release, clear or destroy, and a
// stale holder's node reserved by another meanwhile. The invariants of
// every row also hold the marker to the lock (race_invariants_test.go).

func holderRaceCases() []raceCase {
	locked := []error{etcdstore.ErrNodeLocked, etcdstore.ErrNodeNotLocked}
	reserve := func(opts ...etcdstore.ReserveOption) func(context.Context, *world) (any, error) {
		return func(ctx context.Context, w *world) (any, error) {
			return w.victim.ReserveNode(ctx, "c1", w.uuid["node"], opts...)
		}
	}
	rivalReserves := func(ctx context.Context, w *world) error { return w.reserve(ctx, "c2") }
	rivalReservesLeased := func(ctx context.Context, w *world) error {
		_, err := w.admin.ReserveNode(ctx, "c2", w.uuid["node"], etcdstore.WithLease(clientv3.LeaseID(w.id["lease2"])))
		return err
	}
	clearC1 := func(ctx context.Context, w *world) (any, error) {
		return nil, w.victim.ClearNodeReservationsForConductor(ctx, "C1")
	}
	return []raceCase{
		{name: "reserve_node, the holder's lease expires", setup: setupLeasedNode("c0"), call: reserve(), rival: revokeLease,
			scope: nodeBy("uuid"), errs: locked, check: reservedFree},
		{name: "reserve_node WithWait, the holder's lease expires", setup: setupLeasedNode("c0"), call: reserve(etcdstore.WithWait()), waits: true,
			rival: revokeLease, scope: nodeBy("uuid"), errs: locked, check: reservedBy("c1")},
		{name: "reserve_node WithWait WithLease, the holder's lease expires", setup: setupLeasedNode("c0"), waits: true,
			call: func(ctx context.Context, w *world) (any, error) {
				return w.victim.ReserveNode(ctx, "c1", w.uuid["node"], etcdstore.WithWait(), etcdstore.WithLease(clientv3.LeaseID(w.id["lease2"])))
			},
			rival: revokeLease, scope: nodeBy("uuid"), errs: locked, check: reservedBy("c1")},
		{name: "reserve_node over a stale holder, another reserves", setup: setupStaleNode("c0"), call: reserve(), rival: rivalReserves,
			scope: nodeBy("uuid"), errs: locked, check: reservedFree},
		{name: "release_node of a stale holder, another reserves", setup: setupStaleNode("c1"), call: releaseAs("c1", false), rival: rivalReserves,
			scope: nodeBy("uuid"), errs: locked, check: releasedOwn("c1", false)},
		{name: "release_node of a stale holder, another reserves WithLease", setup: setupStaleNode("c1"), call: releaseAs("c1", false), rival: rivalReservesLeased,
			scope: nodeBy("uuid"), errs: locked, check: releasedOwn("c1", false)},
		{name: "release_node, the holder's lease expires", setup: setupLeasedNode("c1"), call: releaseAs("c1", false), rival: revokeLease,
			scope: nodeBy("uuid"), check: releasedOwn("c1", false)},
		{name: "release_node WithFence, the holder's lease expires", setup: setupLeasedNode("c1"), call: releaseAs("c1", true), rival: revokeLease,
			scope: nodeBy("uuid"), errs: locked, check: releasedOwn("c1", true)},
		{name: "clear_node_reservations_for_conductor, a stale node reserved by another", setup: setupStaleNode("c1"), call: clearC1, rival: rivalReservesLeased,
			scope: nodeBy("uuid"), check: clearedOf("c1", "c2")},
		{name: "clear_node_reservations_for_conductor, its lease expires", setup: setupLeasedNode("c1"), call: clearC1, rival: revokeLease,
			scope: nodeBy("uuid"), check: clearedOf("c1", "")},
		{name: "destroy_node with a stale holder, another reserves WithLease", setup: setupStaleNode("c1"), call: destroyBy("uuid"), rival: rivalReservesLeased,
			scope: nodeTree, errs: []error{etcdstore.ErrNodeNotFound}},
		{name: "update_node with a stale holder, another reserves", setup: setupStaleNode("c1"), scope: nodeBy("uuid"), rival: rivalReserves,
			call: func(ctx context.Context, w *world) (any, error) {
				return w.victim.UpdateNode(ctx, w.uuid["node"], etcdstore.Values{"power_state": "power on"})
			}},
		{name: "update_node reservation None on a stale holder, another reserves WithLease", setup: setupStaleNode("c1"), scope: nodeBy("uuid"), rival: rivalReservesLeased,
			call: func(ctx context.Context, w *world) (any, error) {
				return w.victim.UpdateNode(ctx, w.uuid["node"], etcdstore.Values{"reservation": nil})
			}},
		{name: "update_node WithFence, the holder's lease expires", setup: setupLeasedNode("c1"), scope: nodeBy("uuid"), errs: locked,
			call: fencedUpdate("c1"), check: fencedBy("c1"), rival: revokeLease},
	}
}

// setupLeasedNode: a node reserved by tag bound to w.lease, its token in
// w.id["token"]; a second lease in w.id["lease2"] for the victim or a
// rival.
func setupLeasedNode(tag string) func(context.Context, *world) error {
	return func(ctx context.Context, w *world) error {
		if err := setupNodeAndLease(ctx, w); err != nil {
			return err
		}
		l, err := w.admin.Client().Grant(ctx, 60)
		if err != nil {
			return err
		}
		w.id["lease2"] = int64(l.ID)
		n, err := w.admin.ReserveNode(ctx, tag, w.uuid["node"], etcdstore.WithLease(w.lease))
		if err != nil {
			return err
		}
		w.id["token"] = n.ReservationRevision
		return nil
	}
}

// setupStaleNode: a node whose holder tag's lease expired without a
// release (its lock gone, its marker left).
func setupStaleNode(tag string) func(context.Context, *world) error {
	return func(ctx context.Context, w *world) error {
		if err := setupLeasedNode(tag)(ctx, w); err != nil {
			return err
		}
		return revokeLease(ctx, w)
	}
}

// clearedOf: after clearing a conductor's reservations, no lock and no
// marker names it (in any case); a rival's reserve, by kept, is kept.
func clearedOf(host, kept string) func(*world, *runResult) []string {
	return func(w *world, r *runResult) []string {
		var out []string
		for _, id := range r.end.nodeIDs() {
			if h, _ := r.end.lock(id); h == host {
				out = append(out, fmt.Sprintf("outcome: node %d still names %q after its reservations were cleared", id, host))
			}
		}
		if r.fired && kept != "" {
			if h, _ := r.end.liveLock(w.id["node"]); h != kept {
				out = append(out, fmt.Sprintf("outcome: the rival's reservation was cleared (lock %q)", h))
			}
		}
		return out
	}
}
