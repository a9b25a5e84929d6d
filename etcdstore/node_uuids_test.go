package etcdstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// 21.4's node_uuid of ports and portgroups (WithNodeUUIDs).

// nodeIDsOf is the node_id of each record.
func nodeIDsOf[T interface{ GetId() int64 }](recs []T, nodeID func(T) *int64) []*int64 {
	out := make([]*int64, len(recs))
	for i, r := range recs {
		out[i] = nodeID(r)
	}
	return out
}

func portNodeIDs(ps ...*pb.Port) []*int64 {
	return nodeIDsOf(ps, func(p *pb.Port) *int64 { return p.NodeId })
}

func portgroupNodeIDs(pgs ...*pb.Portgroup) []*int64 {
	return nodeIDsOf(pgs, func(pg *pb.Portgroup) *int64 { return pg.NodeId })
}

// one turns a lookup into a list of one.
func one[T any](rec T, err error) ([]T, error) { return []T{rec}, err }

// nodeUUIDCase is one call under WithNodeUUIDs, returning the node_id of
// each record it returns.
type nodeUUIDCase struct {
	name string
	call func(ctx context.Context) ([]*int64, error)
	// records is how many records the call returns.
	records int
}

func TestNodeUUIDsOfPortsAndPortgroups(t *testing.T) {
	f := newFixture(t)
	a := f.mustNode(t, etcdstore.Values{"owner": "o"})
	b := f.mustNode(t, etcdstore.Values{"shard": "s1"})
	uuidOf := map[int64]string{a.Id: a.Uuid, b.Id: b.Uuid}
	ga := f.mustPortgroup(t, etcdstore.Values{"node_id": a.Id, "name": "ga", "address": macOf(100)})
	gb := f.mustPortgroup(t, etcdstore.Values{"node_id": b.Id, "name": "gb", "address": macOf(101)})
	gn := f.mustPortgroup(t, etcdstore.Values{"name": "gn", "address": macOf(102)})
	pa1 := f.mustPort(t, etcdstore.Values{"node_id": a.Id, "portgroup_id": ga.Id, "address": macOf(1), "name": "pa1"})
	f.mustPort(t, etcdstore.Values{"node_id": a.Id, "address": macOf(2)})
	pb1 := f.mustPort(t, etcdstore.Values{"node_id": b.Id, "portgroup_id": gb.Id, "address": macOf(3)})
	pn := f.mustPort(t, etcdstore.Values{"address": macOf(4)})
	all := etcdstore.ListOptions{}
	cases := []nodeUUIDCase{
		{"get_port_by_id", func(ctx context.Context) ([]*int64, error) {
			ps, err := one(f.GetPortByID(ctx, pa1.Id))
			return portNodeIDs(ps...), err
		}, 1},
		{"get_port_by_uuid", func(ctx context.Context) ([]*int64, error) {
			ps, err := one(f.GetPortByUUID(ctx, pb1.Uuid))
			return portNodeIDs(ps...), err
		}, 1},
		{"get_port_by_address (no node)", func(ctx context.Context) ([]*int64, error) {
			ps, err := one(f.GetPortByAddress(ctx, pn.GetAddress()))
			return portNodeIDs(ps...), err
		}, 1},
		{"get_port_by_address(owner)", func(ctx context.Context) ([]*int64, error) {
			ps, err := one(f.GetPortByAddressForProject(ctx, pa1.GetAddress(), etcdstore.ProjectFilter{Owner: "o"}))
			return portNodeIDs(ps...), err
		}, 1},
		{"get_port_by_name", func(ctx context.Context) ([]*int64, error) {
			ps, err := one(f.GetPortByName(ctx, "pa1"))
			return portNodeIDs(ps...), err
		}, 1},
		{"get_port_list", func(ctx context.Context) ([]*int64, error) {
			ps, err := f.GetPortList(ctx, all)
			return portNodeIDs(ps...), err
		}, 4},
		{"get_port_list sorted, paged", func(ctx context.Context) ([]*int64, error) {
			ps, err := f.GetPortListForProject(ctx, etcdstore.ListOptions{SortKey: "address", SortDir: "desc", Limit: etcdstore.Limit(3)}, etcdstore.ProjectFilter{})
			return portNodeIDs(ps...), err
		}, 3},
		{"get_port_list(project)", func(ctx context.Context) ([]*int64, error) {
			ps, err := f.GetPortListForProject(ctx, all, etcdstore.ProjectFilter{Project: "o"})
			return portNodeIDs(ps...), err
		}, 2},
		{"get_ports_by_node_id", func(ctx context.Context) ([]*int64, error) {
			ps, err := f.GetPortsByNodeIDForProject(ctx, a.Id, all, etcdstore.ProjectFilter{})
			return portNodeIDs(ps...), err
		}, 2},
		{"get_ports_by_portgroup_id", func(ctx context.Context) ([]*int64, error) {
			ps, err := f.GetPortsByPortgroupID(ctx, gb.Id, all)
			return portNodeIDs(ps...), err
		}, 1},
		{"get_ports_by_shards", func(ctx context.Context) ([]*int64, error) {
			ps, err := f.GetPortsByShards(ctx, []string{"s1"}, all)
			return portNodeIDs(ps...), err
		}, 1},
		{"create_port", func(ctx context.Context) ([]*int64, error) {
			ps, err := one(f.CreatePort(ctx, etcdstore.Values{"node_id": b.Id, "address": macOf(5)}))
			return portNodeIDs(ps...), err
		}, 1},
		{"update_port: to another node", func(ctx context.Context) ([]*int64, error) {
			ps, err := one(f.UpdatePort(ctx, id(pa1.Id), etcdstore.Values{"node_id": b.Id, "portgroup_id": nil}))
			return portNodeIDs(ps...), err
		}, 1},
		{"update_port: to no node", func(ctx context.Context) ([]*int64, error) {
			ps, err := one(f.UpdatePort(ctx, pb1.Uuid, etcdstore.Values{"node_id": nil, "portgroup_id": nil}))
			return portNodeIDs(ps...), err
		}, 1},
		{"get_portgroup_by_id", func(ctx context.Context) ([]*int64, error) {
			pgs, err := one(f.GetPortgroupByID(ctx, ga.Id))
			return portgroupNodeIDs(pgs...), err
		}, 1},
		{"get_portgroup_by_id(project)", func(ctx context.Context) ([]*int64, error) {
			pgs, err := one(f.GetPortgroupByIDForProject(ctx, ga.Id, etcdstore.ProjectFilter{Project: "o"}))
			return portgroupNodeIDs(pgs...), err
		}, 1},
		{"get_portgroup_by_uuid", func(ctx context.Context) ([]*int64, error) {
			pgs, err := one(f.GetPortgroupByUUID(ctx, gb.Uuid))
			return portgroupNodeIDs(pgs...), err
		}, 1},
		{"get_portgroup_by_address (no node)", func(ctx context.Context) ([]*int64, error) {
			pgs, err := one(f.GetPortgroupByAddressForProject(ctx, gn.GetAddress(), etcdstore.ProjectFilter{}))
			return portgroupNodeIDs(pgs...), err
		}, 1},
		{"get_portgroup_by_name", func(ctx context.Context) ([]*int64, error) {
			pgs, err := one(f.GetPortgroupByName(ctx, "gb"))
			return portgroupNodeIDs(pgs...), err
		}, 1},
		{"get_portgroup_list", func(ctx context.Context) ([]*int64, error) {
			pgs, err := f.GetPortgroupListForProject(ctx, all, etcdstore.ProjectFilter{})
			return portgroupNodeIDs(pgs...), err
		}, 3},
		{"get_portgroups_by_node_id", func(ctx context.Context) ([]*int64, error) {
			pgs, err := f.GetPortgroupsByNodeID(ctx, b.Id, all)
			return portgroupNodeIDs(pgs...), err
		}, 1},
		{"create_portgroup", func(ctx context.Context) ([]*int64, error) {
			pgs, err := one(f.CreatePortgroup(ctx, etcdstore.Values{"node_id": a.Id, "address": macOf(103)}))
			return portgroupNodeIDs(pgs...), err
		}, 1},
		{"update_portgroup", func(ctx context.Context) ([]*int64, error) {
			pgs, err := one(f.UpdatePortgroup(ctx, gn.Uuid, etcdstore.Values{"node_id": b.Id}))
			return portgroupNodeIDs(pgs...), err
		}, 1},
	}
	for _, c := range cases {
		ctx, uuids := etcdstore.WithNodeUUIDs(f.ctx)
		nodeIDs, err := c.call(ctx)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(nodeIDs) != c.records {
			t.Fatalf("%s: %d records, want %d", c.name, len(nodeIDs), c.records)
		}
		for _, nodeID := range nodeIDs {
			got := uuids.Of(nodeID)
			switch {
			case nodeID == nil && got != nil:
				t.Errorf("%s: a record without node has node_uuid %s", c.name, *got)
			case nodeID != nil && (got == nil || *got != uuidOf[*nodeID]):
				t.Errorf("%s: node_uuid of node %d is %v, want %s", c.name, *nodeID, got, uuidOf[*nodeID])
			}
		}
	}
	// Without WithNodeUUIDs nothing is collected, and a context of another
	// call is not filled.
	ctx, uuids := etcdstore.WithNodeUUIDs(f.ctx)
	if _, err := f.GetPortByID(f.ctx, pb1.Id); err != nil {
		t.Fatal(err)
	}
	if _, err := f.GetChassisList(ctx, all); err != nil {
		t.Fatal(err)
	}
	if got := uuids.Of(&b.Id); got != nil {
		t.Fatalf("node_uuid collected outside its call: %s", *got)
	}
}

