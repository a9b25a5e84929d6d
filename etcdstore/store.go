// Package etcdstore is Ironic's database API (the Connection of
// ironic/db/api.py) on etcd v3.
//
// Every change is one etcd transaction whose compares make it
// all-or-nothing: a record, its unique-index keys and its membership keys
// are written together, and uniqueness and references are checked by
// compares in that same transaction, so they hold across processes. Each
// method's doc comment gives its cost in etcd round trips.
package etcdstore

import (
	"log/slog"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/keys"
)

// Store implements the Connection interface on an etcd cluster. It is safe
// for concurrent use; several Stores (in one process or many) may share a
// cluster and a prefix.
type Store struct {
	cli  *clientv3.Client
	keys keys.Space
	opts options

	ids     *idAllocator
	uniques *uniquesCopy
	recent  *recentCache
	read    reader // direct, or the read cache (WithReadCache)
	closed  sync.Once
	// cleanups left behind by calls that already returned (lock_wait.go)
	cleanups cleanups
}

type options struct {
	prefix               string
	now                  func() time.Time
	idBlock              int64
	maxTxnOps            int
	defaultPortgroupMode func() string
	heartbeatTimeout     time.Duration
	heartbeatTimeoutFunc func() time.Duration
	readCache            bool
	cacheCheckEvery      time.Duration
	logger               *slog.Logger

	// For tests (set in export_test.go): how long a cached read waits for
	// the copy to catch up, and a function the cache's watch loop calls
	// after applying each response.
	freshWait   time.Duration
	onWatchResp func(clientv3.WatchResponse)
	// and a function a lock waiter calls as it starts to wait for the key
	// ahead (lock_wait.go).
	onLockWait func()
}

// Option configures a Store.
type Option func(*options)

// WithPrefix puts every key under prefix (default "/ironic/").
func WithPrefix(prefix string) Option { return func(o *options) { o.prefix = prefix } }

// WithClock replaces time.Now as the source of every timestamp the store
// writes; tests freeze or move it.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithIDBlock sets how many ids a Store reserves at once per table (default
// 64). Bigger blocks mean fewer writes to the shared counter key; unused
// ids of a block are skipped when the process exits.
func WithIDBlock(n int64) Option { return func(o *options) { o.idBlock = n } }

// WithMaxTxnOps tells the store the cluster's --max-txn-ops (default 128),
// which bounds how much destroy_node can remove in one transaction. At
// least minTxnOps (16).
func WithMaxTxnOps(n int) Option { return func(o *options) { o.maxTxnOps = n } }

// WithDefaultPortgroupMode supplies Ironic's [DEFAULT]default_portgroup_mode,
// read at every create_portgroup (default "active-backup").
func WithDefaultPortgroupMode(mode func() string) Option {
	return func(o *options) { o.defaultPortgroupMode = mode }
}

// WithHeartbeatTimeout sets Ironic's [conductor]heartbeat_timeout (default
// 60 s), used by get_offline_conductors and when get_active_driver_dict is
// given no interval.
func WithHeartbeatTimeout(d time.Duration) Option {
	return func(o *options) { o.heartbeatTimeout = d }
}

// WithHeartbeatTimeoutFunc makes f's answer, when positive, the heartbeat
// timeout at each use, over WithHeartbeatTimeout: a test server following
// its client's configuration, which 21.4 reads at every call.
func WithHeartbeatTimeoutFunc(f func() time.Duration) Option {
	return func(o *options) { o.heartbeatTimeoutFunc = f }
}

// heartbeatTimeoutNow is the heartbeat timeout in force for this call.
func (s *Store) heartbeatTimeoutNow() time.Duration {
	if f := s.opts.heartbeatTimeoutFunc; f != nil {
		if d := f(); d > 0 {
			return d
		}
	}
	return s.opts.heartbeatTimeout
}

// WithReadCache serves reads from an in-memory copy of the store's keys,
// kept current by a watch (see reader.go and cache.go). Reads stay linearizable: each
// waits until the copy has caught up with the cluster's revision at the
// time of the call. New loads the copy before it returns; Close stops it.
func WithReadCache() Option { return func(o *options) { o.readCache = true } }

// WithCacheCheck sets how often the read cache compares a digest of
// itself with etcd and reloads on a mismatch (default 1 minute; 0 never).
func WithCacheCheck(every time.Duration) Option {
	return func(o *options) { o.cacheCheckEvery = every }
}

// WithLogger sets where the store logs (the cache's resyncs and self-check
// mismatches); default slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// New returns a Store that talks to etcd through cli. The Store does not
// own cli: close the client after you are done with the Store.
func New(cli *clientv3.Client, opts ...Option) (*Store, error) {
	o := options{
		now:                  time.Now,
		idBlock:              64,
		maxTxnOps:            128,
		defaultPortgroupMode: func() string { return "active-backup" },
		heartbeatTimeout:     60 * time.Second,
		cacheCheckEvery:      time.Minute,
		logger:               slog.Default(),
		freshWait:            freshWait,
	}
	for _, opt := range opts {
		opt(&o)
	}
	ks, err := keys.New(o.prefix)
	if err != nil {
		return nil, invalidParam("%v", err)
	}
	if o.idBlock < 1 || o.maxTxnOps < minTxnOps {
		return nil, invalidParam("id block must be >= 1 and max txn ops >= %d", minTxnOps)
	}
	s := &Store{cli: cli, keys: ks, opts: o, uniques: newUniquesCopy(cli), recent: newRecentCache()}
	s.ids = newIDAllocator(cli, ks, o.idBlock)
	direct := &directReader{s: s}
	if o.readCache {
		m := newMirror(cli, ks, tablesByName, o)
		if err := m.start(o.cacheCheckEvery); err != nil {
			return nil, etcdError(err, false)
		}
		s.read = &cachedReader{copy: m, direct: direct}
	} else {
		s.uniques.follow(s.keys.UniquePrefix(nodesTable.name, "uuid"))
		s.read = direct
	}
	return s, nil
}

// Close stops the store's background work (the watches of the read cache
// and of the unique indexes). It does not close the etcd client.
func (s *Store) Close() error {
	s.closed.Do(func() {
		s.cleanups.stop()
		s.uniques.stop()
		s.read.stop()
	})
	return nil
}

// Keys is the key space the store writes, for tools that inspect it.
func (s *Store) Keys() keys.Space { return s.keys }

// Client is the etcd client the store uses.
func (s *Store) Client() *clientv3.Client { return s.cli }

// now is the store's clock in the reference's form: UTC, microseconds.
func (s *Store) now() time.Time { return s.opts.now().UTC().Truncate(time.Microsecond) }
