package etcdstore_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// cachedTwin returns a second Store on its own etcd client, under the same
// prefix as f, serving reads from the watch-fed cache.
func cachedTwin(t *testing.T, f *fixture, opts ...etcdstore.Option) *etcdstore.Store {
	t.Helper()
	cli, err := server.Client()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	opts = append([]etcdstore.Option{etcdstore.WithPrefix(f.prefix), etcdstore.WithClock(f.clock.Now),
		etcdstore.WithReadCache(), etcdstore.WithLogger(quietLog)}, opts...)
	s, err := etcdstore.New(cli, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// A write acknowledged to one client is seen by the next read through the
// cache of another client, every time.
func TestCacheReadsAreLinearizable(t *testing.T) {
	choosesReadMode(t) // a Store with the read cache of its own
	f := newFixture(t)
	reader := cachedTwin(t, f)
	n, err := f.CreateNode(f.ctx, etcdstore.Values{"name": "lin"})
	if err != nil {
		t.Fatal(err)
	}
	rounds := 10000
	if testing.Short() {
		rounds = 500
	}
	for i := 1; i <= rounds; i++ {
		state := fmt.Sprintf("s%d", i)
		_, err := f.UpdateNode(f.ctx, n.Uuid, etcdstore.Values{"power_state": state})
		var got string
		if err == nil {
			got, err = cachedPowerState(f.ctx, reader, n, i%3)
		}
		if err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		if got != state {
			t.Fatalf("round %d: cached read returned %q after %q was acknowledged", i, got, state)
		}
	}
}

// cachedPowerState reads n's power state one of three ways: by uuid, by
// id, or in a node list.
func cachedPowerState(ctx context.Context, reader *etcdstore.Store, n *pb.Node, way int) (string, error) {
	switch way {
	case 0:
		g, err := reader.GetNodeByUUID(ctx, n.Uuid)
		return g.GetPowerState(), err
	case 1:
		g, err := reader.GetNodeByID(ctx, n.Id)
		return g.GetPowerState(), err
	}
	rows, err := reader.GetNodeinfoList(ctx, []string{"power_state"}, etcdstore.NodeFilter{}, etcdstore.ListOptions{})
	if err != nil {
		return "", err
	}
	if len(rows) != 1 {
		return "", fmt.Errorf("%d rows, want 1", len(rows))
	}
	return rows[0][0].(string), nil
}

// An idle prefix still serves fresh reads: writes to other prefixes move
// the cluster revision without events for the cache, and progress
// notifications carry it forward. The reads may wait as long as they need
// (a minute): what counts is that they are answered by the cache, not how
// fast on a loaded machine.
func TestCacheIdlePrefixAdvances(t *testing.T) {
	choosesReadMode(t) // a Store with the read cache of its own
	f := newFixture(t)
	reader := cachedTwin(t, f, etcdstore.WithFreshWait(time.Minute))
	other := newFixture(t)
	for i := 0; i < 5; i++ {
		if _, err := other.CreateNode(other.ctx, etcdstore.Values{}); err != nil {
			t.Fatal(err)
		}
		list, err := reader.GetNodeList(f.ctx, etcdstore.NodeFilter{}, etcdstore.ListOptions{})
		if err != nil || len(list) != 0 {
			t.Fatal(list, err)
		}
	}
	if n := reader.MirrorFallbacks(); n != 0 {
		t.Fatalf("%d reads fell back to etcd: the idle cache did not advance", n)
	}
}

// Lists served from the cache, with and without indexes, equal lists read
// from etcd, for every filter and order, on random data.
func TestCacheListsMatchEtcd(t *testing.T) {
	choosesReadMode(t) // a Store with the read cache of its own
	f := newFixture(t)
	cached := cachedTwin(t, f)
	rng := rand.New(rand.NewPCG(1, 2))
	states := []any{"available", "active", "wait call-back", "manageable", nil}
	drivers := []string{"ipmi", "redfish"}
	for i := 0; i < 120; i++ {
		n, err := f.CreateNode(f.ctx, etcdstore.Values{
			"provision_state": states[rng.IntN(len(states))],
			"driver":          drivers[rng.IntN(2)],
			"maintenance":     rng.IntN(5) == 0,
			"resource_class":  []string{"baremetal", "gpu"}[rng.IntN(2)],
		})
		if err != nil {
			t.Fatal(err)
		}
		if rng.IntN(4) == 0 {
			if _, err := f.ReserveNode(f.ctx, fmt.Sprintf("c%d", rng.IntN(3)), n.Uuid); err != nil {
				t.Fatal(err)
			}
		}
	}
	tr, fa := true, false
	filters := []etcdstore.NodeFilter{
		{},
		{ProvisionState: &etcdstore.NullableString{Value: "wait call-back"}, Maintenance: &fa, Reserved: &fa},
		{ProvisionState: &etcdstore.NullableString{Null: true}},
		{Driver: &etcdstore.NullableString{Value: "ipmi"}, Reserved: &tr},
		{ReservedByAnyOf: []string{"c1", "c2"}},
		{ReservedByAnyOf: []string{}},
		{Maintenance: &tr},
		{ResourceClass: &etcdstore.NullableString{Value: "gpu"}, Maintenance: &fa},
	}
	orders := []etcdstore.ListOptions{
		{}, {SortDir: "desc"}, {Limit: etcdstore.Limit(7)}, {SortKey: "provision_state"},
		{SortKey: "driver", SortDir: "desc", Limit: etcdstore.Limit(5)},
	}
	for fi, flt := range filters {
		for oi, opt := range orders {
			want, err := f.GetNodeList(f.ctx, flt, opt)
			if err != nil {
				t.Fatal(err)
			}
			got, err := cached.GetNodeList(f.ctx, flt, opt)
			if err != nil {
				t.Fatal(err)
			}
			if !sameNodes(want, got) {
				t.Fatalf("filter %d order %d: cache returned %d nodes %v, etcd %d %v", fi, oi, len(got), ids(got), len(want), ids(want))
			}
			if len(want) > 0 { // and the next page after a marker
				opt.Marker = want[len(want)-1]
				w2, _ := f.GetNodeList(f.ctx, flt, opt)
				g2, _ := cached.GetNodeList(f.ctx, flt, opt)
				if !sameNodes(w2, g2) {
					t.Fatalf("filter %d order %d, second page: cache %v, etcd %v", fi, oi, ids(g2), ids(w2))
				}
			}
		}
	}
}

func ids(ns []*pb.Node) []int64 {
	out := make([]int64, len(ns))
	for i, n := range ns {
		out[i] = n.Id
	}
	return out
}

func sameNodes(a, b []*pb.Node) bool {
	if !slices.Equal(ids(a), ids(b)) {
		return false
	}
	for i := range a {
		if a[i].GetReservation() != b[i].GetReservation() || a[i].GetProvisionState() != b[i].GetProvisionState() {
			return false
		}
	}
	return true
}

// cachedVictim creates a node, waits until the cache serves it and
// returns its record key.
func cachedVictim(t *testing.T, f *fixture, cached *etcdstore.Store) string {
	t.Helper()
	n, err := f.CreateNode(f.ctx, etcdstore.Values{"name": "victim"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cached.GetNodeByID(f.ctx, n.Id); err != nil {
		t.Fatal(err)
	}
	return f.prefix + "nodes/" + fmt.Sprintf("%019d", n.Id)
}

// The periodic self-check finds a cache that lost an event and reloads it.
func TestCacheSelfCheckReloads(t *testing.T) {
	choosesReadMode(t) // a Store with the read cache of its own
	f := newFixture(t)
	cached := cachedTwin(t, f, etcdstore.WithCacheCheck(50*time.Millisecond))
	key := cachedVictim(t, f, cached)
	cached.MirrorTamper(key)
	deadline := time.Now().Add(10 * time.Second)
	for !cached.MirrorHasKey(key) {
		if time.Now().After(deadline) {
			t.Fatal("the cache was not reloaded within 10s of losing a key")
		}
		time.Sleep(20 * time.Millisecond)
	}
	resyncs, _, mismatches := cached.MirrorStats()
	if resyncs < 1 || mismatches < 1 {
		t.Fatalf("resyncs %d mismatches %d, want >= 1 each", resyncs, mismatches)
	}
}

// A single self-check tells a healthy cache from a damaged one.
func TestCacheSelfCheckDetects(t *testing.T) {
	choosesReadMode(t) // a Store with the read cache of its own
	f := newFixture(t)
	cached := cachedTwin(t, f, etcdstore.WithCacheCheck(0))
	key := cachedVictim(t, f, cached)
	if !cached.MirrorHasKey(key) {
		t.Fatalf("cache lacks %s", key)
	}
	if !cached.MirrorSelfCheck(f.ctx) {
		t.Fatal("self-check failed on a healthy cache")
	}
	cached.MirrorTamper(key)
	if cached.MirrorSelfCheck(f.ctx) {
		t.Fatal("self-check passed on a cache that lost a key")
	}
	_, _, mismatches := cached.MirrorStats()
	if mismatches != 1 {
		t.Fatalf("mismatches = %d, want 1", mismatches)
	}
}

// While the cache is not ready, reads go to etcd and stay correct.
func TestCacheNotReadyReadsEtcd(t *testing.T) {
	choosesReadMode(t) // a Store with the read cache of its own
	f := newFixture(t)
	cached := cachedTwin(t, f)
	cached.MirrorSetReady(false)
	n, err := f.CreateNode(f.ctx, etcdstore.Values{"name": "direct"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := cached.GetNodeByName(f.ctx, "direct")
	if err != nil || got.Id != n.Id {
		t.Fatal(got, err)
	}
	ctx, cancel := context.WithTimeout(f.ctx, 5*time.Second)
	defer cancel()
	if _, err := cached.GetNodeList(ctx, etcdstore.NodeFilter{}, etcdstore.ListOptions{}); err != nil {
		t.Fatal(err)
	}
}

// A cache cut off from etcd while the cluster moves on and compacts past
// its revision reloads when it is reconnected, and serves the current
// state.
func TestCacheReloadsAfterCompaction(t *testing.T) {
	choosesReadMode(t) // a Store with the read cache of its own
	f := newFixture(t)
	proxy, readerCli := proxiedClient(t)
	reader, err := etcdstore.New(readerCli, etcdstore.WithPrefix(f.prefix), etcdstore.WithReadCache(),
		etcdstore.WithLogger(quietLog), etcdstore.WithFreshWait(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	if _, err := f.CreateNode(f.ctx, etcdstore.Values{"name": "before"}); err != nil {
		t.Fatal(err)
	}
	if _, err := reader.GetNodeByName(f.ctx, "before"); err != nil {
		t.Fatal(err)
	}
	proxy.Block()
	// Changes the cache's watch never sees as events: compaction erases them.
	for i := 0; i < 3; i++ {
		if _, err := f.CreateNode(f.ctx, etcdstore.Values{"name": fmt.Sprintf("after-%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.DestroyNode(f.ctx, "1"); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Compact(f.ctx, f.revision(t)); err != nil {
		t.Fatal(err)
	}
	proxy.Unblock()
	start := time.Now()
	for {
		// resyncs counts a reload when it begins: wait for it to end.
		if resyncs, _, _ := reader.MirrorStats(); resyncs >= 1 && reader.MirrorReady() {
			break
		}
		if time.Since(start) > 30*time.Second {
			t.Fatal("the cache did not reload within 30s of reconnecting")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("cache reloaded %v after reconnecting", time.Since(start).Round(time.Millisecond))
	fallbacks := reader.MirrorFallbacks()
	list, err := reader.GetNodeList(f.ctx, etcdstore.NodeFilter{}, etcdstore.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range list {
		names = append(names, n.GetName())
	}
	if !slices.Equal(names, []string{"after-0", "after-1", "after-2"}) {
		t.Fatalf("after reconnecting the cache lists %v", names)
	}
	if reader.MirrorFallbacks() != fallbacks {
		t.Fatal("the list was read from etcd, not from the reloaded cache")
	}
}
