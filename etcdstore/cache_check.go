package etcdstore

import (
	"context"
	"hash"
	"hash/fnv"
	"strconv"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/keys"
)

// digest hashes what identifies the state of a set of keys: each key with
// its create and mod revision, in key order. Equal digests at one revision
// mean equal contents (a value cannot change without its mod revision).
type digest struct {
	h hash.Hash64
	n int
}

func newDigest() *digest { return &digest{h: fnv.New64a()} }

func (d *digest) add(key string, createRev, modRev int64) {
	d.h.Write([]byte(key))
	d.h.Write([]byte{0})
	d.h.Write(strconv.AppendInt(nil, createRev, 10))
	d.h.Write([]byte{0})
	d.h.Write(strconv.AppendInt(nil, modRev, 10))
	d.h.Write([]byte{'\n'})
	d.n++
}

// selfCheck compares a digest of the mirror with one of etcd at the
// mirror's revision and reports false (the caller reloads) on a mismatch.
// A revision etcd has compacted cannot be checked; that counts as a pass.
// Cost: one keys-only range read of the prefix.
func (m *mirror) selfCheck(ctx context.Context) bool {
	m.mu.RLock()
	rev := m.rev
	mine := newDigest()
	m.kvs.Ascend(func(e *entry) bool {
		mine.add(e.key, e.createRev, e.modRev)
		return true
	})
	m.mu.RUnlock()

	theirs := newDigest()
	prefix := m.keys.Prefix()
	from, end := prefix, keys.PrefixEnd(prefix)
	for {
		resp, err := m.cli.Get(ctx, from, clientv3.WithRange(end), clientv3.WithRev(rev),
			clientv3.WithKeysOnly(), clientv3.WithLimit(pageSize*10))
		if err != nil {
			return true // compacted or unreachable: nothing to conclude
		}
		for _, kv := range resp.Kvs {
			theirs.add(string(kv.Key), kv.CreateRevision, kv.ModRevision)
		}
		if !resp.More || len(resp.Kvs) == 0 {
			break
		}
		from = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
	m.mu.Lock()
	m.checks++
	ok := mine.n == theirs.n && mine.h.Sum64() == theirs.h.Sum64()
	if !ok {
		m.mismatches++
	}
	m.mu.Unlock()
	if !ok {
		m.log.Error("ironic-etcd cache: self-check mismatch, reloading",
			"revision", rev, "cached_keys", mine.n, "etcd_keys", theirs.n)
	}
	return ok
}
