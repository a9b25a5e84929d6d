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

	ids    *idAllocator
	index  *indexCache
	closed sync.Once
}

type options struct {
	prefix               string
	now                  func() time.Time
	idBlock              int64
	maxTxnOps            int
	defaultPortgroupMode func() string
	heartbeatTimeout     time.Duration
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
// which bounds how much destroy_node can remove in one transaction.
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

// New returns a Store that talks to etcd through cli. The Store does not
// own cli: close the client after you are done with the Store.
func New(cli *clientv3.Client, opts ...Option) (*Store, error) {
	o := options{
		now:                  time.Now,
		idBlock:              64,
		maxTxnOps:            128,
		defaultPortgroupMode: func() string { return "active-backup" },
		heartbeatTimeout:     60 * time.Second,
	}
	for _, opt := range opts {
		opt(&o)
	}
	ks, err := keys.New(o.prefix)
	if err != nil {
		return nil, invalidParam("%v", err)
	}
	if o.idBlock < 1 || o.maxTxnOps < 8 {
		return nil, invalidParam("id block must be >= 1 and max txn ops >= 8")
	}
	s := &Store{cli: cli, keys: ks, opts: o, index: newIndexCache()}
	s.ids = newIDAllocator(cli, ks, o.idBlock)
	return s, nil
}

// Keys is the key space the store writes, for tools that inspect it.
func (s *Store) Keys() keys.Space { return s.keys }

// Client is the etcd client the store uses.
func (s *Store) Client() *clientv3.Client { return s.cli }

// now is the store's clock in the reference's form: UTC, microseconds.
func (s *Store) now() time.Time { return s.opts.now().UTC().Truncate(time.Microsecond) }
