package etcdstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	pbetcd "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// raceInjector makes a race deterministic: a gRPC unary client
// interceptor on the client of the Store under test runs a competing
// operation once, just before the first request that matches its trigger
// is sent, so the competitor's write lands exactly between the Store's
// previous request and that one, on every run.
type raceInjector struct {
	mu      sync.Mutex
	trigger func(req any) bool
	action  func()
	fired   bool
	// afterWrite, if set, runs after every write transaction the Store
	// under test commits (on the caller's goroutine).
	afterWrite func()
}

// arm sets the trigger and the competing operation; it fires once.
func (in *raceInjector) arm(trigger func(req any) bool, action func()) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.trigger, in.action, in.fired = trigger, action, false
}

// wasFired reports whether the armed operation ran: a test whose race was
// never injected proves nothing.
func (in *raceInjector) wasFired() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.fired
}

func (in *raceInjector) intercept(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	in.mu.Lock()
	var act func()
	if !in.fired && in.trigger != nil && in.trigger(req) {
		in.fired, act = true, in.action
	}
	after := in.afterWrite
	in.mu.Unlock()
	if act != nil {
		act()
	}
	err := invoker(ctx, method, req, reply, cc, opts...)
	if after != nil && err == nil && isWriteTxn(req) {
		after()
	}
	return err
}

// injectedFixtures returns the Store under test, on a client of its own
// that carries the injector, and a Store under the same prefix on the
// package's client for the competing writes and the checks.
func injectedFixtures(t *testing.T, opts ...etcdstore.Option) (under, other *fixture, in *raceInjector) {
	t.Helper()
	in = &raceInjector{}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   server.Endpoints,
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
		DialOptions: []grpc.DialOption{grpc.WithChainUnaryInterceptor(in.intercept)},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	other = newFixture(t, opts...)
	all := append([]etcdstore.Option{etcdstore.WithPrefix(other.prefix), etcdstore.WithClock(other.clock.Now)}, opts...)
	if cachedSuite {
		all = append(all, etcdstore.WithReadCache())
	}
	s, err := etcdstore.New(cli, all...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &fixture{Store: s, clock: other.clock, prefix: other.prefix, ctx: other.ctx}, other, in
}

// txnOps are the operations of a transaction request (nil for others).
func txnOps(req any) []*pbetcd.RequestOp {
	if txn, ok := req.(*pbetcd.TxnRequest); ok {
		return append(append([]*pbetcd.RequestOp{}, txn.Success...), txn.Failure...)
	}
	return nil
}

func isWriteTxn(req any) bool {
	for _, op := range txnOps(req) {
		if op.GetRequestDeleteRange() != nil || op.GetRequestPut() != nil {
			return true
		}
	}
	return false
}

// txnDeleting triggers on a transaction that deletes key.
func txnDeleting(key string) func(any) bool {
	return func(req any) bool {
		for _, op := range txnOps(req) {
			if d := op.GetRequestDeleteRange(); d != nil && string(d.Key) == key {
				return true
			}
		}
		return false
	}
}

// txnReading triggers on a transaction that reads key (or the range
// starting at key).
func txnReading(key string) func(any) bool {
	return func(req any) bool {
		for _, op := range txnOps(req) {
			if r := op.GetRequestRange(); r != nil && string(r.Key) == key {
				return true
			}
		}
		return false
	}
}

// nthWriteTxn triggers on the n-th write transaction (1-based).
func nthWriteTxn(n int) func(any) bool {
	seen := 0
	return func(req any) bool {
		if isWriteTxn(req) {
			seen++
			return seen == n
		}
		return false
	}
}
