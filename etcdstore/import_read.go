package etcdstore

import (
	"context"
	"sync"

	pbetcd "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// readImportState reads, for every plan, its record (and a node's lock
// and last-holder marker), the
// unique keys it claims and the owners it needs, in transactions of at
// most maxTxnOps reads, importParallel at a time.
func (s *Store) readImportState(ctx context.Context, t *table, plans []*importPlan) error {
	var chunks [][]*importPlan
	var chunk []*importPlan
	n := 0
	for _, p := range plans {
		p.cur, p.curData = nil, nil
		p.uniqueHeld = make([]string, len(p.uniques))
		p.ownerFound = make([]bool, len(p.members))
		need := 3 + len(p.uniques) + len(p.members)
		if n+need > s.opts.maxTxnOps && len(chunk) > 0 {
			chunks, chunk, n = append(chunks, chunk), nil, 0
		}
		chunk, n = append(chunk, p), n+need
	}
	if len(chunk) > 0 {
		chunks = append(chunks, chunk)
	}
	return inParallel(len(chunks), func(i int) error { return s.readImportChunk(ctx, t, chunks[i]) })
}

// readImportChunk is one transaction of readImportState.
func (s *Store) readImportChunk(ctx context.Context, t *table, plans []*importPlan) error {
	var ops []clientv3.Op
	for _, p := range plans {
		id := recordID(p.rec)
		ops = append(ops, clientv3.OpGet(s.keys.Record(t.name, id)))
		if t.locked {
			ops = append(ops, clientv3.OpGet(s.keys.Reservation(id)), clientv3.OpGet(s.keys.Holder(id)))
		}
		for _, k := range p.uniques {
			ops = append(ops, clientv3.OpGet(k.key))
		}
		for _, mk := range p.members {
			ops = append(ops, clientv3.OpGet(mk.ownerKey, clientv3.WithCountOnly()))
		}
	}
	resp, err := s.cli.Txn(ctx).Then(ops...).Commit()
	if err != nil {
		return etcdError(err, false)
	}
	next := func() *pbetcd.RangeResponse {
		r := resp.Responses[0].GetResponseRange()
		resp.Responses = resp.Responses[1:]
		return r
	}
	for _, p := range plans {
		rec := kvOf(next().Kvs)
		var l nodeLock
		if t.locked {
			l.lock, l.marker = kvOf(next().Kvs), kvOf(next().Kvs)
		}
		if rec != nil {
			st, err := s.decode(t, rec, l)
			if err != nil {
				return err
			}
			p.cur, p.curData = &st, rec.Value
		}
		for i := range p.uniques {
			if kvs := next().Kvs; len(kvs) > 0 {
				p.uniqueHeld[i] = string(kvs[0].Value)
			}
		}
		for i := range p.members {
			p.ownerFound[i] = next().Count > 0
		}
	}
	return nil
}

// importParallel is how many import transactions are in flight at once:
// etcd commits concurrent ones with one disk sync.
const importParallel = 4

// inParallel runs fn(0..n-1), importParallel at a time, and returns the
// first error (the others still finish: each is one transaction).
func inParallel(n int, fn func(i int) error) error {
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	sem := make(chan struct{}, importParallel)
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		mu.Lock()
		failed := first != nil
		mu.Unlock()
		if failed {
			<-sem
			break
		}
		wg.Add(1)
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			if err := fn(i); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	return first
}
