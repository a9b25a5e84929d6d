package etcdstore

import (
	"context"
	"strconv"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// ConductorEventKind says how the set of running conductors changed.
type ConductorEventKind int

const (
	// ConductorJoined: a conductor registered (or re-registered) with a
	// session.
	ConductorJoined ConductorEventKind = iota
	// ConductorLeft: a conductor unregistered.
	ConductorLeft
	// ConductorLost: a conductor's session lease ended without it
	// unregistering: it died, hung or lost the cluster.
	ConductorLost
)

func (k ConductorEventKind) String() string {
	return [...]string{"joined", "left", "lost"}[k]
}

// ConductorEvent is one change of membership, at an etcd revision.
type ConductorEvent struct {
	Kind     ConductorEventKind
	Hostname string
	Revision int64
}

// WatchConductors returns the conductors running now (those registered
// with a live session) and a channel of every later change, pushed by an
// etcd watch, so a conductor can rebuild its hash ring at once instead of
// polling. The channel closes when ctx ends. A watch that breaks (a
// compaction, a lost connection) is resumed, and changes missed meanwhile
// are delivered as events from a fresh read, so the running set a caller
// keeps stays exact. One round trip, then the watch.
func (s *Store) WatchConductors(ctx context.Context) ([]string, <-chan ConductorEvent, error) {
	alive, rev, err := s.aliveSet(ctx)
	if err != nil {
		return nil, nil, err
	}
	out := make(chan ConductorEvent, 64)
	go s.watchConductors(ctx, alive, rev, out)
	hosts := make([]string, 0, len(alive))
	for h := range alive {
		hosts = append(hosts, h)
	}
	return hosts, out, nil
}

// aliveSet reads the liveness keys: hostname -> conductor id.
func (s *Store) aliveSet(ctx context.Context) (map[string]int64, int64, error) {
	resp, err := s.cli.Get(ctx, s.keys.AlivePrefix(), clientv3.WithPrefix())
	if err != nil {
		return nil, 0, etcdError(err, false)
	}
	alive := map[string]int64{}
	for _, kv := range resp.Kvs {
		if host, err := s.keys.ParseAlive(string(kv.Key)); err == nil {
			id, _ := strconv.ParseInt(string(kv.Value), 10, 64)
			alive[host] = id
		}
	}
	return alive, resp.Header.Revision, nil
}

func (s *Store) watchConductors(ctx context.Context, alive map[string]int64, rev int64, out chan<- ConductorEvent) {
	defer close(out)
	send := func(ev ConductorEvent) bool {
		select {
		case out <- ev:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for ctx.Err() == nil {
		wch := s.cli.Watch(clientv3.WithRequireLeader(ctx), s.keys.AlivePrefix(), clientv3.WithPrefix(),
			clientv3.WithRev(rev+1), clientv3.WithPrevKV())
		for resp := range wch {
			if resp.Err() != nil {
				break
			}
			for _, ev := range resp.Events {
				host, err := s.keys.ParseAlive(string(ev.Kv.Key))
				if err != nil {
					continue
				}
				rev = ev.Kv.ModRevision
				if ev.Type == clientv3.EventTypePut {
					id, _ := strconv.ParseInt(string(ev.Kv.Value), 10, 64)
					alive[host] = id
					if ev.Kv.CreateRevision == ev.Kv.ModRevision && !send(ConductorEvent{ConductorJoined, host, rev}) {
						return
					}
					continue
				}
				kind := s.departure(ctx, alive[host], rev)
				delete(alive, host)
				if !send(ConductorEvent{kind, host, rev}) {
					return
				}
			}
			// rev moves only with events: a batch's header revision can be
			// ahead of events still to come (etcd stamps catch-up batches
			// with its current revision), so a re-watch from it could skip
			// changes.
		}
		// The watch broke: read the set again and report the difference.
		now, r, err := s.aliveSet(ctx)
		if err != nil {
			continue
		}
		for host := range alive {
			if _, ok := now[host]; !ok && !send(ConductorEvent{s.departure(ctx, alive[host], r), host, r}) {
				return
			}
		}
		for host := range now {
			if _, ok := alive[host]; !ok && !send(ConductorEvent{ConductorJoined, host, r}) {
				return
			}
		}
		alive, rev = now, r
	}
}

// departure tells an unregistration (the record went offline in the same
// transaction) from a lost lease (the record still says online).
func (s *Store) departure(ctx context.Context, id, rev int64) ConductorEventKind {
	resp, err := s.cli.Get(ctx, s.keys.Record(conductorsTable.name, id), clientv3.WithRev(rev))
	if err != nil || len(resp.Kvs) == 0 {
		return ConductorLost
	}
	st, err := s.decode(conductorsTable, resp.Kvs[0], nodeLock{})
	if err == nil && !st.rec.Interface().(*pb.Conductor).Online {
		return ConductorLeft
	}
	return ConductorLost
}
