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

// Writing rows in the forms Ironic's own SQLAlchemy models write
// (/work/shared/spec/IRONIC_21.md, "Ironic's rows as SQL stores them"):
// timestamps as naive UTC text with six fraction digits (SQLite,
// PostgreSQL) or whole seconds (MariaDB's DATETIME keeps no fraction;
// truncated here rather than rounded by the server), booleans 0/1 on
// SQLite and MariaDB, JSON as its text.

// maxParams bounds the parameters of one INSERT (SQLite's historical
// limit is 999).
const maxParams = 900

// maxStatementBytes bounds the values of one INSERT (MariaDB's
// max_allowed_packet is 16 MiB by default).
const maxStatementBytes = 4 << 20

// toSQL is the parameter that writes value v.
func (d *db) toSQL(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch x := v.(type) {
	case time.Time:
		if d.target.Dialect == MySQL {
			return x.UTC().Format("2006-01-02 15:04:05"), nil
		}
		return x.UTC().Format("2006-01-02 15:04:05.000000"), nil
	case bool:
		if d.target.Dialect == Postgres {
			return x, nil
		}
		if x {
			return int64(1), nil
		}
		return int64(0), nil
	case json.RawMessage:
		return d.text(string(x))
	case string:
		return d.text(x)
	}
	return v, nil
}

// text refuses what the dialect cannot store.
func (d *db) text(s string) (string, error) {
	if d.target.Dialect == Postgres && strings.IndexByte(s, 0) >= 0 {
		return "", fmt.Errorf("PostgreSQL refuses a NUL character in text")
	}
	return s, nil
}

// insert writes rows of t in multi-row INSERTs inside tx. skip, if set,
// names a column written NULL (nodes.allocation_id before the
// allocations exist).
func (d *db) insert(ctx context.Context, tx *sql.Tx, t *Table, rows []Row, skip string, progress func(int)) error {
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = d.quote(c)
	}
	head := "INSERT INTO " + d.quote(t.Name) + " (" + strings.Join(cols, ", ") + ") VALUES "
	perRow := len(cols)
	var args []any
	var tuples []string
	size := 0
	flush := func() error {
		if len(tuples) == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, head+strings.Join(tuples, ", "), args...); err != nil {
			return fmt.Errorf("writing %s: %w", t.Name, err)
		}
		progress(len(tuples))
		args, tuples, size = args[:0], tuples[:0], 0
		return nil
	}
	for _, row := range rows {
		if len(args)+perRow > maxParams || size > maxStatementBytes {
			if err := flush(); err != nil {
				return err
			}
		}
		marks := make([]string, perRow)
		for i, v := range row {
			if t.Columns[i] == skip {
				v = nil
			}
			p, err := d.toSQL(v)
			if err != nil {
				return fmt.Errorf("%s %s column %s: %w", t.Name, keyOf(t, row), t.Columns[i], err)
			}
			args = append(args, p)
			marks[i] = d.placeholder(len(args))
			if s, ok := p.(string); ok {
				size += len(s)
			}
		}
		tuples = append(tuples, "("+strings.Join(marks, ", ")+")")
	}
	return flush()
}

func (d *db) placeholder(n int) string {
	if d.target.Dialect == Postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// setAllocationIDs writes nodes.allocation_id once the allocations exist.
func (d *db) setAllocationIDs(ctx context.Context, tx *sql.Tx, nodes []Row) error {
	t := TableByName("nodes")
	var at int
	for i, c := range t.Columns {
		if c == "allocation_id" {
			at = i
		}
	}
	q := "UPDATE nodes SET allocation_id = " + d.placeholder(1) + " WHERE id = " + d.placeholder(2)
	for _, row := range nodes {
		if row[at] == nil {
			continue
		}
		if _, err := tx.ExecContext(ctx, q, row[at], row[0]); err != nil {
			return fmt.Errorf("writing nodes.allocation_id of node %v: %w", row[0], err)
		}
	}
	return nil
}

// resetSequences moves PostgreSQL's id sequences past the ids written,
// so Ironic's next insert does not collide (MariaDB's AUTO_INCREMENT and
// SQLite's rowid follow by themselves).
func (d *db) resetSequences(ctx context.Context, tx *sql.Tx) error {
	if d.target.Dialect != Postgres {
		return nil
	}
	for _, t := range Tables {
		if len(t.Key) != 1 || t.Key[0] != "id" {
			continue
		}
		q := fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', 'id'), MAX(id)) FROM %s HAVING MAX(id) IS NOT NULL`,
			t.Name, d.quote(t.Name))
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("moving the id sequence of %s: %w", t.Name, err)
		}
	}
	return nil
}