// A port whose node_id names no node (data written around the store)
// has no node_uuid rather than an error.
func TestNodeUUIDOfMissingNode(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	p := f.mustPort(t, etcdstore.Values{"node_id": n.Id, "address": macOf(1)})
	if _, err := client.Delete(f.ctx, f.Keys().Record("nodes", n.Id)); err != nil { // its port dangles
		t.Fatal(err)
	}
	for name, call := range map[string]func(ctx context.Context) (*pb.Port, error){
		"lookup": func(ctx context.Context) (*pb.Port, error) { return f.GetPortByID(ctx, p.Id) },
		"list": func(ctx context.Context) (*pb.Port, error) {
			ps, err := f.GetPortList(ctx, etcdstore.ListOptions{})
			if len(ps) != 1 {
				t.Fatalf("list: %v %v", ps, err)
			}
			return ps[0], err
		},
	} {
		ctx, uuids := etcdstore.WithNodeUUIDs(f.ctx)
		got, err := call(ctx)
		if err != nil || got.GetNodeId() != n.Id {
			t.Fatalf("%s: %v %v", name, got, err)
		}
		if u := uuids.Of(got.NodeId); u != nil {
			t.Fatalf("%s: node_uuid %s of a node that is gone", name, *u)
		}
	}
}

// The round trips WithNodeUUIDs adds, as its doc comment gives them:
// direct, one per lookup, membership list, page of a whole-table list and
// write, none where a filter reads the nodes already; from the read
// cache, none for reads and at most one for a write.
func TestNodeUUIDRoundTrips(t *testing.T) {
	choosesReadMode(t) // a subtest per read mode
	for _, mode := range []struct {
		name        string
		opts        []etcdstore.Option
		reads, writ int64
	}{{"direct", nil, 1, 1}, {"cached", []etcdstore.Option{etcdstore.WithReadCache()}, 0, 1}} {
		t.Run(mode.name, func(t *testing.T) {
			f := newFixture(t)
			var nodes []*pb.Node
			for i := range 3 {
				n := f.mustNode(t, etcdstore.Values{"owner": "o", "shard": "s1"})
				nodes = append(nodes, n)
				for j := range 2 {
					f.mustPort(t, etcdstore.Values{"node_id": n.Id, "address": macOf(10*i + j)})
				}
			}
			pg := f.mustPortgroup(t, etcdstore.Values{"node_id": nodes[0].Id, "address": macOf(99)})
			s, calls := countingStore(t, f, mode.opts...)
			// extra runs op plainly and under WithNodeUUIDs and checks
			// how many more round trips the second run took (at most
			// most from the read cache, whose watch may have caught up
			// with a write before its node is read).
			extra := func(name string, most int64, op func(ctx context.Context) error) {
				t.Helper()
				count := func(ctx context.Context) int64 {
					before := calls.Load()
					if err := op(ctx); err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					return calls.Load() - before
				}
				count(f.ctx) // warm: id blocks, index copies, the recent cache
				plain := count(f.ctx)
				ctx, _ := etcdstore.WithNodeUUIDs(f.ctx)
				if got := count(ctx) - plain; got > most || got < 0 || mode.name == "direct" && got != most {
					t.Errorf("%s: %d round trips more (%d plainly), want %d", name, got, plain, most)
				}
			}
			all := etcdstore.ListOptions{}
			o := etcdstore.ProjectFilter{Owner: "o"}
			extra("get_port_by_id", mode.reads, func(ctx context.Context) error { _, err := s.GetPortByID(ctx, 1); return err })
			extra("get_port_by_address(owner)", 0, func(ctx context.Context) error {
				_, err := s.GetPortByAddressForProject(ctx, macOf(1), o)
				return err
			})
			extra("get_port_list", mode.reads, func(ctx context.Context) error { _, err := s.GetPortList(ctx, all); return err })
			extra("get_port_list(owner)", 0, func(ctx context.Context) error {
				_, err := s.GetPortListForProject(ctx, all, o)
				return err
			})
			extra("get_ports_by_node_id", mode.reads, func(ctx context.Context) error {
				_, err := s.GetPortsByNodeID(ctx, nodes[1].Id, all)
				return err
			})
			extra("get_ports_by_shards", 0, func(ctx context.Context) error {
				_, err := s.GetPortsByShards(ctx, []string{"s1"}, all)
				return err
			})
			extra("get_portgroup_by_uuid", mode.reads, func(ctx context.Context) error {
				_, err := s.GetPortgroupByUUID(ctx, pg.Uuid)
				return err
			})
			extra("get_portgroup_list", mode.reads, func(ctx context.Context) error {
				_, err := s.GetPortgroupList(ctx, all)
				return err
			})
			next := 100
			extra("create_port", mode.writ, func(ctx context.Context) error {
				next++
				_, err := s.CreatePort(ctx, etcdstore.Values{"node_id": nodes[2].Id, "address": macOf(next)})
				return err
			})
			extra("update_port", mode.writ, func(ctx context.Context) error {
				next++
				_, err := s.UpdatePort(ctx, "1", etcdstore.Values{"extra": map[string]any{"n": next}})
				return err
			})
		})
	}
}

