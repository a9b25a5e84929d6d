package sqlmove

import (
	"encoding/json"
	"testing"
	"time"
)

// Each dialect gets the forms Ironic's models write there.
func TestValueFormsPerDialect(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 678901000, time.UTC)
	for _, tc := range []struct {
		dialect Dialect
		v       any
		want    any
	}{
		{SQLite, at, "2026-01-02 03:04:05.678901"},
		{SQLite, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "2026-01-02 03:04:05.000000"},
		{Postgres, at, "2026-01-02 03:04:05.678901"},
		{MySQL, at, "2026-01-02 03:04:05"}, // truncated, never rounded up to :06
		{SQLite, true, int64(1)},
		{MySQL, false, int64(0)},
		{Postgres, true, true},
		{SQLite, json.RawMessage(`{"f":1.0}`), `{"f":1.0}`},
		{Postgres, nil, nil},
	} {
		d := &db{target: Target{Dialect: tc.dialect}}
		got, err := d.toSQL(tc.v)
		if err != nil || got != tc.want {
			t.Errorf("%s %#v: %#v %v, want %#v", tc.dialect, tc.v, got, err, tc.want)
		}
	}
	d := &db{target: Target{Dialect: Postgres}}
	if _, err := d.toSQL("a\x00b"); err == nil {
		t.Error("PostgreSQL took a NUL")
	}
	if _, err := (&db{target: Target{Dialect: SQLite}}).toSQL("a\x00b"); err != nil {
		t.Errorf("SQLite refused a NUL: %v", err)
	}
}
