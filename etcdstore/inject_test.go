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

// injector runs a competing operation at an exact point of another
// Store's calls: just before the nth write transaction (a Txn that puts or
// deletes) that Store sends. Reads are not counted, so the point is the
// same whether the Store reads from etcd or from its read cache.
type injector struct {
	mu    sync.Mutex
	left  int // write transactions still to let through before firing
	fn    func() error
	fired bool
	err   error
	seen  int // write transactions sent so far
}

// sent counts the write transactions the Store sent so far.
func (in *injector) sent() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.seen
}

// beforeWrite arms the injector: fn runs once, before the nth (1-based)
// write transaction from now.
func (in *injector) beforeWrite(n int, fn func() error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.left, in.fn, in.fired, in.err = n-1, fn, false, nil
}

// done fails the test unless the competing operation ran, and ran without
// error: a race that was never staged proves nothing.
func (in *injector) done(t *testing.T) {
	t.Helper()
	in.mu.Lock()
	defer in.mu.Unlock()
	if !in.fired {
		t.Fatal("the competing operation was never injected")
	}
	if in.err != nil {
		t.Fatalf("the competing operation failed: %v", in.err)
	}
}

// take returns the function to run now, if this request is its point.
func (in *injector) take(req any) func() error {
	txn, ok := req.(*pbetcd.TxnRequest)
	if !ok || !writes(txn) {
		return nil
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	in.seen++
	if in.fn == nil {
		return nil
	}
	if in.left > 0 {
		in.left--
		return nil
	}
	fn := in.fn
	in.fn, in.fired = nil, true
	return fn
}

func writes(txn *pbetcd.TxnRequest) bool {
	for _, ops := range [][]*pbetcd.RequestOp{txn.Success, txn.Failure} {
		for _, op := range ops {
			if op.GetRequestPut() != nil || op.GetRequestDeleteRange() != nil {
				return true
			}
		}
	}
	return false
}

func (in *injector) intercept(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if fn := in.take(req); fn != nil {
		err := fn() // in the caller's goroutine: the request waits for it
		in.mu.Lock()
		in.err = err
		in.mu.Unlock()
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}

// injectedStore is a Store under f's prefix (read cache as the suite runs)
// on an etcd client of its own, whose requests pass through the returned
// injector. Competing operations go through f, on another client.
func injectedStore(t *testing.T, f *fixture, more ...etcdstore.Option) (*etcdstore.Store, *injector) {
	t.Helper()
	in := &injector{}
	cli, err := clientv3.New(clientv3.Config{Endpoints: server.Endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop(),
		DialOptions: []grpc.DialOption{grpc.WithChainUnaryInterceptor(in.intercept)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return f.storeOn(t, cli, more...), in
}

// storeOn is a second Store under f's prefix and clock, on cli, reading
// as the suite runs (with or without the read cache); closed with the
// test.
func (f *fixture) storeOn(t *testing.T, cli *clientv3.Client, more ...etcdstore.Option) *etcdstore.Store {
	t.Helper()
	opts := append([]etcdstore.Option{etcdstore.WithPrefix(f.prefix), etcdstore.WithClock(f.clock.Now)}, more...)
	if cachedSuite {
		opts = append(opts, etcdstore.WithReadCache(), etcdstore.WithLogger(quietLog))
	}
	s, err := etcdstore.New(cli, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
