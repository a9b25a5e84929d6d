package etcdstore

import (
	"context"
	"strconv"

	pbetcd "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// The transaction shapes every record type is written with:
//
//	create:  If(record key absent, each unique key absent, each owner present)
//	         Then(put record, unique keys, membership keys)
//	         Else(get record key, unique keys, owners)        -> which clash
//	update:  If(record ModRevision == read revision, new unique keys absent,
//	            new owners present, caller's compares)
//	         Then(put record, move changed unique and membership keys)
//	         Else(re-read record, get new unique keys, owners) -> retry or clash
//	remove:  If(record ModRevision == read revision, caller's compares)
//	         Then(delete record, its unique and membership keys, caller's ops)
//	         Else(re-read record)                              -> retry
//
// A failed transaction returns in its Else branch what the caller needs to
// name the error or to retry with the fresh value, so no extra read is made.

// stored is a record as read, with the revisions its writes compare.
type stored struct {
	rec    protoreflect.Message
	modRev int64
	// For nodes: the lock key's revisions (0 when unreserved).
	lockCreateRev, lockModRev int64
	// remembered marks a state from the recentCache, not read just now:
	// an update trusts it only as far as its compares do.
	remembered bool
	// boxed are a node's fast columns as the read cache keeps them (nil
	// elsewhere); see boxedColumns.
	boxed []any
}

// txnPart lets a caller add compares and operations to a generic
// transaction: the node lock, fencing, a cascade.
type txnPart struct {
	cmps []clientv3.Cmp
	ops  []clientv3.Op
}

func (p *txnPart) add(o txnPart) {
	p.cmps = append(p.cmps, o.cmps...)
	p.ops = append(p.ops, o.ops...)
}

// txnBuilder collects a transaction: its compares and operations, and
// the reads of its Else branch that tell why it failed.
type txnBuilder struct {
	cmps         []clientv3.Cmp
	ops, elseOps []clientv3.Op
}

// claim writes key only if it does not exist yet; on failure the Else
// branch counts it.
func (b *txnBuilder) claim(key, value string) {
	b.cmps = append(b.cmps, clientv3.Compare(clientv3.CreateRevision(key), "=", 0))
	b.ops = append(b.ops, clientv3.OpPut(key, value))
	b.elseOps = append(b.elseOps, clientv3.OpGet(key, clientv3.WithCountOnly()))
}

// requireOwner makes the transaction depend on key existing; on failure
// the Else branch counts it.
func (b *txnBuilder) requireOwner(key string) {
	b.cmps = append(b.cmps, clientv3.Compare(clientv3.CreateRevision(key), ">", 0))
	b.elseOps = append(b.elseOps, clientv3.OpGet(key, clientv3.WithCountOnly()))
}

func (b *txnBuilder) add(p txnPart) {
	b.cmps = append(b.cmps, p.cmps...)
	b.ops = append(b.ops, p.ops...)
}

func (b *txnBuilder) commit(ctx context.Context, cli *clientv3.Client) (*clientv3.TxnResponse, error) {
	return cli.Txn(ctx).If(b.cmps...).Then(b.ops...).Else(b.elseOps...).Commit()
}

// readOps are the reads that load one record (and a node's lock).
func (s *Store) readOps(t *table, id int64) []clientv3.Op { return s.readOpsAt(t, id, 0) }

// readOpsAt are readOps as of revision rev (0: the latest).
func (s *Store) readOpsAt(t *table, id int64, rev int64) []clientv3.Op {
	var opts []clientv3.OpOption
	if rev > 0 {
		opts = append(opts, clientv3.WithRev(rev))
	}
	ops := []clientv3.Op{clientv3.OpGet(s.keys.Record(t.name, id), opts...)}
	if t.locked {
		ops = append(ops, clientv3.OpGet(s.keys.Reservation(id), opts...))
	}
	return ops
}

// parseRead decodes the responses of readOps; found is false when the
// record does not exist.
func (s *Store) parseRead(t *table, resps []*pbetcd.ResponseOp) (st stored, found bool, err error) {
	kvs := resps[0].GetResponseRange().Kvs
	if len(kvs) == 0 {
		return stored{}, false, nil
	}
	var lock *mvccpb.KeyValue
	if t.locked {
		if l := resps[1].GetResponseRange().Kvs; len(l) > 0 {
			lock = l[0]
		}
	}
	st, err = s.decode(t, kvs[0], lock)
	return st, err == nil, err
}

// decode builds a stored record from its key-value and, for nodes, the
// lock key-value (nil when unreserved).
func (s *Store) decode(t *table, kv, lock *mvccpb.KeyValue) (stored, error) {
	msg := t.newMsg()
	if err := proto.Unmarshal(kv.Value, msg); err != nil {
		return stored{}, invalidParam("corrupt record at %s: %v", kv.Key, err)
	}
	st := stored{rec: msg.ProtoReflect(), modRev: kv.ModRevision}
	if t.locked && lock != nil {
		st.lockCreateRev, st.lockModRev = lock.CreateRevision, lock.ModRevision
		applyLock(st.rec, string(lock.Value), lock.CreateRevision)
	}
	return st, nil
}

// maxRecordBytes bounds a stored record so that a transaction holding it
// and its index keys stays under etcd's default 1.5 MiB request limit.
const maxRecordBytes = 1 << 20

// encode is the stored form of rec: derived fields (a node's reservation)
// live in their own keys, not in the record.
func encode(t *table, rec protoreflect.Message) ([]byte, error) {
	if t.locked {
		rec = proto.Clone(rec.Interface()).ProtoReflect()
		applyLock(rec, "", 0)
	}
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(rec.Interface())
	if err != nil {
		return nil, invalidParam("%s cannot be encoded: %v", t.noun, err)
	}
	if len(data) > maxRecordBytes {
		return nil, invalidParam("%s record of %d bytes exceeds the limit of %d", t.noun, len(data), maxRecordBytes)
	}
	return data, nil
}

// getByID loads one record: one round trip.
func (s *Store) getByID(ctx context.Context, t *table, id int64) (stored, bool, error) {
	if s.mirror != nil {
		if st, found, served, err := s.mirror.getByID(ctx, t, id); err != nil || served {
			return st, found, err
		}
	}
	resp, err := s.cli.Txn(ctx).Then(s.readOps(t, id)...).Commit()
	if err != nil {
		return stored{}, false, etcdError(err, false)
	}
	return s.parseRead(t, resp.Responses)
}

// getByUnique loads the record that holds values in a unique index. One
// round trip when this Store's copy of the index has the entry (the id is
// verified by a compare on the index key in the same transaction), two
// otherwise.
func (s *Store) getByUnique(ctx context.Context, t *table, index string, values ...string) (stored, bool, error) {
	key := s.keys.Unique(t.name, index, values...)
	if len(key) > maxIndexKeyBytes {
		return stored{}, false, nil // longer than any stored value can make it
	}
	if s.mirror != nil {
		if st, found, served, err := s.mirror.getByUnique(ctx, t, key); err != nil || served {
			return st, found, err
		}
	}
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
		s.index.forget(key)
		return s.followIndex(ctx, t, key, resp.Responses[0].GetResponseRange().Kvs)
	}
	resp, err := s.cli.Get(ctx, key)
	if err != nil {
		return stored{}, false, etcdError(err, false)
	}
	return s.followIndex(ctx, t, key, resp.Kvs)
}

