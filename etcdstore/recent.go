package etcdstore

import (
	"context"
	"strconv"
	"sync"

	"google.golang.org/protobuf/proto"
)

// recentCache keeps the last state of each record this Store wrote or
// locked, so an update can skip its read: the update's transaction
// compares the revision anyway, and when the remembered state is stale
// the failed transaction returns the fresh one (the same trick as
// Kubernetes' GuaranteedUpdate with a cached object). A conductor's
// reserve -> update -> release cycle is thus three round trips, not four.
// Reads that callers see never come from here.
type recentCache struct {
	mu sync.Mutex
	m  map[string]stored
}

// maxRecent bounds the cache: at the bound it starts over.
const maxRecent = 1 << 14

func newRecentCache() *recentCache { return &recentCache{m: map[string]stored{}} }

func recentKey(t *table, id int64) string { return t.name + "/" + strconv.FormatInt(id, 10) }

func (c *recentCache) get(t *table, id int64) (stored, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.m[recentKey(t, id)]
	return st, ok
}

// put remembers a copy of st, so callers may keep modifying theirs.
func (c *recentCache) put(t *table, st stored) {
	st.rec = proto.Clone(st.rec.Interface()).ProtoReflect()
	st.remembered = true
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxRecent {
		c.m = map[string]stored{}
	}
	c.m[recentKey(t, recordID(st.rec))] = st
}

func (c *recentCache) forget(t *table, id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, recentKey(t, id))
}

// loadForUpdate returns the state an update starts from: the remembered
// one when there is one (zero round trips), else a read.
func (s *Store) loadForUpdate(ctx context.Context, t *table, id ident) (stored, bool, error) {
	rid, known := id.id, id.byID()
	if !known && id.uuid != "" {
		rid, known = s.indexedID(t.name, "uuid", s.keys.Unique(t.name, "uuid", id.uuid))
	}
	if known {
		if st, ok := s.recent.get(t, rid); ok && id.names(st) {
			return st, true, nil
		}
	}
	return s.loadByIdent(ctx, t, id)
}
