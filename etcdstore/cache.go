package etcdstore

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/btree"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/keys"
)

// mirror is the read cache: an in-memory copy of every key under the
// store's prefix, kept current by one etcd watch.
//
// It loads the prefix at a revision R, then watches from R+1; on
// compaction, a lost watch or a failed self-check it loads again. A read
// served from the mirror is linearizable: the reader first learns the
// cluster's current revision with a cheap quorum read (a count-only Get of
// one key) and waits until the mirror has applied it, asking etcd for
// progress notifications so that an idle prefix still advances (as
// Kubernetes' consistent reads from cache do). The mirror's revision
// moves only to revisions it has seen events or a progress notification
// for, never to a response header's (seenRevision). When the mirror is
// not ready, or does not catch up within freshWait, its reads decline
// (served false) and cachedReader reads etcd instead (reader_cached.go).
type mirror struct {
	cli    *clientv3.Client
	keys   keys.Space    // the store's keys, all of them copied
	tables tableRegistry // which keys hold records, and of what type
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}

	freshWait  time.Duration                // how long a read waits for the copy
	onResponse func(clientv3.WatchResponse) // tests: called after each applied response

	mu       sync.RWMutex
	kvs      *btree.BTreeG[*entry] // every key of the prefix, in key order
	rev      int64                 // every change up to it is applied (see seenRevision)
	ready    bool
	advanced chan struct{} // closed and replaced whenever rev moves
	nodes    *nodeBuckets
	byID     map[int64]*entry // node entries by id, for index hits without a key lookup

	// stats for tests and the bench command
	resyncs, checks, mismatches int
	fallbacks                   atomic.Int64 // reads sent to etcd while not ready or behind
	lastProgressAsk             atomic.Int64 // unix nanos of the last progress request
}

// entry is one key of the mirror; rec is the decoded record for record
// keys (nil for index, lock and other keys), a node's with its lock
// merged in. Entries are immutable once in the tree: a change replaces
// the entry, so readers may use rec without copying it. Only what reads
// use is kept (no etcd KeyValue, no second copy of the key): the mirror
// holds hundreds of thousands of small index entries.
type entry struct {
	key               string
	value             string // index ids and lock holders; "" for decoded records
	createRev, modRev int64
	rec               protoreflect.Message
	t                 *table
	// For nodes: the lock key's ModRevision, the fencing token (0 when no
	// live lock), the marker's (0 when none), and the fast columns boxed
	// once (boxedColumns) for rows built without allocating.
	lockModRev, holderModRev int64
	boxed                    []any
}

func entryLess(a, b *entry) bool { return a.key < b.key }

// freshWait bounds how long a read waits for the mirror to catch up with
// the cluster before it falls back to reading etcd.
const freshWait = 2 * time.Second

func newMirror(cli *clientv3.Client, ks keys.Space, tables tableRegistry, o options) *mirror {
	return &mirror{
		cli:      cli,
		keys:     ks,
		tables:   tables,
		log:      o.logger,
		kvs:      btree.NewG(32, entryLess),
		advanced: make(chan struct{}),
		nodes:    newNodeBuckets(),
		byID:     map[int64]*entry{},
		done:     make(chan struct{}),

		freshWait:  o.freshWait,
		onResponse: o.onWatchResp,
	}
}

// start loads the prefix and runs the watch loop until stop. It returns
// after the first load, so a Store is warm when New returns.
func (m *mirror) start(checkEvery time.Duration) error {
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	rev, err := m.load(ctx)
	if err != nil {
		cancel()
		close(m.done)
		return err
	}
	go m.run(ctx, rev, checkEvery)
	return nil
}

func (m *mirror) stop() {
	m.cancel()
	<-m.done
}

