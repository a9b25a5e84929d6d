// Package sqlmove moves Ironic 21.4's data between its SQL database
// (MariaDB/MySQL, PostgreSQL, SQLite) and the store: Import reads every
// table and writes it into the store with ids, uuids, timestamps and JSON
// documents as they are; Export writes the store into an empty database
// whose schema `ironic-dbsync create_schema` made; both can verify the
// result row by row. The map of tables and columns is schema.go's.
package sqlmove

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// Options configure Import and Export.
type Options struct {
	// Merge lets Import write into a store that holds records: a record
	// already stored exactly so is left alone, one with the same id and
	// other content is replaced by the row's (the SQL side wins), others
	// are added; clashes with other records (a name, a MAC) are refused.
	Merge bool
	// Verify compares both sides after the move, every column of every
	// row; a difference fails the call with ErrVerify.
	Verify bool
	// Batch is how many records Import hands the store at once (default
	// 500); the store splits them into transactions within etcd's limits.
	Batch int
	// Progress, if set, is called as rows are written.
	Progress func(Step)
}

// Step is where a move stands.
type Step struct {
	Table       string
	Done, Total int // rows (records on import) of the whole move
}

// Report says what a move did.
type Report struct {
	// Rows are the rows per table read from the source.
	Rows map[string]int
	// Written, Unchanged and Replaced count store records (import).
	Written, Unchanged, Replaced int
	// Problems are the rows that cannot travel (ErrBadRows).
	Problems []RowProblem
	// Verification, with Options.Verify.
	Verification *Verification
}

func (o Options) batch() int {
	if o.Batch <= 0 {
		return 500
	}
	return o.Batch
}

func (o Options) progress(s Step) {
	if o.Progress != nil {
		o.Progress(s)
	}
}

func countRows(data Data) map[string]int {
	out := map[string]int{}
	for _, t := range Tables {
		out[t.Name] = len(data[t.Name])
	}
	return out
}

// readStore reads every record of the store at one revision, as rows.
func readStore(ctx context.Context, s *etcdstore.Store) (Data, error) {
	data := Data{}
	var rev int64
	for _, name := range etcdstore.ImportTables() {
		var err error
		rev, err = s.WalkRecords(ctx, name, rev, func(m proto.Message) error {
			flatten(data, name, m)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("reading the store's %s: %w", name, err)
		}
	}
	return data, nil
}

// storeHolds names the store tables that hold records and how many ("": none).
func storeHolds(ctx context.Context, s *etcdstore.Store) (string, error) {
	counts, _, err := s.RecordCounts(ctx, 0)
	if err != nil {
		return "", err
	}
	var held string
	for _, name := range etcdstore.ImportTables() {
		if n := counts[name]; n > 0 {
			held += fmt.Sprintf(" %s %d", name, n)
		}
	}
	return held, nil
}

// badRows is the error of a report with problems.
func badRows(rep *Report) error {
	return fmt.Errorf("%w: %d rows (first: %s)", ErrBadRows, len(rep.Problems), rep.Problems[0])
}

// verified turns a verification into the call's error.
func verified(rep *Report, v *Verification) error {
	rep.Verification = v
	if !v.OK() {
		return fmt.Errorf("%w: %d columns differ (first: %s)", ErrVerify, len(v.Differences), v.Differences[0])
	}
	return nil
}

// IsUsage reports errors of the caller's making (a URL, a schema, a
// destination not empty, bad rows), as opposed to a failure to reach
// either side.
func IsUsage(err error) bool {
	return errors.Is(err, ErrURL) || errors.Is(err, ErrSchema) || errors.Is(err, ErrNotEmpty) || errors.Is(err, ErrBadRows)
}
