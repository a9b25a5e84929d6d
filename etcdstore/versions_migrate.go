package etcdstore

import (
	"context"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// migration is one record update_to_latest_versions rewrites: the record
// as read and how many of its stale rows it may migrate.
type migration struct {
	st    stored
	quota int
}

// migrateModel migrates up to budget rows of m (more for a nested model
// without row ids, whose records migrate whole) and returns how many it
// changed. Round trips: as scanModel, then one per batch written plus one
// per batch that lost a race.
func (s *Store) migrateModel(ctx context.Context, m versionedModel, latest string, budget int) (int, error) {
	sts, err := s.scanModel(ctx, m, -1, stale(latest))
	if err != nil {
		return 0, err
	}
	var plan []migration
	for _, st := range sts {
		if budget <= 0 {
			break
		}
		n := countRows(m.rows(st.rec), stale(latest))
		quota := n
		if m.rowsByID() {
			quota = min(n, budget)
		}
		plan = append(plan, migration{st: st, quota: quota})
		budget -= n
	}
	migrated := 0
	for len(plan) > 0 {
		n, done, err := s.writeMigrations(ctx, m, latest, plan)
		migrated += n
		if err != nil {
			return migrated, err
		}
		plan = plan[done:]
	}
	return migrated, nil
}

// migrateRows sets the stale rows of rec (at most quota when the rows have
// ids) to latest with updated_at now, and returns how many it changed.
func (s *Store) migrateRows(m versionedModel, rec protoreflect.Message, latest string, quota int) int {
	n := 0
	for _, row := range m.rows(rec) {
		if !stale(latest)(row) {
			continue
		}
		if m.rowsByID() && n >= quota {
			break
		}
		setRowVersion(row, latest)
		if row.Descriptor().Fields().ByName("updated_at") != nil {
			stamp(row, "updated_at", timestampOf(s.now()))
		}
		n++
	}
	return n
}

// writeMigrations writes the first records of plan that fit one
// transaction (WithMaxTxnOps records, about 1 MiB), each compared on its
// revision as read. A record changed meanwhile is migrated again from the
// fresh value the failed transaction returned (one gone is dropped), and
// the batch retried. It returns the rows changed and how many records of
// plan it consumed.
func (s *Store) writeMigrations(ctx context.Context, m versionedModel, latest string, plan []migration) (migrated, consumed int, err error) {
	for {
		var b txnBuilder
		var reads []*txnRead // nil: not in the transaction
		size, count := 0, 0
		consumed = 0
		for _, mg := range plan {
			if consumed > 0 && (consumed >= s.opts.maxTxnOps || size >= maxRecordBytes) {
				break
			}
			consumed++
			if mg.st.rec == nil {
				reads = append(reads, nil)
				continue // gone meanwhile
			}
			next := proto.Clone(mg.st.rec.Interface()).ProtoReflect()
			n := s.migrateRows(m, next, latest, mg.quota)
			if n == 0 {
				reads = append(reads, nil)
				continue // migrated by someone else meanwhile
			}
			data, err := encode(m.t, next)
			if err != nil {
				return 0, 0, err
			}
			key := s.keys.Record(m.t.name, recordID(next))
			b.cmps = append(b.cmps, clientv3.Compare(clientv3.ModRevision(key), "=", mg.st.modRev))
			b.ops = append(b.ops, clientv3.OpPut(key, string(data)))
			r := b.read(clientv3.OpGet(key))
			reads = append(reads, &r)
			size += len(data)
			count += n
		}
		if len(b.ops) == 0 {
			return 0, consumed, nil
		}
		resp, err := b.commit(ctx, s.cli)
		if err != nil {
			return 0, 0, etcdError(err, true)
		}
		if resp.Succeeded {
			for _, mg := range plan[:consumed] {
				if mg.st.rec != nil {
					s.recent.forget(m.t, recordID(mg.st.rec))
				}
			}
			return count, consumed, nil
		}
		for i := range plan[:consumed] {
			mg := &plan[i]
			if reads[i] == nil {
				continue
			}
			kvs := reads[i].of(resp).Kvs
			switch {
			case len(kvs) == 0:
				mg.st = stored{}
			case kvs[0].ModRevision != mg.st.modRev:
				fresh, err := s.decode(m.t, kvs[0], nodeLock{})
				if err != nil {
					return 0, 0, err
				}
				mg.st = fresh
			}
		}
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
	}
}
