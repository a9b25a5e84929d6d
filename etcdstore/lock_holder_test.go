package etcdstore_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// The last holder of a lease-bound lock stays visible once its lease
// expired without a release (a stale holder), so that Ironic 21.4's
// orphan task finds a dead conductor's nodes; the lock itself is free.

// staleNodes creates n nodes, reserves them for host bound to a fresh
// lease, and revokes the lease: the locks go, the markers stay.
func (f *fixture) staleNodes(t *testing.T, host string, n int) []*pb.Node {
	t.Helper()
	lease, err := client.Grant(f.ctx, 60)
	if err != nil {
		t.Fatal(err)
	}
	var out []*pb.Node
	for range n {
		node := f.mustNode(t, etcdstore.Values{"name": fmt.Sprintf("%s-node-%d", host, seq.Add(1))})
		if _, err := f.ReserveNode(f.ctx, host, node.Uuid, etcdstore.WithLease(lease.ID)); err != nil {
			t.Fatal(err)
		}
		out = append(out, node)
	}
	if _, err := client.Revoke(f.ctx, lease.ID); err != nil {
		t.Fatal(err)
	}
	return out
}

// marker is the value of node id's last-holder marker ("" when absent).
func (f *fixture) marker(t *testing.T, id int64) string {
	t.Helper()
	resp, err := client.Get(f.ctx, f.Keys().Holder(id))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) == 0 {
		return ""
	}
	if resp.Kvs[0].Lease != 0 {
		t.Fatalf("the marker of node %d is bound to lease %x", id, resp.Kvs[0].Lease)
	}
	return string(resp.Kvs[0].Value)
}

