package etcdstore

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/keys"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// fresh waits until the mirror reflects every write acknowledged before
// the call, and returns with m.mu read-locked on success (the caller
// unlocks). ok is false when the store should read etcd instead: the
// mirror is not ready or did not catch up in time.
//
// Cost: one quorum read (a count-only Get of a single key, served by the
// leader's ReadIndex without touching the log), plus progress requests
// (at most one per progressRetry for all readers) while the copy is
// behind.
func (m *mirror) fresh(ctx context.Context) (ok bool, err error) {
	resp, err := m.cli.Get(ctx, m.keys.RevisionProbe(), clientv3.WithCountOnly())
	if err != nil {
		return false, etcdError(err, false)
	}
	target := resp.Header.Revision
	deadline := time.NewTimer(m.freshWait)
	defer deadline.Stop()
	var askAgain <-chan time.Time // nil until the first request
	for {
		m.mu.RLock()
		if !m.ready {
			m.mu.RUnlock()
			m.fallbacks.Add(1)
			return false, nil
		}
		if m.rev >= target {
			return true, nil // still read-locked
		}
		wait := m.advanced
		m.mu.RUnlock()
		if askAgain == nil {
			// Writes elsewhere in the cluster (or none since) leave the
			// watch silent: ask for a progress notification.
			m.askProgress(ctx, true)
			t := time.NewTicker(progressRetry)
			defer t.Stop()
			askAgain = t.C
		}
		select {
		case <-wait:
		case <-askAgain:
			m.askProgress(ctx, false)
		case <-ctx.Done():
			return false, ctx.Err()
		case <-deadline.C:
			m.fallbacks.Add(1)
			return false, nil
		}
	}
}

// progressRetry is how often a read that waits for the copy asks again
// for a progress notification: etcd drops a request while the watch is
// not synced (being created, resumed after a reconnect, or caught up:
// mvcc progressIfSync), and answers nothing then. etcd syncs watches
// every 100 ms.
const progressRetry = 100 * time.Millisecond

// askProgress requests a progress notification on the watch's stream. A
// repeat (first false) is skipped when any reader asked less than
// progressRetry ago, so many waiting readers make one request per period.
func (m *mirror) askProgress(ctx context.Context, first bool) {
	now := time.Now().UnixNano()
	last := m.lastProgressAsk.Load()
	if !first && (now-last < int64(progressRetry) || !m.lastProgressAsk.CompareAndSwap(last, now)) {
		return
	}
	m.lastProgressAsk.Store(now)
	_ = m.cli.RequestProgress(clientv3.WithRequireLeader(ctx))
}

// storedOf is the stored form of a mirrored record, its node lock merged
// in. The record is a copy the caller may modify, unless shared (the
// caller only reads it and hands it to nobody).
func (m *mirror) storedOf(e *entry, shared bool) stored {
	rec := e.rec
	if !shared {
		rec = proto.Clone(rec.Interface()).ProtoReflect()
	}
	return stored{rec: rec, modRev: e.modRev, lockModRev: e.lockModRev, holderModRev: e.holderModRev, boxed: e.boxed, mirrored: true}
}

// getByID serves reader.byID from the mirror; served is false when the read
// must go to etcd.
func (m *mirror) getByID(ctx context.Context, t *table, id int64) (st stored, found, served bool, err error) {
	ok, err := m.fresh(ctx)
	if err != nil || !ok {
		return stored{}, false, false, err
	}
	defer m.mu.RUnlock()
	return m.lookupID(t, id)
}

func (m *mirror) lookupID(t *table, id int64) (stored, bool, bool, error) {
	e, ok := m.kvs.Get(&entry{key: m.keys.Record(t.name, id)})
	if !ok {
		return stored{}, false, true, nil
	}
	if e.rec == nil {
		return stored{}, false, false, nil // undecodable: let etcd report it
	}
	return m.storedOf(e, false), true, true, nil
}

// getByUnique serves reader.byUnique from the mirror.
func (m *mirror) getByUnique(ctx context.Context, t *table, indexKey string) (stored, bool, bool, error) {
	ok, err := m.fresh(ctx)
	if err != nil || !ok {
		return stored{}, false, false, err
	}
	defer m.mu.RUnlock()
	e, ok := m.kvs.Get(&entry{key: indexKey})
	if !ok {
		return stored{}, false, true, nil
	}
	id, err := strconv.ParseInt(e.value, 10, 64)
	if err != nil {
		return stored{}, false, false, nil
	}
	return m.lookupID(t, id)
}

// peekIndex is the id under a unique-index key in the mirror as it is,
// without a freshness check: for callers that verify it in their own
// transaction. ok is false when the mirror is not ready or has no entry.
func (m *mirror) peekIndex(key string) (int64, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if !m.ready {
		return 0, false
	}
	e, ok := m.kvs.Get(&entry{key: key})
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(e.value, 10, 64)
	return id, err == nil
}