// A lookup whose record the read cache could not serve (its mirror
// stalled behind the cluster, so the record came from etcd) must not take
// the record's node from that mirror, which may predate the call: the
// node is handed to q before the lookup starts, the mirror still holds
// the port unchanged and the node as p's.
func TestNodeBesideAStalledMirror(t *testing.T) {
	choosesReadMode(t) // a Store with the read cache of its own
	f := newFixture(t)
	n := f.mustNode(t, etcdstore.Values{"owner": "p"})
	p := f.mustPort(t, etcdstore.Values{"node_id": n.Id, "address": macOf(1)})
	stall, release := make(chan struct{}), make(chan struct{})
	var stallOnce, releaseOnce sync.Once
	hook := func(clientv3.WatchResponse) {
		select {
		case <-stall:
			stallOnce.Do(func() { <-release })
		default:
		}
	}
	reader, err := etcdstore.New(client, etcdstore.WithPrefix(f.prefix), etcdstore.WithReadCache(),
		etcdstore.WithLogger(quietLog), etcdstore.WithFreshWait(100*time.Millisecond), etcdstore.WithCacheWatchHook(hook))
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	defer releaseOnce.Do(func() { close(release) }) // first: Close waits for a held watch loop
	waitUntil(t, "read cache loaded", reader.MirrorReady)
	close(stall)
	f.mustNode(t, nil) // the mirror applies this one, then stalls
	waitUntil(t, "mirror stalled", func() bool { return reader.MirrorRevision() == f.revision(t) })
	if _, err := f.UpdateNode(f.ctx, n.Uuid, etcdstore.Values{"owner": "q"}); err != nil {
		t.Fatal(err)
	}
	ctx, uuids := etcdstore.WithNodeUUIDs(f.ctx)
	got, err := reader.GetPortByAddressForProject(ctx, p.GetAddress(), etcdstore.ProjectFilter{Owner: "q"})
	if err != nil {
		t.Fatalf("the port of a node handed to q before the lookup: %v", err)
	}
	if u := uuids.Of(got.NodeId); u == nil || *u != n.Uuid {
		t.Fatalf("node_uuid %v, want %s", u, n.Uuid)
	}
}
