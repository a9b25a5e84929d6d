package etcdstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/internal/embedded"
	"github.com/ironic-etcd/ironic-etcd/internal/racetest"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// The race table: every write path that resolves an identity, run once
// without a rival to find the etcd requests it sends, then once per
// injection point (before each Range, before each Txn, between each read
// and the next write) with a rival operation injected there through
// another Store on another client, in both read modes. After each run the
// invariants of race_invariants_test.go and the outcome rule are checked;
// a broken one fails the run with "INVARIANT VIOLATION". A new write path
// is one more raceCase in race_cases_*_test.go.

// raceCase is one row: a call racing a rival.
type raceCase struct {
	name  string
	opts  []etcdstore.Option // of the victim's Store
	setup func(ctx context.Context, w *world) error
	prep  func(ctx context.Context, w *world) error // through the victim's Store, untraced
	call  func(ctx context.Context, w *world) (any, error)
	rival func(ctx context.Context, w *world) error
	// scope is what the call may change given the state at its commit:
	// the record (and lock) its identity names then.
	scope func(w *world, s *snapshot) []string
	errs  []error // the typed errors the call may answer
	// creates: the call may add records; partial: a failed call may
	// have committed part of its work (destroy_node's batches).
	creates, partial bool
	check            func(w *world, r *runResult) []string // rules of this path
	// waits: without a rival the call waits until its deadline (a
	// WithWait reserve of a held lock), so the dry run gets a short one.
	waits bool
}

// world is the records one run works on.
type world struct {
	admin  *etcdstore.Store // setup and rivals, on another client
	victim *etcdstore.Store // on the instrumented client
	id     map[string]int64
	uuid   map[string]string
	lease  clientv3.LeaseID
	obs    []lockObs
	mu     sync.Mutex
}

// observe records every node's lock as s has it.
func (w *world) observe(s *snapshot, where string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, id := range s.nodeIDs() {
		h, tok := s.lock(id)
		w.obs = append(w.obs, lockObs{node: id, holder: h, token: tok, where: where})
	}
}

// observeNow snapshots and observes; rivals call it between their steps.
func (w *world) observeNow(ctx context.Context, where string) error {
	s, err := takeSnapshot(ctx, w.admin)
	if err == nil {
		w.observe(s, where)
	}
	return err
}

// runResult is what one run saw.
type runResult struct {
	res                   any
	err                   error
	start, pre, post, end *snapshot // pre/post: around the rival (nil when it did not run)
	fired                 bool
}

// commitState is the state the call committed against: after the rival.
func (r *runResult) commitState() *snapshot {
	if r.post != nil {
		return r.post
	}
	return r.start
}

var (
	raceFigures struct {
		sync.Mutex
		cases, runs, points int
		perCase             map[string]int
		violations          map[string]int
	}
)

func TestRaceTable(t *testing.T) {
	choosesReadMode(t) // a subtest per read mode
	// A member of its own, written by one run at a time: the victim's read
	// cache then follows the cluster's revision by its own events, and
	// no run depends on etcd answering a progress request in time.
	srv, err := embedded.StartWithoutFsync()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	adminClient, err := srv.Client()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { adminClient.Close() })
	raceFigures.perCase, raceFigures.violations = map[string]int{}, map[string]int{}
	t.Cleanup(func() {
		raceFigures.Lock()
		defer raceFigures.Unlock()
		t.Logf("race table: %d cases, %d runs, %d injection points", raceFigures.cases, raceFigures.runs, raceFigures.points)
		var names []string
		for n := range raceFigures.perCase {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			t.Logf("  %-70s %2d points", n, raceFigures.perCase[n])
		}
		for v, n := range raceFigures.violations {
			t.Logf("  violation x%d: %s", n, v)
		}
	})
	modes := []struct {
		name string
		opts []etcdstore.Option
	}{{"direct", nil}, {"cached", []etcdstore.Option{etcdstore.WithReadCache()}}}
	for _, rc := range slices.Concat(
		nodeRaceCases(),
		nodeRaceCases21(),
		recordRaceCases(),
		templateRaceCases(),
		conductorRaceCases(),
		portNameRaceCases(),
		allocationRaceCases(),
		traitRaceCases(),
		biosRaceCases(),
		holderRaceCases(),
	) {
		t.Run(rc.name, func(t *testing.T) {
			for _, mode := range modes {
				t.Run(mode.name, func(t *testing.T) {
					trace := runRace(t, srv, adminClient, rc, mode.opts, nil)
					points := trace.Points()
					raceFigures.Lock()
					raceFigures.cases++
					raceFigures.points += len(points)
					raceFigures.perCase[rc.name+"/"+mode.name] = len(points)
					raceFigures.Unlock()
					for _, p := range points {
						t.Run(p.String(), func(t *testing.T) { runRace(t, srv, adminClient, rc, mode.opts, &p) })
					}
				})
			}
		})
	}
}

