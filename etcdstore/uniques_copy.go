package etcdstore

import (
	"context"
	"strconv"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/keys"
)

// uniquesCopy is this Store's copy of unique-index entries: which record id
// holds a node's uuid, a port's MAC, a portgroup's name. It lets a lookup
// by uuid be one round trip: the read of the record is guarded by a
// compare on the index entry in the same transaction, so a stale copy (the
// record renamed or destroyed since) costs one more round trip, never a
// wrong answer.
//
// Each index is copied in full and then kept current by a watch, from the
// first time the Store looks a value up in it (follow; the node uuid index
// from the start, as most lookups and reservations name nodes by uuid);
// entries learned from single lookups fill in meanwhile. A broken watch
// (compaction, lost connection) drops the feed; the next lookup starts it
// again. With the read cache the Store uses the cache's copy instead.
// Memory: one map entry per indexed value, about 100 bytes (10 MB per
// 100,000 nodes for the node uuid index).
type uniquesCopy struct {
	cli    *clientv3.Client
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu    sync.RWMutex
	m     map[string]int64     // index key -> record id
	feeds map[string]feedState // index prefix -> its feed
}

type feedState struct {
	running bool
	live    bool      // the copy is loaded and the watch applies changes
	failed  time.Time // when the last feed of this prefix broke
}

// maxLearnedIndexKeys bounds the entries learned from single lookups of
// indexes without a feed; fed entries are bounded by the data itself.
const maxLearnedIndexKeys = 1 << 20

// feedRetry is how long a broken feed waits before a lookup restarts it,
// so an unreachable cluster is not asked for a full index on every call.
const feedRetry = time.Second

func newUniquesCopy(cli *clientv3.Client) *uniquesCopy {
	ctx, cancel := context.WithCancel(context.Background())
	return &uniquesCopy{cli: cli, ctx: ctx, cancel: cancel, m: map[string]int64{}, feeds: map[string]feedState{}}
}

// stop ends every feed and waits for them.
func (c *uniquesCopy) stop() {
	c.cancel()
	c.wg.Wait()
}

func (c *uniquesCopy) get(key string) (int64, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	id, ok := c.m[key]
	return id, ok
}

// put records what a lookup or a write of this Store saw.
func (c *uniquesCopy) put(key string, id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[key]; ok || len(c.m) < maxLearnedIndexKeys {
		c.m[key] = id
	}
}

func (c *uniquesCopy) forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, key)
}

// follow starts the feed of the index under prefix unless it runs (or
// broke less than feedRetry ago). It returns at once.
func (c *uniquesCopy) follow(prefix string) {
	c.mu.RLock()
	f := c.feeds[prefix]
	c.mu.RUnlock()
	if f.running || time.Since(f.failed) < feedRetry {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if f = c.feeds[prefix]; f.running || time.Since(f.failed) < feedRetry || c.ctx.Err() != nil {
		return
	}
	c.feeds[prefix] = feedState{running: true}
	c.wg.Add(1)
	go c.feed(prefix)
}

// feed copies the index under prefix as of one revision and applies the
// watch from the next one until the watch breaks or the cache stops.
func (c *uniquesCopy) feed(prefix string) {
	defer c.wg.Done()
	defer func() {
		c.mu.Lock()
		c.feeds[prefix] = feedState{failed: time.Now()}
		c.mu.Unlock()
	}()
	rev, err := rangeInPages(c.ctx, c.cli, prefix, func(kvs []*mvccpb.KeyValue) {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, kv := range kvs {
			if id, err := indexEntryID(kv); err == nil {
				c.m[string(kv.Key)] = id
			}
		}
	})
	if err != nil {
		return
	}
	c.mu.Lock()
	c.feeds[prefix] = feedState{running: true, live: true}
	c.mu.Unlock()
	wch := c.cli.Watch(c.ctx, prefix, clientv3.WithPrefix(), clientv3.WithRev(rev+1))
	for resp := range wch {
		if resp.Err() != nil {
			return
		}
		c.mu.Lock()
		for _, ev := range resp.Events {
			key := string(ev.Kv.Key)
			id, err := indexEntryID(ev.Kv)
			if ev.Type == clientv3.EventTypeDelete || err != nil {
				delete(c.m, key)
			} else {
				c.m[key] = id
			}
		}
		c.mu.Unlock()
	}
}

// indexEntryID is the record id a unique-index entry holds.
func indexEntryID(kv *mvccpb.KeyValue) (int64, error) {
	id, err := strconv.ParseInt(string(kv.Value), 10, 64)
	if err != nil {
		return 0, errCorrupt(kv.Key, "the index entry holds %q, not a record id", kv.Value)
	}
	return id, nil
}

// memberKeyID is the record id a membership key ends in.
func memberKeyID(kv *mvccpb.KeyValue) (int64, error) {
	id, err := keys.ParseID(string(kv.Key))
	if err != nil {
		return 0, errCorrupt(kv.Key, "the membership key does not end in a record id")
	}
	return id, nil
}

// rangeInPages reads every key under prefix as of one revision, in pages
// of pageSize*4 keys, handing each page to fn; it returns the revision.
func rangeInPages(ctx context.Context, cli *clientv3.Client, prefix string, fn func([]*mvccpb.KeyValue)) (int64, error) {
	return rangeInPagesAt(ctx, cli, prefix, 0, fn)
}

// rangeInPagesAt is rangeInPages as of revision rev (0: the first page's).
func rangeInPagesAt(ctx context.Context, cli *clientv3.Client, prefix string, rev int64, fn func([]*mvccpb.KeyValue)) (int64, error) {
	end := keys.PrefixEnd(prefix)
	from := prefix
	for {
		opts := []clientv3.OpOption{clientv3.WithRange(end), clientv3.WithLimit(pageSize * 4)}
		if rev > 0 {
			opts = append(opts, clientv3.WithRev(rev))
		}
		resp, err := cli.Get(ctx, from, opts...)
		if err != nil {
			return 0, err
		}
		if rev == 0 {
			rev = resp.Header.Revision
		}
		fn(resp.Kvs)
		if !resp.More || len(resp.Kvs) == 0 {
			return rev, nil
		}
		from = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
}

// live reports whether the index under prefix is loaded and followed.
func (c *uniquesCopy) live(prefix string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.feeds[prefix].live
}
