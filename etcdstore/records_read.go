package etcdstore

import (
	"context"
	"strconv"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Reads of single records: by id, and through a unique index.

// getByID loads one record: one round trip.
func (s *Store) getByID(ctx context.Context, t *table, id int64) (stored, bool, error) {
	if s.mirror != nil {
		if st, found, served, err := s.mirror.getByID(ctx, t, id); err != nil || served {
			return st, found, err
		}
	}
	resp, err := s.cli.Txn(ctx).Then(s.readOps(t, id)...).Commit()
	if err != nil {
		return stored{}, false, etcdError(err, false)
	}
	return s.parseRead(t, resp.Responses)
}

// getByUnique loads the record that holds values in a unique index. One
// round trip when this Store's copy of the index has the entry (the id is
// verified by a compare on the index key in the same transaction), two
// otherwise. Any spelling finds the record: a uuid is looked up in its
// canonical form and the index key is case-folded (keys.Unique).
func (s *Store) getByUnique(ctx context.Context, t *table, index string, values ...string) (stored, bool, error) {
	if uuidColumn(index) {
		values = []string{CanonicalUUID(values[0])}
	}
	key := s.keys.Unique(t.name, index, values...)
	if len(key) > maxIndexKeyBytes {
		return stored{}, false, nil // longer than any stored value can make it
	}
	if s.mirror != nil {
		if st, found, served, err := s.mirror.getByUnique(ctx, t, key); err != nil || served {
			return st, found, err
		}
	}
	if id, ok := s.indexedID(t.name, index, key); ok {
		resp, err := s.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.Value(key), "=", strconv.FormatInt(id, 10))).
			Then(s.readOps(t, id)...).
			Else(clientv3.OpGet(key)).
			Commit()
		if err != nil {
			return stored{}, false, etcdError(err, false)
		}
		if resp.Succeeded {
			return s.parseRead(t, resp.Responses)
		}
		s.index.forget(key)
		return s.followIndex(ctx, t, key, resp.Responses[0].GetResponseRange().Kvs)
	}
	resp, err := s.cli.Get(ctx, key)
	if err != nil {
		return stored{}, false, etcdError(err, false)
	}
	return s.followIndex(ctx, t, key, resp.Kvs)
}

// followIndex reads the record an index entry points at. The record is
// read at a later revision than the entry, so it is checked to still
// hold the indexed value; a record renamed in between counts as absent.
func (s *Store) followIndex(ctx context.Context, t *table, key string, kvs []*mvccpb.KeyValue) (stored, bool, error) {
	if len(kvs) == 0 {
		return stored{}, false, nil
	}
	id, err := indexEntryID(kvs[0])
	if err != nil {
		return stored{}, false, err
	}
	st, found, err := s.getByID(ctx, t, id)
	if err != nil || !found {
		return st, found, err
	}
	for _, k := range s.uniqueKeys(t, st.rec) {
		if k.key == key {
			s.index.put(key, id)
			return st, true, nil
		}
	}
	return stored{}, false, nil
}

// maxIndexKeyBytes bounds an index key: columns are at most 255
// characters, 4 bytes each, escaped to at most 3 bytes per byte.
const maxIndexKeyBytes = 8 << 10
