package sqlmove

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	_ "github.com/go-sql-driver/mysql" // mysql+pymysql://
	_ "github.com/jackc/pgx/v5/stdlib" // postgresql://
	_ "modernc.org/sqlite"             // sqlite:/// (no cgo)
)

// Errors of this package; each error returned wraps one of them.
var (
	// ErrUnreachable: the database could not be opened or reached.
	ErrUnreachable = errors.New("sqlmove: database unreachable")
	// ErrSchema: not Ironic 21.4's schema (alembic revision, tables,
	// columns).
	ErrSchema = errors.New("sqlmove: unknown schema")
	// ErrNotEmpty: the destination holds data (the store without --merge,
	// or the SQL database of an export).
	ErrNotEmpty = errors.New("sqlmove: destination not empty")
	// ErrBadRows: rows the store would refuse or keep differently; the
	// Report lists them. Nothing was written.
	ErrBadRows = errors.New("sqlmove: rows cannot be imported")
	// ErrVerify: --verify found differences; the Report lists them.
	ErrVerify = errors.New("sqlmove: verification found differences")
)

// db is an open Ironic database.
type db struct {
	*sql.DB
	target Target
}

// open opens and pings the database of u.
func open(ctx context.Context, target Target) (*db, error) {
	if target.Dialect == SQLite {
		// The driver would create a missing file: say it is missing.
		if _, err := os.Stat(target.Path); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrUnreachable, target.Redacted, err)
		}
	}
	d, err := sql.Open(target.Driver, target.DSN)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrUnreachable, target.Redacted, err)
	}
	if err := d.PingContext(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("%w: %s: %v", ErrUnreachable, target.Redacted, err)
	}
	return &db{DB: d, target: target}, nil
}

// openIronicDB opens the database url names and refuses it unless its
// schema is Ironic 21.4's (checkSchema).
func openIronicDB(ctx context.Context, url string) (*db, error) {
	target, err := ParseURL(url)
	if err != nil {
		return nil, err
	}
	d, err := open(ctx, target)
	if err != nil {
		return nil, err
	}
	if err := d.checkSchema(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// quote quotes an identifier (Ironic has columns named default, unique
// and user).
func (d *db) quote(name string) string {
	if d.target.Dialect == MySQL {
		return "`" + name + "`"
	}
	return `"` + name + `"`
}

// checkSchema refuses a database whose alembic revision is not one of
// SupportedRevisions, or whose tables lack or add columns.
func (d *db) checkSchema(ctx context.Context) error {
	rows, err := d.QueryContext(ctx, "SELECT version_num FROM alembic_version")
	if err != nil {
		return fmt.Errorf("%w: %s has no alembic_version table (not an Ironic database, or its schema was never created): %v",
			ErrSchema, d.target.Redacted, err)
	}
	var found []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("%w: reading alembic_version: %v", ErrSchema, err)
		}
		found = append(found, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%w: reading alembic_version: %v", ErrSchema, err)
	}
	if len(found) != 1 || !slices.Contains(SupportedRevisions, found[0]) {
		return fmt.Errorf("%w: alembic revision %s found, this version reads %s (Ironic 21.4); upgrade the schema with ironic-dbsync first",
			ErrSchema, orNone(found), strings.Join(SupportedRevisions, ", "))
	}
	for _, t := range Tables {
		if err := d.checkColumns(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

func orNone(found []string) string {
	if len(found) == 0 {
		return "(none)"
	}
	return strings.Join(found, ", ")
}

// checkColumns compares a table's columns with the 21.4 map.
func (d *db) checkColumns(ctx context.Context, t *Table) error {
	rows, err := d.QueryContext(ctx, "SELECT * FROM "+d.quote(t.Name)+" WHERE 1 = 0")
	if err != nil {
		return fmt.Errorf("%w: table %s: %v", ErrSchema, t.Name, err)
	}
	cols, err := rows.Columns()
	rows.Close()
	if err != nil {
		return fmt.Errorf("%w: table %s: %v", ErrSchema, t.Name, err)
	}
	var extra, missing []string
	for _, c := range cols {
		if !slices.Contains(t.Columns, strings.ToLower(c)) {
			extra = append(extra, c)
		}
	}
	for _, c := range t.Columns {
		if !slices.ContainsFunc(cols, func(x string) bool { return strings.EqualFold(x, c) }) {
			missing = append(missing, c)
		}
	}
	if len(extra)+len(missing) > 0 {
		return fmt.Errorf("%w: table %s differs from Ironic 21.4's: columns missing %v, unknown %v", ErrSchema, t.Name, missing, extra)
	}
	return nil
}

// counts counts the rows of every table.
func (d *db) counts(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	for _, t := range Tables {
		var n int
		if err := d.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+d.quote(t.Name)).Scan(&n); err != nil {
			return nil, fmt.Errorf("counting %s: %w", t.Name, err)
		}
		out[t.Name] = n
	}
	return out, nil
}
