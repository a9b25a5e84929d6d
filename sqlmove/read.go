package sqlmove

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Row is one row of a table: its values in the table's column order, each
// nil (NULL), string, int64, bool, time.Time (UTC) or json.RawMessage.
type Row []any

// Data is the rows of every table, by table name.
type Data map[string][]Row

// readAll reads every table in one read-only transaction (one snapshot on
// MariaDB and PostgreSQL; SQLite's reads in one transaction see one state
// too), rows in primary-key order.
func (d *db) readAll(ctx context.Context) (Data, error) {
	opts := &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead}
	if d.target.Dialect == SQLite {
		opts = nil
	}
	tx, err := d.BeginTx(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	defer tx.Rollback()
	data := Data{}
	for _, t := range Tables {
		rows, err := d.readTable(ctx, tx, t)
		if err != nil {
			return nil, err
		}
		data[t.Name] = rows
	}
	return data, nil
}

func (d *db) readTable(ctx context.Context, tx *sql.Tx, t *Table) ([]Row, error) {
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = d.quote(c)
	}
	keys := make([]string, len(t.Key))
	for i, k := range t.Key {
		keys[i] = d.quote(k)
	}
	q := "SELECT " + strings.Join(cols, ", ") + " FROM " + d.quote(t.Name) + " ORDER BY " + strings.Join(keys, ", ")
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", t.Name, err)
	}
	defer rows.Close()
	var out []Row
	raw := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("reading %s: %w", t.Name, err)
		}
		row := make(Row, len(cols))
		for i, v := range raw {
			if row[i], err = fromSQL(kindOf(t.fields[i]), v); err != nil {
				return nil, fmt.Errorf("%s row %d column %s: %w", t.Name, len(out)+1, t.Columns[i], err)
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", t.Name, err)
	}
	return out, nil
}

// sqlTimeLayouts are the text forms of DATETIME values the drivers hand
// back: SQLite's (Ironic's six fraction digits, or fewer), MariaDB's.
var sqlTimeLayouts = []string{"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano}

// fromSQL turns what a driver scanned into a Row value of kind k.
func fromSQL(k kind, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if b, ok := v.([]byte); ok {
		v = string(b)
	}
	switch k {
	case kindString:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case kindJSON:
		if s, ok := v.(string); ok {
			return json.RawMessage(s), nil
		}
	case kindInt:
		switch x := v.(type) {
		case int64:
			return x, nil
		case int32:
			return int64(x), nil
		case string:
			return strconv.ParseInt(x, 10, 64)
		}
	case kindBool:
		switch x := v.(type) {
		case bool:
			return x, nil
		case int64:
			if x == 0 || x == 1 {
				return x == 1, nil
			}
		case string:
			switch x {
			case "0":
				return false, nil
			case "1":
				return true, nil
			}
		}
	case kindTime:
		switch x := v.(type) {
		case time.Time:
			// Ironic writes naive UTC; drivers hand it back as UTC or,
			// for a column without zone, as wall time: keep the wall time.
			return time.Date(x.Year(), x.Month(), x.Day(), x.Hour(), x.Minute(), x.Second(), x.Nanosecond(), time.UTC), nil
		case string:
			for _, layout := range sqlTimeLayouts {
				if t, err := time.Parse(layout, x); err == nil {
					return t.UTC(), nil
				}
			}
		}
	}
	return nil, fmt.Errorf("unexpected value %#v (%T)", v, v)
}
