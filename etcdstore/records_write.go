package etcdstore

import (
	"context"
	"strconv"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The create, update and remove shapes of records.go's header comment.

// create inserts rec and returns the revision it was written at. With
// autoID the record gets the next id of its table; an id that meets an
// explicitly created record is skipped. extraFor, if not nil, adds compares
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
		if t.fillDerived != nil {
			t.fillDerived(rec)
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
		recTaken := b.claim(recKey, string(data))
		members := s.memberKeys(t, rec)
		for _, mk := range members {
			b.ops = append(b.ops, clientv3.OpPut(mk.key, ""))
		}
		owners := s.requireOwners(&b, members)
		uniques := s.uniqueKeys(t, rec)
		clashes := make([]txnRead, len(uniques))
		for i, k := range uniques {
			clashes[i] = b.claim(k.key, idText)
		}
		b.add(extra)
		resp, err := b.commit(ctx, s.cli)
		if err != nil {
			return 0, etcdError(err, true)
		}
		if resp.Succeeded {
			for _, k := range uniques {
				s.uniques.put(k.key, id)
			}
			if !t.locked || len(extra.ops) == 0 { // a node created with its lock is read before it is updated
				s.recent.put(t, stored{rec: rec, modRev: resp.Header.Revision})
			}
			return resp.Header.Revision, nil
		}
		if err := clashOf(resp, owners, uniques, clashes, rec, true); err != nil {
			return 0, err
		}
		if recTaken.found(resp) {
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

// mutation computes the new state of a record from the current one and
// may add compares and operations to the update transaction.
type mutation func(cur stored, next protoreflect.Message) (txnPart, error)

// update writes mutate(cur) to the record the identity id names, cur
// being that record as read, with a compare on the revision read (and for
// a node on its lock as read: what the mutation decides about the lock,
// and what update returns of it, holds only if the lock is unchanged).
// On a conflict it retries with the fresh value the failed transaction
// returned, or, when that record no longer is the one id names, with the
// record id names now; a mutation that changes nothing writes nothing.
// updated_at is set to now on a change unless keepUpdatedAt (the caller
// supplied it). notFound names the error for a record id no longer names.
// One round trip per attempt.
func (s *Store) update(ctx context.Context, t *table, id ident, cur stored, keepUpdatedAt bool, notFound func() error, mutate mutation) (stored, error) {
	for {
		next := proto.Clone(cur.rec.Interface()).ProtoReflect()
		extra, err := mutate(cur, next)
		noChange := err == nil && proto.Equal(next.Interface(), cur.rec.Interface()) && len(extra.ops) == 0
		if cur.remembered && (err != nil || noChange) {
			// A refusal or a no-op must be judged on the current state.
			fresh, found, rerr := s.getByID(ctx, t, recordID(cur.rec))
			if rerr == nil {
				fresh, found, rerr = s.renamed(ctx, t, id, fresh, found)
			}
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
		rid := recordID(next)
		recKey := s.keys.Record(t.name, rid)
		var b txnBuilder
		b.cmps = []clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(recKey), "=", cur.modRev)}
		b.ops = []clientv3.Op{clientv3.OpPut(recKey, string(data))}
		reread := b.readRecord(s, t, rid)
		if t.locked {
			// The lock key is written only when its holder changes, so an
			// unchanged ModRevision (0: absent) is an unchanged lock; the
			// marker likewise, so the reservation written and returned is
			// the one the update decided on.
			b.cmps = append(b.cmps, clientv3.Compare(clientv3.ModRevision(s.keys.Reservation(rid)), "=", cur.lockModRev),
				clientv3.Compare(clientv3.ModRevision(s.keys.Holder(rid)), "=", cur.holderModRev))
		}

		added, clashes, owners := s.indexChanges(&b, t, cur.rec, next)
		b.add(extra)
		resp, err := b.commit(ctx, s.cli)
		if err != nil {
			return stored{}, etcdError(err, true)
		}
		if resp.Succeeded {
			for _, k := range added {
				s.uniques.put(k.key, rid)
			}
			st := s.afterWrite(t, next, resp.Header.Revision, cur)
			s.recent.put(t, st)
			return st, nil
		}
		fresh, found, err := s.decodeRead(t, reread, resp)
		if err == nil {
			fresh, found, err = s.renamed(ctx, t, id, fresh, found)
		}
		if err != nil {
			return stored{}, err
		}
		if !found {
			s.recent.forget(t, rid)
			return stored{}, notFound()
		}
		if recordID(fresh.rec) != rid || fresh.modRev != cur.modRev || fresh.lockModRev != cur.lockModRev || fresh.holderModRev != cur.holderModRev || cur.remembered {
			cur = fresh // lost a race: redo the mutation on the fresh value
			if err := ctx.Err(); err != nil {
				return stored{}, err
			}
			continue
		}
		if err := clashOf(resp, owners, added, clashes, next, false); err != nil {
			return stored{}, err
		}
		return stored{}, errExtraCompare
	}
}

// indexChanges adds to b what moving record rid of t from cur to next does
// to its index keys: deletes of the unique and membership keys it drops,
// puts of the membership keys it gains with compares that their owners
// exist, and claims of the unique keys it gains. It returns the claimed
// keys with their Else reads (clashes[i] for added[i]) and the owners'.
func (s *Store) indexChanges(b *txnBuilder, t *table, cur, next protoreflect.Message) (added []indexKey, clashes []txnRead, owners []ownerRead) {
	oldUniques := keySet(s.uniqueKeys(t, cur))
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
	var newMembers []memberKey
	oldMembers := map[string]bool{}
	for _, mk := range s.memberKeys(t, cur) {
		oldMembers[mk.key] = true
	}
	for _, mk := range s.memberKeys(t, next) {
		if oldMembers[mk.key] {
			delete(oldMembers, mk.key)
			continue
		}
		b.ops = append(b.ops, clientv3.OpPut(mk.key, ""))
		newMembers = append(newMembers, mk)
	}
	for k := range oldMembers {
		b.ops = append(b.ops, clientv3.OpDelete(k))
	}
	owners = s.requireOwners(b, newMembers)
	idText := strconv.FormatInt(recordID(next), 10)
	clashes = make([]txnRead, len(added))
	for i, k := range added {
		clashes[i] = b.claim(k.key, idText)
	}
	return added, clashes, owners
}

// ownerRead is the Else read of an owner a write requires.
type ownerRead struct {
	mk   memberKey
	read txnRead
}

// requireOwners makes b depend on the owners of members that must exist.
func (s *Store) requireOwners(b *txnBuilder, members []memberKey) []ownerRead {
	var out []ownerRead
	for _, mk := range members {
		if mk.m.mustExist {
			out = append(out, ownerRead{mk: mk, read: b.requireOwner(mk.ownerKey)})
		}
	}
	return out
}

// clashOf names why a failed create or update of rec failed, from its Else
// reads: an owner gone, or a unique key (uniques[i], read as clashes[i])
// taken (creating: a create's error for it). nil: neither.
func clashOf(resp *clientv3.TxnResponse, owners []ownerRead, uniques []indexKey, clashes []txnRead, rec protoreflect.Message, creating bool) error {
	for _, o := range owners {
		if !o.read.found(resp) {
			return o.mk.m.owner.notFound(strconv.FormatInt(o.mk.ownerID, 10))
		}
	}
	for i, k := range uniques {
		if clashes[i].found(resp) {
			if creating && k.u.createClash != nil {
				return k.u.createClash(rec)
			}
			return k.u.clash(rec)
		}
	}
	return nil
}

// renamed is the record the identity id names now, given fresh, the
// record it named before as just re-read by id (found false: gone): fresh
// itself while it still qualifies, else the identity resolved again as the
// caller gave it. One round trip in the second case, none otherwise.
func (s *Store) renamed(ctx context.Context, t *table, id ident, fresh stored, found bool) (stored, bool, error) {
	if id.byID() || found && id.names(fresh) {
		return fresh, found, nil
	}
	return s.loadByIdent(ctx, t, id)
}

// afterWrite is the stored state of a record just written at revision rev;
// a node whose update took, moved or dropped its lock gets the lock's new
// state, without a marker (the update compared the lock and marker as
// read, so otherwise they hold).
func (s *Store) afterWrite(t *table, rec protoreflect.Message, rev int64, prev stored) stored {
	st := stored{rec: rec, modRev: rev, lockModRev: prev.lockModRev, holderModRev: prev.holderModRev}
	if t.locked {
		if holder := nodeOf(rec).GetReservation(); holder != nodeOf(prev.rec).GetReservation() {
			st.setLock(holder, rev)
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
// membership keys (and a node's lock, marker and waiters).
func (s *Store) removeOps(t *table, rec protoreflect.Message) []clientv3.Op {
	id := recordID(rec)
	ops := []clientv3.Op{clientv3.OpDelete(s.keys.Record(t.name, id))}
	if t.locked {
		ops = append(ops, clientv3.OpDelete(s.keys.Reservation(id)), clientv3.OpDelete(s.keys.Holder(id)),
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
	b := txnBuilder{
		cmps: []clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(s.keys.Record(t.name, id)), "=", cur.modRev)},
		ops:  s.removeOps(t, cur.rec),
	}
	b.add(extra)
	reread := b.readRecord(s, t, id)
	resp, err := b.commit(ctx, s.cli)
	if err != nil {
		return false, stored{}, false, etcdError(err, true)
	}
	if resp.Succeeded {
		s.recent.forget(t, id)
		return true, stored{}, false, nil
	}
	fresh, found, err = s.decodeRead(t, reread, resp)
	return false, fresh, found, err
}
