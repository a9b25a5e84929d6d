package etcdstore

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// ReindexReport says what Reindex changed and what it could not.
type ReindexReport struct {
	Records int // records whose uuids were respelled or index keys rewritten
	Removed int // index keys removed: not folded, or pointing at no record
	Added   int // index keys added in the folded form
	// Clashes are values that several records hold alike once folded
	// (node names "Node-1" and "node-1"): those records are left as they
	// were. Rename all but one, then run Reindex again.
	Clashes []string
	// Changed counts records written by someone else while they were
	// re-indexed: run Reindex again.
	Changed int
}

// Reindex brings a store written before the case rules (README,
// deliberate differences 16) to them: every uuid column is respelled
// canonically and every unique-index key is rewritten in its folded form,
// one transaction per record, guarded by the record's revision and the
// keys' values as read. updated_at is not touched. Run it once, before
// this version writes to such a store; a store that follows the rules is
// read and left unchanged. Round trips: reads of every record and index
// key, then one per record to change.
func (s *Store) Reindex(ctx context.Context) (ReindexReport, error) {
	var rep ReindexReport
	names := make([]string, 0, len(tablesByName))
	for name := range tablesByName {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if err := s.reindexTable(ctx, tablesByName[name], &rep); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// reindexed is a record as read and as the rules want it.
type reindexed struct {
	cur  stored
	next protoreflect.Message // uuids canonical
	want map[string]bool      // its index keys under the rules
}

func (s *Store) reindexTable(ctx context.Context, t *table, rep *ReindexReport) error {
	if len(t.uniques) == 0 {
		return nil
	}
	recs := map[int64]*reindexed{}
	var bad error
	_, err := rangeInPages(ctx, s.cli, s.keys.Table(t.name), func(kvs []*mvccpb.KeyValue) {
		for _, kv := range kvs {
			st, err := s.decode(t, kv, nodeLock{})
			if err != nil {
				bad = err
				return
			}
			next := proto.Clone(st.rec.Interface()).ProtoReflect()
			canonicalUUIDs(next)
			recs[recordID(st.rec)] = &reindexed{cur: st, next: next, want: keySet(s.uniqueKeys(t, next))}
		}
	})
	if err != nil {
		return etcdError(err, false)
	}
	if bad != nil {
		return bad
	}
	have := map[string]int64{} // index key -> id it holds
	for _, u := range t.uniques {
		_, err := rangeInPages(ctx, s.cli, s.keys.Unique(t.name, u.name)+"/", func(kvs []*mvccpb.KeyValue) {
			for _, kv := range kvs {
				if id, err := indexEntryID(kv); err == nil {
					have[string(kv.Key)] = id
				}
			}
		})
		if err != nil {
			return etcdError(err, false)
		}
	}
	skip := s.reindexClashes(t, recs, rep)
	// First the keys no record wants, then the keys records lack: a
	// folded key may still be held, unfolded, by the record it belongs to.
	stale := map[int64][]string{}
	for key, id := range have {
		if r := recs[id]; !skip[id] && (r == nil || !r.want[key]) {
			stale[id] = append(stale[id], key)
		}
	}
	for id, ks := range stale {
		removed, err := s.removeStale(ctx, t, id, recs[id], ks, rep)
		if err != nil {
			return err
		}
		if !removed {
			skip[id] = true // changed meanwhile: counted, left for the next run
			continue
		}
		for _, k := range ks {
			delete(have, k)
		}
	}
	ids := make([]int64, 0, len(recs))
	for id := range recs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if !skip[id] {
			if err := s.completeRecord(ctx, t, recs[id], have, len(stale[id]) > 0, rep); err != nil {
				return err
			}
		}
	}
	return nil
}

// reindexClashes finds the keys several records want and returns those
// records, which Reindex leaves alone.
func (s *Store) reindexClashes(t *table, recs map[int64]*reindexed, rep *ReindexReport) map[int64]bool {
	wantedBy := map[string][]int64{}
	for id, r := range recs {
		for k := range r.want {
			wantedBy[k] = append(wantedBy[k], id)
		}
	}
	skip := map[int64]bool{}
	for k, ids := range wantedBy {
		if len(ids) > 1 {
			slices.Sort(ids)
			rep.Clashes = append(rep.Clashes, fmt.Sprintf("%s records %v hold one value: %s", t.noun, ids, k))
			for _, id := range ids {
				skip[id] = true
			}
		}
	}
	slices.Sort(rep.Clashes)
	return skip
}

// removeStale deletes index keys that hold id but that record r (nil: no
// record) does not want, if neither changed since they were read.
func (s *Store) removeStale(ctx context.Context, t *table, id int64, r *reindexed, ks []string, rep *ReindexReport) (bool, error) {
	recKey, idText := s.keys.Record(t.name, id), strconv.FormatInt(id, 10)
	cmp := clientv3.Compare(clientv3.CreateRevision(recKey), "=", 0)
	if r != nil {
		cmp = clientv3.Compare(clientv3.ModRevision(recKey), "=", r.cur.modRev)
	}
	b := txnBuilder{cmps: []clientv3.Cmp{cmp}}
	for _, k := range ks {
		b.cmps = append(b.cmps, clientv3.Compare(clientv3.Value(k), "=", idText))
		b.ops = append(b.ops, clientv3.OpDelete(k))
	}
	resp, err := b.commit(ctx, s.cli)
	if err != nil {
		return false, etcdError(err, true)
	}
	if !resp.Succeeded {
		rep.Changed++
		return false, nil
	}
	rep.Removed += len(ks)
	return true, nil
}

// completeRecord writes the record with canonical uuids and claims the
// index keys it lacks, if it did not change since it was read.
func (s *Store) completeRecord(ctx context.Context, t *table, r *reindexed, have map[string]int64, cleaned bool, rep *ReindexReport) error {
	id := recordID(r.next)
	var missing []string
	for k := range r.want {
		if _, ok := have[k]; !ok {
			missing = append(missing, k)
		}
	}
	respelled := !proto.Equal(r.next.Interface(), r.cur.rec.Interface())
	if len(missing) == 0 && !respelled {
		if cleaned {
			rep.Records++
		}
		return nil
	}
	recKey := s.keys.Record(t.name, id) // removeStale deleted keys only: the record is as read
	b := txnBuilder{cmps: []clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(recKey), "=", r.cur.modRev)}}
	for _, k := range missing {
		b.claim(k, strconv.FormatInt(id, 10))
	}
	if respelled {
		data, err := encode(t, r.next)
		if err != nil {
			return err
		}
		b.ops = append(b.ops, clientv3.OpPut(recKey, string(data)))
	}
	resp, err := b.commit(ctx, s.cli)
	if err != nil {
		return etcdError(err, true)
	}
	if !resp.Succeeded {
		rep.Changed++
		return nil
	}
	rep.Records++
	rep.Added += len(missing)
	return nil
}

// canonicalUUIDs respells every uuid column of rec canonically.
func canonicalUUIDs(rec protoreflect.Message) {
	fields := rec.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if fd.Kind() == protoreflect.StringKind && uuidColumn(string(fd.Name())) && rec.Has(fd) {
			rec.Set(fd, protoreflect.ValueOfString(CanonicalUUID(rec.Get(fd).String())))
		}
	}
}
