package etcdstore_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

func TestReserveAndReleaseNode(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	for _, ident := range []string{id(n.Id), n.Uuid} {
		got, err := f.ReserveNode(f.ctx, "c1", ident)
		if err != nil || got.GetReservation() != "c1" || got.ReservationRevision == 0 {
			t.Fatal(got, err)
		}
		// Locked even for the same tag; the message names the holder.
		_, err = f.ReserveNode(f.ctx, "c1", ident)
		wantErr(t, err, etcdstore.ErrNodeLocked)
		_, err = f.ReserveNode(f.ctx, "c2", ident)
		wantErr(t, err, etcdstore.ErrNodeLocked)
		if !strings.Contains(err.Error(), "c1") {
			t.Fatalf("NodeLocked message does not name the holder: %v", err)
		}
		if holder, ok := etcdstore.NodeLockedHolder(err); !ok || holder != "c1" {
			t.Fatalf("holder %q", holder)
		}
		read, _ := f.GetNodeByID(f.ctx, n.Id)
		if read.GetReservation() != "c1" || read.ReservationRevision != got.ReservationRevision {
			t.Fatalf("read back %v", read)
		}
		wantErr(t, f.ReleaseNode(f.ctx, "c2", ident), etcdstore.ErrNodeLocked)
		if err := f.ReleaseNode(f.ctx, "c1", ident); err != nil {
			t.Fatal(err)
		}
		wantErr(t, f.ReleaseNode(f.ctx, "c1", ident), etcdstore.ErrNodeNotLocked)
	}
	_, err := f.ReserveNode(f.ctx, "c1", "31337")
	wantErr(t, err, etcdstore.ErrNodeNotFound)
	_, err = f.ReserveNode(f.ctx, "c1", uuidC)
	wantErr(t, err, etcdstore.ErrNodeNotFound)
	_, err = f.ReserveNode(f.ctx, "c1", "name")
	wantErr(t, err, etcdstore.ErrInvalidIdentity)
	wantErr(t, f.ReleaseNode(f.ctx, "c1", "31337"), etcdstore.ErrNodeNotFound)
	wantErr(t, f.ReleaseNode(f.ctx, "c1", "name"), etcdstore.ErrInvalidIdentity)
	_, err = f.ReserveNode(f.ctx, "", n.Uuid)
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	// The reservation is filtered on.
	if _, err := f.ReserveNode(f.ctx, "c3", n.Uuid); err != nil {
		t.Fatal(err)
	}
	tr := true
	list, _ := f.GetNodeList(f.ctx, etcdstore.NodeFilter{Reserved: &tr}, etcdstore.ListOptions{})
	if len(list) != 1 || list[0].GetReservation() != "c3" {
		t.Fatal(list)
	}
}

// Fencing: a write on behalf of a reservation lands only while that very
// reservation holds.
func TestFencedWrites(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	r, err := f.ReserveNode(f.ctx, "c1", n.Uuid)
	if err != nil {
		t.Fatal(err)
	}
	fence := etcdstore.WithFence("c1", r.ReservationRevision)
	if _, err := f.UpdateNode(f.ctx, n.Uuid, etcdstore.Values{"power_state": "power on"}, fence); err != nil {
		t.Fatal(err)
	}
	if err := f.TouchNodeProvisioning(f.ctx, n.Uuid, fence); err != nil {
		t.Fatal(err)
	}
	// The lock changes hands (here by an operator clearing it).
	if err := f.ClearNodeReservationsForConductor(f.ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	_, err = f.UpdateNode(f.ctx, n.Uuid, etcdstore.Values{"power_state": "power off"}, fence)
	wantErr(t, err, etcdstore.ErrNodeNotLocked)
	if _, err := f.ReserveNode(f.ctx, "c2", n.Uuid); err != nil {
		t.Fatal(err)
	}
	_, err = f.UpdateNode(f.ctx, n.Uuid, etcdstore.Values{"power_state": "power off"}, fence)
	wantErr(t, err, etcdstore.ErrNodeLocked)
	wantErr(t, f.TouchNodeProvisioning(f.ctx, n.Uuid, fence), etcdstore.ErrNodeLocked)
	wantErr(t, f.ReleaseNode(f.ctx, "c1", n.Uuid, fence), etcdstore.ErrNodeLocked)
	// Even the same tag re-reserving gets a new token: the old one is stale.
	if err := f.ReleaseNode(f.ctx, "c2", n.Uuid); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReserveNode(f.ctx, "c1", n.Uuid); err != nil {
		t.Fatal(err)
	}
	_, err = f.UpdateNode(f.ctx, n.Uuid, etcdstore.Values{"power_state": "power off"}, fence)
	wantErr(t, err, etcdstore.ErrNodeLocked)
	got, _ := f.GetNodeByID(f.ctx, n.Id)
	if got.GetPowerState() != "power on" {
		t.Fatalf("a stale write landed: %v", got.GetPowerState())
	}
}

// The reservation column written through update_node moves the lock key.
func TestUpdateNodeReservationColumn(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, etcdstore.Values{"reservation": "c0"})
	if n.GetReservation() != "c0" || n.ReservationRevision == 0 {
		t.Fatalf("create with a reservation: %v", n)
	}
	_, err := f.ReserveNode(f.ctx, "c1", n.Uuid)
	wantErr(t, err, etcdstore.ErrNodeLocked)
	got, err := f.UpdateNode(f.ctx, n.Uuid, etcdstore.Values{"reservation": nil})
	if err != nil || got.Reservation != nil {
		t.Fatal(got, err)
	}
	if _, err := f.ReserveNode(f.ctx, "c1", n.Uuid); err != nil {
		t.Fatal(err)
	}
}

