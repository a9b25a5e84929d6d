package etcdstore

import (
	"context"

	pbetcd "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/keys"
)

// The transaction shapes every record type is written with:
//
//	create:  If(record key absent, each owner present, each unique key absent,
//	            caller's compares)
//	         Then(put record, membership keys, unique keys, caller's ops)
//	         Else(count record key, owners, unique keys)      -> which clash
//	update:  If(record ModRevision == read revision, a node's lock unchanged,
//	            new owners present, new unique keys absent, caller's compares)
//	         Then(put record, move changed unique and membership keys)
//	         Else(re-read record and lock, count owners, new unique keys)
//	                                                          -> retry or clash
//	remove:  If(record ModRevision == read revision, caller's compares)
//	         Then(delete record, its unique and membership keys, caller's ops)
//	         Else(re-read record)                              -> retry
//
// A failed transaction returns in its Else branch what the caller needs to
// name the error or to retry with the fresh value, so no extra read is made;
// txnBuilder hands back each read, so the order above is documentation,
// not arithmetic.

// stored is a record as read, with the revisions its writes compare.
type stored struct {
	rec    protoreflect.Message
	modRev int64
	// For nodes: the lock key's ModRevision, the fencing token (0 when
	// no live lock), and the last-holder marker's (0 when none).
	lockModRev, holderModRev int64
	// remembered marks a state from the recentCache, not read just now:
	// an update trusts it only as far as its compares do.
	remembered bool
	// mirrored marks a state the read cache served after its freshness
	// check: the mirror was then no older than the call that read it.
	mirrored bool
	// boxed are a node's fast columns as the read cache keeps them (nil
	// elsewhere); see boxedColumns.
	boxed []any
}

// setLock gives a node as read its lock (holder "": none) at token, and
// no marker: a lock just taken without a lease, moved or dropped.
func (st *stored) setLock(holder string, token int64) {
	st.lockModRev = applyLock(st.rec, holder, token)
	st.holderModRev = 0
}

// nodeLock is a node's lock key and last-holder marker as read (nil:
// absent).
type nodeLock struct{ lock, marker *mvccpb.KeyValue }

// kvOf is the first of kvs, nil when there is none.
func kvOf(kvs []*mvccpb.KeyValue) *mvccpb.KeyValue {
	if len(kvs) == 0 {
		return nil
	}
	return kvs[0]
}

// setNodeLock gives a node as read its reservation: the live lock's
// holder, else the marker's (a stale holder: its lease expired without a
// release; token 0), else none.
func (st *stored) setNodeLock(l nodeLock) {
	holder, token := "", int64(0)
	switch {
	case l.lock != nil:
		holder, token = string(l.lock.Value), l.lock.ModRevision
	case l.marker != nil:
		holder = string(l.marker.Value)
	}
	st.lockModRev = applyLock(st.rec, holder, token)
	st.holderModRev = 0
	if l.marker != nil {
		st.holderModRev = l.marker.ModRevision
	}
}

