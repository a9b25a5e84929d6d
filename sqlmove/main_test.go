package sqlmove

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/goleak"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/internal/embedded"
	"github.com/ironic-etcd/ironic-etcd/internal/sqltest"
)

// One embedded etcd member serves the package; each test gets its own
// key prefix.
var (
	client *clientv3.Client
	seq    atomic.Int64
)

func TestMain(m *testing.M) {
	code := func() int {
		server, err := embedded.StartWithoutFsync()
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
		return m.Run()
	}()
	if code == 0 {
		if err := goleak.Find(goleak.IgnoreTopFunction("go.opencensus.io/stats/view.(*worker).start")); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// testStore is a Store under a fresh prefix.
func testStore(t testing.TB, opts ...etcdstore.Option) *etcdstore.Store {
	t.Helper()
	s, _ := testStorePrefix(t, opts...)
	return s
}

// testStorePrefix is testStore with its key prefix.
func testStorePrefix(t testing.TB, opts ...etcdstore.Option) (*etcdstore.Store, string) {
	t.Helper()
	prefix := fmt.Sprintf("/sqlmove-test-%d-%d/", time.Now().UnixNano(), seq.Add(1))
	s, err := etcdstore.New(client, append([]etcdstore.Option{etcdstore.WithPrefix(prefix)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		client.Delete(context.Background(), prefix, clientv3.WithPrefix())
	})
	return s, prefix
}

// freshSQLite is a new SQLite file with Ironic's empty schema: its URL
// and path.
func freshSQLite(t testing.TB) (string, string) { return sqltest.SchemaSQLite(t) }

// execSQLite runs statements on an SQLite file.
func execSQLite(t testing.TB, path string, stmts ...string) {
	t.Helper()
	d, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, s := range stmts {
		if _, err := d.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}
