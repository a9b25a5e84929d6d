package etcdstore_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// 16 goroutines create nodes with one name: exactly one wins.
func TestConcurrentDuplicateName(t *testing.T) {
	f := newFixture(t)
	errs := make([]error, 16)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = f.CreateNode(f.ctx, etcdstore.Values{"name": "contested"})
		}(i)
	}
	wg.Wait()
	exactlyOneWins(t, errs, etcdstore.ErrDuplicateName)
}

// 8 goroutines update different fields of one node, through different
// Stores: no update is lost.
func TestConcurrentUpdatesLoseNothing(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	fields := []string{"power_state", "target_power_state", "provision_state", "target_provision_state",
		"last_error", "maintenance_reason", "driver", "resource_class"}
	const rounds = 20
	var wg sync.WaitGroup
	for _, field := range fields {
		s := newFixture(t, etcdstore.WithPrefix(f.prefix)) // its own Store
		wg.Add(1)
		go func(field string) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				if _, err := s.UpdateNode(f.ctx, n.Uuid, etcdstore.Values{field: fmt.Sprintf("%d", r)}); err != nil {
					t.Error(err)
					return
				}
			}
		}(field)
	}
	wg.Wait()
	got, _ := f.GetNodeByID(f.ctx, n.Id)
	m := got.ProtoReflect()
	for _, field := range fields {
		v := m.Get(m.Descriptor().Fields().ByName(protoName(field))).String()
		if v != fmt.Sprint(rounds-1) {
			t.Errorf("%s = %q: an update was lost", field, v)
		}
	}
}

// 32 goroutines reserve and release 5 nodes: never two holders at once,
// and every release is by the holder.
func TestReserveReleaseHammer(t *testing.T) {
	f := newFixture(t)
	var nodes []string
	for i := 0; i < 5; i++ {
		nodes = append(nodes, f.mustNode(t, nil).Uuid)
	}
	holders := make([]atomic.Int64, len(nodes))
	var taken, conflicts atomic.Int64
	var wg sync.WaitGroup
	for w := 1; w <= 32; w++ {
		wg.Add(1)
		go func(w int64) {
			defer wg.Done()
			tag := fmt.Sprintf("w%d", w)
			for i := 0; i < 40; i++ {
				k := rand.IntN(len(nodes))
				_, err := f.ReserveNode(f.ctx, tag, nodes[k])
				if errors.Is(err, etcdstore.ErrNodeLocked) {
					conflicts.Add(1)
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				if prev := holders[k].Swap(w); prev != 0 {
					t.Errorf("node %d held by w%d and w%d at once", k, prev, w)
				}
				taken.Add(1)
				holders[k].Store(0)
				if err := f.ReleaseNode(f.ctx, tag, nodes[k]); err != nil {
					t.Error(err)
					return
				}
			}
		}(int64(w))
	}
	wg.Wait()
	t.Logf("%d reservations, %d conflicts", taken.Load(), conflicts.Load())
	if taken.Load() == 0 || conflicts.Load() == 0 {
		t.Fatal("the hammer did not contend")
	}
}

// countingStore is a Store whose client counts its etcd requests.
// roundTripsOf returns a check that op succeeds and costs want round
// trips, as counted by countingStore's calls.
func roundTripsOf(t *testing.T, calls *atomic.Int64) func(name string, want int64, op func() error) {
	return func(name string, want int64, op func() error) {
		t.Helper()
		before := calls.Load()
		if err := op(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := calls.Load() - before; got != want {
			t.Errorf("%s: %d round trips, want %d", name, got, want)
		}
	}
}

func countingStore(t *testing.T, f *fixture, more ...etcdstore.Option) (*etcdstore.Store, *atomic.Int64) {
	t.Helper()
	var calls atomic.Int64
	count := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		calls.Add(1)
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: server.Endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop(),
		DialOptions: []grpc.DialOption{grpc.WithChainUnaryInterceptor(count)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	s, err := etcdstore.New(cli, append([]etcdstore.Option{etcdstore.WithPrefix(f.prefix)}, more...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	// The node uuid index (the read cache) loads in the background; let
	// it, so that its read is not counted against the calls measured.
	if s.ReadsThroughCache() {
		waitUntil(t, "read cache loaded", s.MirrorReady)
	} else {
		waitUntil(t, "node uuid index live", func() bool { return s.IndexLive("nodes", "uuid") })
	}
	return s, &calls
}

// waitUntil polls cond for up to 10 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// The round-trip counts the doc comments promise.
func TestRoundTrips(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < 1000; i++ {
		f.mustNode(t, etcdstore.Values{"driver_info": map[string]any{"i": i}})
	}
	s, calls := countingStore(t, f)
	measure := roundTripsOf(t, calls)
	var uuid string
	measure("GetNodeByID", 1, func() error { n, err := s.GetNodeByID(f.ctx, 7); uuid = n.GetUuid(); return err })
	measure("ReserveNode by id", 1, func() error { _, err := s.ReserveNode(f.ctx, "c", "7"); return err })
	measure("UpdateNode after reserve", 1, func() error {
		_, err := s.UpdateNode(f.ctx, "7", etcdstore.Values{"power_state": "power on"})
		return err
	})
	measure("ReleaseNode by id", 1, func() error { return s.ReleaseNode(f.ctx, "c", "7") })
	measure("GetNodeByUUID", 1, func() error { _, err := s.GetNodeByUUID(f.ctx, uuid); return err })
	measure("ReserveNode by uuid", 1, func() error { _, err := s.ReserveNode(f.ctx, "c", uuid); return err })
	measure("ReleaseNode by uuid", 1, func() error { return s.ReleaseNode(f.ctx, "c", uuid) })
	measure("GetNodeList of 1,000", 1, func() error {
		l, err := s.GetNodeList(f.ctx, etcdstore.NodeFilter{}, etcdstore.ListOptions{})
		if len(l) != 1000 {
			return fmt.Errorf("%d nodes", len(l))
		}
		return err
	})
	measure("GetNodeList sorted by name", 1, func() error {
		_, err := s.GetNodeList(f.ctx, etcdstore.NodeFilter{}, etcdstore.ListOptions{SortKey: "name"})
		return err
	})
	// A node another client creates reaches this Store's uniques copy
	// through its watch; from then on its uuid costs one round trip too.
	other := f.mustNode(t, nil)
	waitUntil(t, "the new uuid in the uniques copy", func() bool {
		return s.IndexHas(f.Keys().Unique("nodes", "uuid", other.GetUuid()), other.GetId())
	})
	measure("GetNodeByUUID of a node created elsewhere", 1, func() error { _, err := s.GetNodeByUUID(f.ctx, other.GetUuid()); return err })
	measure("ReserveNode by uuid of a node created elsewhere", 1, func() error { _, err := s.ReserveNode(f.ctx, "c", other.GetUuid()); return err })
}
