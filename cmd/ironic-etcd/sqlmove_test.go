package main

import (
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/ironic-etcd/ironic-etcd/internal/embedded"
)

var (
	schemaOnce sync.Once
	schemaFile []byte
	schemaErr  error
)

// ironicSQLite makes an SQLite database with Ironic's own schema
// (ironic-dbsync create_schema, run once) and the statements given.
func ironicSQLite(t *testing.T, stmts ...string) string {
	t.Helper()
	schemaOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sqlmove-cli-")
		if err != nil {
			schemaErr = err
			return
		}
		defer os.RemoveAll(dir)
		path, conf := filepath.Join(dir, "ironic.sqlite"), filepath.Join(dir, "ironic.conf")
		if schemaErr = os.WriteFile(conf, []byte("[database]\nconnection = sqlite:///"+path+"\n"), 0o600); schemaErr != nil {
			return
		}
		out, err := exec.Command("/usr/bin/python3", "-c",
			"import sys; from ironic.cmd.dbsync import main; sys.argv = ['ironic-dbsync', '--config-file', sys.argv[1], 'create_schema']; main()", conf).CombinedOutput()
		if err != nil {
			schemaErr = fmt.Errorf("%v %s", err, out)
			return
		}
		schemaFile, schemaErr = os.ReadFile(path)
	})
	if schemaErr != nil {
		t.Skipf("no Ironic 21.4 to make a schema: %v", schemaErr)
	}
	path := filepath.Join(t.TempDir(), "ironic.sqlite")
	if err := os.WriteFile(path, schemaFile, 0o600); err != nil {
		t.Fatal(err)
	}
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
	return "sqlite:///" + path
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
