package etcdstore

import (
	"context"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Hooks for the external tests of the read cache.

// MirrorTamper removes key from the read cache only, as a lost event would.
func (s *Store) MirrorTamper(key string) {
	s.cache().mu.Lock()
	defer s.cache().mu.Unlock()
	s.cache().kvs.Delete(&entry{key: key})
}

// MirrorSelfCheck runs one self-check now.
func (s *Store) MirrorSelfCheck(ctx context.Context) bool { return s.cache().selfCheck(ctx) }

// MirrorStats reports the cache's reloads, checks and mismatches.
func (s *Store) MirrorStats() (resyncs, checks, mismatches int) {
	s.cache().mu.RLock()
	defer s.cache().mu.RUnlock()
	return s.cache().resyncs, s.cache().checks, s.cache().mismatches
}

// MirrorFallbacks counts reads the cache sent to etcd.
func (s *Store) MirrorFallbacks() int64 { return s.cache().fallbacks.Load() }

// MirrorSetReady marks the cache (not) ready, as during a reload.
func (s *Store) MirrorSetReady(ready bool) {
	s.cache().mu.Lock()
	defer s.cache().mu.Unlock()
	s.cache().ready = ready
}

// MirrorReady reports whether the cache is loaded and serving.
func (s *Store) MirrorReady() bool {
	s.cache().mu.RLock()
	defer s.cache().mu.RUnlock()
	return s.cache().ready
}

// MirrorHasKey reports whether the cache holds key.
func (s *Store) MirrorHasKey(key string) bool {
	s.cache().mu.RLock()
	defer s.cache().mu.RUnlock()
	_, ok := s.cache().kvs.Get(&entry{key: key})
	return ok
}

// IndexLive reports whether the store's copy of a unique index is loaded
// and followed by its watch.
func (s *Store) IndexLive(table, field string) bool {
	return s.uniques.live(s.keys.UniquePrefix(table, field))
}

// IndexHas reports whether the store's uniques copy maps key to id.
func (s *Store) IndexHas(key string, id int64) bool {
	got, ok := s.uniques.get(key)
	return ok && got == id
}

// WithFreshWait sets how long a cached read waits for the cache to catch
// up before it reads etcd (default 2 s).
func WithFreshWait(d time.Duration) Option { return func(o *options) { o.freshWait = d } }

// WithCacheWatchHook has the cache's watch loop call fn after it applied
// each watch response; fn may block the loop.
func WithCacheWatchHook(fn func(clientv3.WatchResponse)) Option {
	return func(o *options) { o.onWatchResp = fn }
}

// WithLockWaitHook has every lock waiter call fn as it starts to wait
// for the key ahead of it, its place in the queue taken.
func WithLockWaitHook(fn func()) Option { return func(o *options) { o.onLockWait = fn } }

// MirrorRevision is the revision the cache's copy says it reflects.
func (s *Store) MirrorRevision() int64 {
	s.cache().mu.RLock()
	defer s.cache().mu.RUnlock()
	return s.cache().rev
}

// ReadsThroughCache reports whether the store's reader is the read cache.
func (s *Store) ReadsThroughCache() bool { return s.cache() != nil }
