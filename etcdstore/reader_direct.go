package etcdstore

import (
	"context"
	"strconv"

	pbetcd "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/keys"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// directReader is the reader that asks etcd. It reads with the Store's
// record codec (readOps, parseRead, decode), which writes share, and its
// copies of the unique indexes (uniquesCopy), which writes keep current.
type directReader struct{ s *Store }

func (d *directReader) stop() {}

// byID reads the record (and a node's lock) in one transaction.
func (d *directReader) byID(ctx context.Context, t *table, id int64) (stored, bool, error) {
	resp, err := d.s.cli.Txn(ctx).Then(d.s.readOps(t, id)...).Commit()
	if err != nil {
		return stored{}, false, etcdError(err, false)
	}
	return d.s.parseRead(t, resp.Responses)
}

// byUnique reads the record guarded by a compare on the index entry the
// Store's copy expects, in one transaction; a stale copy costs a second
// round trip (the entry, then the record), never a wrong answer. The
// guess is the Store's (s.indexedID): the read cache's entry when this
// read is its fallback.
func (d *directReader) byUnique(ctx context.Context, t *table, index, key string) (stored, bool, error) {
	s := d.s
	if id, ok := s.indexedID(t.name, index, key); ok {
		resp, err := s.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.Value(key), "=", strconv.FormatInt(id, 10))).
			Then(s.readOps(t, id)...).
			Else(clientv3.OpGet(key)).
			Commit()
		if err != nil {
			return stored{}, false, etcdError(err, false)
		}
		if resp.Succeeded {
			return s.parseRead(t, resp.Responses)
		}
		s.uniques.forget(key)
		return d.followIndex(ctx, t, key, resp.Responses[0].GetResponseRange().Kvs)
	}
	resp, err := s.cli.Get(ctx, key)
	if err != nil {
		return stored{}, false, etcdError(err, false)
	}
	return d.followIndex(ctx, t, key, resp.Kvs)
}

// scan reads t in pages of pageSize records, all at the revision of the
// first page; a node's locks and markers are read with the first page.
func (d *directReader) scan(ctx context.Context, t *table, o order, keep func(protoreflect.Message) bool, paged bool, _ candidateFunc) ([]stored, error) {
	out, _, err := d.scanAt(ctx, t, o, keep, paged, 0)
	return out, err
}

// scanAt is scan as of revision atRev (0: the latest), also returning the
// revision it read at.
func (d *directReader) scanAt(ctx context.Context, t *table, o order, keep func(protoreflect.Message) bool, paged bool, atRev int64) ([]stored, int64, error) {
	s := d.s
	prefix := s.keys.Table(t.name)
	start, end := prefix, keys.PrefixEnd(prefix)
	if paged && o.marker != nil {
		mk := s.keys.Record(t.name, recordID(o.marker))
		if o.desc {
			end = mk
		} else {
			start = mk + "\x00"
		}
	}
	var (
		out   []stored
		rev   = atRev
		locks map[int64]nodeLock
	)
	for {
		opts := []clientv3.OpOption{clientv3.WithRange(end)}
		if paged {
			size := pageSize
			if keep == nil && o.limit >= 0 { // unfiltered: read just what the page needs
				size = min(size, o.limit-len(out))
			}
			opts = append(opts, clientv3.WithLimit(int64(size)))
			if o.desc {
				opts = append(opts, clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend))
			}
		}
		if rev > 0 {
			opts = append(opts, clientv3.WithRev(rev))
		}
		ops := []clientv3.Op{clientv3.OpGet(start, opts...)}
		if t.locked && locks == nil {
			ops = append(ops, clientv3.OpGet(s.keys.Reservations(), clientv3.WithPrefix()),
				clientv3.OpGet(s.keys.Holders(), clientv3.WithPrefix()))
		}
		resp, err := s.cli.Txn(ctx).Then(ops...).Commit()
		if err != nil {
			return nil, 0, etcdError(err, false)
		}
		if rev == 0 {
			rev = resp.Header.Revision
		}
		if len(ops) == 3 {
			locks = readLocks(resp.Responses[1].GetResponseRange().Kvs, resp.Responses[2].GetResponseRange().Kvs)
		}
		rr := resp.Responses[0].GetResponseRange()
		for _, kv := range rr.Kvs {
			st, err := s.decode(t, kv, nodeLock{})
			if err != nil {
				return nil, 0, err
			}
			if l, ok := locks[recordID(st.rec)]; ok {
				st.setNodeLock(l)
			}
			if keep != nil && !keep(st.rec) {
				continue
			}
			out = append(out, st)
			if paged && o.limit >= 0 && len(out) == o.limit {
				return out, rev, nil
			}
		}
		if !paged || !rr.More || len(rr.Kvs) == 0 {
			return out, rev, nil
		}
		last := string(rr.Kvs[len(rr.Kvs)-1].Key)
		if o.desc {
			end = last
		} else {
			start = last + "\x00"
		}
	}
}

