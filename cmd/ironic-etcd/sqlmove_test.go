package main

import (
	"bytes"
	"database/sql"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/ironic-etcd/ironic-etcd/internal/embedded"
	"github.com/ironic-etcd/ironic-etcd/internal/sqltest"
)

// ironicSQLite makes an SQLite database with Ironic's own schema and the
// statements given.
func ironicSQLite(t *testing.T, stmts ...string) string {
	t.Helper()
	url, path := sqltest.SchemaSQLite(t)
	d, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, s := range stmts {
		if _, err := d.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	return url
}

func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

// import and export through the command line: the verification table, the
// list of bad rows with a failed exit, the refusal of a non-empty store.
func TestImportExportCommands(t *testing.T) {
	srv, err := embedded.StartWithoutFsync()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ep := strings.TrimPrefix(srv.Endpoints[0], "http://")
	node := `INSERT INTO nodes (id, uuid, name, driver, conductor_group, protected, maintenance, console_enabled, created_at, instance_info, properties, driver_info,
		driver_internal_info, clean_step, deploy_step, raid_config, target_raid_config, extra, network_data)
		VALUES (1, 'a1f7c2a4-4b1e-4c55-9a57-0e1d7f3b2c07', 'n1', 'ipmi', '', 0, 0, 0, '2026-01-02 03:04:05.123456', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}')`
	src := ironicSQLite(t, node)
	out, err := runCLI(t, "--endpoints", ep, "--prefix", "/cli/", "import", "-q", "--from", src, "--verify")
	if err != nil || !strings.Contains(out, "DIFFERING ROWS") || !strings.Contains(out, "nodes         1           1               0") {
		t.Fatalf("import: %v\n%s", err, out)
	}
	other := ironicSQLite(t, strings.Replace(node, "a1f7c2a4", "b1f7c2a4", 1))
	if out, err := runCLI(t, "--endpoints", ep, "--prefix", "/cli/", "import", "-q", "--from", other); err == nil || !strings.Contains(err.Error(), "--merge") {
		t.Fatalf("a non-empty store: %v\n%s", err, out)
	}
	bad := ironicSQLite(t, node, `INSERT INTO ports (id, uuid, address, node_id, extra, local_link_connection, internal_info)
		VALUES (5, 'c1f7c2a4-4b1e-4c55-9a57-0e1d7f3b2c07', '52:54:00:00:00:01', 9, '{}', '{}', '{}')`)
	out, err = runCLI(t, "--endpoints", ep, "--prefix", "/cli-bad/", "import", "-q", "--from", bad)
	if err == nil || !strings.Contains(out, "ports  id=5") || !strings.Contains(out, "node 9") {
		t.Fatalf("bad rows: %v\n%s", err, out)
	}
	dst := ironicSQLite(t)
	out, err = runCLI(t, "--endpoints", ep, "--prefix", "/cli/", "export", "-q", "--to", dst, "--verify")
	if err != nil || !strings.Contains(out, "nodes         1           1               0") {
		t.Fatalf("export: %v\n%s", err, out)
	}
}