// liveHolder is the holder of the node's live lock, "" when the lock is
// free (the reservation may still name a stale holder).
func (st stored) liveHolder() string {
	if st.lockModRev == 0 {
		return ""
	}
	return nodeOf(st.rec).GetReservation()
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

// txnBuilder collects a transaction: its compares, the operations of its
// Then branch, and the reads of its Else branch that tell why it failed.
// Every read is added through the builder, which hands back where its
// result will be, so no caller counts positions in the response.
type txnBuilder struct {
	cmps         []clientv3.Cmp
	ops, elseOps []clientv3.Op
}

// txnRead is a read of one branch of a transaction: of finds its result
// in the response of the committed transaction.
type txnRead struct {
	at   int
	then bool // a read of the Then branch, else of the Else branch
}

// of is the read's result in resp; asking it of the branch that did not
// run is a programming error.
func (r txnRead) of(resp *clientv3.TxnResponse) *pbetcd.RangeResponse {
	if resp.Succeeded != r.then {
		panic("etcdstore: a read of the transaction branch that did not run")
	}
	return resp.Responses[r.at].GetResponseRange()
}

// found reports whether the read found anything (its key exists).
func (r txnRead) found(resp *clientv3.TxnResponse) bool {
	rr := r.of(resp)
	return rr.Count > 0 || len(rr.Kvs) > 0
}

// read adds a read to the Else branch.
func (b *txnBuilder) read(op clientv3.Op) txnRead {
	b.elseOps = append(b.elseOps, op)
	return txnRead{at: len(b.elseOps) - 1}
}

// thenRead adds a read to the Then branch, after the writes so far.
func (b *txnBuilder) thenRead(op clientv3.Op) txnRead {
	b.ops = append(b.ops, op)
	return txnRead{at: len(b.ops) - 1, then: true}
}

// claim writes key only if it does not exist yet; on failure the Else
// read counts it (found: the key was taken).
func (b *txnBuilder) claim(key, value string) txnRead {
	b.cmps = append(b.cmps, clientv3.Compare(clientv3.CreateRevision(key), "=", 0))
	b.ops = append(b.ops, clientv3.OpPut(key, value))
	return b.read(clientv3.OpGet(key, clientv3.WithCountOnly()))
}

// requireOwner makes the transaction depend on key existing; on failure
// the Else read counts it (not found: the owner is gone).
func (b *txnBuilder) requireOwner(key string) txnRead {
	b.cmps = append(b.cmps, clientv3.Compare(clientv3.CreateRevision(key), ">", 0))
	return b.read(clientv3.OpGet(key, clientv3.WithCountOnly()))
}

// recordRead is the Else read of one record (and a node's lock and
// marker).
type recordRead struct{ rec, lock, marker txnRead }

// readRecord adds the reads that load record id of t to the Else branch.
func (b *txnBuilder) readRecord(s *Store, t *table, id int64) recordRead {
	r := recordRead{rec: b.read(clientv3.OpGet(s.keys.Record(t.name, id)))}
	if t.locked {
		r.lock = b.read(clientv3.OpGet(s.keys.Reservation(id)))
		r.marker = b.read(clientv3.OpGet(s.keys.Holder(id)))
	}
	return r
}

// decodeRead decodes a recordRead from a failed transaction; found is
// false when the record does not exist.
func (s *Store) decodeRead(t *table, r recordRead, resp *clientv3.TxnResponse) (stored, bool, error) {
	var l nodeLock
	if t.locked {
		l = nodeLock{lock: kvOf(r.lock.of(resp).Kvs), marker: kvOf(r.marker.of(resp).Kvs)}
	}
	return s.decodeFound(t, r.rec.of(resp).Kvs, l)
}

func (b *txnBuilder) add(p txnPart) {
	b.cmps = append(b.cmps, p.cmps...)
	b.ops = append(b.ops, p.ops...)
}

func (b *txnBuilder) commit(ctx context.Context, cli *clientv3.Client) (*clientv3.TxnResponse, error) {
	return cli.Txn(ctx).If(b.cmps...).Then(b.ops...).Else(b.elseOps...).Commit()
}

// readOps are the reads that load one record (and a node's lock and
// marker).
func (s *Store) readOps(t *table, id int64) []clientv3.Op { return s.readOpsAt(t, id, 0) }

// readOpsAt are readOps as of revision rev (0: the latest).
func (s *Store) readOpsAt(t *table, id int64, rev int64) []clientv3.Op {
	var opts []clientv3.OpOption
	if rev > 0 {
		opts = append(opts, clientv3.WithRev(rev))
	}
	ops := []clientv3.Op{clientv3.OpGet(s.keys.Record(t.name, id), opts...)}
	if t.locked {
		ops = append(ops, clientv3.OpGet(s.keys.Reservation(id), opts...), clientv3.OpGet(s.keys.Holder(id), opts...))
	}
	return ops
}

// parseRead decodes the responses of readOps; found is false when the
// record does not exist.
func (s *Store) parseRead(t *table, resps []*pbetcd.ResponseOp) (st stored, found bool, err error) {
	var l nodeLock
	if t.locked {
		l = nodeLock{lock: kvOf(resps[1].GetResponseRange().Kvs), marker: kvOf(resps[2].GetResponseRange().Kvs)}
	}
	return s.decodeFound(t, resps[0].GetResponseRange().Kvs, l)
}

// decodeFound decodes a record read as kvs, with its lock and marker as
// read (either may be absent).
func (s *Store) decodeFound(t *table, kvs []*mvccpb.KeyValue, l nodeLock) (stored, bool, error) {
	if len(kvs) == 0 {
		return stored{}, false, nil
	}
	st, err := s.decode(t, kvs[0], l)
	return st, err == nil, err
}

// decode builds a stored record from its key-value and, for nodes, the
// lock and marker key-values (nil when absent).
func (s *Store) decode(t *table, kv *mvccpb.KeyValue, l nodeLock) (stored, error) {
	rec, err := decodeRecord(t, kv)
	if err != nil {
		return stored{}, err
	}
	st := stored{rec: rec, modRev: kv.ModRevision}
	if t.locked {
		st.setNodeLock(l)
	}
	return st, nil
}

// decodeRecord is the record a record key holds; CorruptRecord when the
// value does not decode or names another id than the key (the read cache
// decodes with it too, so both read modes judge alike).
func decodeRecord(t *table, kv *mvccpb.KeyValue) (protoreflect.Message, error) {
	msg := t.newMsg()
	if err := proto.Unmarshal(kv.Value, msg); err != nil {
		return nil, errCorrupt(kv.Key, "the %s record does not decode: %v", t.noun, err)
	}
	rec := msg.ProtoReflect()
	if id, err := keys.ParseID(string(kv.Key)); err != nil || id != recordID(rec) {
		return nil, errCorrupt(kv.Key, "the key does not name the %s record's id %d", t.noun, recordID(rec))
	}
	return rec, nil
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
		return nil, invalidParam("%s record of %d bytes exceeds the limit of %d", t.noun, len(data), maxRecordBytes).withReference(ReferenceDBDataError)
	}
	return data, nil
}

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