// followIndex reads the record an index entry points at. The record is
// read at a later revision than the entry, so it is checked to still
// hold the indexed value; a record renamed in between counts as absent.
func (s *Store) followIndex(ctx context.Context, t *table, key string, kvs []*mvccpb.KeyValue) (stored, bool, error) {
	if len(kvs) == 0 {
		return stored{}, false, nil
	}
	id, err := strconv.ParseInt(string(kvs[0].Value), 10, 64)
	if err != nil {
		return stored{}, false, invalidParam("corrupt index entry %s: %q", key, kvs[0].Value)
	}
	st, found, err := s.getByID(ctx, t, id)
	if err != nil || !found {
		return st, found, err
	}
	for _, k := range s.uniqueKeys(t, st.rec) {
		if k.key == key {
			s.index.put(key, id)
			return st, true, nil
		}
	}
	return stored{}, false, nil
}

// maxIndexKeyBytes bounds an index key: columns are at most 255
// characters, 4 bytes each, escaped to at most 3 bytes per byte.
const maxIndexKeyBytes = 8 << 10

// indexKey is one unique-index key of a record.
type indexKey struct {
	key string
	u   *unique
}

func (s *Store) uniqueKeys(t *table, rec protoreflect.Message) []indexKey {
	var out []indexKey
	for i := range t.uniques {
		u := &t.uniques[i]
		if vals, ok := u.values(rec); ok {
			out = append(out, indexKey{key: s.keys.Unique(t.name, u.name, vals...), u: u})
		}
	}
	return out
}

