package etcdstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/internal/racetest"
)

// A read filtered on the records' nodes (owner=, project=, shards) sees
// the records and their nodes as of one revision: a rival that changes
// a node and its records, injected before each etcd request of the read,
// leaves the answer of the state before or of the state after, never a
// mix of the two.

// joinRace is one filtered read racing a rival.
type joinRace struct {
	name string
	// rival changes node "a" (and ports) of the world setup made.
	rival func(ctx context.Context, s *etcdstore.Store, w map[string]int64) error
	call  func(ctx context.Context, s *etcdstore.Store, w map[string]int64) ([]int64, error)
	// allowed answers (port ids, by world key; "notfound" for PortNotFound).
	allowed [][]string
}

func joinRaces() []joinRace {
	ownerQ := etcdstore.ProjectFilter{Owner: "q"}
	// The node becomes q's (and in shard s1), and gains port p2.
	handOver := func(ctx context.Context, s *etcdstore.Store, w map[string]int64) error {
		if _, err := s.UpdateNode(ctx, fmt.Sprint(w["a"]), etcdstore.Values{"owner": "q", "shard": "s1"}); err != nil {
			return err
		}
		p, err := s.CreatePort(ctx, etcdstore.Values{"node_id": w["a"], "address": macOf(2)})
		w["p2"] = p.GetId()
		return err
	}
	list := func(ctx context.Context, s *etcdstore.Store, w map[string]int64) ([]int64, error) {
		ps, err := s.GetPortListForProject(ctx, etcdstore.ListOptions{}, ownerQ)
		return portIDs(ps), err
	}
	beforeOrAfter := [][]string{{}, {"p1", "p2"}}
	return []joinRace{
		{name: "get_port_list(owner)", rival: handOver, call: list, allowed: beforeOrAfter},
		{name: "get_ports_by_node_id(owner)", rival: handOver, allowed: beforeOrAfter,
			call: func(ctx context.Context, s *etcdstore.Store, w map[string]int64) ([]int64, error) {
				ps, err := s.GetPortsByNodeIDForProject(ctx, w["a"], etcdstore.ListOptions{}, ownerQ)
				return portIDs(ps), err
			}},
		{name: "get_ports_by_shards", rival: handOver, allowed: beforeOrAfter,
			call: func(ctx context.Context, s *etcdstore.Store, w map[string]int64) ([]int64, error) {
				ps, err := s.GetPortsByShards(ctx, []string{"s1"}, etcdstore.ListOptions{})
				return portIDs(ps), err
			}},
		// The node becomes q's while its port moves to node c (p's):
		// before and after, the port is not q's.
		{name: "get_port_by_address(owner)", allowed: [][]string{{"notfound"}},
			rival: func(ctx context.Context, s *etcdstore.Store, w map[string]int64) error {
				if _, err := s.UpdateNode(ctx, fmt.Sprint(w["a"]), etcdstore.Values{"owner": "q"}); err != nil {
					return err
				}
				_, err := s.UpdatePort(ctx, fmt.Sprint(w["p1"]), etcdstore.Values{"node_id": w["c"]})
				return err
			},
			call: func(ctx context.Context, s *etcdstore.Store, w map[string]int64) ([]int64, error) {
				p, err := s.GetPortByAddressForProject(ctx, macOf(1), ownerQ)
				if errors.Is(err, etcdstore.ErrPortNotFound) {
					return []int64{-1}, nil
				}
				return []int64{p.GetId()}, err
			}},
	}
}

func TestProjectReadsAtOneRevision(t *testing.T) { runJoinRaces(t, joinRaces()) }

// runJoinRaces runs each race in both read modes, with its rival
// injected before each etcd request the read sends.
func runJoinRaces(t *testing.T, races []joinRace) {
	choosesReadMode(t) // a subtest per read mode
	for _, jr := range races {
		for _, mode := range []struct {
			name string
			opts []etcdstore.Option
		}{{"direct", nil}, {"cached", []etcdstore.Option{etcdstore.WithReadCache()}}} {
			t.Run(jr.name+"/"+mode.name, func(t *testing.T) {
				trace := runJoinRace(t, jr, mode.opts, nil)
				points := trace.Points()
				if len(points) == 0 {
					t.Fatal("the read sent no request")
				}
				for _, p := range points {
					t.Run(p.String(), func(t *testing.T) { runJoinRace(t, jr, mode.opts, &p) })
				}
			})
		}
	}
}

// runJoinRace runs jr once, with its rival injected at p (none when p is
// nil), and checks the answer.
func runJoinRace(t *testing.T, jr joinRace, modeOpts []etcdstore.Option, p *racetest.Point) *racetest.Trace {
	f := newFixture(t) // the admin's Store: setup and rival
	w := map[string]int64{"notfound": -1}
	a := f.mustNode(t, etcdstore.Values{"owner": "p"})
	c := f.mustNode(t, etcdstore.Values{"owner": "p", "shard": "s0"})
	w["a"], w["c"] = a.Id, c.Id
	// The nodes' uuids as labels an answer can hold (node_uuids_race_test.go).
	w["a.uuid"], w["c.uuid"] = 1001, 1003
	w["uuid:"+a.Uuid], w["uuid:"+c.Uuid] = w["a.uuid"], w["c.uuid"]
	w["p1"] = f.mustPort(t, etcdstore.Values{"node_id": a.Id, "address": macOf(1)}).Id
	w["p3"] = f.mustPort(t, etcdstore.Values{"node_id": c.Id, "address": macOf(3)}).Id
	victimClient, err := clientv3.New(clientv3.Config{Endpoints: server.Endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop(),
		DialOptions: []grpc.DialOption{racetest.DialOption()}})
	if err != nil {
		t.Fatal(err)
	}
	defer victimClient.Close()
	victim, err := etcdstore.New(victimClient, append([]etcdstore.Option{etcdstore.WithPrefix(f.prefix)}, modeOpts...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer victim.Close()
	// Warm the victim (its cache loaded, its index copies fed) untraced.
	if _, err := jr.call(f.ctx, victim, w); err != nil {
		t.Fatal(err)
	}
	var (
		ctx   context.Context
		trace *racetest.Trace
		trig  *racetest.Trigger
	)
	if p == nil {
		ctx, trace = racetest.Record(f.ctx)
	} else {
		ctx, trig, trace = racetest.Arm(f.ctx, *p, func(rctx context.Context) error { return jr.rival(rctx, f.Store, w) })
	}
	got, err := jr.call(ctx, victim, w)
	if err != nil {
		t.Fatal(err)
	}
	if trig != nil && trig.Err() != nil {
		t.Fatalf("rival: %v", trig.Err())
	}
	slices.Sort(got)
	for _, keys := range jr.allowed {
		var want []int64
		for _, k := range keys {
			want = append(want, w[k])
		}
		slices.Sort(want)
		if slices.Equal(got, want) {
			return trace
		}
	}
	t.Fatalf("answer %v is neither the state before the rival nor after it (%v, world %v)", got, jr.allowed, w)
	return trace
}
