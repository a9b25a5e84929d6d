package realdb

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/api"
	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/internal/embedded"
	"github.com/ironic-etcd/ironic-etcd/internal/sqltest"
)

// One embedded etcd member serves the package; each test gets its own key
// prefix. The SQL servers are sqltest's, one per kind for the binary.
var (
	client    *clientv3.Client
	endpoints []string
	seq       atomic.Int64
)

func TestMain(m *testing.M) {
	code := func() int {
		server, err := embedded.StartWithoutFsync()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer server.Close()
		endpoints = server.Endpoints
		if client, err = server.Client(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer client.Close()
		defer removeBinary()
		return sqltest.Main(m)
	}()
	os.Exit(code)
}

// testStore is a Store under a fresh prefix, and that prefix.
func testStore(t testing.TB) (*etcdstore.Store, string) {
	t.Helper()
	prefix := fmt.Sprintf("/sqlmove-realdb-%d-%d/", time.Now().UnixNano(), seq.Add(1))
	s, err := etcdstore.New(client, etcdstore.WithPrefix(prefix))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		client.Delete(context.Background(), prefix, clientv3.WithPrefix())
	})
	return s, prefix
}

// keysUnder counts the keys under prefix: a failed import must leave the
// store as it found it.
func keysUnder(t testing.TB, prefix string) int64 {
	t.Helper()
	resp, err := client.Get(context.Background(), prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		t.Fatal(err)
	}
	return resp.Count
}

// startAPI serves the store under prefix over HTTP on loopback, as
// `ironic-etcd api` does, and returns its URL.
func startAPI(t testing.TB, prefix string) string {
	t.Helper()
	h, err := api.New(api.Config{Client: client, Prefix: prefix,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); h.Close() })
	return srv.URL
}
