package etcdstore

import (
	"context"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Hooks for the external tests of the read cache.

// MirrorTamper removes key from the read cache only, as a lost event would.
func (s *Store) MirrorTamper(key string) {
	s.mirror.mu.Lock()
	defer s.mirror.mu.Unlock()
	s.mirror.kvs.Delete(&entry{key: key})
}

// MirrorSelfCheck runs one self-check now.
func (s *Store) MirrorSelfCheck(ctx context.Context) bool { return s.mirror.selfCheck(ctx) }

// MirrorStats reports the cache's reloads, checks and mismatches.
func (s *Store) MirrorStats() (resyncs, checks, mismatches int) {
	s.mirror.mu.RLock()
	defer s.mirror.mu.RUnlock()
	return s.mirror.resyncs, s.mirror.checks, s.mirror.mismatches
}

// MirrorFallbacks counts reads the cache sent to etcd.
func (s *Store) MirrorFallbacks() int64 { return s.mirror.fallbacks.Load() }

// MirrorSetReady marks the cache (not) ready, as during a reload.
func (s *Store) MirrorSetReady(ready bool) {
	s.mirror.mu.Lock()
	defer s.mirror.mu.Unlock()
	s.mirror.ready = ready
}

// MirrorReady reports whether the cache is loaded and serving.
func (s *Store) MirrorReady() bool {
	s.mirror.mu.RLock()
	defer s.mirror.mu.RUnlock()
	return s.mirror.ready
}

// MirrorHasKey reports whether the cache holds key.
func (s *Store) MirrorHasKey(key string) bool {
	s.mirror.mu.RLock()
	defer s.mirror.mu.RUnlock()
	_, ok := s.mirror.kvs.Get(&entry{key: key})
	return ok
}

// IndexLive reports whether the store's copy of a unique index is loaded
// and followed by its watch.
func (s *Store) IndexLive(table, field string) bool {
	return s.index.live(s.keys.Unique(table, field) + "/")
}

// IndexHas reports whether the store's index copy maps key to id.
func (s *Store) IndexHas(key string, id int64) bool {
	got, ok := s.index.get(key)
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
	s.mirror.mu.RLock()
	defer s.mirror.mu.RUnlock()
	return s.mirror.rev
}
