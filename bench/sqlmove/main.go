// Command sqlmove prints the figures of `ironic-etcd import` and `export`
// on MariaDB beside a `mariadb-dump | mariadb` copy of the same database on
// the same machine, in the same run: rows per second, median of -repeats.
//
// It starts its own MariaDB (internal/sqltest) and `ironic-etcd serve`
// (fsync on, as operators run it) on loopback, fills the source through
// Ironic's own Connection (-nodes nodes, 2 ports each), then per repeat
// imports into a fresh etcd member, exports into a fresh database whose
// schema ironic-dbsync made, and copies the source with mariadb-dump. One
// last import and export with --verify are timed too, and the round trip
// is checked row for row (sqltest.Diff). `make bench-sqlmove` runs it.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ironic-etcd/ironic-etcd/internal/sqltest"
	"github.com/ironic-etcd/ironic-etcd/sqlmove"
)

func main() {
	binary := flag.String("binary", "", "the ironic-etcd binary (required)")
	nodes := flag.Int("nodes", 10000, "nodes in the source database (2 ports each)")
	repeats := flag.Int("repeats", 3, "timed runs of each operation")
	flag.Parse()
	if *binary == "" {
		fmt.Fprintln(os.Stderr, "sqlmove bench: -binary is required")
		os.Exit(2)
	}
	if err := run(*binary, *nodes, *repeats); err != nil {
		fmt.Fprintln(os.Stderr, "sqlmove bench:", err)
		os.Exit(1)
	}
}

func run(binary string, nodes, repeats int) error {
	dir, err := os.MkdirTemp("", "ironic-sqlmove-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db, err := sqltest.StartMariaDBServer()
	if err != nil {
		return err
	}
	defer db.Stop()
	src, err := schemaDB(db, dir)
	if err != nil {
		return err
	}
	started := time.Now()
	if err := sqltest.RunFill(src, "--nodes", fmt.Sprint(nodes)); err != nil {
		return err
	}
	fmt.Printf("source: %d nodes filled through Ironic's Connection in %s\n", nodes, since(started))
	rows, err := countRows(db, src)
	if err != nil {
		return err
	}
	fmt.Printf("rows: %d in %d tables\n\n", rows, len(sqlmove.Tables))

	var imports, exports, dumps []time.Duration
	for r := 1; r <= repeats; r++ {
		// A fresh etcd each run, as an operator's first import has it: a
		// member that kept the previous runs' revisions imports slower.
		etcd, err := startEtcd(binary, filepath.Join(dir, fmt.Sprint(r)))
		if err != nil {
			return err
		}
		d, err := timed(etcd.cli(binary, "import", "--from", src, "--quiet"))
		if err == nil {
			imports = append(imports, d)
			var dst string
			if dst, err = schemaDB(db, dir); err == nil {
				d, err = timed(etcd.cli(binary, "export", "--to", dst, "--quiet"))
				exports = append(exports, d)
			}
		}
		etcd.stop()
		if err != nil {
			return err
		}
		copyURL, err := db.CreateDatabase()
		if err != nil {
			return err
		}
		if d, err = timed(dumpPipe(db, src, copyURL)); err != nil {
			return err
		}
		dumps = append(dumps, d)
		fmt.Printf("run %d: import %s, export %s, mariadb-dump | mariadb %s\n", r, secs(imports[r-1]), secs(exports[r-1]), secs(d))
	}
	etcd, err := startEtcd(binary, filepath.Join(dir, "verify"))
	if err != nil {
		return err
	}
	defer etcd.stop()
	importVerify, err := timed(etcd.cli(binary, "import", "--from", src, "--quiet", "--verify"))
	if err != nil {
		return err
	}
	dst, err := schemaDB(db, dir)
	if err != nil {
		return err
	}
	exportVerify, err := timed(etcd.cli(binary, "export", "--to", dst, "--quiet", "--verify"))
	if err != nil {
		return err
	}
	same := "identical"
	a, err := sqltest.ReadDump(src)
	if err != nil {
		return err
	}
	b, err := sqltest.ReadDump(dst)
	if err != nil {
		return err
	}
	if diff := sqltest.Diff(a, b); len(diff) > 0 {
		same = fmt.Sprintf("%d DIFFERENCES, first: %s", len(diff), diff[0])
	}

	fmt.Printf("\n%d rows (%d nodes, %d ports); medians of %d runs; MariaDB %s and ironic-etcd serve on loopback\n\n",
		rows, nodes, 2*nodes, repeats, db.Version)
	fmt.Println("| operation | median s | rows/s | runs (s) |")
	fmt.Println("| --- | ---: | ---: | --- |")
	line := func(name string, ds ...time.Duration) {
		m := median(ds)
		var runs []string
		for _, d := range ds {
			runs = append(runs, secs(d))
		}
		fmt.Printf("| %s | %s | %.0f | %s |\n", name, secs(m), float64(rows)/m.Seconds(), strings.Join(runs, ", "))
	}
	line("ironic-etcd import", imports...)
	line("ironic-etcd export", exports...)
	line("mariadb-dump \\| mariadb", dumps...)
	line("ironic-etcd import --verify", importVerify)
	line("ironic-etcd export --verify", exportVerify)
	fmt.Printf("\nround trip (import --verify, export --verify): %s\n", same)
	return nil
}

// schemaDB is a new database on db whose schema ironic-dbsync made.
func schemaDB(db *sqltest.Server, dir string) (string, error) {
	u, err := db.CreateDatabase()
	if err != nil {
		return "", err
	}
	return u, sqltest.RunCreateSchema(u, dir)
}

// dumpPipe copies database src into the empty database dst as an operator
// would: mariadb-dump over TCP piped into the mariadb client.
func dumpPipe(db *sqltest.Server, src, dst string) *exec.Cmd {
	auth := fmt.Sprintf("--no-defaults -h 127.0.0.1 -P %d -u ironic -p%s", db.Port, db.Password)
	return exec.Command("bash", "-c", fmt.Sprintf("set -o pipefail; mariadb-dump %s --single-transaction %s | mariadb %s %s",
		auth, sqltest.DatabaseName(src), auth, sqltest.DatabaseName(dst)))
}

func countRows(db *sqltest.Server, u string) (int, error) {
	var parts []string
	for _, t := range sqlmove.Tables {
		parts = append(parts, "(SELECT COUNT(*) FROM "+t.Name+")")
	}
	out, err := db.Query(sqltest.DatabaseName(u), "SELECT "+strings.Join(parts, "+"))
	if err != nil {
		return 0, err
	}
	var n int
	_, err = fmt.Sscan(out, &n)
	return n, err
}

func timed(cmd *exec.Cmd) (time.Duration, error) {
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("%s: %v\n%s", cmd.String(), err, out)
	}
	return time.Since(start), nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func secs(d time.Duration) string { return fmt.Sprintf("%.1f", d.Seconds()) }

func since(t time.Time) string { return secs(time.Since(t)) + " s" }
