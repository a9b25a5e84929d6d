package etcdstore

import (
	"context"
	"strconv"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The generic bodies of the record methods of ports, portgroups, chassis,
// volume connectors and volume targets; the exported methods in each
// table's file add the table's rules and documentation.

// as converts a record (or an error) to its concrete message type.
func as[T proto.Message](rec protoreflect.Message, err error) (T, error) {
	var zero T
	if err != nil {
		return zero, err
	}
	return rec.Interface().(T), nil
}

// createRecord builds a record of msg's type from values over defaults
// (column -> value applied when the column is absent or null) and inserts
// it. One round trip (plus one per id block, and nodeOfWritten's).
func (s *Store) createRecord(ctx context.Context, t *table, msg proto.Message, values Values, defaults Values) (protoreflect.Message, error) {
	rec := msg.ProtoReflect()
	for name, v := range defaults {
		if cur, ok := values[name]; !ok || cur == nil {
			if err := setValue(rec, name, v); err != nil {
				return nil, err
			}
		}
	}
	rec, autoID, err := s.newRecord(msg, values, keysOf(defaults, values)...)
	if err != nil {
		return nil, err
	}
	rev, err := s.create(ctx, t, rec, autoID, nil)
	if err != nil {
		return nil, err
	}
	return rec, s.nodeOfWritten(ctx, t, stored{rec: rec, modRev: rev})
}

// keysOf lists the defaulted columns whose given value is null, which
// newRecord must leave alone.
func keysOf(defaults, values Values) []string {
	var skip []string
	for name := range defaults {
		if v, ok := values[name]; ok && v == nil {
			skip = append(skip, name)
		}
	}
	return skip
}

// getRecord reads one record by id; the table's NotFound names the id.
// One round trip (with its node under WithNodeUUIDs: getForProject's).
func (s *Store) getRecord(ctx context.Context, t *table, id int64) (protoreflect.Message, error) {
	return s.getForProject(ctx, t, ProjectFilter{}, func() error { return t.notFound(strconv.FormatInt(id, 10)) },
		func() (stored, bool, error) { return s.getByID(ctx, t, id) })
}

// getRecordBy reads the record holding value in a unique index; the
// table's NotFound names the value. Round trips as getByUnique (with its
// node under WithNodeUUIDs: getForProject's).
func (s *Store) getRecordBy(ctx context.Context, t *table, index, value string) (protoreflect.Message, error) {
	return s.getForProject(ctx, t, ProjectFilter{}, func() error { return t.notFound(value) },
		func() (stored, bool, error) { return s.getByUnique(ctx, t, index, value) })
}

// resolver turns a caller's identity argument into an ident.
type resolver func(string) (ident, error)

// updateRecord applies values to the record named by ident (resolved with
// resolve). A "uuid" or "id" key is refused before anything else; the
// lookup comes next, so a missing record wins over bad values. Round
// trips: two (read, write), plus one per lost race, and nodeOfWritten's.
func (s *Store) updateRecord(ctx context.Context, t *table, identArg string, resolve resolver, values Values) (protoreflect.Message, error) {
	if _, ok := values["uuid"]; ok {
		return nil, invalidParam("cannot overwrite UUID for an existing %s", t.noun)
	}
	if _, ok := values["id"]; ok {
		return nil, invalidParam("cannot update the id of a %s", t.noun)
	}
	id, err := resolve(identArg)
	if err != nil {
		return nil, err
	}
	cur, found, err := s.loadForUpdate(ctx, t, id)
	if err != nil {
		return nil, err
	}
	notFound := func() error { return t.notFound(identArg) }
	if !found {
		return nil, notFound()
	}
	_, keep := values["updated_at"]
	st, err := s.update(ctx, t, id, cur, keep, notFound, func(_ stored, next protoreflect.Message) (txnPart, error) {
		for name, v := range values {
			if err := setValue(next, name, v); err != nil {
				return txnPart{}, err
			}
		}
		return txnPart{}, validateRecord(next)
	})
	if err != nil {
		return nil, err
	}
	return st.rec, s.nodeOfWritten(ctx, t, st)
}

// destroyRecord deletes the record named by ident (at the time of the
// delete: a lost race resolves the identity again). When notEmpty is set,
// the record must have no members under that membership prefix (checked
// by a compare in the delete transaction, so a member added concurrently
// fails the delete instead of dangling); notEmpty builds the error. Round
// trips: two (read, delete), plus one per lost race.
func (s *Store) destroyRecord(ctx context.Context, t *table, identArg string, resolve resolver, members func(id int64) string, notEmpty func() error) error {
	id, err := resolve(identArg)
	if err != nil {
		return err
	}
	cur, found, err := s.loadByIdent(ctx, t, id)
	for {
		if err != nil {
			return err
		}
		if !found {
			return t.notFound(identArg)
		}
		var part txnPart
		var prefix string
		if members != nil {
			prefix = members(recordID(cur.rec))
			part.cmps = []clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(prefix), "=", 0).WithPrefix()}
		}
		var done bool
		var fresh stored
		done, fresh, found, err = s.remove(ctx, t, cur, part)
		if err != nil || done {
			return err
		}
		if found && fresh.modRev == cur.modRev && prefix != "" {
			return notEmpty() // only the emptiness compare failed
		}
		// The record changed: delete what the identity names now.
		cur, found, err = s.renamed(ctx, t, id, fresh, found)
	}
}

// listRecords lists a whole table (§5). Round trips: one per 1,000 records
// in id order, one in all for another sort key (with the nodes under
// WithNodeUUIDs: listJoined's).
func (s *Store) listRecords(ctx context.Context, t *table, opts ListOptions) ([]stored, error) {
	if nodeUUIDsFor(ctx, t) != nil {
		return s.listForProject(ctx, t, "", 0, opts, ProjectFilter{})
	}
	ord, err := parseOrder(t, opts)
	if err != nil {
		return nil, err
	}
	return s.list(ctx, t, ord, nil)
}

// listMembers lists the records of t whose column points at owner (§5).
// Round trips as members (with the nodes under WithNodeUUIDs: listJoined's).
func (s *Store) listMembers(ctx context.Context, t *table, column string, owner int64, opts ListOptions) ([]stored, error) {
	if nodeUUIDsFor(ctx, t) != nil {
		return s.listForProject(ctx, t, column, owner, opts, ProjectFilter{})
	}
	ord, err := parseOrder(t, opts)
	if err != nil {
		return nil, err
	}
	if ord.limit == 0 {
		return nil, nil
	}
	sts, err := s.members(ctx, t, s.keys.Members(t.name, column, owner))
	if err != nil {
		return nil, err
	}
	fd := t.newMsg().ProtoReflect().Descriptor().Fields().ByName(protoreflect.Name(column))
	kept := sts[:0]
	for _, st := range sts {
		// A record moved to another owner between the two reads is not
		// this owner's any more.
		if st.rec.Has(fd) && st.rec.Get(fd).Int() == owner {
			kept = append(kept, st)
		}
	}
	return ord.page(kept), nil
}
