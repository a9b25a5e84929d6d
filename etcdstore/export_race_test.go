package etcdstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/proto"
)

// Hooks for the race table (race_*_test.go).

// RecordKeys decodes the record stored under key with the store's own
// decoder and returns the index keys the store's rules give it: each
// unique-index key with the id it must hold, and each membership key with
// the record key of the owner it points at. isRecord is false for keys
// that are not records.
func (s *Store) RecordKeys(key string, value []byte) (isRecord bool, rec proto.Message, uniques, members map[string]string, err error) {
	t := tablesByName.ofKey(s.keys, key)
	if t == nil {
		return false, nil, nil, nil, nil
	}
	st, err := s.decode(t, &mvccpb.KeyValue{Key: []byte(key), Value: value}, nodeLock{})
	if err != nil {
		return true, nil, nil, nil, err
	}
	uniques, members = map[string]string{}, map[string]string{}
	id := fmt.Sprint(recordID(st.rec))
	for _, k := range s.uniqueKeys(t, st.rec) {
		uniques[k.key] = id
	}
	for _, mk := range s.memberKeys(t, st.rec) {
		members[mk.key] = mk.ownerKey
	}
	return true, st.rec.Interface(), uniques, members, nil
}

// FollowAllIndexes starts this Store's copy of every unique index now
// (without the read cache), so that no copy starts in the middle of a
// call the race table replays.
func (s *Store) FollowAllIndexes() {
	if s.cache() != nil {
		return
	}
	for _, t := range tablesByName {
		for _, u := range t.uniques {
			s.uniques.follow(s.keys.UniquePrefix(t.name, u.name))
		}
	}
}

// WaitCleanups waits for the background cleanups of the calls that
// returned (a lock waiter leaving its queue), so what a call leaves behind
// can be checked.
func (s *Store) WaitCleanups() { s.cleanups.wait() }

// Settle waits until this Store's watch-fed copies (the read cache, the
// followed index copies) reflect etcd as it is now, so what the Store
// does next does not depend on when a watch event arrives.
func (s *Store) Settle(ctx context.Context) error {
	if s.cache() != nil {
		// Each try asks for a progress notification again: etcd drops a
		// request that comes while a watcher of the stream is unsynced.
		for try := 0; try < 5; try++ {
			ok, err := s.cache().fresh(ctx)
			if err != nil {
				return err
			}
			if ok {
				s.cache().mu.RUnlock()
				return nil
			}
		}
		return fmt.Errorf("read cache did not catch up")
	}
	s.uniques.mu.RLock()
	var prefixes []string
	for p, f := range s.uniques.feeds {
		if f.running {
			prefixes = append(prefixes, p)
		}
	}
	s.uniques.mu.RUnlock()
	for _, p := range prefixes {
		if err := s.settleIndex(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// settleIndex waits until the copy of the index under prefix is live and
// equal to etcd's.
func (s *Store) settleIndex(ctx context.Context, prefix string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := s.cli.Get(ctx, prefix, clientv3.WithPrefix())
		if err != nil {
			return err
		}
		want := map[string]string{}
		for _, kv := range resp.Kvs {
			want[string(kv.Key)] = string(kv.Value)
		}
		s.uniques.mu.RLock()
		equal := s.uniques.feeds[prefix].live
		n := 0
		for k, id := range s.uniques.m {
			if strings.HasPrefix(k, prefix) {
				n++
				equal = equal && want[k] == fmt.Sprint(id)
			}
		}
		s.uniques.mu.RUnlock()
		if equal && n == len(want) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("uniques copy %s did not settle", prefix)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
