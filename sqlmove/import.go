package sqlmove

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// Import reads every table of the Ironic 21.4 database at url and writes
// it into s. It refuses a store that holds records unless o.Merge, and a
// database whose alembic revision or columns are not 21.4's. Every row is
// checked before anything is written: a row the store would refuse (a
// port whose node is missing, a MAC address another port holds in any
// case, a bad uuid) or keep differently is a RowProblem, and then nothing
// is written (ErrBadRows). Records are written table by table in batches;
// an interrupted import is finished by running it again: a store holding
// only records of this database, as they are, is not "not empty", and
// records already stored exactly so are skipped.
func Import(ctx context.Context, s *etcdstore.Store, url string, o Options) (*Report, error) {
	d, err := openIronicDB(ctx, url)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	data, err := d.readAll(ctx)
	if err != nil {
		return nil, err
	}
	if !o.Merge {
		if err := onlyThisImport(ctx, s, data); err != nil {
			return nil, err
		}
	}
	rep := &Report{Rows: countRows(data)}
	recs, err := prepare(ctx, s, data, o, rep)
	if err != nil {
		return rep, err
	}
	if err := write(ctx, s, recs, o, rep); err != nil {
		return rep, err
	}
	if !o.Verify {
		return rep, nil
	}
	stored, err := readStore(ctx, s)
	if err != nil {
		return rep, err
	}
	return rep, verified(rep, compare(data, stored, compareOptions{sqlKeysOnly: o.Merge}))
}

// onlyThisImport refuses a store that holds records other than those
// of this database as they are now: a store that holds some of them (an
// interrupted import) is finished by a plain re-run.
func onlyThisImport(ctx context.Context, s *etcdstore.Store, data Data) error {
	held, err := storeHolds(ctx, s)
	if err != nil || held == "" {
		return err
	}
	stored, err := readStore(ctx, s)
	if err != nil {
		return err
	}
	for _, d := range compare(data, stored, compareOptions{}).Differences {
		if d.Column != "" || d.Store == "present" {
			return fmt.Errorf("%w: the store holds records (%s) that are not this database's (%s); import --merge adds to them",
				ErrNotEmpty, strings.TrimSpace(held), d)
		}
	}
	return nil
}

// prepare builds the records and checks every row: it builds, it comes
// out of the store as it went in, and the store would take it.
func prepare(ctx context.Context, s *etcdstore.Store, data Data, o Options, rep *Report) (map[string][]proto.Message, error) {
	recs, problems := assemble(data)
	rep.Problems = append(rep.Problems, problems...)
	// What the store would keep, as rows, against the rows read.
	back := Data{}
	for name, ms := range recs {
		for _, m := range ms {
			flatten(back, name, m)
		}
	}
	bad := map[string]bool{}
	for _, p := range rep.Problems {
		bad[p.Table+" "+p.Key] = true
	}
	for _, diff := range compare(data, back, compareOptions{}).Differences {
		if diff.Column == "" || bad[diff.Table+" "+diff.Key] {
			continue // a row that did not build: already a problem
		}
		rep.Problems = append(rep.Problems, RowProblem{diff.Table, diff.Key,
			fmt.Sprintf("column %s would be stored as %s, not %s", diff.Column, diff.Store, diff.SQL)})
	}
	// The store's rules, against the store and among the records.
	ids := map[string]map[int64]bool{}
	for _, name := range etcdstore.ImportTables() {
		ids[name] = map[int64]bool{}
		for _, m := range recs[name] {
			ids[name][idOf(m)] = true
		}
	}
	opts := []etcdstore.ImportOption{etcdstore.ImportCheckOnly()}
	if o.Merge {
		opts = append(opts, etcdstore.ImportReplace())
	}
	for _, name := range etcdstore.ImportTables() {
		res, err := s.ImportRecords(ctx, name, recs[name], opts...)
		if err != nil && len(res.Problems) == 0 {
			return nil, err
		}
		for _, p := range res.Problems {
			if p.OwnerTable != "" && ids[p.OwnerTable][p.OwnerID] {
				continue // the owner comes with this import
			}
			rep.Problems = append(rep.Problems, storeProblem(name, p))
		}
	}
	if len(rep.Problems) > 0 {
		return nil, badRows(rep)
	}
	return recs, nil
}

// storeProblem names the SQL row of a store record's problem.
func storeProblem(store string, p etcdstore.ImportProblem) RowProblem {
	table, key := store, fmt.Sprintf("id=%d", p.ID)
	if store == "bios_settings" {
		key = fmt.Sprintf("node_id=%d", p.ID)
	}
	return RowProblem{table, key, p.Err.Error()}
}

func idOf(m proto.Message) int64 {
	rec := m.ProtoReflect()
	return rec.Get(rec.Descriptor().Fields().ByName("id")).Int()
}

// write hands the records to the store, table by table, in batches.
func write(ctx context.Context, s *etcdstore.Store, recs map[string][]proto.Message, o Options, rep *Report) error {
	total, done := 0, 0
	for _, ms := range recs {
		total += len(ms)
	}
	var opts []etcdstore.ImportOption
	if o.Merge {
		opts = append(opts, etcdstore.ImportReplace())
	}
	for _, name := range etcdstore.ImportTables() {
		ms := recs[name]
		for start := 0; start < len(ms); start += o.batch() {
			batch := ms[start:min(start+o.batch(), len(ms))]
			res, err := s.ImportRecords(ctx, name, batch, opts...)
			rep.Written += res.Written
			rep.Unchanged += res.Unchanged
			rep.Replaced += res.Replaced
			for _, p := range res.Problems {
				rep.Problems = append(rep.Problems, storeProblem(name, p))
			}
			if err != nil {
				if errors.Is(err, etcdstore.ErrUnknownOutcome) || ctx.Err() != nil {
					return fmt.Errorf("import interrupted in %s after %d of %d records (run it again to finish): %w", name, done, total, err)
				}
				return fmt.Errorf("import stopped in %s after %d of %d records: %w", name, done, total, err)
			}
			done += len(batch)
			o.progress(Step{Table: name, Done: done, Total: total})
		}
	}
	return nil
}
