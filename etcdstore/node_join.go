package etcdstore

import (
	"context"
	"slices"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/keys"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Reads of ports, portgroups and volume records that depend on the node a
// record belongs to (21.4's owner=/project= filters, get_ports_by_shards):
// SQL joins the nodes table. Here the records and their nodes are read as
// of one revision, so a node changing its owner meanwhile is seen either
// before or after the change, for every record alike.

// ProjectFilter is 21.4's owner= and project= arguments of the port,
// portgroup and volume reads (add_port_filter_by_node_owner,
// add_port_filter_by_node_project and their portgroup and volume twins):
// with Owner, only records whose node's owner is Owner; else with
// Project, only those whose node's owner or lessee is Project. Owner wins
// when both are set, "" filters nothing, and a record without a node
// never passes a filter, as in the reference. The zero value filters
// nothing.
type ProjectFilter struct {
	Owner   string
	Project string
}

func (f ProjectFilter) active() bool { return f.Owner != "" || f.Project != "" }

// keepNode is the filter's test of a record's node (nil: none).
func (f ProjectFilter) keepNode(n *pb.Node) bool {
	switch {
	case !f.active():
		return true
	case n == nil:
		return false
	case f.Owner != "":
		return n.GetOwner() == f.Owner
	}
	return n.GetOwner() == f.Project || n.GetLessee() == f.Project
}

// projectOnly refuses an owner filter where the reference takes only a
// project (the portgroup and volume reads).
func (f ProjectFilter) projectOnly(method string) error {
	if f.Owner != "" {
		return invalidParam("%s takes no owner filter, only a project", method)
	}
	return nil
}

// nodeIDOf is the node a record points at (its node_id column).
func nodeIDOf(rec protoreflect.Message) (int64, bool) {
	fd := rec.Descriptor().Fields().ByName("node_id")
	if fd == nil || !rec.Has(fd) {
		return 0, false
	}
	return rec.Get(fd).Int(), true
}

// listJoined lists the records of t (the whole table when prefix is "",
// else those under the membership prefix) that keep accepts given their
// node, all read at one revision, in the order and page of opts. Round
// trips: the records' read (one per 1,000 records walked until the page
// is full, or the two of a membership read), plus their nodes' (one for
// up to WithMaxTxnOps distinct nodes, else one per 1,000 nodes between
// the lowest and highest id); one (the freshness check) from the read
// cache. Under WithNodeUUIDs the kept records' nodes go to the NodeUUIDs.
func (s *Store) listJoined(ctx context.Context, t *table, prefix string, opts ListOptions, keep func(rec protoreflect.Message, node *pb.Node) bool) ([]stored, error) {
	ord, err := parseOrder(t, opts)
	if err != nil {
		return nil, err
	}
	if ord.limit == 0 {
		return nil, nil
	}
	if u := nodeUUIDsFor(ctx, t); u != nil {
		filter := keep
		keep = func(rec protoreflect.Message, node *pb.Node) bool {
			if !filter(rec, node) {
				return false
			}
			if id, ok := nodeIDOf(rec); ok {
				u.put(id, node)
			}
			return true
		}
	}
	sts, err := s.read.joinNodes(ctx, t, prefix, ord, keep)
	if err != nil {
		return nil, err
	}
	return ord.page(sts), nil
}

// listForProject is listRecords (prefix "") or listMembers (of owner
// through column) with a ProjectFilter; without one, and without
// WithNodeUUIDs, it is exactly them.
func (s *Store) listForProject(ctx context.Context, t *table, column string, owner int64, opts ListOptions, f ProjectFilter) ([]stored, error) {
	if !f.active() && nodeUUIDsFor(ctx, t) == nil {
		if column == "" {
			return s.listRecords(ctx, t, opts)
		}
		return s.listMembers(ctx, t, column, owner, opts)
	}
	prefix := ""
	var fd protoreflect.FieldDescriptor
	if column != "" {
		prefix = s.keys.Members(t.name, column, owner)
		fd = t.newMsg().ProtoReflect().Descriptor().Fields().ByName(protoreflect.Name(column))
	}
	return s.listJoined(ctx, t, prefix, opts, func(rec protoreflect.Message, node *pb.Node) bool {
		// A record moved to another owner between the two reads of a
		// membership is not this owner's any more.
		return (fd == nil || rec.Has(fd) && rec.Get(fd).Int() == owner) && f.keepNode(node)
	})
}

// getForProject is a lookup (get) whose record is kept only when its
// node passes f, the record and the node read as of one revision; a record
// f excludes is notFound, as the reference's filtered query finds no row.
// Under WithNodeUUIDs the node is read, and given to the NodeUUIDs, with
// or without a filter. Round trips: get's, plus one when the node is read
// (none from the read cache beyond its freshness check), again per change
// of the record in between.
func (s *Store) getForProject(ctx context.Context, t *table, f ProjectFilter, notFound func() error, get func() (stored, bool, error)) (protoreflect.Message, error) {
	u := nodeUUIDsFor(ctx, t)
	for {
		st, found, err := get()
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, notFound()
		}
		if !f.active() && u == nil {
			return st.rec, nil
		}
		nodeID, ok := nodeIDOf(st.rec)
		if !ok {
			if f.active() {
				return nil, notFound()
			}
			return st.rec, nil
		}
		node, current, err := s.read.nodeBeside(ctx, t, st, nodeID)
		if err != nil {
			return nil, err
		}
		if current {
			if !f.keepNode(node) {
				return nil, notFound()
			}
			u.put(nodeID, node)
			return st.rec, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
}

// joinNodes: the direct reader reads the records, then their nodes as of
// the records' revision. Walking a table in id order it goes a page of
// pageSize records at a time and stops once o.limit records passed.
func (d *directReader) joinNodes(ctx context.Context, t *table, prefix string, o order, keep func(protoreflect.Message, *pb.Node) bool) ([]stored, error) {
	if prefix != "" {
		sts, rev, err := d.membersAt(ctx, t, prefix)
		if err != nil {
			return nil, err
		}
		return d.keepJoined(ctx, sts, rev, keep, nil)
	}
	page := o
	if !o.byIDOnly() { // any other order needs every record
		page.limit = -1
		sts, rev, err := d.scanAt(ctx, t, page, nil, false, 0)
		if err != nil {
			return nil, err
		}
		return d.keepJoined(ctx, sts, rev, keep, nil)
	}
	var (
		out []stored
		rev int64
	)
	for {
		page.limit = pageSize
		sts, at, err := d.scanAt(ctx, t, page, nil, true, rev)
		if err != nil {
			return nil, err
		}
		rev = at
		if out, err = d.keepJoined(ctx, sts, rev, keep, out); err != nil {
			return nil, err
		}
		if o.limit >= 0 && len(out) >= o.limit {
			return out[:o.limit], nil
		}
		if len(sts) < pageSize {
			return out, nil
		}
		page.marker = sts[len(sts)-1].rec
	}
}

// keepJoined appends to out the records of sts (read at rev) that keep
// accepts given their node, read at rev too.
func (d *directReader) keepJoined(ctx context.Context, sts []stored, rev int64, keep func(protoreflect.Message, *pb.Node) bool, out []stored) ([]stored, error) {
	var ids []int64
	for _, st := range sts {
		if id, ok := nodeIDOf(st.rec); ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	nodes, err := d.nodesAt(ctx, slices.Compact(ids), rev)
	if err != nil {
		return nil, err
	}
	for _, st := range sts {
		var node *pb.Node
		if id, ok := nodeIDOf(st.rec); ok {
			node = nodes[id]
		}
		if keep(st.rec, node) {
			out = append(out, st)
		}
	}
	return out, nil
}

// nodesAt reads the node records with these ids (ascending, distinct) as
// of revision rev, without their locks (a filter reads columns only);
// missing ones are absent from the map. Up to WithMaxTxnOps ids: one
// transaction of gets; more: range reads from the first id to the last,
// a page of pageSize nodes per round trip (node ids are dense, so the
// range holds few nodes beyond those asked for).
func (d *directReader) nodesAt(ctx context.Context, ids []int64, rev int64) (map[int64]*pb.Node, error) {
	s := d.s
	out := make(map[int64]*pb.Node, len(ids))
	add := func(kv *mvccpb.KeyValue) error {
		id, err := keys.ParseID(string(kv.Key))
		if err != nil || !inSorted(ids, id) {
			return nil // a node no record asked for
		}
		rec, err := decodeRecord(nodesTable, kv)
		if err != nil {
			return err
		}
		out[id] = nodeOf(rec)
		return nil
	}
	if len(ids) == 0 {
		return out, nil
	}
	if len(ids) <= s.opts.maxTxnOps {
		var ops []clientv3.Op
		for _, id := range ids {
			ops = append(ops, clientv3.OpGet(s.keys.Record(nodesTable.name, id), clientv3.WithRev(rev)))
		}
		resp, err := s.cli.Txn(ctx).Then(ops...).Commit()
		if err != nil {
			return nil, etcdError(err, false)
		}
		for _, r := range resp.Responses {
			for _, kv := range r.GetResponseRange().Kvs {
				if err := add(kv); err != nil {
					return nil, err
				}
			}
		}
		return out, nil
	}
	start, end := s.keys.Record(nodesTable.name, ids[0]), s.keys.Record(nodesTable.name, ids[len(ids)-1])+"\x00"
	for {
		resp, err := s.cli.Get(ctx, start, clientv3.WithRange(end), clientv3.WithRev(rev), clientv3.WithLimit(pageSize))
		if err != nil {
			return nil, etcdError(err, false)
		}
		for _, kv := range resp.Kvs {
			if err := add(kv); err != nil {
				return nil, err
			}
		}
		if !resp.More || len(resp.Kvs) == 0 {
			return out, nil
		}
		start = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
}

// inSorted reports whether id is in the ascending list ids.
func inSorted(ids []int64, id int64) bool {
	_, found := slices.BinarySearch(ids, id)
	return found
}

// nodeBeside: the direct reader reads the node in a transaction that
// compares the record's ModRevision with st's. One round trip.
func (d *directReader) nodeBeside(ctx context.Context, t *table, st stored, nodeID int64) (*pb.Node, bool, error) {
	s := d.s
	resp, err := s.cli.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(s.keys.Record(t.name, recordID(st.rec))), "=", st.modRev)).
		Then(clientv3.OpGet(s.keys.Record(nodesTable.name, nodeID))).
		Commit()
	if err != nil {
		return nil, false, etcdError(err, false)
	}
	if !resp.Succeeded {
		return nil, false, nil
	}
	kvs := resp.Responses[0].GetResponseRange().Kvs
	if len(kvs) == 0 {
		return nil, true, nil
	}
	rec, err := decodeRecord(nodesTable, kvs[0])
	if err != nil {
		return nil, false, err
	}
	return nodeOf(rec), true, nil
}