// memberKey is one membership key of a record and the owner it points at.
type memberKey struct {
	key      string
	ownerKey string
	ownerID  int64
	m        *membership
}

func (s *Store) memberKeys(t *table, rec protoreflect.Message) []memberKey {
	var out []memberKey
	id := recordID(rec)
	for i := range t.members {
		m := &t.members[i]
		if owner, ok := m.ownerID(rec); ok {
			out = append(out, memberKey{
				key:      s.keys.Member(t.name, m.column, owner, id),
				ownerKey: s.keys.Record(m.owner.name, owner),
				ownerID:  owner,
				m:        m,
			})
		}
	}
	return out
}

// create inserts rec and returns the revision it was written at. With
// autoID the record gets the next id of its table; an id that meets an
// explicitly created record is skipped. extra, if not nil, adds compares
// and operations that depend on the id. One round trip (plus one per id
// block taken).
func (s *Store) create(ctx context.Context, t *table, rec protoreflect.Message, autoID bool, extraFor func(id int64) txnPart) (int64, error) {
	for {
		if autoID {
			id, err := s.ids.next(ctx, t.name)
			if err != nil {
				return 0, err
			}
			setRecordID(rec, id)
		}
		id := recordID(rec)
		if id < 1 {
			return 0, invalidParam("%s id must be a positive integer, not %d", t.noun, id)
		}
		data, err := encode(t, rec)
		if err != nil {
			return 0, err
		}
		var extra txnPart
		if extraFor != nil {
			extra = extraFor(id)
		}
		recKey := s.keys.Record(t.name, id)
		idText := strconv.FormatInt(id, 10)
		var b txnBuilder
		b.claim(recKey, string(data))
		members := s.memberKeys(t, rec)
		for _, mk := range members {
			b.ops = append(b.ops, clientv3.OpPut(mk.key, ""))
			if mk.m.mustExist {
				b.requireOwner(mk.ownerKey)
			}
		}
		uniques := s.uniqueKeys(t, rec)
		for _, k := range uniques {
			b.claim(k.key, idText)
		}
		b.add(extra)
		resp, err := b.commit(ctx, s.cli)
		if err != nil {
			return 0, etcdError(err, true)
		}
		if resp.Succeeded {
			for _, k := range uniques {
				s.index.put(k.key, id)
			}
			if !t.locked || len(extra.ops) == 0 { // a node created with its lock is read before it is updated
				s.recent.put(t, stored{rec: rec, modRev: resp.Header.Revision})
			}
			return resp.Header.Revision, nil
		}
		r := resp.Responses
		next := 1
		for _, mk := range members {
			if !mk.m.mustExist {
				continue
			}
			if r[next].GetResponseRange().Count == 0 {
				return 0, mk.m.owner.notFound(strconv.FormatInt(mk.ownerID, 10))
			}
			next++
		}
		for i, k := range uniques {
			if r[next+i].GetResponseRange().Count > 0 {
				return 0, k.u.clash(rec)
			}
		}
		if r[0].GetResponseRange().Count > 0 {
			if autoID {
				s.ids.skip(t.name, id)
				continue
			}
			return 0, t.alreadyExists(rec)
		}
		// Only a caller's compare failed: the caller's part decides.
		return 0, errExtraCompare
	}
}

