package sqlmove

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/goleak"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/internal/embedded"
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
		defer func() {
			if schemaPath != "" {
				os.RemoveAll(filepath.Dir(schemaPath))
			}
		}()
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

var (
	schemaOnce sync.Once
	schemaPath string
	schemaErr  error
)

// ironicSchema is an SQLite file whose schema Ironic's own
// `ironic-dbsync create_schema` made, made once per test run.
func ironicSchema(t testing.TB) string {
	t.Helper()
	schemaOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sqlmove-schema-")
		if err != nil {
			schemaErr = err
			return
		}
		schemaPath = filepath.Join(dir, "ironic.sqlite")
		conf := filepath.Join(dir, "ironic.conf")
		if schemaErr = os.WriteFile(conf, []byte("[database]\nconnection = sqlite:///"+schemaPath+"\n"), 0o600); schemaErr != nil {
			return
		}
		cmd := exec.Command("/usr/bin/python3", "-c",
			"import sys; from ironic.cmd.dbsync import main; sys.argv = ['ironic-dbsync', '--config-file', sys.argv[1], 'create_schema']; main()", conf)
		if out, err := cmd.CombinedOutput(); err != nil {
			schemaErr = fmt.Errorf("ironic-dbsync create_schema: %v\n%s", err, out)
		}
	})
	if schemaErr != nil {
		t.Skip("no Ironic 21.4 to create a schema: ", schemaErr)
	}
	return schemaPath
}

// freshSQLite copies the empty Ironic schema into the test's directory
// and returns its URL and path.
func freshSQLite(t testing.TB) (string, string) {
	t.Helper()
	src, err := os.ReadFile(ironicSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ironic.sqlite")
	if err := os.WriteFile(path, src, 0o600); err != nil {
		t.Fatal(err)
	}
	return "sqlite:///" + path, path
}

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
