package etcdstore

import (
	"strconv"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// table describes how one record type is stored: its key range, its
// unique indexes and its memberships. The generic transaction shapes of
// records.go work from it.
type table struct {
	name    string // key segment and reference table name
	noun    string // for messages: "node", "port", ...
	newMsg  func() proto.Message
	uniques []unique // in the order the reference reports clashes
	members []membership
	// locked marks nodes: their reservation lives in a lock key beside
	// the record and is merged into it on read.
	locked bool
	// fillDerived, if set, fills the columns derived from the record's id
	// (a deploy template's steps' deploy_template_id) once create has
	// chosen it, before the record is encoded.
	fillDerived func(rec protoreflect.Message)

	// notFound is the error for a missing record, named by the identity
	// the caller used.
	notFound func(ident string) error
	// alreadyExists is the error for a clash on the record's id or uuid.
	alreadyExists func(rec protoreflect.Message) error
}

// unique is a unique index over one or more columns. A record with any of
// the columns NULL has no entry (SQL: NULL never collides). The entry's
// key holds the values case-folded (keys.Unique), so values differing
// only in case collide, as under MySQL's default collation.
type unique struct {
	name    string   // key segment
	columns []string // proto field names
	clash   func(rec protoreflect.Message) error
	// createClash, when set, is the error a create reports instead of
	// clash: create_port names a duplicate port name PortAlreadyExists.
	createClash func(rec protoreflect.Message) error
}

// membership indexes the records of a table by a column that points at
// another table's record (a port's node_id), so "all ports of node 7" is
// one range read, destroy_node finds what to cascade, and "does a port
// still use this portgroup" is one compare.
type membership struct {
	column string
	owner  *table
	// mustExist makes create and update compare that the owner exists in
	// the same transaction (referential integrity).
	mustExist bool
}

// column values of a record as key segments; ok is false when any is NULL.
func (u unique) values(rec protoreflect.Message) ([]string, bool) {
	out := make([]string, len(u.columns))
	for i, c := range u.columns {
		fd := rec.Descriptor().Fields().ByName(protoreflect.Name(c))
		if fd.HasPresence() && !rec.Has(fd) {
			return nil, false
		}
		v := rec.Get(fd)
		if fd.Kind() == protoreflect.Int64Kind {
			out[i] = strconv.FormatInt(v.Int(), 10)
		} else {
			out[i] = v.String()
		}
	}
	return out, true
}

// ownerID is the id the membership column points at, if not NULL.
func (m membership) ownerID(rec protoreflect.Message) (int64, bool) {
	fd := rec.Descriptor().Fields().ByName(protoreflect.Name(m.column))
	if !rec.Has(fd) {
		return 0, false
	}
	return rec.Get(fd).Int(), true
}

// Generic accessors of the columns every record type has.

func recordID(rec protoreflect.Message) int64 {
	return rec.Get(rec.Descriptor().Fields().ByName("id")).Int()
}

func setRecordID(rec protoreflect.Message, id int64) {
	rec.Set(rec.Descriptor().Fields().ByName("id"), protoreflect.ValueOfInt64(id))
}

func recordUUID(rec protoreflect.Message) string {
	fd := rec.Descriptor().Fields().ByName("uuid")
	if fd == nil {
		return ""
	}
	return rec.Get(fd).String()
}

// stamp sets a datetime column.
func stamp(rec protoreflect.Message, column string, ts *timestamppb.Timestamp) {
	fd := rec.Descriptor().Fields().ByName(protoreflect.Name(column))
	if ts == nil {
		rec.Clear(fd)
		return
	}
	rec.Set(fd, protoreflect.ValueOfMessage(ts.ProtoReflect()))
}

// fillEmptyJSON stores "{}" / "[]" for every JSON column left empty.
func fillEmptyJSON(rec protoreflect.Message) {
	fields := rec.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if fd.Kind() == protoreflect.BytesKind && len(rec.Get(fd).Bytes()) == 0 {
			rec.Set(fd, protoreflect.ValueOfBytes(emptyJSON(fd)))
		}
	}
}

func timestampOf(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }
