package sqlmove

import (
	"context"
	"fmt"
	"strings"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// Export writes every record of s, read at one etcd revision, into the
// empty Ironic 21.4 database at url (its schema made by `ironic-dbsync
// create_schema`), in one SQL transaction: all or nothing. It refuses a
// database that holds rows (ErrNotEmpty) or whose schema is not 21.4's
// (ErrSchema). Values take the forms Ironic's models write on that
// dialect; on MariaDB timestamps lose their microseconds, as they do
// under Ironic itself. Node reservations travel as the reservation
// column; conductors as their record says (online, updated_at).
func Export(ctx context.Context, s *etcdstore.Store, url string, o Options) (*Report, error) {
	d, err := openIronicDB(ctx, url)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	counts, err := d.counts(ctx)
	if err != nil {
		return nil, err
	}
	var held []string
	for _, t := range Tables {
		if counts[t.Name] > 0 {
			held = append(held, fmt.Sprintf("%s %d", t.Name, counts[t.Name]))
		}
	}
	if len(held) > 0 {
		return nil, fmt.Errorf("%w: %s holds rows (%s); export writes into an empty database only", ErrNotEmpty, d.target.Redacted, strings.Join(held, ", "))
	}
	data, err := readStore(ctx, s)
	if err != nil {
		return nil, err
	}
	rep := &Report{Rows: countRows(data)}
	if err := d.writeAll(ctx, data, o); err != nil {
		return rep, err
	}
	if !o.Verify {
		return rep, nil
	}
	back, err := d.readAll(ctx)
	if err != nil {
		return rep, err
	}
	return rep, verified(rep, compare(back, data, compareOptions{seconds: d.target.Dialect == MySQL}))
}

// writeAll inserts every table in one transaction.
func (d *db) writeAll(ctx context.Context, data Data, o Options) error {
	tx, err := d.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	defer tx.Rollback()
	total, done := 0, 0
	for _, rows := range data {
		total += len(rows)
	}
	for _, t := range Tables {
		skip := ""
		if t.Name == "nodes" {
			skip = "allocation_id" // the allocations come after the nodes
		}
		err := d.insert(ctx, tx, t, data[t.Name], skip, func(n int) {
			done += n
			o.progress(Step{Table: t.Name, Done: done, Total: total})
		})
		if err != nil {
			return err
		}
		if t.Name == "allocations" {
			if err := d.setAllocationIDs(ctx, tx, data["nodes"]); err != nil {
				return err
			}
		}
	}
	if err := d.resetSequences(ctx, tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing the export: %w", err)
	}
	return nil
}
