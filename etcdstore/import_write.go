package etcdstore

import (
	"context"
	"strconv"
	"sync"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// importTxnBytes bounds the records of one import transaction, under
// etcd's default 1.5 MiB request limit with room for the keys.
const importTxnBytes = 1 << 20

// importRetries bounds how often one import transaction is redone after
// a concurrent change that leaves its records importable.
const importRetries = 8

// writeImport moves the id counters past the plans' ids, then writes the
// plans judged new or to replace in transactions within the store's
// limits, importParallel at a time.
func (s *Store) writeImport(ctx context.Context, t *table, plans []*importPlan, replace bool, res *ImportResult) error {
	want := map[string]int64{}
	var groups [][]*importPlan
	var group []*importPlan
	var ops, cmps, size int
	for _, p := range plans {
		if p.action == importSame {
			res.Unchanged++
			continue
		}
		for name, id := range counterIDs(t, p) {
			want[name] = max(want[name], id)
		}
		o, c := importCost(p)
		if len(group) > 0 && (ops+o > s.opts.maxTxnOps || cmps+c > s.opts.maxTxnOps || size+len(p.data) > importTxnBytes) {
			groups, group, ops, cmps, size = append(groups, group), nil, 0, 0, 0
		}
		group = append(group, p)
		ops, cmps, size = ops+o, cmps+c, size+len(p.data)
	}
	if len(group) > 0 {
		groups = append(groups, group)
	}
	// The counters first: an id counter past ids not yet written wastes
	// nothing, and a create racing the import skips ids it meets.
	for name, id := range want {
		if err := s.raiseCounter(ctx, name, id); err != nil {
			return err
		}
	}
	var mu sync.Mutex
	return inParallel(len(groups), func(i int) error {
		var r ImportResult
		err := s.commitImport(ctx, t, groups[i], replace, &r)
		mu.Lock()
		defer mu.Unlock()
		res.Written, res.Replaced, res.Unchanged = res.Written+r.Written, res.Replaced+r.Replaced, res.Unchanged+r.Unchanged
		res.Txns += r.Txns
		res.Problems = append(res.Problems, r.Problems...)
		return err
	})
}

// importCost is the most operations and compares a plan adds.
func importCost(p *importPlan) (ops, cmps int) {
	n := len(p.uniques) + len(p.members)
	return 2 + 2*n, 2 + n
}

// counterNames are the id counters a table's imports move.
func counterNames(t *table) []string {
	switch t {
	case biosSettingsTable:
		return nil // keyed by their node's id
	case deployTemplatesTable:
		return []string{t.name, stepsTable}
	}
	return []string{t.name}
}

// counterIDs is the largest id per counter that rec uses.
func counterIDs(t *table, p *importPlan) map[string]int64 {
	out := map[string]int64{}
	for _, name := range counterNames(t) {
		out[name] = recordID(p.rec)
	}
	if t == deployTemplatesTable {
		out[stepsTable] = 0
		for _, st := range p.rec.Interface().(*pb.DeployTemplate).Steps {
			out[stepsTable] = max(out[stepsTable], st.Id)
		}
	}
	return out
}

// raiseCounter makes the id counter name at least id, with a
// compare-and-swap as the id allocator's (ids.go). Round trips: one to
// read, one to write if needed, plus one per lost race.
func (s *Store) raiseCounter(ctx context.Context, name string, id int64) error {
	key := s.keys.IDCounter(name)
	for {
		resp, err := s.cli.Get(ctx, key)
		if err != nil {
			return etcdError(err, false)
		}
		var high, modRev int64
		if len(resp.Kvs) == 1 {
			modRev = resp.Kvs[0].ModRevision
			if high, err = strconv.ParseInt(string(resp.Kvs[0].Value), 10, 64); err != nil {
				return errCorrupt(resp.Kvs[0].Key, "the id counter holds %q, not an id", resp.Kvs[0].Value)
			}
		}
		if high >= id {
			return nil
		}
		txn, err := s.cli.Txn(ctx).If(clientv3.Compare(clientv3.ModRevision(key), "=", modRev)).
			Then(clientv3.OpPut(key, strconv.FormatInt(id, 10))).Commit()
		if err != nil {
			return etcdError(err, true)
		}
		if txn.Succeeded {
			return nil
		}
	}
}

// commitImport writes one group in one transaction; when a compare
// fails it reads the group's state again, re-judges and retries.
func (s *Store) commitImport(ctx context.Context, t *table, group []*importPlan, replace bool, res *ImportResult) error {
	for attempt := 0; ; attempt++ {
		var b txnBuilder
		var todo []*importPlan
		for _, p := range group {
			if p.action != importSame {
				todo = append(todo, p)
				s.importOps(&b, t, p)
			}
		}
		if len(todo) == 0 {
			countPlans(group, res)
			return nil
		}
		resp, err := b.commit(ctx, s.cli)
		if err != nil {
			return etcdError(err, true)
		}
		if resp.Succeeded {
			for _, p := range todo {
				for _, k := range p.uniques {
					s.uniques.put(k.key, recordID(p.rec))
				}
				s.recent.forget(t, recordID(p.rec))
			}
			res.Txns++
			countPlans(group, res)
			return nil
		}
		if attempt == importRetries {
			return newError(ErrConflict, "import: the store keeps changing under the import; run it again")
		}
		// Someone else wrote meanwhile: judge the group again.
		if err := s.readImportState(ctx, t, group); err != nil {
			return err
		}
		var problems []ImportProblem
		for _, p := range group {
			if pr := s.judge(t, p, replace); pr != nil {
				problems = append(problems, *pr)
			}
		}
		if len(problems) > 0 {
			res.Problems = append(res.Problems, problems...)
			return invalidParam("%d %s records cannot be imported (first: %s)", len(problems), t.noun, problems[0])
		}
	}
}

// importOps adds to b what writing p does, as create (new) or update
// (replace) would write it.
func (s *Store) importOps(b *txnBuilder, t *table, p *importPlan) {
	id := recordID(p.rec)
	recKey := s.keys.Record(t.name, id)
	lockKey := s.keys.Reservation(id)
	if p.action == importNew {
		b.claim(recKey, string(p.data))
		idText := strconv.FormatInt(id, 10)
		for _, k := range p.uniques {
			b.claim(k.key, idText)
		}
		for _, mk := range p.members {
			b.ops = append(b.ops, clientv3.OpPut(mk.key, ""))
		}
		s.requireOwners(b, p.members)
		if p.holder != "" {
			b.ops = append(b.ops, clientv3.OpPut(lockKey, p.holder))
		}
		return
	}
	b.cmps = append(b.cmps, clientv3.Compare(clientv3.ModRevision(recKey), "=", p.cur.modRev))
	b.ops = append(b.ops, clientv3.OpPut(recKey, string(p.data)))
	s.indexChanges(b, t, p.cur.rec, p.rec)
	if t.locked {
		// The lock and marker as read; an imported lock is bound to no
		// lease, so it needs no marker and any marker goes.
		markerKey := s.keys.Holder(id)
		b.cmps = append(b.cmps, clientv3.Compare(clientv3.ModRevision(lockKey), "=", p.cur.lockModRev),
			clientv3.Compare(clientv3.ModRevision(markerKey), "=", p.cur.holderModRev))
		switch old := nodeOf(p.cur.rec).GetReservation(); {
		case p.holder == old:
		case p.holder == "":
			b.ops = append(b.ops, clientv3.OpDelete(lockKey), clientv3.OpDelete(markerKey))
		default:
			b.ops = append(b.ops, clientv3.OpPut(lockKey, p.holder), clientv3.OpDelete(markerKey))
		}
	}
}
