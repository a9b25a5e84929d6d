package etcdstore_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// A stale holder (a lease expired without a release) travels as the
// node's reservation: WalkRecords reports it, as reads do, and an import
// that replaces the node drops the marker with the lock it sets or clears
// (an imported lock is bound to no lease, so it has no marker).
func TestImportAndWalkWithStaleHolders(t *testing.T) {
	f := newFixture(t)
	stale := f.staleNodes(t, "dead-conductor", 3)

	walked := map[int64]*pb.Node{}
	if _, err := f.WalkRecords(f.ctx, "nodes", 0, func(m proto.Message) error {
		n := m.(*pb.Node)
		walked[n.Id] = n
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, n := range stale {
		if got := walked[n.Id].GetReservation(); got != "dead-conductor" || walked[n.Id].ReservationRevision != 0 {
			t.Fatalf("node %d walked with reservation %q token %d, want the stale holder, token 0", n.Id, got, walked[n.Id].ReservationRevision)
		}
	}

	// Unchanged: the same record with the stale holder writes nothing.
	same := proto.Clone(walked[stale[0].Id]).(*pb.Node)
	if res, err := f.ImportRecords(f.ctx, "nodes", []proto.Message{same}, etcdstore.ImportReplace()); err != nil || res.Unchanged != 1 {
		t.Fatalf("unchanged import: %v %+v", err, res)
	}
	if got := f.marker(t, stale[0].Id); got != "dead-conductor" {
		t.Fatalf("an unchanged import dropped the marker: %q", got)
	}

	// Cleared and moved: the marker goes with the stale holder.
	cleared := proto.Clone(walked[stale[1].Id]).(*pb.Node)
	cleared.Reservation = nil
	moved := proto.Clone(walked[stale[2].Id]).(*pb.Node)
	moved.Reservation = proto.String("sql-conductor")
	res, err := f.ImportRecords(f.ctx, "nodes", []proto.Message{cleared, moved}, etcdstore.ImportReplace())
	if err != nil || res.Replaced != 2 {
		t.Fatalf("replacing import: %v %+v", err, res)
	}
	for _, c := range []struct {
		node   *pb.Node
		holder string
	}{{stale[1], ""}, {stale[2], "sql-conductor"}} {
		if got := f.marker(t, c.node.Id); got != "" {
			t.Fatalf("node %d keeps marker %q after the import", c.node.Id, got)
		}
		n, err := f.GetNodeByID(f.ctx, c.node.Id)
		if err != nil || n.GetReservation() != c.holder {
			t.Fatalf("node %d: %v reservation %q, want %q", c.node.Id, err, n.GetReservation(), c.holder)
		}
	}
}
