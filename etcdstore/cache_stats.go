package etcdstore

// CacheStats is the read cache's state, for metrics.
type CacheStats struct {
	Revision   int64 // the etcd revision the copy reflects
	Resyncs    int   // full reloads (after a compaction, a lost watch, a mismatch)
	Mismatches int   // self-checks that found the copy differing from etcd
	Fallbacks  int64 // reads sent to etcd because the copy was not ready or behind
}

// CacheStats returns the read cache's state; ok is false without
// WithReadCache.
func (s *Store) CacheStats() (stats CacheStats, ok bool) {
	m := s.cache()
	if m == nil {
		return CacheStats{}, false
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	return CacheStats{Revision: m.rev, Resyncs: m.resyncs, Mismatches: m.mismatches, Fallbacks: m.fallbacks.Load()}, true
}