func tagNames(tags []*pb.NodeTag) []string {
	var out []string
	for _, t := range tags {
		out = append(out, t.Tag)
	}
	slices.Sort(out)
	return out
}

func TestNodeTags(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	rev := f.revision(t)
	tags, err := f.SetNodeTags(f.ctx, n.Id, []string{"b", "a", "b"})
	if err != nil || !slices.Equal(tagNames(tags), []string{"a", "b"}) || tags[0].NodeId != n.Id {
		t.Fatal(tags, err)
	}
	got, _ := f.GetNodeByID(f.ctx, n.Id)
	if !slices.Equal(tagNames(got.Tags), []string{"a", "b"}) || got.UpdatedAt != nil || f.revision(t) == rev {
		t.Fatalf("node after set: %v", got)
	}
	tag, err := f.AddNodeTag(f.ctx, n.Id, "c")
	if err != nil || tag.Tag != "c" || tag.NodeId != n.Id {
		t.Fatal(tag, err)
	}
	if _, err := f.AddNodeTag(f.ctx, n.Id, "c"); err != nil { // an existing pair is fine
		t.Fatal(err)
	}
	if ok, _ := f.NodeTagExists(f.ctx, n.Id, "c"); !ok {
		t.Fatal("tag c missing")
	}
	if ok, err := f.NodeTagExists(f.ctx, 9999, "c"); ok || err != nil {
		t.Fatal("a missing node has tags", err) // no NodeNotFound here
	}
	if err := f.DeleteNodeTag(f.ctx, n.Id, "a"); err != nil {
		t.Fatal(err)
	}
	err = f.DeleteNodeTag(f.ctx, n.Id, "a")
	wantErr(t, err, etcdstore.ErrNodeTagNotFound)
	if errors.Is(err, etcdstore.ErrNotFound) {
		t.Fatal("NodeTagNotFound must not be a NotFound, as in Ironic")
	}
	wantErr(t, f.DeleteNodeTag(f.ctx, 9999, "a"), etcdstore.ErrNodeNotFound) // NodeNotFound first
	tags, _ = f.GetNodeTagsByNodeID(f.ctx, n.Id)
	if !slices.Equal(tagNames(tags), []string{"b", "c"}) {
		t.Fatal(tags)
	}
	if err := f.UnsetNodeTags(f.ctx, n.Id); err != nil {
		t.Fatal(err)
	}
	if tags, err := f.GetNodeTagsByNodeID(f.ctx, n.Id); err != nil || len(tags) != 0 || tags == nil {
		t.Fatal(tags, err)
	}
	if tags, err := f.SetNodeTags(f.ctx, n.Id, []string{}); err != nil || len(tags) != 0 {
		t.Fatal(tags, err)
	}
	for _, call := range []func() error{
		func() error { _, err := f.SetNodeTags(f.ctx, 9999, []string{"a"}); return err },
		func() error { return f.UnsetNodeTags(f.ctx, 9999) },
		func() error { _, err := f.GetNodeTagsByNodeID(f.ctx, 9999); return err },
		func() error { _, err := f.AddNodeTag(f.ctx, 9999, "a"); return err },
	} {
		wantErr(t, call(), etcdstore.ErrNodeNotFound)
	}
	for _, bad := range []string{"", strings.Repeat("t", 256), "ctl\x01", string([]byte{0xff})} {
		_, err := f.AddNodeTag(f.ctx, n.Id, bad)
		wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	}
}

// A node holds at most 1,000 tags (README, deliberate difference 1): more
// is refused and changes nothing.
func TestTagsPerNodeBound(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	tags := make([]string, 1001)
	for i := range tags {
		tags[i] = fmt.Sprintf("t%d", i)
	}
	_, err := f.SetNodeTags(f.ctx, n.Id, tags)
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	if got, err := f.GetNodeTagsByNodeID(f.ctx, n.Id); err != nil || len(got) != 0 {
		t.Fatalf("after a refused set: %d tags, %v", len(got), err)
	}
	if got, err := f.SetNodeTags(f.ctx, n.Id, tags[:1000]); err != nil || len(got) != 1000 {
		t.Fatalf("1,000 tags: %d, %v", len(got), err)
	}
	_, err = f.AddNodeTag(f.ctx, n.Id, "one-more")
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	if _, err := f.AddNodeTag(f.ctx, n.Id, "t7"); err != nil {
		t.Fatalf("adding a tag the node has: %v", err)
	}
	if got, _ := f.GetNodeTagsByNodeID(f.ctx, n.Id); len(got) != 1000 {
		t.Fatalf("%d tags", len(got))
	}
}

// An empty reservation holder is refused everywhere (README, deliberate
// difference 2) and writes nothing.
func TestEmptyHolderRefused(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	before := f.keysUnder(t)
	_, err := f.ReserveNode(f.ctx, "", n.Uuid)
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	wantErr(t, f.ReleaseNode(f.ctx, "", n.Uuid), etcdstore.ErrInvalidParameterValue)
	wantErr(t, f.ClearNodeReservationsForConductor(f.ctx, ""), etcdstore.ErrInvalidParameterValue)
	_, err = f.UpdateNode(f.ctx, n.Uuid, etcdstore.Values{"reservation": ""})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	_, err = f.CreateNode(f.ctx, etcdstore.Values{"reservation": ""})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	if after := f.keysUnder(t); !slices.Equal(before, after) {
		t.Fatalf("keys changed: %v -> %v", before, after)
	}
}