// errExtraCompare reports that a transaction failed on a compare the
// caller added; callers that add compares translate it.
var errExtraCompare = invalidParam("a precondition of the write no longer holds")

// mutation computes the new state of a record from the current one and
// may add compares and operations to the update transaction.
type mutation func(cur stored, next protoreflect.Message) (txnPart, error)

// update writes mutate(cur) with a compare on the revision read. On a
// conflict it retries with the fresh value the failed transaction
// returned; a mutation that changes nothing writes nothing. updated_at is
// set to now on a change unless keepUpdatedAt (the caller supplied it).
// notFound names the error for a record deleted meanwhile. One round trip
// per attempt.
func (s *Store) update(ctx context.Context, t *table, cur stored, keepUpdatedAt bool, notFound func() error, mutate mutation) (stored, error) {
	for {
		next := proto.Clone(cur.rec.Interface()).ProtoReflect()
		extra, err := mutate(cur, next)
		noChange := err == nil && proto.Equal(next.Interface(), cur.rec.Interface()) && len(extra.ops) == 0
		if cur.remembered && (err != nil || noChange) {
			// A refusal or a no-op must be judged on the current state.
			fresh, found, rerr := s.getByID(ctx, t, recordID(cur.rec))
			if rerr != nil {
				return stored{}, rerr
			}
			if !found {
				s.recent.forget(t, recordID(cur.rec))
				return stored{}, notFound()
			}
			cur = fresh
			continue
		}
		if err != nil {
			return stored{}, err
		}
		if noChange {
			return cur, nil
		}
		if !keepUpdatedAt {
			stamp(next, "updated_at", timestampOf(s.now()))
		}
		data, err := encode(t, next)
		if err != nil {
			return stored{}, err
		}
		id := recordID(next)
		recKey := s.keys.Record(t.name, id)
		b := txnBuilder{
			cmps:    []clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(recKey), "=", cur.modRev)},
			ops:     []clientv3.Op{clientv3.OpPut(recKey, string(data))},
			elseOps: s.readOps(t, id),
		}
		nReads := len(b.elseOps)

		var added []indexKey
		oldUniques := keySet(s.uniqueKeys(t, cur.rec))
		for _, k := range s.uniqueKeys(t, next) {
			if oldUniques[k.key] {
				delete(oldUniques, k.key)
				continue
			}
			added = append(added, k)
		}
		for k := range oldUniques {
			b.ops = append(b.ops, clientv3.OpDelete(k))
		}
		var refs []memberKey
		oldMembers := map[string]bool{}
		for _, mk := range s.memberKeys(t, cur.rec) {
			oldMembers[mk.key] = true
		}
		for _, mk := range s.memberKeys(t, next) {
			if oldMembers[mk.key] {
				delete(oldMembers, mk.key)
				continue
			}
			b.ops = append(b.ops, clientv3.OpPut(mk.key, ""))
			if mk.m.mustExist {
				refs = append(refs, mk)
				b.requireOwner(mk.ownerKey)
			}
		}
		for k := range oldMembers {
			b.ops = append(b.ops, clientv3.OpDelete(k))
		}
		idText := strconv.FormatInt(id, 10)
		for _, k := range added {
			b.claim(k.key, idText)
		}
		b.add(extra)
		resp, err := b.commit(ctx, s.cli)
		if err != nil {
			return stored{}, etcdError(err, true)
		}
		if resp.Succeeded {
			for _, k := range added {
				s.index.put(k.key, id)
			}
			st := s.afterWrite(t, next, resp.Header.Revision, cur)
			s.recent.put(t, st)
			return st, nil
		}
		fresh, found, err := s.parseRead(t, resp.Responses[:nReads])
		if err != nil {
			return stored{}, err
		}
		if !found {
			s.recent.forget(t, id)
			return stored{}, notFound()
		}
		if fresh.modRev != cur.modRev || fresh.lockModRev != cur.lockModRev || cur.remembered {
			cur = fresh // lost a race: redo the mutation on the fresh value
			if err := ctx.Err(); err != nil {
				return stored{}, err
			}
			continue
		}
		r := resp.Responses[nReads:]
		for i, mk := range refs {
			if r[i].GetResponseRange().Count == 0 {
				return stored{}, mk.m.owner.notFound(strconv.FormatInt(mk.ownerID, 10))
			}
		}
		for i, k := range added {
			if r[len(refs)+i].GetResponseRange().Count > 0 {
				return stored{}, k.u.clash(next)
			}
		}
		return stored{}, errExtraCompare
	}
}