// runRace runs rc once: without a rival when p is nil, else with the
// rival injected at p. It returns the victim's trace.
func runRace(t *testing.T, srv *embedded.Server, adminClient *clientv3.Client, rc raceCase, modeOpts []etcdstore.Option, p *racetest.Point) *racetest.Trace {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	prefix := fmt.Sprintf("/race/%d/", seq.Add(1))
	admin, err := etcdstore.New(adminClient, etcdstore.WithPrefix(prefix))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	w := &world{admin: admin, id: map[string]int64{}, uuid: map[string]string{}}
	if err := rc.setup(ctx, w); err != nil {
		t.Fatalf("setup: %v", err)
	}
	// The victim's own client: its watches get a stream of their own, so
	// etcd answers its progress requests (it drops them while any watcher
	// of the stream is catching up).
	victimClient, err := clientv3.New(clientv3.Config{Endpoints: srv.Endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop(),
		DialOptions: []grpc.DialOption{racetest.DialOption()}})
	if err != nil {
		t.Fatal(err)
	}
	defer victimClient.Close()
	victim, err := etcdstore.New(victimClient, append(append([]etcdstore.Option{etcdstore.WithPrefix(prefix)}, modeOpts...), rc.opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer victim.Close()
	w.victim = victim
	victim.FollowAllIndexes()
	if rc.prep != nil {
		if err := rc.prep(ctx, w); err != nil {
			t.Fatalf("prep: %v", err)
		}
	}
	if err := victim.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	r := &runResult{}
	if r.start, err = takeSnapshot(ctx, admin); err != nil {
		t.Fatal(err)
	}
	w.observe(r.start, "before the call")
	timeout := 10 * time.Second // a call that hangs fails
	if rc.waits && p == nil {
		timeout = time.Second
	}
	callCtx, callCancel := context.WithTimeout(ctx, timeout)
	defer callCancel()
	var trace *racetest.Trace
	var trig *racetest.Trigger
	if p == nil {
		callCtx, trace = racetest.Record(callCtx)
	} else {
		callCtx, trig, trace = racetest.Arm(callCtx, *p, func(rctx context.Context) error {
			var err error
			if r.pre, err = takeSnapshot(rctx, admin); err != nil {
				return err
			}
			w.observe(r.pre, "before the rival")
			if err := rc.rival(rctx, w); err != nil {
				return fmt.Errorf("rival: %w", err)
			}
			if r.post, err = takeSnapshot(rctx, admin); err != nil {
				return err
			}
			w.observe(r.post, "after the rival")
			return victim.Settle(rctx)
		})
	}
	r.res, r.err = rc.call(callCtx, w)
	if trig != nil {
		r.fired = trig.Fired()
		if !r.fired {
			t.Fatalf("harness: %v not reached (calls %v)", *p, trace.Calls())
		}
		if err := trig.Err(); err != nil {
			t.Fatalf("harness: %v", err)
		}
	}
	victim.WaitCleanups() // a waiter leaves its queue in the background
	if r.end, err = takeSnapshot(ctx, admin); err != nil {
		t.Fatal(err)
	}
	w.observe(r.end, "after the call")
	for _, v := range checkRun(ctx, rc, w, r) {
		v = strings.ReplaceAll(v, prefix, "") // keys as etcdctl shows them under the prefix
		raceFigures.Lock()
		raceFigures.violations[rc.name+": "+firstWords(v)]++
		raceFigures.Unlock()
		t.Errorf("INVARIANT VIOLATION: %s", v)
	}
	raceFigures.Lock()
	raceFigures.runs++
	raceFigures.Unlock()
	return trace
}

// firstWords names a violation without its ids, for the summary.
func firstWords(v string) string {
	if i := strings.Index(v, ":"); i > 0 {
		return v[:i]
	}
	return v
}

// checkRun applies the invariants and the outcome rule to one run.
func checkRun(ctx context.Context, rc raceCase, w *world, r *runResult) []string {
	out := r.end.violations()
	if r.err != nil && !slices.ContainsFunc(rc.errs, func(e error) bool { return errors.Is(r.err, e) }) {
		out = append(out, fmt.Sprintf("outcome: unexpected error %v", r.err))
	}
	// Changes before the rival are judged on the start state, after it
	// on the state the call committed against.
	type span struct{ from, to *snapshot }
	spans := []span{{r.start, r.end}}
	if r.fired {
		spans = []span{{r.start, r.pre}, {r.post, r.end}}
	}
	total := 0
	for _, sp := range spans {
		allowed := rc.scope(w, sp.from)
		for _, key := range changed(sp.from, sp.to) {
			total++
			_, existed := sp.from.records()[key]
			if !slices.Contains(allowed, key) && (existed || !rc.creates) {
				out = append(out, fmt.Sprintf("outcome: the call changed %s, which its identity did not name at commit (it named %v)", key, allowed))
			}
		}
	}
	if r.err != nil && total > 0 && !rc.partial {
		out = append(out, fmt.Sprintf("outcome: the call failed (%v) but changed %d keys", r.err, total))
	}
	if n, ok := r.res.(*pb.Node); ok && r.err == nil {
		out = append(out, nodeAgreesWithLock(n, r.end, "as returned")...)
		w.obs = append(w.obs, lockObs{node: n.Id, holder: n.GetReservation(), token: n.ReservationRevision, where: "as returned"})
	}
	out = append(out, tokenViolations(w.obs)...)
	out = append(out, readAgreesWithLock(ctx, w.victim, "the victim's Store", r.end)...)
	out = append(out, readAgreesWithLock(ctx, w.admin, "another Store", r.end)...)
	if rc.check != nil {
		out = append(out, rc.check(w, r)...)
	}
	return out
}

// recordOf is the decoded record under key in s, or nil.
func recordOf[T proto.Message](s *snapshot, key string) T {
	var zero T
	if k, ok := s.kvs[key]; ok && k.rec != nil {
		if m, ok := k.rec.(T); ok {
			return m
		}
	}
	return zero
}
