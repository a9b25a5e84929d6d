package realdb

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/internal/sqltest"
	"github.com/ironic-etcd/ironic-etcd/sqlmove"
)

// small is the fixture size of the bad-input tests: every table, 3 nodes.
var small = []string{"--nodes", "3"}

// portRow is a port row in Ironic's columns, values as given.
func portRow(id int, uuid, address string, nodeID int) string {
	return fmt.Sprintf("INSERT INTO ports (created_at, version, id, uuid, address, node_id, extra, local_link_connection, "+
		"internal_info, pxe_enabled, is_smartnic) VALUES ('2026-03-14 15:09:26', '1.11', %d, '%s', '%s', %d, '{}', '{}', '{}', %s, %s)",
		id, uuid, address, nodeID, "true", "false")
}

// importRefused imports src into a fresh store, wants errKind and an
// error and problems whose text holds each of want, and checks that
// nothing was written. It returns that text.
func importRefused(t *testing.T, src string, errKind error, want ...string) string {
	t.Helper()
	s, prefix := testStore(t)
	before := keysUnder(t, prefix)
	rep, err := sqlmove.Import(context.Background(), s, src, sqlmove.Options{Verify: true})
	if !errors.Is(err, errKind) {
		t.Fatalf("import: %v (%+v), want %v", err, rep, errKind)
	}
	text := err.Error()
	if rep != nil {
		for _, p := range rep.Problems {
			text += "\n" + p.String()
		}
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("the report does not name %q:\n%s", w, text)
		}
	}
	t.Logf("refused as expected:\n%s", text)
	if after := keysUnder(t, prefix); after != before {
		t.Errorf("a refused import wrote %d keys", after-before)
	}
	return text
}

// A MAC address that MariaDB's case-insensitive collation would call a
// duplicate, made to exist by a binary collation on the column: the store
// keeps MACs in lower case, unique, so the import names the row.
func TestImportRefusesMixedCaseDuplicateMACOnMariaDB(t *testing.T) {
	src := filledDB(t, sqltest.StartMariaDB, small...)
	sqltest.ExecSQL(t, src, "ALTER TABLE ports MODIFY address VARCHAR(18) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin; "+
		portRow(900, "0b8d55a8-7f3c-4f7e-9a55-0d2b1c3e4f90", "52:54:00:00:00:aa", 3)+"; "+
		portRow(901, "0b8d55a8-7f3c-4f7e-9a55-0d2b1c3e4f91", "52:54:00:00:00:AA", 3))
	importRefused(t, src, sqlmove.ErrBadRows, "ports id=901", "already exists", "900")
}

// A port whose node is missing (foreign key checks off, as a hand-edited
// or half-restored database has it), on each database.
func TestImportRefusesPortWithoutNode(t *testing.T) {
	noChecks := map[string]string{
		"sqlite":     "PRAGMA foreign_keys = OFF; ",
		"mariadb":    "SET FOREIGN_KEY_CHECKS = 0; ",
		"postgresql": "SET session_replication_role = replica; ",
	}
	for _, kind := range kinds {
		t.Run(kind.name, func(t *testing.T) {
			src := filledDB(t, kind.newDB, small...)
			sqltest.ExecSQL(t, src, noChecks[kind.name]+portRow(901, "1c9e66b9-8a4d-4a8f-8b66-1e3c2d4f5a01", "52:54:ff:00:00:01", 99999))
			importRefused(t, src, sqlmove.ErrBadRows, "ports", "id=901", "99999")
		})
	}
}

// A truncated database: the rows of node 2 deleted under its ports, tags,
// traits, BIOS settings... (every orphan named), then a missing table
// (the schema check names it). Once the rows are back in order, a plain
// re-run into the same kind of fresh store finishes.
func TestImportRefusesTruncatedDatabase(t *testing.T) {
	src := filledDB(t, sqltest.StartMariaDB, small...)
	sqltest.ExecSQL(t, src, "SET FOREIGN_KEY_CHECKS = 0; DELETE FROM nodes WHERE id = 2")
	importRefused(t, src, sqlmove.ErrBadRows, "ports id=3", "ports id=4", "node_tags node_id=2", "node_traits node_id=2",
		"bios_settings node_id=2", "volume_targets", "node_history", "node_inventory")

	sqltest.ExecSQL(t, src, "SET FOREIGN_KEY_CHECKS = 0; DROP TABLE volume_targets")
	importRefused(t, src, sqlmove.ErrSchema, "volume_targets")
}

// A server that cannot be reached, or refuses the password: the error
// says so and names the database without its password.
func TestImportUnreachableServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().(*net.TCPAddr).Port
	l.Close()
	good := sqltest.StartMariaDB(t)
	badPassword := strings.Replace(good, "ironic:", "ironic:wrong", 1)
	for _, u := range []string{
		fmt.Sprintf("mysql+pymysql://ironic:secret@127.0.0.1:%d/ironic?charset=utf8mb4", closed),
		fmt.Sprintf("postgresql+psycopg2://ironic:secret@127.0.0.1:%d/ironic", closed),
		badPassword,
	} {
		text := importRefused(t, u, sqlmove.ErrUnreachable, "127.0.0.1")
		if strings.Contains(text, "secret") || strings.Contains(text, "wrong") {
			t.Errorf("the error shows the password: %s", text)
		}
	}
}

// An import interrupted half way (its context cancelled from the progress
// callback) finishes with a plain re-run: no duplicates, --verify passes.
func TestInterruptedImportFinishesOnRerun(t *testing.T) {
	src := filledDB(t, sqltest.StartMariaDB, "--nodes", "60")
	s, _ := testStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	stopped := false
	_, err := sqlmove.Import(ctx, s, src, sqlmove.Options{Batch: 20, Progress: func(st sqlmove.Step) {
		if !stopped && st.Done > st.Total/2 {
			stopped = true
			cancel()
		}
	}})
	if err == nil || !stopped {
		t.Fatalf("import not interrupted (stopped %v): %v", stopped, err)
	}
	rep, err := sqlmove.Import(context.Background(), s, src, sqlmove.Options{Batch: 20, Verify: true})
	if err != nil {
		t.Fatalf("re-run: %v (%+v)", err, rep)
	}
	if rep.Unchanged == 0 || rep.Written == 0 {
		t.Errorf("re-run wrote %d and skipped %d records: the first run did not write half", rep.Written, rep.Unchanged)
	}
}