// afterWrite is the stored state of a record just written at revision rev;
// a node whose update took or dropped its lock gets the lock's new state.
func (s *Store) afterWrite(t *table, rec protoreflect.Message, rev int64, prev stored) stored {
	st := stored{rec: rec, modRev: rev, lockCreateRev: prev.lockCreateRev, lockModRev: prev.lockModRev}
	if t.locked {
		holder := rec.Interface().(*pb.Node).GetReservation()
		if holder != prev.rec.Interface().(*pb.Node).GetReservation() {
			st.lockCreateRev, st.lockModRev = 0, 0
			if holder != "" {
				st.lockCreateRev, st.lockModRev = rev, rev
			}
			applyLock(rec, holder, st.lockCreateRev)
		}
	}
	return st
}

func keySet(ks []indexKey) map[string]bool {
	m := make(map[string]bool, len(ks))
	for _, k := range ks {
		m[k.key] = true
	}
	return m
}

// removeOps are the deletes that remove a record with its index and
// membership keys (and a node's lock).
func (s *Store) removeOps(t *table, rec protoreflect.Message) []clientv3.Op {
	id := recordID(rec)
	ops := []clientv3.Op{clientv3.OpDelete(s.keys.Record(t.name, id))}
	if t.locked {
		ops = append(ops, clientv3.OpDelete(s.keys.Reservation(id)),
			clientv3.OpDelete(s.keys.Waiters(id), clientv3.WithPrefix()))
	}
	for _, k := range s.uniqueKeys(t, rec) {
		ops = append(ops, clientv3.OpDelete(k.key))
	}
	for _, mk := range s.memberKeys(t, rec) {
		ops = append(ops, clientv3.OpDelete(mk.key))
	}
	return ops
}

// remove deletes the record at cur if it is unchanged, with extra's
// compares and operations. When the record changed meanwhile it returns
// the fresh state (found=false if it is gone) and done=false, so the
// caller re-checks its conditions and retries. One round trip.
func (s *Store) remove(ctx context.Context, t *table, cur stored, extra txnPart) (done bool, fresh stored, found bool, err error) {
	id := recordID(cur.rec)
	cmps := append([]clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(s.keys.Record(t.name, id)), "=", cur.modRev)}, extra.cmps...)
	ops := append(s.removeOps(t, cur.rec), extra.ops...)
	resp, err := s.cli.Txn(ctx).If(cmps...).Then(ops...).Else(s.readOps(t, id)...).Commit()
	if err != nil {
		return false, stored{}, false, etcdError(err, true)
	}
	if resp.Succeeded {
		s.recent.forget(t, id)
		return true, stored{}, false, nil
	}
	fresh, found, err = s.parseRead(t, resp.Responses)
	return false, fresh, found, err
}
