// Package racetest makes races between etcd clients deterministic: it runs
// a competing operation at an exact point of another client's request
// sequence, so a test can put a rival write between a caller's read and
// its write, or just before its transaction, on every run.
//
// Install DialOption on the victim's client (clientv3.Config.DialOptions).
// The interceptor does nothing for calls whose context carries no trace or
// trigger, so one client may serve many victims and the store's own
// background requests (watch-fed copies, self-checks) are never counted.
// A test first records the victim's calls with Record (a dry run), then
// replays the victim once per point of Trace.Points with Arm.
package racetest

import (
	"context"
	"fmt"
	"sync"

	"google.golang.org/grpc"
)

// The etcd KV methods a point can name.
const (
	Range = "/etcdserverpb.KV/Range"
	Txn   = "/etcdserverpb.KV/Txn"
)

// Point is one place in a victim's sequence of unary calls: before the
// N-th call (1-based) of Method, counted from the start, or, when After
// is set, counted from the AfterN-th call of After.
type Point struct {
	Method string
	N      int
	After  string
	AfterN int
}

// Before is the point just before the n-th call of method.
func Before(method string, n int) Point { return Point{Method: method, N: n} }

// Between is the point after the readN-th call of read and before the
// first call of write that follows it: between a read and its write.
func Between(read string, readN int, write string) Point {
	return Point{Method: write, N: 1, After: read, AfterN: readN}
}

func (p Point) String() string {
	if p.After == "" {
		return fmt.Sprintf("before %s #%d", short(p.Method), p.N)
	}
	return fmt.Sprintf("before %s #%d after %s #%d", short(p.Method), p.N, short(p.After), p.AfterN)
}

func short(method string) string {
	switch method {
	case Range:
		return "Range"
	case Txn:
		return "Txn"
	}
	return method
}

// Trace records the methods of a victim's unary calls, in order.
type Trace struct {
	mu    sync.Mutex
	calls []string
}

// Record returns a context whose calls through an instrumented client are
// appended to the returned trace.
func Record(ctx context.Context) (context.Context, *Trace) {
	t := &Trace{}
	return context.WithValue(ctx, stateKey{}, &state{trace: t}), t
}

// Calls are the recorded methods, in order.
func (t *Trace) Calls() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.calls...)
}

func (t *Trace) add(method string) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.calls = append(t.calls, method)
	return append([]string(nil), t.calls...)
}

// Points are the injection points the recorded sequence has: before each
// Range and each Txn, and between each Range and the first Txn after it
// (left out when it is the same place as a Before point).
func (t *Trace) Points() []Point {
	calls := t.Calls()
	var out []Point
	for i, m := range calls {
		if m == Range || m == Txn {
			out = append(out, Before(m, count(calls[:i+1], m)))
		}
	}
	for i, m := range calls {
		if m != Range {
			continue
		}
		for j := i + 1; j < len(calls); j++ {
			if calls[j] == Txn {
				if j > i+1 { // a Txn right after the Range is already a Before point
					out = append(out, Between(Range, count(calls[:i+1], Range), Txn))
				}
				break
			}
		}
	}
	return out
}

func count(calls []string, method string) int {
	n := 0
	for _, c := range calls {
		if c == method {
			n++
		}
	}
	return n
}

// matches reports whether the call about to be made, the last of calls,
// is at p.
func (p Point) matches(calls []string) bool {
	last := len(calls) - 1
	if calls[last] != p.Method {
		return false
	}
	from := 0
	if p.After != "" {
		seen := 0
		for from < last && seen < p.AfterN {
			if calls[from] == p.After {
				seen++
			}
			from++
		}
		if seen < p.AfterN {
			return false
		}
	}
	return count(calls[from:], p.Method) == p.N
}

// Trigger is an armed point: the first call at the point runs fn once,
// then the call proceeds.
type Trigger struct {
	point Point
	fn    func(context.Context) error
	mu    sync.Mutex
	fired bool
	err   error
}

// Arm returns a context whose calls through an instrumented client are
// recorded in the returned trace and that runs fn just before the call
// at p. fn runs on the victim's goroutine, with a context that carries
// no trigger; once it returns, the victim's call is sent.
func Arm(ctx context.Context, p Point, fn func(context.Context) error) (context.Context, *Trigger, *Trace) {
	tr := &Trigger{point: p, fn: fn}
	t := &Trace{}
	return context.WithValue(ctx, stateKey{}, &state{trace: t, trigger: tr}), tr, t
}

// Fired reports whether the point was reached.
func (t *Trigger) Fired() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.fired
}

// Err is what fn returned.
func (t *Trigger) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// Point is where the trigger is armed.
func (t *Trigger) Point() Point { return t.point }

// fire runs fn if calls end at the point and it has not run yet.
func (t *Trigger) fire(ctx context.Context, calls []string) {
	t.mu.Lock()
	if t.fired || !t.point.matches(calls) {
		t.mu.Unlock()
		return
	}
	t.fired = true // disarm before fn runs, so nothing it does re-fires
	t.mu.Unlock()
	err := t.fn(context.WithValue(ctx, stateKey{}, (*state)(nil)))
	t.mu.Lock()
	t.err = err
	t.mu.Unlock()
}

type stateKey struct{}

type state struct {
	trace   *Trace
	trigger *Trigger
}

// Interceptor records the calls of a traced context and fires its trigger.
func Interceptor(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if st, _ := ctx.Value(stateKey{}).(*state); st != nil {
		calls := st.trace.add(method)
		if st.trigger != nil {
			st.trigger.fire(ctx, calls)
		}
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}

// DialOption installs Interceptor on a client.
func DialOption() grpc.DialOption { return grpc.WithChainUnaryInterceptor(Interceptor) }
