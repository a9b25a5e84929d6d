package sqltest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"
)

// DBDump is every table of an Ironic database in the canonical form of
// python/tools/sqldump.py: datetimes as YYYY-MM-DDTHH:MM:SS.ffffff,
// booleans as bool, JSON columns as canonical JSON text (keys sorted, each
// number's text as stored), integers as json.Number.
type DBDump struct {
	Alembic     string                      // alembic_version's revision
	PrimaryKeys map[string][]string         // table -> primary key columns
	Tables      map[string][]map[string]any // table -> rows by primary key
}

// Dump reads every table of rawURL (`ironic_sql_fixture.py dump`).
func Dump(t testing.TB, rawURL string) DBDump {
	t.Helper()
	d, err := ReadDump(rawURL)
	if err != nil {
		t.Fatalf("sqltest: %v", err)
	}
	return d
}

// ReadDump is Dump outside a test.
func ReadDump(rawURL string) (DBDump, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	cmd := exec.CommandContext(ctx, Python, FixtureScript(), "dump", "--url", rawURL)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return DBDump{}, fmt.Errorf("dump %s: %v\n%s", rawURL, err, stderr.String())
	}
	return ParseDump(stdout.Bytes())
}

// ParseDump decodes the dump script's JSON document.
func ParseDump(doc []byte) (DBDump, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(doc, &raw); err != nil {
		return DBDump{}, fmt.Errorf("dump: %v", err)
	}
	d := DBDump{Tables: map[string][]map[string]any{}}
	for name, body := range raw {
		var err error
		switch name {
		case "_alembic":
			err = decodeNumbers(body, &d.Alembic)
		case "_primary_keys":
			err = decodeNumbers(body, &d.PrimaryKeys)
		default:
			rows := []map[string]any{}
			err = decodeNumbers(body, &rows)
			d.Tables[name] = rows
		}
		if err != nil {
			return DBDump{}, fmt.Errorf("dump %s: %v", name, err)
		}
	}
	return d, nil
}

func decodeNumbers(body []byte, target any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	return dec.Decode(target)
}

// Counts is the number of rows per table.
func (d DBDump) Counts() map[string]int {
	c := map[string]int{}
	for name, rows := range d.Tables {
		c[name] = len(rows)
	}
	return c
}

// Diff lists every difference between a and b, one line each: the
// alembic revision, tables only on one side, rows only on one side (by
// primary key), and per row each column whose value differs.
func Diff(a, b DBDump) []string {
	var out []string
	if a.Alembic != b.Alembic {
		out = append(out, fmt.Sprintf("alembic revision: %q != %q", a.Alembic, b.Alembic))
	}
	for _, name := range unionKeys(a.Tables, b.Tables) {
		rowsA, okA := a.Tables[name]
		rowsB, okB := b.Tables[name]
		if !okA || !okB {
			out = append(out, fmt.Sprintf("table %s: only in %s", name, side(okA)))
			continue
		}
		pk := a.PrimaryKeys[name]
		byA, byB := byKey(rowsA, pk), byKey(rowsB, pk)
		for _, key := range unionKeys(byA, byB) {
			ra, okA := byA[key]
			rb, okB := byB[key]
			if !okA || !okB {
				out = append(out, fmt.Sprintf("%s %s: row only in %s", name, key, side(okA)))
				continue
			}
			for _, col := range unionKeys(ra, rb) {
				va, okA := ra[col]
				vb, okB := rb[col]
				if !okA || !okB {
					out = append(out, fmt.Sprintf("%s %s: column %s only in %s", name, key, col, side(okA)))
				} else if text(va) != text(vb) {
					out = append(out, fmt.Sprintf("%s %s: %s: %s != %s", name, key, col, text(va), text(vb)))
				}
			}
		}
	}
	return out
}

func side(inA bool) string {
	if inA {
		return "a"
	}
	return "b"
}

// byKey indexes rows by their primary key, spelled "col=value,...".
func byKey(rows []map[string]any, pk []string) map[string]map[string]any {
	m := make(map[string]map[string]any, len(rows))
	for _, r := range rows {
		cols := pk
		if len(cols) == 0 {
			cols = sortedKeys(r)
		}
		parts := make([]string, len(cols))
		for i, c := range cols {
			parts[i] = c + "=" + text(r[c])
		}
		m[strings.Join(parts, ",")] = r
	}
	return m
}

func text(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func unionKeys[V any](a, b map[string]V) []string {
	seen := map[string]bool{}
	for k := range a {
		seen[k] = true
	}
	for k := range b {
		seen[k] = true
	}
	return sortedKeys(seen)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