// members serves reader.members from the mirror: the membership keys and the
// records, at one revision.
func (m *mirror) members(ctx context.Context, t *table, prefix string) ([]stored, bool, error) {
	ok, err := m.fresh(ctx)
	if err != nil || !ok {
		return nil, false, err
	}
	defer m.mu.RUnlock()
	out, served := m.membersLocked(t, prefix)
	return out, served, nil
}

// membersLocked is members with m.mu read-locked by the caller.
func (m *mirror) membersLocked(t *table, prefix string) ([]stored, bool) {
	var out []stored
	served := true
	m.kvs.AscendRange(&entry{key: prefix}, &entry{key: keys.PrefixEnd(prefix)}, func(e *entry) bool {
		id, err := keys.ParseID(e.key)
		if err != nil {
			served = false // corrupt: let etcd report it
			return false
		}
		st, found, ok, _ := m.lookupID(t, id)
		if found {
			out = append(out, st)
		}
		served = ok
		return ok
	})
	return out, served
}

// scan serves reader.scan from the mirror: the same walk in id order
// from the marker, at one revision. candidates, when not nil, restricts
// the walk to those ids (from a node index), in ascending order.
func (m *mirror) scan(ctx context.Context, t *table, o order, keep func(protoreflect.Message) bool, paged bool, candidates candidateFunc) ([]stored, bool, error) {
	ok, err := m.fresh(ctx)
	if err != nil || !ok {
		return nil, false, err
	}
	defer m.mu.RUnlock()
	out, served := m.scanLocked(t, o, keep, paged, candidates)
	return out, served, nil
}

// scanLocked is scan with m.mu read-locked by the caller.
func (m *mirror) scanLocked(t *table, o order, keep func(protoreflect.Message) bool, paged bool, candidates candidateFunc) ([]stored, bool) {
	var out []stored
	undecodable := false
	visit := func(e *entry) bool {
		if e.rec == nil {
			undecodable = true
			return false
		}
		if paged && o.marker != nil && !o.afterMarker(e.rec) {
			return true
		}
		st := m.storedOf(e, o.shared)
		if keep != nil && !keep(st.rec) {
			return true
		}
		out = append(out, st)
		return !(paged && o.limit >= 0 && len(out) >= o.limit)
	}
	var ids []int64
	indexed := false
	if candidates != nil {
		ids, indexed = candidates(m.nodes)
		if indexed {
			out = make([]stored, 0, len(ids))
		}
	}
	table := m.keys.Table(t.name)
	switch {
	case indexed:
		if o.desc {
			slices.Reverse(ids)
		}
		for _, id := range ids {
			e, ok := m.byID[id] // indexes are of nodes only
			if ok && !visit(e) {
				break
			}
		}
	case o.desc && paged:
		top := &entry{key: keys.PrefixEnd(table)}
		if o.marker != nil {
			top = &entry{key: m.keys.Record(t.name, recordID(o.marker))}
		}
		m.kvs.DescendRange(top, &entry{key: table}, visit)
	default:
		lo := &entry{key: table}
		if paged && o.marker != nil {
			lo = &entry{key: m.keys.Record(t.name, recordID(o.marker))}
		}
		m.kvs.AscendRange(lo, &entry{key: keys.PrefixEnd(table)}, visit)
	}
	if undecodable {
		return nil, false
	}
	return out, true
}

// nodesOfPorts serves reader.nodesOfPorts from the mirror: the
// distinct nodes owning a port with one of the addresses, and the node
// itself when there is exactly one, all at one revision.
func (m *mirror) nodesOfPorts(ctx context.Context, addresses []string) (owners int, node stored, served bool, err error) {
	ok, err := m.fresh(ctx)
	if err != nil || !ok {
		return 0, stored{}, false, err
	}
	defer m.mu.RUnlock()
	ids := map[int64]bool{}
	for _, a := range addresses {
		idx, ok := m.kvs.Get(&entry{key: m.keys.Unique(portsTable.name, "address", strings.ToLower(a))})
		if !ok {
			continue
		}
		pid, err := strconv.ParseInt(idx.value, 10, 64)
		if err != nil {
			return 0, stored{}, false, nil
		}
		p, ok := m.kvs.Get(&entry{key: m.keys.Record(portsTable.name, pid)})
		if !ok {
			continue
		}
		if p.rec == nil {
			return 0, stored{}, false, nil // undecodable: let etcd report it
		}
		if port := p.rec.Interface().(*pb.Port); port.NodeId != nil {
			ids[port.GetNodeId()] = true
		}
	}
	if len(ids) != 1 {
		return len(ids), stored{}, true, nil
	}
	for id := range ids {
		st, found, served, _ := m.lookupID(nodesTable, id)
		if !served {
			return 0, stored{}, false, nil
		}
		if !found {
			return 0, stored{}, true, nil
		}
		node = st
	}
	return 1, node, true, nil
}
