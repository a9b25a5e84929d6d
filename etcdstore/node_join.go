package etcdstore

import (
	"context"
	"slices"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/reflect/protoreflect"

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
// trips: the records' read (one per 1,000 records walked, or the two of a
// membership read), plus one per WithMaxTxnOps distinct nodes; one (the
// freshness check) from the read cache.
func (s *Store) listJoined(ctx context.Context, t *table, prefix string, opts ListOptions, keep func(rec protoreflect.Message, node *pb.Node) bool) ([]stored, error) {
	ord, err := parseOrder(t, opts)
	if err != nil {
		return nil, err
	}
	if ord.limit == 0 {
		return nil, nil
	}
	sts, err := s.read.joinNodes(ctx, t, prefix, ord, keep)
	if err != nil {
		return nil, err
	}
	return ord.page(sts), nil
}

// listForProject is listRecords (prefix "") or listMembers (of owner
// through column) with a ProjectFilter; without one it is exactly them.
func (s *Store) listForProject(ctx context.Context, t *table, column string, owner int64, opts ListOptions, f ProjectFilter) ([]stored, error) {
	if !f.active() {
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
// Round trips: get's, plus one (none from the read cache beyond its
// freshness check), again per change of the record in between.
func (s *Store) getForProject(ctx context.Context, t *table, f ProjectFilter, notFound func() error, get func() (stored, bool, error)) (protoreflect.Message, error) {
	for {
		st, found, err := get()
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, notFound()
		}
		if !f.active() {
			return st.rec, nil
		}
		nodeID, ok := nodeIDOf(st.rec)
		if !ok {
			return nil, notFound()
		}
		node, current, err := s.read.nodeBeside(ctx, t, st, nodeID)
		if err != nil {
			return nil, err
		}
		if current {
			if !f.keepNode(node) {
				return nil, notFound()
			}
			return st.rec, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
}

// joinNodes: the direct reader reads the records, then their nodes as of
// the records' revision.
func (d *directReader) joinNodes(ctx context.Context, t *table, prefix string, o order, keep func(protoreflect.Message, *pb.Node) bool) ([]stored, error) {
	var (
		sts []stored
		rev int64
		err error
	)
	if prefix != "" {
		sts, rev, err = d.membersAt(ctx, t, prefix)
	} else {
		all := o
		all.limit = -1 // the limit counts records that pass, known only after the join
		sts, rev, err = d.scanAt(ctx, t, all, nil, o.byIDOnly())
	}
	if err != nil {
		return nil, err
	}
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
	kept := sts[:0]
	for _, st := range sts {
		var node *pb.Node
		if id, ok := nodeIDOf(st.rec); ok {
			node = nodes[id]
		}
		if keep(st.rec, node) {
			kept = append(kept, st)
		}
	}
	return kept, nil
}

// nodesAt reads the node records with these ids as of revision rev,
// without their locks (a filter reads columns only); missing ones are
// absent from the map. One round trip per WithMaxTxnOps ids.
func (d *directReader) nodesAt(ctx context.Context, ids []int64, rev int64) (map[int64]*pb.Node, error) {
	s := d.s
	out := make(map[int64]*pb.Node, len(ids))
	per := max(1, s.opts.maxTxnOps)
	for start := 0; start < len(ids); start += per {
		var ops []clientv3.Op
		for _, id := range ids[start:min(start+per, len(ids))] {
			ops = append(ops, clientv3.OpGet(s.keys.Record(nodesTable.name, id), clientv3.WithRev(rev)))
		}
		resp, err := s.cli.Txn(ctx).Then(ops...).Commit()
		if err != nil {
			return nil, etcdError(err, false)
		}
		for _, r := range resp.Responses {
			for _, kv := range r.GetResponseRange().Kvs {
				rec, err := decodeRecord(nodesTable, kv)
				if err != nil {
					return nil, err
				}
				out[recordID(rec)] = nodeOf(rec)
			}
		}
	}
	return out, nil
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

func (c *cachedReader) joinNodes(ctx context.Context, t *table, prefix string, o order, keep func(protoreflect.Message, *pb.Node) bool) ([]stored, error) {
	if sts, served, err := c.copy.joinNodes(ctx, t, prefix, o, keep); err != nil || served {
		return sts, err
	}
	return c.direct.joinNodes(ctx, t, prefix, o, keep)
}

func (c *cachedReader) nodeBeside(ctx context.Context, t *table, st stored, nodeID int64) (*pb.Node, bool, error) {
	if node, current, served, err := c.copy.nodeBeside(ctx, t, st, nodeID); err != nil || served {
		return node, current, err
	}
	return c.direct.nodeBeside(ctx, t, st, nodeID)
}

// joinNodes serves reader.joinNodes from the mirror: records and nodes
// under one read lock, so at one revision.
func (m *mirror) joinNodes(ctx context.Context, t *table, prefix string, o order, keep func(protoreflect.Message, *pb.Node) bool) ([]stored, bool, error) {
	ok, err := m.fresh(ctx)
	if err != nil || !ok {
		return nil, false, err
	}
	defer m.mu.RUnlock()
	served := true
	withNode := func(rec protoreflect.Message) bool {
		var node *pb.Node
		if id, ok := nodeIDOf(rec); ok {
			n, found, decoded := m.nodeLocked(id)
			if !decoded {
				served = false // undecodable: let etcd report it
				return false
			}
			if found {
				node = n
			}
		}
		return keep(rec, node)
	}
	if prefix != "" {
		sts, ok := m.membersLocked(t, prefix)
		kept := sts[:0]
		for _, st := range sts {
			if withNode(st.rec) {
				kept = append(kept, st)
			}
		}
		return kept, ok && served, nil
	}
	all := o
	all.limit = -1
	sts, ok := m.scanLocked(t, all, withNode, o.byIDOnly(), nil)
	return sts, ok && served, nil
}

// nodeBeside serves reader.nodeBeside from the mirror: current when the
// mirror holds st's record at st's revision.
func (m *mirror) nodeBeside(ctx context.Context, t *table, st stored, nodeID int64) (node *pb.Node, current, served bool, err error) {
	ok, err := m.fresh(ctx)
	if err != nil || !ok {
		return nil, false, false, err
	}
	defer m.mu.RUnlock()
	e, ok := m.kvs.Get(&entry{key: m.keys.Record(t.name, recordID(st.rec))})
	if !ok || e.modRev != st.modRev {
		return nil, false, true, nil
	}
	n, found, decoded := m.nodeLocked(nodeID)
	if !decoded {
		return nil, false, false, nil
	}
	if !found {
		return nil, true, true, nil
	}
	return n, true, true, nil
}

// nodeLocked is the mirror's node id, shared (read only), with m.mu
// read-locked by the caller; decoded is false for an undecodable record.
func (m *mirror) nodeLocked(id int64) (n *pb.Node, found, decoded bool) {
	e, ok := m.kvs.Get(&entry{key: m.keys.Record(nodesTable.name, id)})
	if !ok {
		return nil, false, true
	}
	if e.rec == nil {
		return nil, false, false
	}
	return nodeOf(e.rec), true, true
}