// load replaces the copy with the prefix as of one revision, read in pages.
func (m *mirror) load(ctx context.Context) (int64, error) {
	fresh := btree.NewG(32, entryLess)
	idx := newNodeBuckets()
	rev, err := rangeInPages(ctx, m.cli, m.keys.Prefix(), func(kvs []*mvccpb.KeyValue) {
		for _, kv := range kvs {
			fresh.ReplaceOrInsert(m.makeEntry(kv))
		}
	})
	if err != nil {
		return 0, err
	}
	// Merge the locks and markers into their nodes (not yet visible to
	// readers), then index the nodes with their reservations.
	nodes := m.keys.Table(nodesTable.name)
	fresh.AscendRange(&entry{key: nodes}, &entry{key: keys.PrefixEnd(nodes)}, func(n *entry) bool {
		if n.rec != nil {
			m.mergeLock(fresh, n)
		}
		idx.add(n) // the buckets index nodes only
		return true
	})
	m.mu.Lock()
	byID := map[int64]*entry{}
	fresh.AscendRange(&entry{key: m.keys.Table(nodesTable.name)}, &entry{key: keys.PrefixEnd(m.keys.Table(nodesTable.name))}, func(e *entry) bool {
		if e.rec != nil {
			byID[recordID(e.rec)] = e
		}
		return true
	})
	m.kvs, m.nodes, m.byID, m.rev, m.ready = fresh, idx, byID, rev, true
	m.signal()
	m.mu.Unlock()
	return rev, nil
}

// signal wakes readers waiting for the revision to move; m.mu is held.
func (m *mirror) signal() {
	close(m.advanced)
	m.advanced = make(chan struct{})
}

// run applies watch events from rev+1, reloading when the watch breaks.
func (m *mirror) run(ctx context.Context, rev int64, checkEvery time.Duration) {
	defer close(m.done)
	var check <-chan time.Time
	if checkEvery > 0 {
		t := time.NewTicker(checkEvery)
		defer t.Stop()
		check = t.C
	}
	for ctx.Err() == nil {
		wctx, wcancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
		wch := m.cli.Watch(wctx, m.keys.Prefix(), clientv3.WithPrefix(), clientv3.WithRev(rev+1),
			clientv3.WithPrevKV(), clientv3.WithProgressNotify())
		rev = m.follow(ctx, wch, rev, check)
		wcancel()
		if ctx.Err() != nil {
			return
		}
		m.mu.Lock()
		m.ready = false
		m.resyncs++
		m.mu.Unlock()
		for ctx.Err() == nil {
			r, err := m.load(ctx)
			if err == nil {
				rev = r
				break
			}
			m.log.Warn("ironic-etcd cache: reload failed", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(500 * time.Millisecond):
			}
		}
	}
}

// follow applies events until the watch fails or a self-check asks for a
// reload; it returns the last revision applied.
func (m *mirror) follow(ctx context.Context, wch clientv3.WatchChan, rev int64, check <-chan time.Time) int64 {
	for {
		select {
		case <-ctx.Done():
			return rev
		case <-check:
			if !m.selfCheck(ctx) {
				return rev
			}
		case resp, ok := <-wch:
			if !ok {
				return rev
			}
			if err := resp.Err(); err != nil {
				if !errors.Is(err, context.Canceled) {
					m.log.Warn("ironic-etcd cache: watch ended, reloading", "err", err)
				}
				return rev
			}
			seen := seenRevision(resp)
			m.apply(resp.Events, seen)
			rev = max(rev, seen)
			if m.onResponse != nil {
				m.onResponse(resp)
			}
		}
	}
}

// seenRevision is the revision up to which a watch response proves the
// copy complete: the last event's for a batch of events, the header's for
// a progress notification (etcd sends one only to a synced watch, after
// every event up to its revision: mvcc progressIfSync), 0 for anything
// else. Never the header of a batch of events: when etcd catches a watch
// up over more than 1,000 revisions (a reconnect, a slow reader) it stamps
// every batch with the store's current revision (mvcc syncWatchers), ahead
// of the batches still to come.
func seenRevision(resp clientv3.WatchResponse) int64 {
	var rev int64
	for _, ev := range resp.Events {
		rev = max(rev, ev.Kv.ModRevision)
	}
	if len(resp.Events) == 0 && resp.IsProgressNotify() {
		rev = resp.Header.Revision
	}
	return rev
}

