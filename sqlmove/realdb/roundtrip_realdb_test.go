package realdb

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/internal/sqltest"
	"github.com/ironic-etcd/ironic-etcd/sqlmove"
)

// kinds are the three databases Ironic runs on, each a fresh database
// (schema not made yet) per call.
var kinds = []struct {
	name  string
	newDB func(testing.TB) string
}{
	{"sqlite", sqltest.NewSQLite},
	{"mariadb", sqltest.StartMariaDB},
	{"postgresql", sqltest.StartPostgres},
}

// filledDB is a fresh database of kind with Ironic's schema and the rows
// Ironic's Connection writes (python/tools/ironic_sql_fixture.py fill).
func filledDB(t testing.TB, newDB func(testing.TB) string, fill ...string) string {
	t.Helper()
	u := newDB(t)
	sqltest.CreateSchema(t, u)
	sqltest.Fill(t, u, fill...)
	return u
}

// TestRoundTripEachDatabase: Ironic's database -> store -> a fresh
// database of the same kind gives row for row the same database, both
// --verify pass, and between the two the store answers Ironic's reads
// through the Python backend and the API exactly as Ironic's SQL
// Connection answers them on the source.
func TestRoundTripEachDatabase(t *testing.T) {
	ctx := context.Background()
	for _, kind := range kinds {
		t.Run(kind.name, func(t *testing.T) {
			src := filledDB(t, kind.newDB)
			s, prefix := testStore(t)
			rep, err := sqlmove.Import(ctx, s, src, sqlmove.Options{Verify: true})
			if err != nil {
				t.Fatalf("import: %v (%+v)", err, rep)
			}
			if rep.Verification == nil || !rep.Verification.OK() {
				t.Fatalf("import verification: %+v", rep.Verification)
			}
			comparePythonAPI(t, src, startAPI(t, prefix))

			dst := kind.newDB(t)
			sqltest.CreateSchema(t, dst)
			rep, err = sqlmove.Export(ctx, s, dst, sqlmove.Options{Verify: true})
			if err != nil {
				t.Fatalf("export: %v (%+v)", err, rep)
			}
			before, after := sqltest.Dump(t, src), sqltest.Dump(t, dst)
			if diff := sqltest.Diff(before, after); len(diff) > 0 {
				t.Fatalf("%d differences after the round trip:\n%s", len(diff), head(diff, 40))
			}
			for table, n := range before.Counts() {
				if n == 0 {
					t.Errorf("table %s: no rows in the fixture", table)
				}
			}
		})
	}
}

// comparePythonAPI runs python/tools/compare_backends.py: Ironic's SQL
// Connection on src against ironic_etcd's Connection on the API at
// apiURL, every list and per-node read, field by field.
func comparePythonAPI(t testing.TB, src, apiURL string) {
	t.Helper()
	script := filepath.Join(filepath.Dir(sqltest.FixtureScript()), "compare_backends.py")
	out, err := exec.Command(sqltest.Python, script, "--sql", src, "--api", apiURL).CombinedOutput()
	if err != nil {
		t.Fatalf("the store's Python API answers differ from Ironic's SQL Connection: %v\n%s", err, tailLines(string(out), 60))
	}
}

func head(lines []string, n int) string {
	if len(lines) > n {
		lines = append(lines[:n:n], "...")
	}
	return strings.Join(lines, "\n")
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
