package etcdstore

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// ListOptions are the paging arguments every list method takes
// (BEHAVIOUR.md §5).
type ListOptions struct {
	// Limit is the most records to return; nil means no limit and a
	// pointer to 0 returns an empty page, as in the reference. Negative
	// limits are refused.
	Limit *int
	// Marker is the last record of the previous page, of the same type as
	// the list (a *pb.Node for node lists). Only its sort-key value and id
	// are used; it need not exist any more.
	Marker proto.Message
	// SortKey is a column of the record type; "" sorts by id.
	SortKey string
	// SortDir is "asc" (default), "desc", or oslo.db's "asc-nullsfirst",
	// "asc-nullslast", "desc-nullsfirst", "desc-nullslast".
	SortDir string
}

// Limit is a convenience for ListOptions.Limit.
func Limit(n int) *int { return &n }

// order is a validated sort specification.
type order struct {
	key      protoreflect.FieldDescriptor // nil: id only
	desc     bool
	nullsLow bool // NULL compares below every value
	limit    int  // -1: none
	marker   protoreflect.Message
	// shared: the caller only reads the records it gets (to build rows),
	// so the read cache may hand out its own copies.
	shared bool
}

// pageSize is how many records one range read returns when a list walks a
// table in id order.
const pageSize = 1000

func parseOrder(t *table, o ListOptions) (order, error) {
	ord := order{limit: -1}
	if o.Limit != nil {
		if *o.Limit < 0 {
			return order{}, invalidParam("limit must be >= 0, not %d", *o.Limit)
		}
		ord.limit = *o.Limit
	}
	sample := t.newMsg().ProtoReflect()
	if o.SortKey != "" && o.SortKey != "id" {
		fd, ok := field(sample, o.SortKey)
		if !ok {
			return order{}, invalidParam("the sort_key value %q is an invalid field for sorting", o.SortKey)
		}
		ord.key = fd
	}
	// NULL is the lowest value (SQLite, MySQL): first ascending, last
	// descending, unless oslo.db's explicit forms say otherwise.
	switch o.SortDir { // exactly these spellings, as oslo.db
	case "", "asc", "asc-nullsfirst":
		ord.nullsLow = true
	case "desc", "desc-nullslast":
		ord.desc, ord.nullsLow = true, true
	case "asc-nullslast":
	case "desc-nullsfirst":
		ord.desc = true
	default:
		return order{}, invalidParam("invalid sort direction %q: must be 'asc' or 'desc'", o.SortDir)
	}
	if o.Marker != nil {
		m := o.Marker.ProtoReflect()
		if m.Descriptor().FullName() != sample.Descriptor().FullName() {
			return order{}, invalidParam("marker is a %s, not a %s", m.Descriptor().Name(), sample.Descriptor().Name())
		}
		ord.marker = m
	}
	return ord, nil
}

// compare orders two records by (key, id) in the order's direction.
func (o order) compare(a, b protoreflect.Message) int {
	c := 0
	if o.key != nil {
		c = compareValues(getValue(a, o.key), getValue(b, o.key), o.nullsLow)
	}
	if c == 0 {
		c = cmp.Compare(recordID(a), recordID(b))
	}
	if o.desc {
		return -c
	}
	return c
}

// afterMarker reports whether rec comes strictly after the marker: true
// "after the marker" semantics, also when the marker's value is NULL.
func (o order) afterMarker(rec protoreflect.Message) bool {
	return o.marker == nil || o.compare(rec, o.marker) > 0
}

// compareValues orders two column values in ascending order; NULL sorts
// first when nullsLow, else last.
func compareValues(a, b any, nullsLow bool) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		if nullsLow {
			return -1
		}
		return 1
	case b == nil:
		if nullsLow {
			return 1
		}
		return -1
	}
	switch x := a.(type) {
	case string:
		return strings.Compare(x, b.(string))
	case int64:
		return cmp.Compare(x, b.(int64))
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case time.Time:
		return x.Compare(b.(time.Time))
	case json.RawMessage:
		return bytes.Compare(x, b.(json.RawMessage))
	}
	return 0
}

// page applies an order to records already filtered: sort, marker, limit.
func (o order) page(recs []stored) []stored {
	slices.SortFunc(recs, func(a, b stored) int { return o.compare(a.rec, b.rec) })
	start := 0
	if o.marker != nil {
		start, _ = slices.BinarySearchFunc(recs, o.marker, func(r stored, m protoreflect.Message) int {
			if o.compare(r.rec, m) > 0 {
				return 1
			}
			return -1
		})
	}
	recs = recs[start:]
	if o.limit >= 0 && len(recs) > o.limit {
		recs = recs[:o.limit]
	}
	return recs
}

// byIDOnly reports whether the order is plain id order, which the key
// layout serves directly.
func (o order) byIDOnly() bool { return o.key == nil }

// list returns the records of t that keep passes, in the order o.
//
// Round trips: in id order, one range read per 1,000 records scanned
// (a page of 1,000 matches costs one when the filter matches most
// records), all at the revision of the first read; in any other order,
// one read of the whole table. Nodes read their locks in the same
// transaction as the first page.
func (s *Store) list(ctx context.Context, t *table, o order, keep func(protoreflect.Message) bool) ([]stored, error) {
	return s.listHinted(ctx, t, o, keep, nil)
}

// listHinted is list with the candidate ids of an index of the read
// cache, when the filter has one.
func (s *Store) listHinted(ctx context.Context, t *table, o order, keep func(protoreflect.Message) bool, hint candidateFunc) ([]stored, error) {
	if o.limit == 0 {
		return nil, nil
	}
	if !o.byIDOnly() {
		all, err := s.read.scan(ctx, t, o, keep, false, hint)
		if err != nil {
			return nil, err
		}
		return o.page(all), nil
	}
	return s.read.scan(ctx, t, o, keep, true, hint)
}

// candidateFunc picks, from the cache's node index, the ascending ids a
// filtered list needs to look at; ok false means all.
type candidateFunc func(*nodeBuckets) (ids []int64, ok bool)

// records converts stored records to their messages.
func records[T proto.Message](sts []stored) []T {
	out := make([]T, len(sts))
	for i, st := range sts {
		out[i] = st.rec.Interface().(T)
	}
	return out
}