// apply installs a batch of events and moves the revision to rev, the one
// the batch proves seen (seenRevision).
func (m *mirror) apply(events []*clientv3.Event, rev int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, ev := range events {
		key := string(ev.Kv.Key)
		if old, ok := m.kvs.Get(&entry{key: key}); ok {
			m.nodes.remove(old)
		}
		isLock := strings.HasPrefix(key, m.keys.Reservations()) || strings.HasPrefix(key, m.keys.Holders())
		if ev.Type == clientv3.EventTypeDelete {
			if old, ok := m.kvs.Delete(&entry{key: key}); ok && old.t == nodesTable && old.rec != nil {
				delete(m.byID, recordID(old.rec))
			}
			if isLock {
				m.relock(key)
			}
			continue
		}
		e := m.makeEntry(ev.Kv)
		if e.t != nil && e.t.locked {
			m.mergeLock(m.kvs, e)
		}
		m.kvs.ReplaceOrInsert(e)
		m.nodes.add(e)
		if e.t == nodesTable {
			m.byID[recordID(e.rec)] = e
		}
		if isLock {
			m.relock(key)
		}
	}
	if rev > m.rev {
		m.rev = rev
		m.signal()
	}
}

// makeEntry decodes record keys; a record that does not decode is kept
// undecoded, and reads of it go to etcd, which reports the corruption.
func (m *mirror) makeEntry(kv *mvccpb.KeyValue) *entry {
	e := &entry{key: string(kv.Key), createRev: kv.CreateRevision, modRev: kv.ModRevision}
	if t := m.tables.ofKey(m.keys, e.key); t != nil {
		if rec, err := decodeRecord(t, kv); err == nil {
			e.rec, e.t = rec, t
			return e // the decoded record is what reads use: drop the bytes
		}
	}
	e.value = string(kv.Value)
	return e
}

// nodeOfLock finds the decoded node entry a lock or marker key belongs to.
func nodeOfLock(ks keys.Space, tree *btree.BTreeG[*entry], lockKey string) *entry {
	id, err := keys.ParseID(lockKey)
	if err != nil {
		return nil
	}
	n, ok := tree.Get(&entry{key: ks.Record(nodesTable.name, id)})
	if !ok || n.rec == nil {
		return nil
	}
	return n
}

// mergeLock merges the node's lock and marker as tree holds them into a
// node entry that readers cannot see yet: the reservation is the live
// lock's holder, else the marker's (stale, token 0), else none.
func (m *mirror) mergeLock(tree *btree.BTreeG[*entry], n *entry) {
	id := recordID(n.rec)
	holder, token := "", int64(0)
	n.holderModRev = 0
	if marker, ok := tree.Get(&entry{key: m.keys.Holder(id)}); ok {
		holder, n.holderModRev = marker.value, marker.modRev
	}
	if lock, ok := tree.Get(&entry{key: m.keys.Reservation(id)}); ok {
		holder, token = lock.value, lock.modRev
	}
	n.lockModRev = applyLock(n.rec, holder, token)
	n.boxed = boxedColumns(nodeOf(n.rec))
}

// relock replaces the node entry of a lock or marker that changed with a
// copy that carries the node's new reservation, indexed anew. m.mu is
// held.
func (m *mirror) relock(lockKey string) {
	n := nodeOfLock(m.keys, m.kvs, lockKey)
	if n == nil {
		return
	}
	copied := *n
	copied.rec = proto.Clone(n.rec.Interface()).ProtoReflect()
	m.mergeLock(m.kvs, &copied)
	m.nodes.remove(n)
	m.kvs.ReplaceOrInsert(&copied)
	m.nodes.add(&copied)
	m.byID[recordID(copied.rec)] = &copied
}
