package etcdstore

import (
	"context"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// reader is how the store reads: every read of records goes through it,
// writes never do (they read in their own transactions). There are two,
// chosen once in New, as Kubernetes' cacher delegates to etcd3:
//
//   - directReader reads etcd (reader_direct.go);
//   - cachedReader reads the watch-fed copy of the prefix (the mirror,
//     cache.go) and falls back to its directReader by itself when the
//     copy is not ready, has not caught up with the cluster within
//     freshWait, or holds a record it cannot decode (reader_cached.go).
//
// Both are linearizable: a read reflects every write acknowledged before
// it started. Round trips are the direct reader's, given in each method's
// comment; the cached reader spends one quorum read (its freshness check)
// instead, plus the direct reader's when it falls back.
type reader interface {
	// byID loads one record, a node with its lock merged in; found is
	// false when there is none. Direct: one round trip.
	byID(ctx context.Context, t *table, id int64) (st stored, found bool, err error)
	// byUnique loads the record that the unique-index key (of the index
	// named index) points at, checked to still hold the value. Direct:
	// one round trip when the uniques copy knows the entry, two otherwise.
	byUnique(ctx context.Context, t *table, index, key string) (st stored, found bool, err error)
	// members reads the records of t listed under a membership prefix, all
	// at one revision.
	members(ctx context.Context, t *table, prefix string) ([]stored, error)
	// scan walks t in id order (descending if o.desc) from the marker,
	// keeps the records keep accepts and, when paged, stops at o.limit.
	// candidates, when not nil, may narrow the walk to the ids an index of
	// the copy gives (the direct reader ignores it).
	scan(ctx context.Context, t *table, o order, keep func(protoreflect.Message) bool, paged bool, candidates candidateFunc) ([]stored, error)
	// nodesOfPorts counts the distinct nodes owning a port with one of the
	// addresses (any case) and returns the node when there is exactly
	// one, all as of one revision.
	nodesOfPorts(ctx context.Context, addresses []string) (owners int, node stored, err error)
	// joinNodes reads the records of t (the whole table when prefix is
	// "", else those under a membership prefix) and the nodes their
	// node_id points at, all at one revision, and returns the records
	// keep accepts given their node (nil: none), unpaged (node_join.go).
	joinNodes(ctx context.Context, t *table, prefix string, o order, keep func(protoreflect.Message, *pb.Node) bool) ([]stored, error)
	// nodeBeside reads node nodeID as of a revision at which the record
	// of t that st was read from is unchanged; current is false when it
	// changed (the caller reads it again), node nil when there is none.
	// Direct: one round trip.
	nodeBeside(ctx context.Context, t *table, st stored, nodeID int64) (node *pb.Node, current bool, err error)
	// indexedID is the id the reader believes holds key in the unique
	// index field of table, unverified: callers check it with a compare
	// in their own transaction.
	indexedID(table, field, key string) (int64, bool)
	// stop ends the reader's background work.
	stop()
}

// The Store's read paths, which the record methods and writes share.

// getByID loads one record. Round trips as reader.byID.
func (s *Store) getByID(ctx context.Context, t *table, id int64) (stored, bool, error) {
	return s.read.byID(ctx, t, id)
}

// getByUnique loads the record that holds values in a unique index. Any
// spelling finds the record: a uuid is looked up in its canonical form
// and the index key is case-folded (keys.Unique). Round trips as
// reader.byUnique.
func (s *Store) getByUnique(ctx context.Context, t *table, index string, values ...string) (stored, bool, error) {
	if uuidColumn(index) {
		values = []string{CanonicalUUID(values[0])}
	}
	key := s.keys.Unique(t.name, index, values...)
	if len(key) > maxIndexKeyBytes {
		return stored{}, false, nil // longer than any stored value can make it
	}
	return s.read.byUnique(ctx, t, index, key)
}

// maxIndexKeyBytes bounds an index key: columns are at most 255
// characters, 4 bytes each, escaped to at most 3 bytes per byte.
const maxIndexKeyBytes = 8 << 10

// members reads the records of t listed under a membership prefix, as of
// one revision, so a record moved between owners meanwhile is neither
// lost nor seen twice. Round trips: two, plus one per WithMaxTxnOps
// records beyond the first batch; one (the freshness check) from the read
// cache.
func (s *Store) members(ctx context.Context, t *table, prefix string) ([]stored, error) {
	return s.read.members(ctx, t, prefix)
}

// indexedID is the id this Store believes holds key in the unique index
// field of table. Callers verify it with a compare.
func (s *Store) indexedID(table, field, key string) (int64, bool) {
	return s.read.indexedID(table, field, key)
}
