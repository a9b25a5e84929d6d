package sqlmove

import (
	"context"
	"testing"
)

// SQLite -> store -> fresh SQLite gives row for row the same database,
// and both --verify pass.
func TestRoundTripSQLite(t *testing.T) {
	ctx := context.Background()
	src, srcPath := sampleSQLite(t)
	s := testStore(t)
	rep, err := Import(ctx, s, src, Options{Verify: true})
	if err != nil {
		t.Fatalf("import: %v (%v)", err, rep)
	}
	if rep.Written == 0 || !rep.Verification.OK() {
		t.Fatalf("report %+v", rep)
	}
	dst, dstPath := freshSQLite(t)
	rep, err = Export(ctx, s, dst, Options{Verify: true})
	if err != nil {
		t.Fatalf("export: %v (%+v)", err, rep)
	}
	a, b := readSQLite(t, srcPath), readSQLite(t, dstPath)
	v := compare(a, b, compareOptions{})
	if !v.OK() {
		t.Fatalf("round trip differs: %v", v.Differences)
	}
	for _, tc := range v.Tables {
		if tc.SQLRows == 0 {
			t.Errorf("table %s: no rows in the sample", tc.Table)
		}
	}
}

func readSQLite(t testing.TB, path string) Data {
	t.Helper()
	target, err := ParseURL("sqlite:///" + path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := open(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	data, err := d.readAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return data
}
