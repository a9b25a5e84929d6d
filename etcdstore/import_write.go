package etcdstore

import (
	"context"
	"strconv"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// importTxnBytes bounds the records of one import transaction, under
// etcd's default 1.5 MiB request limit with room for the keys.
const importTxnBytes = 1 << 20

// importRetries bounds how often one import transaction is redone after
// a concurrent change that leaves its records importable.
const importRetries = 8

// counter is an id counter an import moves past its ids.
type counter struct {
	high, modRev int64
}

// writeImport writes the plans judged new or to replace, in transactions
// within the store's limits.
func (s *Store) writeImport(ctx context.Context, t *table, plans []*importPlan, replace bool, res *ImportResult) error {
	counters := map[string]*counter{}
	for _, name := range counterNames(t) {
		c, err := s.readCounter(ctx, name)
		if err != nil {
			return err
		}
		counters[name] = c
	}
	budget := s.opts.maxTxnOps - len(counters)
	var group []*importPlan
	var ops, cmps, size int
	flush := func() error {
		if len(group) == 0 {
			return nil
		}
		err := s.commitImport(ctx, t, group, counters, replace, res)
		group, ops, cmps, size = group[:0], 0, 0, 0
		return err
	}
	for _, p := range plans {
		if p.action == importSame {
			res.Unchanged++
			continue
		}
		o, c := importCost(p)
		if len(group) > 0 && (ops+o > budget || cmps+c > budget || size+len(p.data) > importTxnBytes) {
			if err := flush(); err != nil {
				return err
			}
		}
		group = append(group, p)
		ops, cmps, size = ops+o, cmps+c, size+len(p.data)
	}
	return flush()
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

func (s *Store) readCounter(ctx context.Context, name string) (*counter, error) {
	resp, err := s.cli.Get(ctx, s.keys.IDCounter(name))
	if err != nil {
		return nil, etcdError(err, false)
	}
	c := &counter{}
	if len(resp.Kvs) == 1 {
		c.modRev = resp.Kvs[0].ModRevision
		if c.high, err = strconv.ParseInt(string(resp.Kvs[0].Value), 10, 64); err != nil {
			return nil, errCorrupt(resp.Kvs[0].Key, "the id counter holds %q, not an id", resp.Kvs[0].Value)
		}
	}
	return c, nil
}

// commitImport writes one group in one transaction; when a compare
// fails it reads the group's state again, re-judges and retries.
func (s *Store) commitImport(ctx context.Context, t *table, group []*importPlan, counters map[string]*counter, replace bool, res *ImportResult) error {
	for attempt := 0; ; attempt++ {
		var b txnBuilder
		want := map[string]int64{}
		var todo []*importPlan
		for _, p := range group {
			if p.action == importSame {
				continue
			}
			todo = append(todo, p)
			s.importOps(&b, t, p)
			for name, id := range counterIDs(t, p) {
				want[name] = max(want[name], id)
			}
		}
		if len(todo) == 0 {
			countPlans(group, res)
			return nil
		}
		for name, id := range want {
			if c := counters[name]; id > c.high {
				key := s.keys.IDCounter(name)
				b.cmps = append(b.cmps, clientv3.Compare(clientv3.ModRevision(key), "=", c.modRev))
				b.ops = append(b.ops, clientv3.OpPut(key, strconv.FormatInt(id, 10)))
			}
		}
		resp, err := b.commit(ctx, s.cli)
		if err != nil {
			return etcdError(err, true)
		}
		if resp.Succeeded {
			for name, id := range want {
				if c := counters[name]; id > c.high {
					c.high, c.modRev = id, resp.Header.Revision
				}
			}
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
		for name := range counters {
			c, err := s.readCounter(ctx, name)
			if err != nil {
				return err
			}
			counters[name] = c
		}
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
		b.cmps = append(b.cmps, clientv3.Compare(clientv3.ModRevision(lockKey), "=", p.cur.lockModRev))
		switch old := nodeOf(p.cur.rec).GetReservation(); {
		case p.holder == old:
		case p.holder == "":
			b.ops = append(b.ops, clientv3.OpDelete(lockKey))
		default:
			b.ops = append(b.ops, clientv3.OpPut(lockKey, p.holder))
		}
	}
}
