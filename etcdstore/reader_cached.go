package etcdstore

import (
	"context"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// cachedReader serves reads from the mirror, the watch-fed copy of the
// store's keys, and hands a read to the direct reader whenever the mirror
// declines it (served false): not ready (loading, reloading), behind the
// cluster for longer than freshWait, or holding an undecodable record,
// whose error etcd's read reports.
type cachedReader struct {
	copy   *mirror
	direct *directReader
}

func (c *cachedReader) stop() { c.copy.stop() }

// cache is the store's read cache, nil when it reads etcd directly.
func (s *Store) cache() *mirror {
	if c, ok := s.read.(*cachedReader); ok {
		return c.copy
	}
	return nil
}

func (c *cachedReader) byID(ctx context.Context, t *table, id int64) (stored, bool, error) {
	if st, found, served, err := c.copy.getByID(ctx, t, id); err != nil || served {
		return st, found, err
	}
	return c.direct.byID(ctx, t, id)
}

func (c *cachedReader) byUnique(ctx context.Context, t *table, index, key string) (stored, bool, error) {
	if st, found, served, err := c.copy.getByUnique(ctx, t, key); err != nil || served {
		return st, found, err
	}
	return c.direct.byUnique(ctx, t, index, key)
}

func (c *cachedReader) members(ctx context.Context, t *table, prefix string) ([]stored, error) {
	if sts, served, err := c.copy.members(ctx, t, prefix); err != nil || served {
		return sts, err
	}
	return c.direct.members(ctx, t, prefix)
}

func (c *cachedReader) scan(ctx context.Context, t *table, o order, keep func(protoreflect.Message) bool, paged bool, candidates candidateFunc) ([]stored, error) {
	if out, served, err := c.copy.scan(ctx, t, o, keep, paged, candidates); err != nil || served {
		return out, err
	}
	return c.direct.scan(ctx, t, o, keep, paged, candidates)
}

func (c *cachedReader) nodesOfPorts(ctx context.Context, addresses []string) (int, stored, error) {
	if owners, st, served, err := c.copy.nodesOfPorts(ctx, addresses); err != nil || served {
		return owners, st, err
	}
	return c.direct.nodesOfPorts(ctx, addresses)
}

// indexedID takes the mirror's entry as it is (the caller verifies it),
// else what this Store learned from its own lookups and writes. It starts
// no index feed: the mirror copies every index already.
func (c *cachedReader) indexedID(_, _, key string) (int64, bool) {
	if id, ok := c.copy.peekIndex(key); ok {
		return id, true
	}
	return c.direct.s.uniques.get(key)
}