// readLocks indexes node locks and markers, as read, by node id.
func readLocks(locks, markers []*mvccpb.KeyValue) map[int64]nodeLock {
	m := make(map[int64]nodeLock, len(locks))
	for _, kv := range locks {
		if id, err := keys.ParseID(string(kv.Key)); err == nil {
			m[id] = nodeLock{lock: kv}
		}
	}
	for _, kv := range markers {
		if id, err := keys.ParseID(string(kv.Key)); err == nil {
			l := m[id]
			l.marker = kv
			m[id] = l
		}
	}
	return m
}

// members reads the membership keys, then the records at the same
// revision, so a record moved between owners in between is neither lost
// nor seen twice. Round trips: two, plus one per WithMaxTxnOps records
// beyond the first batch.
func (d *directReader) members(ctx context.Context, t *table, prefix string) ([]stored, error) {
	out, _, err := d.membersAt(ctx, t, prefix)
	return out, err
}

// membersAt is members, also returning the revision it read at.
func (d *directReader) membersAt(ctx context.Context, t *table, prefix string) ([]stored, int64, error) {
	resp, err := d.s.cli.Get(ctx, prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		return nil, 0, etcdError(err, false)
	}
	ids := make([]int64, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		id, err := memberKeyID(kv)
		if err != nil {
			return nil, 0, err
		}
		ids = append(ids, id)
	}
	out, err := d.getMany(ctx, t, ids, resp.Header.Revision)
	return out, resp.Header.Revision, err
}

// getMany reads records by id from etcd as of revision rev (0: the
// latest), all at one revision, skipping missing ones. One round trip per WithMaxTxnOps ids.
func (d *directReader) getMany(ctx context.Context, t *table, ids []int64, rev int64) ([]stored, error) {
	s := d.s
	var out []stored
	per := max(1, s.opts.maxTxnOps/len(s.readOps(t, 0)))
	for start := 0; start < len(ids); start += per {
		batch := ids[start:min(start+per, len(ids))]
		var ops []clientv3.Op
		for _, id := range batch {
			ops = append(ops, s.readOpsAt(t, id, rev)...)
		}
		resp, err := s.cli.Txn(ctx).Then(ops...).Commit()
		if err != nil {
			return nil, etcdError(err, false)
		}
		if rev == 0 {
			rev = resp.Header.Revision // later batches read at this one's revision
		}
		n := len(s.readOps(t, 0))
		for i := range batch {
			st, found, err := s.parseRead(t, []*pbetcd.ResponseOp(resp.Responses[i*n:(i+1)*n]))
			if err != nil {
				return nil, err
			}
			if found {
				out = append(out, st)
			}
		}
	}
	return out, nil
}

// followIndex reads the record an index entry points at. The record is
// read at a later revision than the entry, so it is checked to still
// hold the indexed value; a record renamed in between counts as absent.
func (d *directReader) followIndex(ctx context.Context, t *table, key string, kvs []*mvccpb.KeyValue) (stored, bool, error) {
	if len(kvs) == 0 {
		return stored{}, false, nil
	}
	id, err := indexEntryID(kvs[0])
	if err != nil {
		return stored{}, false, err
	}
	st, found, err := d.byID(ctx, t, id)
	if err != nil || !found {
		return st, found, err
	}
	for _, k := range d.s.uniqueKeys(t, st.rec) {
		if k.key == key {
			d.s.uniques.put(key, id)
			return st, true, nil
		}
	}
	return stored{}, false, nil
}

// indexedID is from the Store's uniques copy, whose feed it starts.
func (d *directReader) indexedID(table, field, key string) (int64, bool) {
	d.s.uniques.follow(d.s.keys.UniquePrefix(table, field))
	return d.s.uniques.get(key)
}

// nodesOfPorts reads the address index entries with the ports the Store's
// copy of the index expects behind them in one transaction, then the
// node, at the same revision; one more round trip for ports the copy did
// not know.
func (d *directReader) nodesOfPorts(ctx context.Context, addresses []string) (int, stored, error) {
	ports, rev, err := d.portsByAddress(ctx, addresses)
	if err != nil {
		return 0, stored{}, err
	}
	nodes := map[int64]bool{}
	for _, st := range ports {
		p := st.rec.Interface().(*pb.Port)
		if p.NodeId != nil && containsFold(addresses, p.GetAddress()) {
			nodes[p.GetNodeId()] = true
		}
	}
	var node stored
	for id := range nodes {
		if len(nodes) == 1 {
			sts, err := d.getMany(ctx, nodesTable, []int64{id}, rev)
			if err != nil {
				return 0, stored{}, err
			}
			if len(sts) == 1 { // else a port pointed at a missing node
				node = sts[0]
			}
		}
	}
	return len(nodes), node, nil
}
