package etcdstore

import (
	"context"
	"strconv"
	"sync"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/keys"
)

// idAllocator hands out the integer ids of new records. Each Store takes
// blocks of ids from a per-table counter key with a compare-and-swap, so
// the counter is written once per block, not once per record: concurrent
// creators do not serialize on one hot key. Ids from one Store increase in
// the order they are handed out; a block lost in a crash leaves a gap,
// never a duplicate. Explicitly supplied ids need no coordination here: a
// create's transaction compares the record key's absence, and an auto id
// that meets an explicit one is skipped.
type idAllocator struct {
	cli   *clientv3.Client
	keys  keys.Space
	block int64

	mu     sync.Mutex
	ranges map[string]*idRange
}

type idRange struct{ next, end int64 } // [next, end)

func newIDAllocator(cli *clientv3.Client, ks keys.Space, block int64) *idAllocator {
	return &idAllocator{cli: cli, keys: ks, block: block, ranges: map[string]*idRange{}}
}

// next returns an unused id for table: zero round trips inside a block,
// one or two (read, compare-and-swap) to take a new block.
func (a *idAllocator) next(ctx context.Context, table string) (int64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.ranges[table]
	if r == nil || r.next >= r.end {
		lo, err := a.takeBlock(ctx, table)
		if err != nil {
			return 0, err
		}
		r = &idRange{next: lo, end: lo + a.block}
		a.ranges[table] = r
	}
	id := r.next
	r.next++
	return id, nil
}

// takeBlock advances the table's counter by one block and returns the
// first id of the block.
func (a *idAllocator) takeBlock(ctx context.Context, table string) (int64, error) {
	key := a.keys.IDCounter(table)
	resp, err := a.cli.Get(ctx, key)
	if err != nil {
		return 0, etcdError(err, false)
	}
	for {
		var high, modRev int64
		if len(resp.Kvs) == 1 {
			modRev = resp.Kvs[0].ModRevision
			if high, err = strconv.ParseInt(string(resp.Kvs[0].Value), 10, 64); err != nil {
				return 0, errCorrupt(resp.Kvs[0].Key, "the id counter holds %q, not an id", resp.Kvs[0].Value)
			}
		}
		txn, err := a.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(key), "=", modRev)).
			Then(clientv3.OpPut(key, strconv.FormatInt(high+a.block, 10))).
			Else(clientv3.OpGet(key)).
			Commit()
		if err != nil {
			// An unknown outcome here only wastes a block.
			return 0, etcdError(err, false)
		}
		if txn.Succeeded {
			return high + 1, nil
		}
		resp = (*clientv3.GetResponse)(txn.Responses[0].GetResponseRange())
	}
}

// skip makes sure a later next(table) returns an id above id; used after
// an auto id collided with an explicitly created record.
func (a *idAllocator) skip(table string, id int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if r := a.ranges[table]; r != nil && r.next <= id {
		r.next = id + 1
	}
}
