package etcdstore_test

import (
	"testing"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// batchedNode is a node whose destroy takes batches at WithMaxTxnOps(16):
// two ports in its portgroup and the portgroup (13 deletes) go in the
// first batch, four volume connectors (16) in the second, the node last.
type batchedNode struct {
	node  *pb.Node
	pg    *pb.Portgroup
	ports []*pb.Port
}

const batchOps = 16

func newBatchedNode(t *testing.T, f *fixture, connectors int) batchedNode {
	t.Helper()
	n := f.mustNode(t, nil)
	pg := f.mustPortgroup(t, etcdstore.Values{"node_id": n.Id})
	b := batchedNode{node: n, pg: pg}
	for i := 0; i < 2; i++ {
		b.ports = append(b.ports, f.mustPort(t, etcdstore.Values{"node_id": n.Id, "portgroup_id": pg.Id, "address": macOf(int(n.Id)<<8 + i)}))
	}
	for i := 0; i < connectors; i++ {
		if _, err := f.CreateVolumeConnector(f.ctx, etcdstore.Values{"node_id": n.Id, "type": "iqn", "connector_id": macOf(int(n.Id)<<8 + 100 + i)}); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// watchOrphans checks after every write transaction of the Store under
// test that nothing refers to a missing record: destroy_node may stop
// between any two batches.
func watchOrphans(t *testing.T, in *raceInjector, other *fixture) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.afterWrite = func() { assertNoOrphans(t, other) }
}

// assertNodeGone checks that the node and every record of it are gone.
func assertNodeGone(t *testing.T, f *fixture, n *pb.Node) {
	t.Helper()
	wantErr(t, func() error { _, err := f.GetNodeByID(f.ctx, n.Id); return err }(), etcdstore.ErrNodeNotFound)
	ports, err := f.GetPortList(f.ctx, etcdstore.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ports {
		if p.GetNodeId() == n.Id {
			t.Fatalf("port %d of the destroyed node is left", p.Id)
		}
	}
	pgs, err := f.GetPortgroupList(f.ctx, etcdstore.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, pg := range pgs {
		if pg.GetNodeId() == n.Id {
			t.Fatalf("portgroup %d of the destroyed node is left", pg.Id)
		}
	}
	vcs, err := f.GetVolumeConnectorList(f.ctx, etcdstore.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	vts, err := f.GetVolumeTargetList(f.ctx, etcdstore.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(vcs)+len(vts) > 0 {
		t.Fatalf("%d volume connectors and %d targets left", len(vcs), len(vts))
	}
}

// Issue 10 item 6(a): a port of another node created in the portgroup
// just before the batch that deletes it. The batch compares the
// portgroup's ports as checked, so it fails, and the re-check refuses
// with PortgroupNotEmpty; the port keeps its portgroup.
func TestDestroyNodeBatchRacingForeignPortInPortgroup(t *testing.T) {
	f, other, in := injectedFixtures(t, etcdstore.WithMaxTxnOps(batchOps))
	b := newBatchedNode(t, other, 4)
	m := other.mustNode(t, nil)
	var foreign *pb.Port
	in.arm(txnDeleting(f.Keys().Record("portgroups", b.pg.Id)), func() {
		foreign = other.mustPort(t, etcdstore.Values{"node_id": m.Id, "portgroup_id": b.pg.Id, "address": macOf(0xff01)})
	})
	watchOrphans(t, in, other)
	wantErr(t, f.DestroyNode(f.ctx, b.node.Uuid), etcdstore.ErrPortgroupNotEmpty)
	if !in.wasFired() {
		t.Fatal("the portgroup was never deleted in a batch: the race was not injected")
	}
	if _, err := other.GetPortgroupByID(other.ctx, foreign.GetPortgroupId()); err != nil {
		t.Fatalf("the other node's port lost its portgroup: %v", err)
	}
	assertNoOrphans(t, other)
}

// Issue 10 item 6(b): the node's own port created in its portgroup
// between the children read and the portgroup check is the node's, not
// another node's: destroy_node takes it too.
func TestDestroyNodeOwnPortJoinsPortgroupBeforeCheck(t *testing.T) {
	for _, tc := range []struct {
		name       string
		maxOps     int
		connectors int
	}{{"one transaction", 128, 0}, {"batched", batchOps, 4}} {
		t.Run(tc.name, func(t *testing.T) {
			f, other, in := injectedFixtures(t, etcdstore.WithMaxTxnOps(tc.maxOps))
			b := newBatchedNode(t, other, tc.connectors)
			in.arm(txnReading(f.Keys().Members("ports", "portgroup_id", b.pg.Id)), func() {
				other.mustPort(t, etcdstore.Values{"node_id": b.node.Id, "portgroup_id": b.pg.Id, "address": macOf(0xff02)})
			})
			watchOrphans(t, in, other)
			if err := f.DestroyNode(f.ctx, b.node.Uuid); err != nil {
				t.Fatal(err)
			}
			if !in.wasFired() {
				t.Fatal("the portgroup's ports were never checked: the race was not injected")
			}
			assertNodeGone(t, other, b.node)
			assertNoOrphans(t, other)
		})
	}
}

// Children added while destroy_node runs its batches, injected just
// before a batch: the node's own go with it, a port of another node in a
// new portgroup of the node refuses the destroy; never a reference to a
// deleted record, at any step.
func TestDestroyNodeChildrenAddedDuringBatches(t *testing.T) {
	for _, tc := range []struct {
		name    string
		add     func(t *testing.T, other *fixture, b batchedNode, m *pb.Node)
		want    error
		trigger func(f *fixture, b batchedNode) func(any) bool
	}{
		{name: "own port in the portgroup, before the batch deleting it",
			trigger: func(f *fixture, b batchedNode) func(any) bool {
				return txnDeleting(f.Keys().Record("portgroups", b.pg.Id))
			},
			add: func(t *testing.T, other *fixture, b batchedNode, _ *pb.Node) {
				other.mustPort(t, etcdstore.Values{"node_id": b.node.Id, "portgroup_id": b.pg.Id, "address": macOf(0xff03)})
			}},
		{name: "own port without portgroup",
			add: func(t *testing.T, other *fixture, b batchedNode, _ *pb.Node) {
				other.mustPort(t, etcdstore.Values{"node_id": b.node.Id, "address": macOf(0xff04)})
			}},
		{name: "new portgroup with an own port",
			add: func(t *testing.T, other *fixture, b batchedNode, _ *pb.Node) {
				pg := other.mustPortgroup(t, etcdstore.Values{"node_id": b.node.Id})
				other.mustPort(t, etcdstore.Values{"node_id": b.node.Id, "portgroup_id": pg.Id, "address": macOf(0xff05)})
			}},
		{name: "volume connector and target",
			add: func(t *testing.T, other *fixture, b batchedNode, _ *pb.Node) {
				if _, err := other.CreateVolumeConnector(other.ctx, etcdstore.Values{"node_id": b.node.Id, "type": "iqn", "connector_id": "late"}); err != nil {
					t.Fatal(err)
				}
				if _, err := other.CreateVolumeTarget(other.ctx, etcdstore.Values{"node_id": b.node.Id, "volume_type": "iscsi", "volume_id": "v", "boot_index": 0}); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "new portgroup with a port of another node", want: etcdstore.ErrPortgroupNotEmpty,
			add: func(t *testing.T, other *fixture, b batchedNode, m *pb.Node) {
				pg := other.mustPortgroup(t, etcdstore.Values{"node_id": b.node.Id})
				other.mustPort(t, etcdstore.Values{"node_id": m.Id, "portgroup_id": pg.Id, "address": macOf(0xff06)})
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, other, in := injectedFixtures(t, etcdstore.WithMaxTxnOps(batchOps))
			b := newBatchedNode(t, other, 4)
			m := other.mustNode(t, nil)
			trigger := nthWriteTxn(2) // the second batch
			if tc.trigger != nil {
				trigger = tc.trigger(f, b)
			}
			in.arm(trigger, func() { tc.add(t, other, b, m) })
			watchOrphans(t, in, other)
			err := f.DestroyNode(f.ctx, b.node.Uuid)
			if !in.wasFired() {
				t.Fatal("the race was not injected")
			}
			switch {
			case tc.want != nil:
				wantErr(t, err, tc.want)
			case err != nil:
				t.Fatal(err)
			default:
				assertNodeGone(t, other, b.node)
			}
			assertNoOrphans(t, other)
		})
	}
}
