package lease_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/goleak"
	"go.uber.org/zap"

	"github.com/ironic-etcd/ironic-etcd/internal/embedded"
	"github.com/ironic-etcd/ironic-etcd/internal/etcdtest"
	"github.com/ironic-etcd/ironic-etcd/lease"
)

var server *embedded.Server

func TestMain(m *testing.M) {
	code := func() int {
		var err error
		if server, err = embedded.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer server.Close()
		return m.Run()
	}()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func newClient(t *testing.T, endpoint string) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

func waitDone(t *testing.T, s *lease.Session, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	select {
	case <-s.Done():
		return time.Since(start)
	case <-time.After(within):
		t.Fatalf("session not done within %v", within)
	}
	return 0
}

func keyExists(t *testing.T, cli *clientv3.Client, key string) bool {
	t.Helper()
	resp, err := cli.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return len(resp.Kvs) > 0
}

func TestSessionKeepsLeaseAlive(t *testing.T) {
	cli := newClient(t, server.Endpoints[0])
	s, err := lease.New(context.Background(), cli, lease.WithTTL(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	if _, err := cli.Put(context.Background(), "/t/alive", "x", clientv3.WithLease(s.Lease())); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * s.TTL()) // well past the TTL: kept alive
	if !keyExists(t, cli, "/t/alive") || s.Err() != nil {
		t.Fatalf("lease not kept alive: err %v", s.Err())
	}
}

func TestCloseRevokes(t *testing.T) {
	cli := newClient(t, server.Endpoints[0])
	lostCalled := make(chan error, 1)
	s, err := lease.New(context.Background(), cli, lease.OnLost(func(err error) { lostCalled <- err }))
	if err != nil {
		t.Fatal(err)
	}
	cli.Put(context.Background(), "/t/closed", "x", clientv3.WithLease(s.Lease()))
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitDone(t, s, time.Second)
	if !errors.Is(s.Err(), lease.ErrClosed) || keyExists(t, cli, "/t/closed") {
		t.Fatalf("after Close: err %v, key still there: %v", s.Err(), keyExists(t, cli, "/t/closed"))
	}
	select {
	case err := <-lostCalled:
		t.Fatalf("OnLost called on Close: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
}

// Revoked by someone else: the owner hears of it at once.
func TestRevokedSessionIsLost(t *testing.T) {
	cli := newClient(t, server.Endpoints[0])
	lostCalled := make(chan error, 1)
	s, err := lease.New(context.Background(), cli, lease.WithTTL(5*time.Second), lease.WithKeyPrefix("/t/sessions/"),
		lease.OnLost(func(err error) { lostCalled <- err }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Revoke(context.Background(), s.Lease()); err != nil {
		t.Fatal(err)
	}
	took := waitDone(t, s, 500*time.Millisecond) // at once, not at the next keep-alive
	if !errors.Is(s.Err(), lease.ErrLost) {
		t.Fatalf("err %v", s.Err())
	}
	if err := <-lostCalled; !errors.Is(err, lease.ErrLost) {
		t.Fatalf("OnLost got %v", err)
	}
	t.Logf("loss noticed %v after the revoke (TTL %v)", took.Round(time.Millisecond), s.TTL())
	s.Close(context.Background())
}

// Abandoned (a crash): the lease and its keys expire after the TTL.
func TestAbandonedLeaseExpires(t *testing.T) {
	cli := newClient(t, server.Endpoints[0])
	s, err := lease.New(context.Background(), cli, lease.WithTTL(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	cli.Put(context.Background(), "/t/abandoned", "x", clientv3.WithLease(s.Lease()))
	s.Abandon()
	start := time.Now()
	for keyExists(t, cli, "/t/abandoned") {
		if time.Since(start) > s.TTL()+time.Second {
			t.Fatalf("key outlived its lease by more than 1 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("expired %v after the last keep-alive", time.Since(start).Round(time.Millisecond))
}

// Cut off from the cluster, the session declares itself lost within
// about a TTL, before the cluster could hand its locks to another.
func TestPartitionedSessionIsLost(t *testing.T) {
	proxy, err := etcdtest.NewProxy(strings.TrimPrefix(server.Endpoints[0], "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	cli := newClient(t, proxy.Endpoint())
	s, err := lease.New(context.Background(), cli, lease.WithTTL(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		s.Close(ctx)
	}()
	proxy.Block()
	took := waitDone(t, s, s.TTL()+3*time.Second)
	if !errors.Is(s.Err(), lease.ErrLost) {
		t.Fatalf("err %v", s.Err())
	}
	t.Logf("partitioned session declared lost after %v (TTL %v)", took.Round(time.Millisecond), s.TTL())
}
