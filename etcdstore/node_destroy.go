package etcdstore

import (
	"context"
	"fmt"
	"strconv"

	pbetcd "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// nodeChildren are the tables whose records belong to a node (through
// their membership on it, nodeColumn) and go with it.
var nodeChildren = []*table{portsTable, portgroupsTable, volumeConnectorsTable, volumeTargetsTable,
	nodeHistoryTable, nodeInventoryTable, allocationsTable, biosSettingsTable}

// minTxnOps is the least --max-txn-ops the store works with: destroy_node's
// last transaction compares one membership prefix per child table besides
// the node itself, and each of its batches must remove at least one child.
const minTxnOps = 16

// nodeColumn is the column by which t's records belong to a node: the
// column of its membership on the nodes table.
func nodeColumn(t *table) string {
	for _, m := range t.members {
		if m.owner == nodesTable {
			return m.column
		}
	}
	panic("etcdstore: table " + t.name + " does not belong to nodes")
}

// DestroyNode removes node nodeID (id or uuid) with its lock, tags,
// traits, ports, portgroups, volume connectors, volume targets, BIOS
// settings, history, inventory and allocations (those whose node_id is
// the node, as 21.4: its own allocation_id goes with the record, so an
// allocation of another node it pointed at stays).
// InvalidIdentity, NodeNotFound.
//
// Everything goes in one transaction that compares the node's and every
// child's revision and that no child was added since the children were
// read, so a create racing the destroy either lands first (and is
// removed) or fails with NodeNotFound: no orphan either way. A node with
// more children than one transaction may hold (WithMaxTxnOps) first loses
// its children in batches, ports first, each batch atomic with the
// children's index keys and comparing that every portgroup it deletes
// holds the ports it held when checked; then the node goes in a final
// transaction. PortgroupNotEmpty when one of its portgroups holds a port
// of another node.
//
// Round trips: four (read node, read children, check the portgroups'
// ports, delete; three without portgroups), plus one per batch or lost
// race.
func (s *Store) DestroyNode(ctx context.Context, nodeID string) error {
	id, err := resolveIdentity(nodeID)
	if err != nil {
		return err
	}
	for {
		cur, found, err := s.loadByIdent(ctx, nodesTable, id)
		if err != nil {
			return err
		}
		if !found {
			return errNodeNotFound(nodeID)
		}
		nid := recordID(cur.rec)
		children, rev, err := s.readChildren(ctx, nid)
		if err != nil {
			return err
		}
		guards, stale, err := s.portgroupGuards(ctx, nid, children)
		if err != nil {
			return err
		}
		if stale {
			continue // a port of the node joined one of its portgroups since the children were read
		}
		part := txnPart{}
		for _, c := range children {
			part.cmps = append(part.cmps, s.unchanged(c))
			part.ops = append(part.ops, s.removeOps(c.t, c.st.rec)...)
		}
		for _, t := range nodeChildren {
			prefix := s.keys.Members(t.name, nodeColumn(t), nid)
			part.cmps = append(part.cmps, clientv3.Compare(clientv3.ModRevision(prefix), "<", rev+1).WithPrefix())
		}
		for _, g := range guards {
			part.cmps = append(part.cmps, g)
		}
		nodeOps := len(s.removeOps(nodesTable, cur.rec))
		if len(part.ops)+nodeOps > s.opts.maxTxnOps || len(part.cmps)+1 > s.opts.maxTxnOps {
			if err := s.removeChildBatch(ctx, children, guards); err != nil {
				return err
			}
			continue
		}
		done, _, _, err := s.remove(ctx, nodesTable, cur, part)
		if err != nil {
			return err
		}
		if done {
			for _, k := range s.uniqueKeys(nodesTable, cur.rec) {
				s.uniques.forget(k.key)
			}
			return nil
		}
		// The node or its children changed since read: read again.
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// child is one record that belongs to a node.
type child struct {
	t  *table
	st stored
}

// readChildren returns every record that belongs to node nid, and the
// revision at which the membership was read. Two round trips: the
// membership keys of all child tables in one transaction, then the records
// in transactions of at most WithMaxTxnOps reads.
func (s *Store) readChildren(ctx context.Context, nid int64) ([]child, int64, error) {
	var ops []clientv3.Op
	for _, t := range nodeChildren {
		ops = append(ops, clientv3.OpGet(s.keys.Members(t.name, nodeColumn(t), nid), clientv3.WithPrefix(), clientv3.WithKeysOnly()))
	}
	resp, err := s.cli.Txn(ctx).Then(ops...).Commit()
	if err != nil {
		return nil, 0, etcdError(err, false)
	}
	type ref struct {
		t  *table
		id int64
	}
	var refs []ref
	for i, t := range nodeChildren {
		ids, err := memberIDs(resp.Responses[i])
		if err != nil {
			return nil, 0, err
		}
		for _, id := range ids {
			refs = append(refs, ref{t, id})
		}
	}
	var out []child
	for start := 0; start < len(refs); start += s.opts.maxTxnOps {
		batch := refs[start:min(start+s.opts.maxTxnOps, len(refs))]
		gets := make([]clientv3.Op, len(batch))
		for i, r := range batch {
			gets[i] = clientv3.OpGet(s.keys.Record(r.t.name, r.id))
		}
		got, err := s.cli.Txn(ctx).Then(gets...).Commit()
		if err != nil {
			return nil, 0, etcdError(err, false)
		}
		for i, r := range batch {
			st, found, err := s.parseRead(r.t, []*pbetcd.ResponseOp{got.Responses[i]})
			if err != nil {
				return nil, 0, err
			}
			if found {
				out = append(out, child{t: r.t, st: st})
			}
		}
	}
	return out, resp.Header.Revision, nil
}

// unchanged compares that a child is still as read.
func (s *Store) unchanged(c child) clientv3.Cmp {
	return clientv3.Compare(clientv3.ModRevision(s.keys.Record(c.t.name, recordID(c.st.rec))), "=", c.st.modRev)
}

// removeChildBatch deletes as many children as fit in one transaction, in
// the order read (ports before portgroups, so a portgroup goes after its
// node's ports), each with its index keys, guarded by their revisions and
// by the guard of every portgroup deleted. A child changed meanwhile, or
// a port added to a portgroup of the batch, fails the batch; the caller
// reads again.
func (s *Store) removeChildBatch(ctx context.Context, children []child, guards map[int64]clientv3.Cmp) error {
	var part txnPart
	for _, c := range children {
		cmps := []clientv3.Cmp{s.unchanged(c)}
		if g, ok := guards[recordID(c.st.rec)]; ok && c.t == portgroupsTable {
			cmps = append(cmps, g)
		}
		ops := s.removeOps(c.t, c.st.rec)
		if len(part.ops)+len(ops) > s.opts.maxTxnOps || len(part.cmps)+len(cmps) > s.opts.maxTxnOps {
			break
		}
		part.cmps = append(part.cmps, cmps...)
		part.ops = append(part.ops, ops...)
	}
	if len(part.ops) == 0 {
		// Nothing fits: going on would loop. minTxnOps rules this out.
		return newError(ErrInternal, fmt.Sprintf("destroy_node: a transaction of %d operations holds no step", s.opts.maxTxnOps))
	}
	_, err := s.cli.Txn(ctx).If(part.cmps...).Then(part.ops...).Commit()
	return etcdError(err, true)
}

// portgroupGuards refuses to destroy a node whose portgroups hold ports
// of another node (or of none): with the portgroup gone they would point
// at nothing, which referential integrity forbids (the reference leaves
// them dangling). It reads, at one revision, the ports of each portgroup
// and the node's own ports, so a port is classified by its node at that
// revision; stale reports a port of the node that the children read did
// not see (the caller reads them again). It returns, per portgroup, the
// compare that keeps its ports as checked until the delete commits. One
// round trip when the node has portgroups, none otherwise.
func (s *Store) portgroupGuards(ctx context.Context, nid int64, children []child) (guards map[int64]clientv3.Cmp, stale bool, err error) {
	read := map[int64]bool{}
	var pgs []int64
	for _, c := range children {
		switch c.t {
		case portsTable:
			read[recordID(c.st.rec)] = true
		case portgroupsTable:
			pgs = append(pgs, recordID(c.st.rec))
		}
	}
	if len(pgs) == 0 {
		return nil, false, nil
	}
	ops := []clientv3.Op{clientv3.OpGet(s.keys.Members(portsTable.name, "node_id", nid), clientv3.WithPrefix(), clientv3.WithKeysOnly())}
	for _, pg := range pgs {
		ops = append(ops, clientv3.OpGet(s.keys.Members(portsTable.name, "portgroup_id", pg), clientv3.WithPrefix(), clientv3.WithKeysOnly()))
	}
	resp, err := s.cli.Txn(ctx).Then(ops...).Commit()
	if err != nil {
		return nil, false, etcdError(err, false)
	}
	ownList, err := memberIDs(resp.Responses[0])
	if err != nil {
		return nil, false, err
	}
	own := make(map[int64]bool, len(ownList))
	for _, id := range ownList {
		own[id] = true
	}
	guards = make(map[int64]clientv3.Cmp, len(pgs))
	for i, pg := range pgs {
		ports, err := memberIDs(resp.Responses[i+1])
		if err != nil {
			return nil, false, err
		}
		for _, id := range ports {
			switch {
			case !own[id]:
				pgID := strconv.FormatInt(pg, 10)
				return nil, false, newError(ErrPortgroupNotEmpty, fmt.Sprintf("cannot destroy the node: its portgroup %s contains port %d of another node", pgID, id), "portgroup", pgID)
			case !read[id]:
				stale = true
			}
		}
		prefix := s.keys.Members(portsTable.name, "portgroup_id", pg)
		guards[pg] = clientv3.Compare(clientv3.ModRevision(prefix), "<", resp.Header.Revision+1).WithPrefix()
	}
	return guards, stale, nil
}

// memberIDs are the ids of the membership keys a range read returned.
func memberIDs(r *pbetcd.ResponseOp) ([]int64, error) {
	kvs := r.GetResponseRange().Kvs
	ids := make([]int64, len(kvs))
	for i, kv := range kvs {
		id, err := memberKeyID(kv)
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return ids, nil
}
