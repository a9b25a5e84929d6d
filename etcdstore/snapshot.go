package etcdstore

import (
	"context"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/proto"

	"github.com/ironic-etcd/ironic-etcd/keys"
)

// Reading the whole store as of one revision, for an export (package
// sqlmove) or a comparison with another copy of the data.

// RecordCounts counts the records of every table (ImportTables' names)
// as of revision rev (0: now) and returns the revision counted at. No
// 21.4 counterpart (import and export check and verify with it). One
// round trip; a compacted rev is an error.
func (s *Store) RecordCounts(ctx context.Context, rev int64) (map[string]int64, int64, error) {
	names := ImportTables()
	ops := make([]clientv3.Op, len(names))
	for i, name := range names {
		opts := []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithCountOnly()}
		if rev > 0 {
			opts = append(opts, clientv3.WithRev(rev))
		}
		ops[i] = clientv3.OpGet(s.keys.Table(name), opts...)
	}
	resp, err := s.cli.Txn(ctx).Then(ops...).Commit()
	if err != nil {
		return nil, 0, etcdError(err, false)
	}
	out := make(map[string]int64, len(names))
	for i, name := range names {
		out[name] = resp.Responses[i].GetResponseRange().Count
	}
	if rev == 0 {
		rev = resp.Header.Revision
	}
	return out, rev, nil
}

// WalkRecords calls fn with every record of table (one of ImportTables)
// as stored at revision rev (0: now), in id order: nodes with their lock's
// holder in reservation (reservation_revision its token), or a stale
// holder's (token 0) when only the last-holder marker remains, deploy
// templates with their steps. It returns the revision read at: pass it to
// the next call to read every table at one instant. No 21.4 counterpart
// (export reads the store with it). fn's error stops the walk and is
// returned; fn may keep the
// records. Round trips: one per 4,000 records (and, for nodes, one per
// 4,000 locks and one per 4,000 markers); a compacted rev is an error.
func (s *Store) WalkRecords(ctx context.Context, table string, rev int64, fn func(proto.Message) error) (int64, error) {
	t := tablesByName[table]
	if t == nil {
		return 0, invalidParam("WalkRecords: unknown table %q", table)
	}
	var locks map[int64]nodeLock
	if t.locked {
		var held [2][]*mvccpb.KeyValue // lock keys, then last-holder markers
		for i, prefix := range []string{s.keys.Reservations(), s.keys.Holders()} {
			var err error
			rev, err = rangeInPagesAt(ctx, s.cli, prefix, rev, func(kvs []*mvccpb.KeyValue) {
				held[i] = append(held[i], kvs...)
			})
			if err != nil {
				return 0, etcdError(err, false)
			}
		}
		locks = readLocks(held[0], held[1])
	}
	var ferr error
	rev, err := rangeInPagesAt(ctx, s.cli, s.keys.Table(t.name), rev, func(kvs []*mvccpb.KeyValue) {
		for _, kv := range kvs {
			if ferr != nil {
				return
			}
			id, _ := keys.ParseID(string(kv.Key))
			st, err := s.decode(t, kv, locks[id])
			if err == nil {
				err = fn(st.rec.Interface())
			}
			ferr = err
		}
	})
	if err != nil {
		return 0, etcdError(err, false)
	}
	return rev, ferr
}
