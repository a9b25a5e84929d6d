package realdb

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/internal/sqltest"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// ironicEtcd is the ironic-etcd binary, built once for the test binary.
func ironicEtcd(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ironic-etcd-realdb-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "ironic-etcd")
		out, err := exec.Command("go", "build", "-o", binary, "../../cmd/ironic-etcd").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

func removeBinary() {
	if binary != "" {
		os.RemoveAll(filepath.Dir(binary))
	}
}

// cli runs ironic-etcd against the package's etcd under a fresh prefix of
// t, and returns its output and error.
func cli(t testing.TB, prefix string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(ironicEtcd(t), append(args, "--endpoints", strings.Join(endpoints, ","), "--prefix", prefix)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// The operator's way on MariaDB: `ironic-etcd import --from URL --verify`,
// then `ironic-etcd export --to URL2 --verify` into a database that
// ironic-dbsync made; both print the per-table count table, and the two
// databases are row for row the same.
func TestCLIRoundTripMariaDB(t *testing.T) {
	src := filledDB(t, sqltest.StartMariaDB)
	prefix := fmt.Sprintf("/sqlmove-realdb-cli-%d-%d/", time.Now().UnixNano(), seq.Add(1))
	t.Cleanup(func() { client.Delete(t.Context(), prefix, clientv3.WithPrefix()) })
	out, err := cli(t, prefix, "import", "--from", src, "--verify", "--quiet")
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	for _, want := range []string{"TABLE", "SQL ROWS", "STORE ROWS", "nodes", "20", "ports", "40"} {
		if !strings.Contains(out, want) {
			t.Errorf("import --verify output lacks %q:\n%s", want, out)
		}
	}
	dst := sqltest.StartMariaDB(t)
	sqltest.CreateSchema(t, dst)
	if out, err = cli(t, prefix, "export", "--to", dst, "--verify", "--quiet"); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	if diff := sqltest.Diff(sqltest.Dump(t, src), sqltest.Dump(t, dst)); len(diff) > 0 {
		t.Fatalf("%d differences after the round trip:\n%s", len(diff), head(diff, 40))
	}
}

// A refused import through the CLI: a non-zero exit, the rows and reasons
// listed, nothing written.
func TestCLIImportListsBadRows(t *testing.T) {
	src := filledDB(t, sqltest.StartMariaDB, small...)
	sqltest.ExecSQL(t, src, "SET FOREIGN_KEY_CHECKS = 0; "+portRow(901, "1c9e66b9-8a4d-4a8f-8b66-1e3c2d4f5a01", "52:54:ff:00:00:01", 99999))
	prefix := fmt.Sprintf("/sqlmove-realdb-cli-%d-%d/", time.Now().UnixNano(), seq.Add(1))
	out, err := cli(t, prefix, "import", "--from", src, "--quiet")
	if err == nil {
		t.Fatalf("import of a port without its node succeeded:\n%s", out)
	}
	for _, want := range []string{"nothing was written", "ports", "id=901", "99999"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if n := keysUnder(t, prefix); n != 0 {
		t.Errorf("a refused import wrote %d keys", n)
	}
}
