package etcdstore_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/internal/embedded"
	"github.com/ironic-etcd/ironic-etcd/internal/etcdtest"
)

// One embedded etcd member serves the whole package; every test gets its
// own key prefix, so tests are independent and may run in parallel.
var (
	server *embedded.Server
	client *clientv3.Client
	seq    atomic.Int64
)

func TestMain(m *testing.M) {
	if os.Getenv(childConductorEnv) != "" {
		os.Exit(runChildConductor()) // this process is a conductor a test started
	}
	code := func() int {
		var err error
		server, err = embedded.Start()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer server.Close()
		client, err = server.Client()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer client.Close()
		return runReadModes(m)
	}()
	if code == 0 {
		if err := goleak.Find(goleak.IgnoreTopFunction("go.opencensus.io/stats/view.(*worker).start")); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// fixture is a Store under a fresh prefix with a frozen clock.
type fixture struct {
	*etcdstore.Store
	clock  *etcdtest.Clock
	prefix string
	ctx    context.Context
}

var epoch = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// The suite runs once per read mode (runReadModes): its fixtures read
// etcd directly, then through the watch-fed read cache, so the whole suite
// doubles as the cache's conformance suite, as Kubernetes' storage tests
// run against etcd3 and the cacher. cachedSuite is true in the second pass.
var cachedSuite bool

// runReadModes runs the tests in each read mode: both by default, one
// with ETCDSTORE_READ_CACHE=0 (direct) or =1 (cache). Fuzzing, benchmarks
// and test listings run once, reading etcd directly (the benchmarks name
// their read mode themselves).
func runReadModes(m *testing.M) int {
	flag.Parse()
	modes := []bool{false, true}
	switch os.Getenv("ETCDSTORE_READ_CACHE") {
	case "0":
		modes = []bool{false}
	case "1":
		modes = []bool{true}
	default:
		for _, once := range []string{"test.fuzz", "test.bench", "test.list"} {
			if f := flag.Lookup(once); f != nil && f.Value.String() != "" {
				modes = []bool{false}
			}
		}
	}
	code := 0
	for _, cached := range modes {
		cachedSuite = cached
		if cached && len(modes) > 1 {
			fmt.Println("=== read mode: cache (every test again, reading through the read cache)")
		}
		if c := m.Run(); c != 0 {
			fmt.Printf("FAIL in read mode %s\n", map[bool]string{false: "direct", true: "cache"}[cached])
			code = c
		}
	}
	return code
}

// choosesReadMode marks a test that picks its read modes itself (a
// subtest per mode, or a Store of its own with the read cache): it runs
// in the direct pass only, not once more per mode.
func choosesReadMode(t testing.TB) {
	t.Helper()
	if cachedSuite {
		t.Skip("chooses its read modes itself; runs in the direct pass")
	}
}

func newFixture(t testing.TB, opts ...etcdstore.Option) *fixture {
	t.Helper()
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	prefix := fmt.Sprintf("/test/%s-%d/", name, seq.Add(1))
	clock := etcdtest.NewClock(epoch)
	opts = append([]etcdstore.Option{etcdstore.WithPrefix(prefix), etcdstore.WithClock(clock.Now)}, opts...)
	if cachedSuite {
		opts = append(opts, etcdstore.WithReadCache())
	}
	s, err := etcdstore.New(client, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx, cancel := context.WithDeadline(context.Background(), fixtureDeadline(t))
	t.Cleanup(cancel)
	return &fixture{Store: s, clock: clock, prefix: prefix, ctx: ctx}
}

// fixtureDeadline bounds a hang, not a pace: it falls shortly before the
// test binary's -timeout, so a long test on a slow, loaded machine is not
// failed by it (a fixed 60 s failed TestHostileInput/node and
// TestCacheReadsAreLinearizable under -race on 2 shared cores).
func fixtureDeadline(t testing.TB) time.Time {
	if tt, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if d, ok := tt.Deadline(); ok {
			return d.Add(-30 * time.Second) // our error, before the binary's panic
		}
	}
	return time.Now().Add(10 * time.Minute)
}

// keysUnder lists every key of the fixture's prefix, for tests that prove
// a failed call wrote nothing.
func (f *fixture) keysUnder(t testing.TB) []string {
	t.Helper()
	resp, err := client.Get(f.ctx, f.prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(resp.Kvs))
	for i, kv := range resp.Kvs {
		out[i] = strings.TrimPrefix(string(kv.Key), f.prefix)
	}
	return out
}

// revision is the cluster's current revision.
func (f *fixture) revision(t testing.TB) int64 {
	t.Helper()
	resp, err := client.Get(f.ctx, "/", clientv3.WithCountOnly())
	if err != nil {
		t.Fatal(err)
	}
	return resp.Header.Revision
}

// proxiedClient is a client that reaches the package's etcd through a TCP
// proxy the test can block to cut the client off.
func proxiedClient(t *testing.T) (*etcdtest.Proxy, *clientv3.Client) {
	t.Helper()
	return etcdtest.ProxiedClient(t, server.Endpoints[0])
}

// protoName converts a column name for protoreflect lookups.
func protoName(column string) protoreflect.Name { return protoreflect.Name(column) }

// Fixtures read in their pass's mode, so the second pass exercises the
// read cache and the first reads etcd.
func TestFixtureReadMode(t *testing.T) {
	if got := newFixture(t).ReadsThroughCache(); got != cachedSuite {
		t.Fatalf("fixture reads through the cache: %v, want %v", got, cachedSuite)
	}
}
