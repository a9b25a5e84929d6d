package sqltest

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// revision is the alembic head of Ironic 21.4 (create_schema stamps it).
const revision = "4dbec778866e"

// fillCounts are the rows `fill` writes with its default 20 nodes.
var fillCounts = map[string]int{
	"allocations": 2, "bios_settings": 15, "chassis": 2,
	"conductor_hardware_interfaces": 9, "conductors": 3,
	"deploy_template_steps": 2, "deploy_templates": 2, "node_history": 10,
	"node_inventory": 5, "node_tags": 10, "node_traits": 10, "nodes": 20,
	"portgroups": 2, "ports": 40, "volume_connectors": 5, "volume_targets": 5,
}

// neverWritten are the columns Ironic 21.4's Connection leaves NULL on
// every row it writes; every other column has a value in some row.
var neverWritten = map[string]bool{
	"conductor_hardware_interfaces.updated_at": true, "conductor_hardware_interfaces.version": true,
	"deploy_template_steps.updated_at": true, "deploy_template_steps.version": true,
	"node_history.updated_at": true, "node_inventory.updated_at": true,
	"node_tags.updated_at": true, "node_tags.version": true, "node_traits.updated_at": true,
}

// TestFillAndDumpEachDatabase makes Ironic's schema on SQLite, MariaDB and
// PostgreSQL with ironic-dbsync, fills each through Ironic's Connection and
// dumps it: the same seed gives the same rows on all three, MariaDB's
// datetimes without their microseconds.
func TestFillAndDumpEachDatabase(t *testing.T) {
	dumps := map[string]DBDump{}
	for _, kind := range []struct {
		name string
		url  func(testing.TB) string
	}{{"sqlite", NewSQLite}, {"mariadb", StartMariaDB}, {"postgresql", StartPostgres}} {
		t.Run(kind.name, func(t *testing.T) {
			u := kind.url(t)
			CreateSchema(t, u)
			Fill(t, u)
			d := Dump(t, u)
			checkFilled(t, d)
			dumps[kind.name] = d
		})
	}
	if len(dumps) != 3 {
		t.Fatalf("dumps of %d databases, want 3", len(dumps))
	}
	if diff := Diff(dumps["sqlite"], dumps["postgresql"]); len(diff) != 0 {
		t.Errorf("sqlite and postgresql differ:\n%s", strings.Join(diff, "\n"))
	}
	for _, line := range Diff(dumps["sqlite"], dumps["mariadb"]) {
		if !strings.Contains(line, "_at: \"") || !strings.Contains(line, ".000000\"") {
			t.Errorf("sqlite and mariadb differ beyond MariaDB's whole-second datetimes: %s", line)
		}
	}
}

func checkFilled(t *testing.T, d DBDump) {
	t.Helper()
	if d.Alembic != revision {
		t.Errorf("alembic revision %q, want %q", d.Alembic, revision)
	}
	counts := d.Counts()
	for table, want := range fillCounts {
		if counts[table] != want {
			t.Errorf("%s: %d rows, want %d", table, counts[table], want)
		}
	}
	if len(counts) != len(fillCounts) {
		t.Errorf("tables %v, want those of %v", counts, fillCounts)
	}
	for table, rows := range d.Tables {
		for col := range rows[0] {
			set := false
			for _, r := range rows {
				set = set || r[col] != nil
			}
			if set == neverWritten[table+"."+col] {
				t.Errorf("%s.%s: set in some row is %v", table, col, set)
			}
		}
	}
	nodes := d.Tables["nodes"]
	alloc := d.Tables["allocations"][0]
	if text(nodes[0]["allocation_id"]) != text(alloc["id"]) || nodes[0]["instance_uuid"] != alloc["uuid"] {
		t.Errorf("node 0 not bound to allocation %v: %v", alloc, nodes[0])
	}
	if nodes[1]["reservation"] != "cond-1" {
		t.Errorf("node 1 reservation %v, want cond-1", nodes[1]["reservation"])
	}
	if off := d.Tables["conductors"][2]; off["hostname"] != "cond-offline" || off["online"] != false {
		t.Errorf("offline conductor: %v", off)
	}
	// JSON keeps each number's text: 1.0 stays 1.0, 2**70 stays exact.
	info, _ := nodes[0]["instance_info"].(string)
	for _, want := range []string{`"big":1180591620717411303424`, `"float_one":1.0`, `1.5e+300`, `"unicode":"Stück ✓ 节点 🚀 0"`} {
		if !strings.Contains(info, want) {
			t.Errorf("instance_info lacks %s: %s", want, info)
		}
	}
	if nodes[0]["maintenance"] != true || nodes[1]["maintenance"] != false {
		t.Errorf("maintenance not read as booleans: %v, %v", nodes[0]["maintenance"], nodes[1]["maintenance"])
	}
}

func TestDiffNamesEachDifference(t *testing.T) {
	row := func(id, name string) map[string]any { return map[string]any{"id": id, "name": name} }
	a := DBDump{Alembic: "r1", PrimaryKeys: map[string][]string{"ports": {"id"}},
		Tables: map[string][]map[string]any{"ports": {row("1", "p1"), row("2", "p2")}, "chassis": {}}}
	b := DBDump{Alembic: "r2", PrimaryKeys: a.PrimaryKeys,
		Tables: map[string][]map[string]any{"ports": {row("1", "changed"), row("3", "p3")}}}
	got := strings.Join(Diff(a, b), "\n")
	want := strings.Join([]string{
		`alembic revision: "r1" != "r2"`,
		`table chassis: only in a`,
		`ports id="1": name: "p1" != "changed"`,
		`ports id="2": row only in a`,
		`ports id="3": row only in b`,
	}, "\n")
	if got != want {
		t.Errorf("Diff:\n%s\nwant:\n%s", got, want)
	}
	if d := Diff(a, a); len(d) != 0 {
		t.Errorf("Diff(a, a) = %v", d)
	}
}

func TestMissingBinaryNamesMakeDepsSQL(t *testing.T) {
	_, err := lookPath("no-such-sql-server-binary", t.TempDir())
	if !errors.Is(err, ErrMissing) || !strings.Contains(err.Error(), "make deps-sql") {
		t.Errorf("error %v does not name make deps-sql", err)
	}
}

// The same seed gives the same database, uuids and timestamps included;
// another seed other uuids.
func TestFillIsDeterministicFromTheSeed(t *testing.T) {
	fill := func(seed string) DBDump {
		u := NewSQLite(t)
		CreateSchema(t, u)
		Fill(t, u, "--nodes", "4", "--seed", seed)
		return Dump(t, u)
	}
	a, b, c := fill("7"), fill("7"), fill("8")
	if diff := Diff(a, b); len(diff) != 0 {
		t.Errorf("two fills with seed 7 differ:\n%s", strings.Join(diff, "\n"))
	}
	if a.Tables["nodes"][0]["uuid"] == c.Tables["nodes"][0]["uuid"] {
		t.Errorf("seeds 7 and 8 gave node 1 the same uuid %v", a.Tables["nodes"][0]["uuid"])
	}
}
