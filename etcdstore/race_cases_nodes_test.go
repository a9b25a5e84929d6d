package etcdstore_test

import (
	"context"
	"fmt"
	"slices"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/keys"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Rows of the race table for nodes, their locks and tags.

const otherInstance = "7be26c0b-03f2-4d2e-ae87-c02d7f33c123"

func nodeRaceCases() []raceCase {
	power := etcdstore.Values{"power_state": "power on"}
	updateBy := func(by string) func(context.Context, *world) (any, error) {
		return func(ctx context.Context, w *world) (any, error) {
			return w.victim.UpdateNode(ctx, w.nodeIdent(by), power)
		}
	}
	reserveBy := func(by string, opts ...etcdstore.ReserveOption) func(context.Context, *world) (any, error) {
		return func(ctx context.Context, w *world) (any, error) {
			return w.victim.ReserveNode(ctx, "c1", w.nodeIdent(by), opts...)
		}
	}
	notFound := []error{etcdstore.ErrNodeNotFound}
	locked := []error{etcdstore.ErrNodeLocked, etcdstore.ErrNodeNotLocked}
	return []raceCase{
		{name: "update_node by uuid, id reused", setup: setupNode, call: updateBy("uuid"), rival: reuseNodeID, scope: nodeBy("uuid"), errs: notFound},
		{name: "update_node by id, id reused", setup: setupNode, call: updateBy("id"), rival: reuseNodeID, scope: nodeBy("id"), errs: notFound},
		{name: "update_node by uuid, destroyed", setup: setupNode, call: updateBy("uuid"), rival: destroyNode, scope: nodeBy("uuid"), errs: notFound},
		{name: "update_node name, name taken", setup: setupNode, scope: nodeBy("uuid"), errs: []error{etcdstore.ErrDuplicateName},
			call: func(ctx context.Context, w *world) (any, error) {
				return w.victim.UpdateNode(ctx, w.uuid["node"], etcdstore.Values{"name": "node-x"})
			},
			rival: func(ctx context.Context, w *world) error {
				return w.makeNode(ctx, "rival", etcdstore.Values{"name": "node-x"})
			}},
		{name: "update_node instance_uuid, instance taken", setup: setupNode, scope: nodeBy("uuid"), errs: []error{etcdstore.ErrInstanceAssociated},
			call: func(ctx context.Context, w *world) (any, error) {
				return w.victim.UpdateNode(ctx, w.uuid["node"], etcdstore.Values{"instance_uuid": otherInstance})
			},
			rival: func(ctx context.Context, w *world) error {
				return w.makeNode(ctx, "rival", etcdstore.Values{"instance_uuid": otherInstance})
			}},
		{name: "destroy_node by uuid, id reused", setup: setupNodeWithChildren, call: destroyBy("uuid"), rival: reuseNodeID, scope: nodeTree, errs: notFound},
		{name: "destroy_node by uuid, child created", setup: setupNodeWithChildren, call: destroyBy("uuid"), scope: nodeTree, errs: notFound,
			rival: mayLose(func(ctx context.Context, w *world) error { return w.makePort(ctx, "rival", "node", "", 9) })},
		{name: "destroy_node batched, port of another node joins its portgroup", opts: []etcdstore.Option{etcdstore.WithMaxTxnOps(16)},
			setup: setupBatchedNode, call: destroyBy("uuid"), scope: nodeTree, partial: true,
			errs:  []error{etcdstore.ErrPortgroupNotEmpty},
			rival: mayLose(func(ctx context.Context, w *world) error { return w.makePort(ctx, "rival", "node2", "pg", 9) })},
		{name: "destroy_node, own port joins its portgroup", setup: setupNodeWithChildren, call: destroyBy("uuid"), scope: nodeTree, errs: notFound,
			rival: mayLose(func(ctx context.Context, w *world) error { return w.makePort(ctx, "rival", "node", "pg", 9) })},
		{name: "reserve_node by uuid, id reused", setup: setupNode, call: reserveBy("uuid"), rival: reuseNodeID, scope: nodeBy("uuid"), errs: append(notFound, locked...), check: reservedFree},
		{name: "reserve_node, another holder reserves", setup: setupNode, call: reserveBy("uuid"), scope: nodeBy("uuid"), errs: locked, check: reservedFree,
			rival: func(ctx context.Context, w *world) error { return w.reserve(ctx, "c2") }},
		{name: "reserve_node WithWait, released and re-reserved by another", setup: setupLockedNode("c0"), call: reserveBy("uuid", etcdstore.WithWait()), waits: true,
			scope: nodeBy("uuid"), errs: locked, check: reservedBy("c1"),
			rival: func(ctx context.Context, w *world) error {
				if err := w.handOver(ctx, "c0", "c2"); err != nil {
					return err
				}
				return w.admin.ReleaseNode(ctx, "c2", w.uuid["node"])
			}},
		{name: "reserve_node WithWait, id reused", setup: setupLockedNode("c0"), call: reserveBy("uuid", etcdstore.WithWait()), waits: true, rival: reuseNodeID,
			scope: nodeBy("uuid"), errs: append(notFound, locked...), check: reservedFree},
		{name: "reserve_node WithLease, lease revoked", setup: setupNodeAndLease, scope: nodeBy("uuid"), check: reservedFree,
			// etcd refuses a revoked lease before applying anything: a
			// definite error, not an unknown outcome.
			errs: []error{etcdstore.ErrInvalid, etcdstore.ErrNotFound},
			call: func(ctx context.Context, w *world) (any, error) {
				return w.victim.ReserveNode(ctx, "c1", w.uuid["node"], etcdstore.WithLease(w.lease))
			},
			rival: revokeLease},
		{name: "release_node, released and re-reserved by another", setup: setupLockedNode("c1"), scope: nodeBy("uuid"), errs: locked,
			call:  releaseAs("c1", false),
			rival: func(ctx context.Context, w *world) error { return w.handOver(ctx, "c1", "c2") }, check: releasedOwn("c1", false)},
		{name: "release_node WithFence, re-reserved by the same holder", setup: setupLockedNode("c1"), scope: nodeBy("uuid"), errs: locked,
			call:  releaseAs("c1", true),
			rival: func(ctx context.Context, w *world) error { return w.handOver(ctx, "c1", "c1") }, check: releasedOwn("c1", true)},
		{name: "release_node by uuid, id reused", setup: setupLockedNode("c1"), scope: nodeBy("uuid"), errs: append(notFound, locked...),
			call: releaseAs("c1", false), rival: reuseNodeID, check: releasedOwn("c1", false)},
		{name: "update_node WithFence, re-reserved by the same holder", setup: setupLockedNode("c1"), scope: nodeBy("uuid"), errs: locked,
			call: fencedUpdate("c1"), check: fencedBy("c1"),
			rival: func(ctx context.Context, w *world) error { return w.handOver(ctx, "c1", "c1") }},
		{name: "update_node WithFence, lock moved away and back by update_node", setup: setupLockedNode("c2"), scope: nodeBy("uuid"), errs: locked,
			call: fencedUpdate("c2"), check: fencedBy("c2"),
			rival: func(ctx context.Context, w *world) error {
				for _, h := range []string{"c1", "c2"} {
					if _, err := w.admin.UpdateNode(ctx, w.uuid["node"], etcdstore.Values{"reservation": h}); err != nil {
						return err
					}
					if err := w.observeNow(ctx, "after the rival's update to "+h); err != nil {
						return err
					}
				}
				return nil
			}},
		{name: "update_node by its holder, lease revoked", setup: setupNodeAndLease, scope: nodeBy("uuid"), errs: locked, call: updateBy("uuid"), rival: revokeLease,
			prep: func(ctx context.Context, w *world) error {
				_, err := w.victim.ReserveNode(ctx, "c1", w.uuid["node"], etcdstore.WithLease(w.lease))
				return err
			}},
		{name: "update_node reservation=c1 by its holder, handed to c2", setup: setupNode, scope: nodeBy("uuid"), errs: locked,
			prep: func(ctx context.Context, w *world) error {
				_, err := w.victim.ReserveNode(ctx, "c1", w.uuid["node"])
				return err
			},
			call: func(ctx context.Context, w *world) (any, error) {
				return w.victim.UpdateNode(ctx, w.uuid["node"], etcdstore.Values{"reservation": "c1", "power_state": "power on"})
			},
			rival: func(ctx context.Context, w *world) error { return w.handOver(ctx, "c1", "c2") }},
		{name: "update_node sets reservation, lock taken meanwhile", setup: setupNode, scope: nodeBy("uuid"), errs: locked,
			call:  setReservation("c1"),
			rival: func(ctx context.Context, w *world) error { return w.reserve(ctx, "c2") }},
		{name: "update_node moves reservation, handed over meanwhile", setup: setupLockedNode("c0"), scope: nodeBy("uuid"), errs: locked,
			call:  setReservation("c1"),
			rival: func(ctx context.Context, w *world) error { return w.handOver(ctx, "c0", "c2") }},
		{name: "update_node clears reservation, handed over meanwhile", setup: setupLockedNode("c1"), scope: nodeBy("uuid"), errs: locked,
			call: func(ctx context.Context, w *world) (any, error) {
				return w.victim.UpdateNode(ctx, w.uuid["node"], etcdstore.Values{"reservation": nil})
			},
			rival: func(ctx context.Context, w *world) error { return w.handOver(ctx, "c1", "c2") }},
		{name: "set_node_tags, id reused", setup: setupNode, scope: nodeBy("id"), errs: notFound, rival: reuseNodeID,
			call: func(ctx context.Context, w *world) (any, error) {
				return w.victim.SetNodeTags(ctx, w.id["node"], []string{"a", "b"})
			}},
		{name: "add_node_tag, another tag added", setup: setupNode, scope: nodeBy("id"), errs: notFound, check: hasTags([]string{"a"}, []string{"a", "b"}),
			call: func(ctx context.Context, w *world) (any, error) { return w.victim.AddNodeTag(ctx, w.id["node"], "a") },
			rival: func(ctx context.Context, w *world) error {
				_, err := w.admin.AddNodeTag(ctx, w.id["node"], "b")
				return err
			}},
		{name: "add_node_tag, destroyed", setup: setupNode, scope: nodeBy("id"), errs: notFound, rival: destroyNode,
			call: func(ctx context.Context, w *world) (any, error) { return w.victim.AddNodeTag(ctx, w.id["node"], "a") }},
		{name: "delete_node_tag, deleted meanwhile", setup: setupNodeTagged, scope: nodeBy("id"), errs: []error{etcdstore.ErrNodeTagNotFound}, check: hasTags([]string{"b"}, []string{"b"}),
			call: func(ctx context.Context, w *world) (any, error) {
				return nil, w.victim.DeleteNodeTag(ctx, w.id["node"], "a")
			},
			rival: func(ctx context.Context, w *world) error { return w.admin.DeleteNodeTag(ctx, w.id["node"], "a") }},
	}
}

// nodeIdent is the node named by id or by uuid.
func (w *world) nodeIdent(by string) string {
	if by == "id" {
		return fmt.Sprint(w.id["node"])
	}
	return w.uuid["node"]
}

func destroyBy(by string) func(context.Context, *world) (any, error) {
	return func(ctx context.Context, w *world) (any, error) {
		return nil, w.victim.DestroyNode(ctx, w.nodeIdent(by))
	}
}

func releaseAs(tag string, fenced bool) func(context.Context, *world) (any, error) {
	return func(ctx context.Context, w *world) (any, error) {
		var opts []etcdstore.WriteOption
		if fenced {
			opts = append(opts, etcdstore.WithFence(tag, w.id["token"]))
		}
		return nil, w.victim.ReleaseNode(ctx, tag, w.uuid["node"], opts...)
	}
}

func fencedUpdate(tag string) func(context.Context, *world) (any, error) {
	return func(ctx context.Context, w *world) (any, error) {
		return w.victim.UpdateNode(ctx, w.uuid["node"], etcdstore.Values{"power_state": "power on"}, etcdstore.WithFence(tag, w.id["token"]))
	}
}

func setReservation(tag string) func(context.Context, *world) (any, error) {
	return func(ctx context.Context, w *world) (any, error) {
		return w.victim.UpdateNode(ctx, w.uuid["node"], etcdstore.Values{"reservation": tag})
	}
}

// nodeBy is the scope of a call naming the node by id or uuid: the node
// that holds that value at commit, and its lock.
func nodeBy(by string) func(*world, *snapshot) []string {
	return func(w *world, s *snapshot) []string {
		var value any = w.uuid["node"]
		if by == "id" {
			value = w.id["node"]
		}
		var out []string
		for _, key := range s.named("nodes", by, value) {
			id, _ := keys.ParseID(key)
			out = append(out, key, s.space.Reservation(id), s.space.Holder(id))
		}
		return out
	}
}

// nodeTree is the scope of destroy_node: the node its uuid names at
// commit, its lock and every record that belongs to it then.
func nodeTree(w *world, s *snapshot) []string {
	out := nodeBy("uuid")(w, s)
	for _, key := range s.named("nodes", "uuid", w.uuid["node"]) {
		id, _ := keys.ParseID(key)
		for _, t := range []string{"ports", "portgroups", "volume_connectors", "volume_targets", "allocations"} {
			out = append(out, s.named(t, "node_id", id)...)
		}
		out = append(out, s.named("bios_settings", "id", id)...)
	}
	return out
}

// commitLock is the live lock of the node the victim's uuid names at
// commit.
func commitLock(w *world, r *runResult) (holder string, token int64, found bool) {
	s := r.commitState()
	for _, key := range s.named("nodes", "uuid", w.uuid["node"]) {
		id, _ := keys.ParseID(key)
		h, tok := s.liveLock(id)
		return h, tok, true
	}
	return "", 0, false
}

// commitMarker is the marker of the node the victim's uuid names at
// commit ("" when none).
func commitMarker(w *world, r *runResult) string {
	s := r.commitState()
	for _, key := range s.named("nodes", "uuid", w.uuid["node"]) {
		id, _ := keys.ParseID(key)
		return markerValue(s.kvs[s.space.Holder(id)])
	}
	return ""
}

// reservedFree: a reserve succeeds only on a lock that was free at commit.
func reservedFree(w *world, r *runResult) []string {
	if h, tok, found := commitLock(w, r); r.err == nil && (!found || h != "") {
		return []string{fmt.Sprintf("outcome: reserve succeeded on a lock held by %q (token %d) at commit (node found %v)", h, tok, found)}
	}
	return nil
}

// reservedBy: a waiting reserve ends with the lock, unless it says why not.
func reservedBy(tag string) func(*world, *runResult) []string {
	return func(w *world, r *runResult) []string {
		if n, _ := r.res.(*pb.Node); r.err == nil && n.GetReservation() != tag {
			return []string{fmt.Sprintf("outcome: waiting reserve returned reservation %q, not %q", n.GetReservation(), tag)}
		}
		return nil
	}
}

// releasedOwn: a release succeeds only on tag's own lock (and fence), or,
// unfenced, on tag's stale reservation (the lock free, the marker tag's);
// after a successful release no marker names tag.
func releasedOwn(tag string, fenced bool) func(*world, *runResult) []string {
	return func(w *world, r *runResult) []string {
		h, tok, found := commitLock(w, r)
		stale := found && h == "" && !fenced && commitMarker(w, r) == tag
		if r.err == nil && !stale && (!found || h != tag || fenced && tok != w.id["token"]) {
			return []string{fmt.Sprintf("outcome: %q released a lock held by %q (token %d) at commit", tag, h, tok)}
		}
		if r.err == nil {
			for _, id := range r.end.nodeIDs() {
				if m := markerValue(r.end.kvs[r.end.space.Holder(id)]); m == tag && r.end.kvs[r.end.space.Reservation(id)] == nil {
					return []string{fmt.Sprintf("marker: node %d still names %q, which released it", id, tag)}
				}
			}
		}
		return nil
	}
}

// fencedBy: a fenced write succeeds only under its reservation.
func fencedBy(tag string) func(*world, *runResult) []string {
	return func(w *world, r *runResult) []string {
		h, tok, _ := commitLock(w, r)
		if r.err == nil && (h != tag || tok != w.id["token"]) {
			return []string{fmt.Sprintf("fencing: write fenced by %q token %d landed while the lock was %q token %d", tag, w.id["token"], h, tok)}
		}
		return nil
	}
}

// hasTags: the node ends with these tags, alone or raced (no update lost).
func hasTags(alone, raced []string) func(*world, *runResult) []string {
	return func(w *world, r *runResult) []string {
		want := alone
		if r.fired {
			want = raced
		}
		n := recordOf[*pb.Node](r.end, r.end.space.Record("nodes", w.id["node"]))
		if n == nil {
			return nil
		}
		var got []string
		for _, t := range n.Tags {
			got = append(got, t.Tag)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			return []string{fmt.Sprintf("outcome: node tags %v, want %v (an update was lost)", got, want)}
		}
		return nil
	}
}