// reservedAs checks every read of node n reports holder (token 0: a stale
// holder), and reserved_by_any_of and reserved agree.
func (f *fixture) reservedAs(t *testing.T, n *pb.Node, holder string, token int64) {
	t.Helper()
	var reads []*pb.Node
	gets := []func() (*pb.Node, error){
		func() (*pb.Node, error) { return f.GetNodeByID(f.ctx, n.Id) },
		func() (*pb.Node, error) { return f.GetNodeByUUID(f.ctx, n.Uuid) },
	}
	if n.Name != nil {
		gets = append(gets, func() (*pb.Node, error) { return f.GetNodeByName(f.ctx, n.GetName()) })
	}
	for _, get := range gets {
		got, err := get()
		if err != nil {
			t.Fatal(err)
		}
		reads = append(reads, got)
	}
	list, err := f.GetNodeList(f.ctx, etcdstore.NodeFilter{}, etcdstore.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cols, err := f.GetNodeListColumns(f.ctx, []string{"reservation"}, etcdstore.NodeFilter{}, etcdstore.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range list {
		if got.Id == n.Id {
			reads = append(reads, got)
		}
	}
	for _, got := range cols { // the asked column only, no token
		if got.Id == n.Id && got.GetReservation() != holder {
			t.Fatalf("get_node_list_columns: node %d reservation %q, want %q", n.Id, got.GetReservation(), holder)
		}
	}
	for i, got := range reads {
		if got.GetReservation() != holder || got.ReservationRevision != token {
			t.Fatalf("read %d of node %d: reservation %q token %d, want %q token %d", i, n.Id, got.GetReservation(), got.ReservationRevision, holder, token)
		}
	}
	rows, err := f.GetNodeinfoList(f.ctx, []string{"id", "reservation"}, etcdstore.NodeFilter{}, etcdstore.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r[0] == n.Id && (holder == "" && r[1] != nil || holder != "" && r[1] != holder) {
			t.Fatalf("get_nodeinfo_list: node %d reservation %v, want %q", n.Id, r[1], holder)
		}
	}
	for _, flt := range []etcdstore.NodeFilter{{ReservedByAnyOf: []string{"someone", holder}}, {Reserved: boolp(holder != "")}} {
		got, err := f.GetNodeList(f.ctx, flt, etcdstore.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(got, func(x *pb.Node) bool { return x.Id == n.Id }) && (holder != "" || flt.Reserved != nil) {
			t.Fatalf("filter %+v does not list node %d (reservation %q)", flt, n.Id, holder)
		}
	}
}

// The whole scenario: a conductor's lease-bound locks on 3 nodes, its
// lease gone; the nodes name it and the orphan task's filter finds them;
// another tag reserves one at once; the stale holder's release clears the
// others.
func TestStaleHolderScenario(t *testing.T) {
	f := newFixture(t)
	nodes := f.staleNodes(t, "dead-host", 3)
	for _, n := range nodes {
		f.reservedAs(t, n, "dead-host", 0)
	}
	orphans, err := f.GetNodeList(f.ctx, etcdstore.NodeFilter{ReservedByAnyOf: []string{"dead-host"}}, etcdstore.ListOptions{})
	if err != nil || len(orphans) != 3 {
		t.Fatalf("reserved_by_any_of [dead-host]: %d nodes, %v", len(orphans), err)
	}
	taken, err := f.ReserveNode(f.ctx, "survivor", nodes[0].Uuid)
	if err != nil {
		t.Fatalf("the lock of a stale holder's node is not free: %v", err)
	}
	f.lockAgrees(t, taken)
	f.reservedAs(t, nodes[0], "survivor", taken.ReservationRevision)
	if m := f.marker(t, nodes[0].Id); m != "" {
		t.Fatalf("a lock bound to no lease left the marker %q", m)
	}
	if err := f.ReleaseNode(f.ctx, "dead-host", nodes[0].Uuid); !errors.Is(err, etcdstore.ErrNodeLocked) || holderOf(err) != "survivor" {
		t.Fatalf("the stale holder released the survivor's lock: %v", err)
	}
	for _, n := range nodes[1:] {
		if err := f.ReleaseNode(f.ctx, "dead-host", n.Uuid); err != nil {
			t.Fatalf("release by the stale holder: %v", err)
		}
		f.reservedAs(t, n, "", 0)
		if m := f.marker(t, n.Id); m != "" {
			t.Fatalf("the released node keeps the marker %q", m)
		}
		if err := f.ReleaseNode(f.ctx, "dead-host", n.Uuid); !errors.Is(err, etcdstore.ErrNodeNotLocked) {
			t.Fatalf("a second release: %v, want NodeNotLocked", err)
		}
	}
}

// A live lease-bound lock carries its holder's marker, which a release
// removes with the lock; a lock bound to no lease has none.
func TestMarkerFollowsTheLock(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	lease, err := client.Grant(f.ctx, 60)
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.ReserveNode(f.ctx, "c1", n.Uuid, etcdstore.WithLease(lease.ID))
	if err != nil {
		t.Fatal(err)
	}
	f.lockAgrees(t, got)
	if m := f.marker(t, n.Id); m != "c1" {
		t.Fatalf("marker %q after a lease-bound reserve, want c1", m)
	}
	if err := f.ReleaseNode(f.ctx, "c1", n.Uuid); err != nil {
		t.Fatal(err)
	}
	if m := f.marker(t, n.Id); m != "" {
		t.Fatalf("marker %q after the release", m)
	}
	if _, err := client.Revoke(f.ctx, lease.ID); err != nil {
		t.Fatal(err)
	}
	f.reservedAs(t, n, "", 0) // released before expiry: no stale holder
	if _, err := f.ReserveNode(f.ctx, "c2", n.Uuid); err != nil {
		t.Fatal(err)
	}
	if m := f.marker(t, n.Id); m != "" {
		t.Fatalf("marker %q beside a lock bound to no lease", m)
	}
}

// Reserving a stale holder's node: a lease-bound lock makes the marker
// the new holder's, a lock bound to no lease removes it.
func TestReserveOverStaleHolder(t *testing.T) {
	f := newFixture(t)
	nodes := f.staleNodes(t, "dead", 2)
	lease, err := client.Grant(f.ctx, 60)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReserveNode(f.ctx, "next", nodes[0].Uuid, etcdstore.WithLease(lease.ID)); err != nil {
		t.Fatal(err)
	}
	if m := f.marker(t, nodes[0].Id); m != "next" {
		t.Fatalf("marker %q, want the new holder's", m)
	}
	if _, err := client.Revoke(f.ctx, lease.ID); err != nil {
		t.Fatal(err)
	}
	f.reservedAs(t, nodes[0], "next", 0)
	// The fair-wait path sends the same transaction.
	w, err := f.ReserveNode(f.ctx, "waiter", nodes[1].Uuid, etcdstore.WithWait())
	if err != nil {
		t.Fatal(err)
	}
	f.reservedAs(t, nodes[1], "waiter", w.ReservationRevision)
	if m := f.marker(t, nodes[1].Id); m != "" {
		t.Fatalf("marker %q beside a lock bound to no lease", m)
	}
	// The stale holder itself may reserve again at once.
	if _, err := f.ReserveNode(f.ctx, "next", nodes[0].Uuid); err != nil {
		t.Fatalf("reserve by the stale holder itself: %v", err)
	}
}

// release_node with a stale marker: its holder's release succeeds (the
// orphan task), another's is NodeLocked naming it, a fenced one by the
// stale holder is NodeNotLocked and keeps it.
func TestReleaseStaleHolder(t *testing.T) {
	f := newFixture(t)
	lease, err := client.Grant(f.ctx, 60)
	if err != nil {
		t.Fatal(err)
	}
	n := f.mustNode(t, nil)
	r, err := f.ReserveNode(f.ctx, "dead", n.Uuid, etcdstore.WithLease(lease.ID))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Revoke(f.ctx, lease.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.ReleaseNode(f.ctx, "other", n.Uuid); !errors.Is(err, etcdstore.ErrNodeLocked) || holderOf(err) != "dead" {
		t.Fatalf("release by another tag: %v, want NodeLocked naming the stale holder", err)
	}
	if err := f.ReleaseNode(f.ctx, "DEAD", n.Uuid); !errors.Is(err, etcdstore.ErrNodeLocked) {
		t.Fatalf("release by another spelling: %v, want NodeLocked (release matches exactly)", err)
	}
	if err := f.ReleaseNode(f.ctx, "dead", n.Uuid, etcdstore.WithFence("dead", r.ReservationRevision)); !errors.Is(err, etcdstore.ErrNodeNotLocked) {
		t.Fatalf("fenced release by the stale holder: %v, want NodeNotLocked", err)
	}
	if _, err := f.UpdateNode(f.ctx, n.Uuid, etcdstore.Values{"power_state": "power on"}, etcdstore.WithFence("dead", r.ReservationRevision)); !errors.Is(err, etcdstore.ErrNodeNotLocked) {
		t.Fatalf("fenced update by the stale holder: %v, want NodeNotLocked", err)
	}
	if _, err := f.UpdateNode(f.ctx, n.Uuid, etcdstore.Values{"power_state": "power on"}, etcdstore.WithFence("dead", 0)); !errors.Is(err, etcdstore.ErrNodeNotLocked) {
		t.Fatalf("update fenced by the stale holder with token 0: %v, want NodeNotLocked", err)
	}
	if _, err := f.UpdateNode(f.ctx, n.Uuid, etcdstore.Values{"power_state": "power on"}, etcdstore.WithFence("other", 0)); !errors.Is(err, etcdstore.ErrNodeLocked) {
		t.Fatalf("update fenced by another: %v, want NodeLocked", err)
	}
	f.reservedAs(t, n, "dead", 0)
	if got, _ := f.GetNodeByID(f.ctx, n.Id); got.GetPowerState() == "power on" {
		t.Fatal("a refused fenced write landed")
	}
	if err := f.ReleaseNode(f.ctx, "dead", n.Uuid); err != nil {
		t.Fatal(err)
	}
	f.reservedAs(t, n, "", 0)
}

// update_node and a stale holder: an update that does not touch the
// reservation keeps it, reservation None drops it, another holder
// replaces it with a lock bound to no lease.
func TestUpdateNodeAndStaleHolder(t *testing.T) {
	f := newFixture(t)
	nodes := f.staleNodes(t, "dead", 2)
	got, err := f.UpdateNode(f.ctx, nodes[0].Uuid, etcdstore.Values{"power_state": "power on"})
	if err != nil {
		t.Fatal(err)
	}
	f.lockAgrees(t, got)
	f.reservedAs(t, nodes[0], "dead", 0)
	if _, err := f.UpdateNode(f.ctx, nodes[0].Uuid, etcdstore.Values{"reservation": nil}); err != nil {
		t.Fatal(err)
	}
	f.reservedAs(t, nodes[0], "", 0)
	if m := f.marker(t, nodes[0].Id); m != "" {
		t.Fatalf("reservation None kept the marker %q", m)
	}
	moved, err := f.UpdateNode(f.ctx, nodes[1].Uuid, etcdstore.Values{"reservation": "c9"})
	if err != nil {
		t.Fatal(err)
	}
	f.lockAgrees(t, moved)
	if moved.ReservationRevision == 0 || f.marker(t, nodes[1].Id) != "" {
		t.Fatalf("update to c9: token %d, marker %q", moved.ReservationRevision, f.marker(t, nodes[1].Id))
	}
}

// clear_node_reservations_for_conductor drops a conductor's stale
// reservations as its live ones, under any spelling of its hostname, and
// no one else's; clear_node_target_power_state counts them too.
func TestClearStaleReservations(t *testing.T) {
	f := newFixture(t)
	mine := f.staleNodes(t, "Cond-1", 2)
	theirs := f.staleNodes(t, "cond-2", 1)
	live := f.mustNode(t, nil)
	if _, err := f.ReserveNode(f.ctx, "cond-1", live.Uuid); err != nil {
		t.Fatal(err)
	}
	if _, err := f.UpdateNode(f.ctx, mine[0].Uuid, etcdstore.Values{"target_power_state": "power on"}); err != nil {
		t.Fatal(err)
	}
	if err := f.ClearNodeTargetPowerState(f.ctx, "COND-1"); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.GetNodeByID(f.ctx, mine[0].Id); got.TargetPowerState != nil || got.GetLastError() == "" {
		t.Fatalf("the stale holder's pending power operation was not aborted: %v", got)
	}
	if err := f.ClearNodeReservationsForConductor(f.ctx, "cond-1"); err != nil {
		t.Fatal(err)
	}
	for _, n := range append(mine, live) {
		f.reservedAs(t, n, "", 0)
		if m := f.marker(t, n.Id); m != "" {
			t.Fatalf("node %d keeps the marker %q", n.Id, m)
		}
	}
	f.reservedAs(t, theirs[0], "cond-2", 0)
}

// destroy_node removes a marker with the node; create_node with a
// reservation leaves none.
func TestMarkerGoesWithItsNode(t *testing.T) {
	f := newFixture(t)
	nodes := f.staleNodes(t, "dead", 1)
	if m := f.marker(t, nodes[0].Id); m != "dead" {
		t.Fatalf("marker %q of a stale holder, want dead", m)
	}
	if err := f.DestroyNode(f.ctx, nodes[0].Uuid); err != nil {
		t.Fatal(err)
	}
	if m := f.marker(t, nodes[0].Id); m != "" {
		t.Fatalf("destroy_node left the marker %q", m)
	}
	created, err := f.CreateNode(f.ctx, etcdstore.Values{"id": nodes[0].Id, "reservation": "c1"})
	if err != nil {
		t.Fatal(err)
	}
	f.lockAgrees(t, created)
	resp, err := client.Get(f.ctx, f.Keys().Holders(), clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil || resp.Count != 0 {
		t.Fatalf("markers left: %d, %v", resp.Count, err)
	}
}

func holderOf(err error) string {
	h, _ := etcdstore.NodeLockedHolder(err)
	return h
}
