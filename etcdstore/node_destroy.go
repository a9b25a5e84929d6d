package etcdstore

import (
	"context"
	"fmt"
	"strconv"

	pbetcd "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/keys"
)

// nodeChildren are the tables whose records belong to a node through
// node_id and go with it.
var nodeChildren = []*table{portsTable, portgroupsTable, volumeConnectorsTable, volumeTargetsTable}

// DestroyNode removes node nodeID (id or uuid) with its lock, tags, ports,
// portgroups, volume connectors and volume targets. InvalidIdentity,
// NodeNotFound.
//
// Everything goes in one transaction that compares the node's and every
// child's revision and that no child was added since the children were
// read, so a create racing the destroy either lands first (and is
// removed) or fails with NodeNotFound: no orphan either way. A node with
// more children than one transaction may hold (WithMaxTxnOps) first loses
// its children in batches, each batch atomic with the children's index
// keys, then goes in a final transaction.
//
// Round trips: three (read node, read children, delete), plus one per
// batch or lost race.
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
		part := txnPart{}
		for _, c := range children {
			part.cmps = append(part.cmps, clientv3.Compare(clientv3.ModRevision(s.keys.Record(c.t.name, recordID(c.st.rec))), "=", c.st.modRev))
			part.ops = append(part.ops, s.removeOps(c.t, c.st.rec)...)
		}
		for _, t := range nodeChildren {
			prefix := s.keys.Members(t.name, "node_id", nid)
			part.cmps = append(part.cmps, clientv3.Compare(clientv3.ModRevision(prefix), "<", rev+1).WithPrefix())
		}
		guard, err := s.foreignPortsGuard(ctx, children)
		if err != nil {
			return err
		}
		part.cmps = append(part.cmps, guard...)
		nodeOps := len(s.removeOps(nodesTable, cur.rec))
		if len(part.ops)+nodeOps > s.opts.maxTxnOps || len(part.cmps)+1 > s.opts.maxTxnOps {
			if err := s.removeChildBatch(ctx, children); err != nil {
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
				s.index.forget(k.key)
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

// readChildren returns every record whose node_id is nid, and the
// revision at which the membership was read. Two round trips: the
// membership keys of all child tables in one transaction, then the records
// in transactions of at most WithMaxTxnOps reads.
func (s *Store) readChildren(ctx context.Context, nid int64) ([]child, int64, error) {
	var ops []clientv3.Op
	for _, t := range nodeChildren {
		ops = append(ops, clientv3.OpGet(s.keys.Members(t.name, "node_id", nid), clientv3.WithPrefix(), clientv3.WithKeysOnly()))
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
		for _, kv := range resp.Responses[i].GetResponseRange().Kvs {
			id, err := keys.ParseID(string(kv.Key))
			if err != nil {
				return nil, 0, err
			}
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

// removeChildBatch deletes as many children as fit in one transaction,
// each with its index keys, guarded by their revisions. A child changed
// meanwhile fails the batch; the caller reads again.
func (s *Store) removeChildBatch(ctx context.Context, children []child) error {
	var part txnPart
	for _, c := range children {
		ops := s.removeOps(c.t, c.st.rec)
		if len(part.ops)+len(ops) > s.opts.maxTxnOps || len(part.cmps)+1 > s.opts.maxTxnOps {
			break
		}
		part.cmps = append(part.cmps, clientv3.Compare(clientv3.ModRevision(s.keys.Record(c.t.name, recordID(c.st.rec))), "=", c.st.modRev))
		part.ops = append(part.ops, ops...)
	}
	_, err := s.cli.Txn(ctx).If(part.cmps...).Then(part.ops...).Commit()
	return etcdError(err, true)
}

// foreignPortsGuard refuses to destroy a node whose portgroups hold ports
// of another node (or of none): with the portgroup gone they would point
// at nothing, which referential integrity forbids (the reference leaves
// them dangling). It returns the compares that keep the portgroups'
// membership as checked until the delete commits. One round trip when the
// node has portgroups, none otherwise.
func (s *Store) foreignPortsGuard(ctx context.Context, children []child) ([]clientv3.Cmp, error) {
	own := map[int64]bool{}
	var pgs []int64
	for _, c := range children {
		switch c.t {
		case portsTable:
			own[recordID(c.st.rec)] = true
		case portgroupsTable:
			pgs = append(pgs, recordID(c.st.rec))
		}
	}
	if len(pgs) == 0 {
		return nil, nil
	}
	ops := make([]clientv3.Op, len(pgs))
	for i, pg := range pgs {
		ops[i] = clientv3.OpGet(s.keys.Members(tablePorts, "portgroup_id", pg), clientv3.WithPrefix(), clientv3.WithKeysOnly())
	}
	resp, err := s.cli.Txn(ctx).Then(ops...).Commit()
	if err != nil {
		return nil, etcdError(err, false)
	}
	var cmps []clientv3.Cmp
	for i, pg := range pgs {
		for _, kv := range resp.Responses[i].GetResponseRange().Kvs {
			if id, err := keys.ParseID(string(kv.Key)); err == nil && !own[id] {
				pgID := strconv.FormatInt(pg, 10)
				return nil, newError(ErrPortgroupNotEmpty, fmt.Sprintf("cannot destroy the node: its portgroup %s contains port %d of another node", pgID, id), "portgroup", pgID)
			}
		}
		prefix := s.keys.Members(tablePorts, "portgroup_id", pg)
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(prefix), "<", resp.Header.Revision+1).WithPrefix())
	}
	return cmps, nil
}
