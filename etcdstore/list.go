package etcdstore

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/keys"
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
		all, err := s.scan(ctx, t, o, keep, false, hint)
		if err != nil {
			return nil, err
		}
		return o.page(all), nil
	}
	return s.scan(ctx, t, o, keep, true, hint)
}

// candidateFunc picks, from the cache's node index, the ascending ids a
// filtered list needs to look at; ok false means all.
type candidateFunc func(*nodeIndex) (ids []int64, ok bool)

// scan walks t in id order (descending if o.desc) from the marker, keeps
// the records keep accepts and, when paged, stops at o.limit.
func (s *Store) scan(ctx context.Context, t *table, o order, keep func(protoreflect.Message) bool, paged bool, hint candidateFunc) ([]stored, error) {
	if s.mirror != nil {
		if out, served, err := s.mirror.scan(ctx, t, o, keep, paged, hint); err != nil || served {
			return out, err
		}
	}
	prefix := s.keys.Table(t.name)
	start, end := prefix, clientv3.GetPrefixRangeEnd(prefix)
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
		rev   int64
		locks map[int64]lockKV
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
			ops = append(ops, clientv3.OpGet(s.keys.Reservations(), clientv3.WithPrefix()))
		}
		resp, err := s.cli.Txn(ctx).Then(ops...).Commit()
		if err != nil {
			return nil, etcdError(err, false)
		}
		if rev == 0 {
			rev = resp.Header.Revision
		}
		if len(ops) == 2 {
			locks = readLocks(resp.Responses[1].GetResponseRange().Kvs)
		}
		rr := resp.Responses[0].GetResponseRange()
		for _, kv := range rr.Kvs {
			st, err := s.decode(t, kv, nil)
			if err != nil {
				return nil, err
			}
			if l, ok := locks[recordID(st.rec)]; ok {
				st.setLock(l.holder, l.modRev)
			}
			if keep != nil && !keep(st.rec) {
				continue
			}
			out = append(out, st)
			if paged && o.limit >= 0 && len(out) == o.limit {
				return out, nil
			}
		}
		if !paged || !rr.More || len(rr.Kvs) == 0 {
			return out, nil
		}
		last := string(rr.Kvs[len(rr.Kvs)-1].Key)
		if o.desc {
			end = last
		} else {
			start = last + "\x00"
		}
	}
}

// lockKV is a node lock as read.
type lockKV struct {
	holder string
	modRev int64 // the fencing token
}

func readLocks(kvs []*mvccpb.KeyValue) map[int64]lockKV {
	m := make(map[int64]lockKV, len(kvs))
	for _, kv := range kvs {
		id, err := keys.ParseID(string(kv.Key))
		if err != nil {
			continue
		}
		m[id] = lockKV{holder: string(kv.Value), modRev: kv.ModRevision}
	}
	return m
}

// records converts stored records to their messages.
func records[T proto.Message](sts []stored) []T {
	out := make([]T, len(sts))
	for i, st := range sts {
		out[i] = st.rec.Interface().(T)
	}
	return out
}
