package etcdstore

import (
	"context"
	"sync"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// The node_uuid of ports and portgroups: 21.4's read-only association
// proxy (Port.node_uuid, Portgroup.node_uuid, the uuid of the node whose
// id is node_id), which Ironic's objects read on every port and
// portgroup they load. It is no stored column, so it is read with the
// records' nodes, as SQL joins the nodes table.

// NodeUUIDs holds the node_uuid of the ports and portgroups that the
// Store's methods return under a context from WithNodeUUIDs.
type NodeUUIDs struct {
	mu    sync.Mutex
	uuids map[int64]string
}

type nodeUUIDsKey struct{}

// WithNodeUUIDs returns a context under which the Store's port and
// portgroup methods (the lookups, the lists, create and update) also read
// the node of every record they return, at a revision at which that record
// is as returned, and the NodeUUIDs those nodes' uuids go to. As
// net/http/httptrace does, the context carries what the caller wants to
// learn from the call; use a fresh one per call. Methods of other tables
// ignore it.
//
// Round trips added, direct:
//   - a lookup: one, a transaction reading the node that compares the
//     record's revision, again per change of the record in between (the
//     record is read again); none with a ProjectFilter, which reads the
//     node already;
//   - a list: the records and their nodes at one revision, each distinct
//     node once (one transaction for up to WithMaxTxnOps of them): one for
//     a membership list (a node's or a portgroup's records), one per 1,000
//     records walked in id order (once in another order) for a whole
//     table, none for a filtered list or GetPortsByShards (a whole-table
//     page in id order is read 1,000 records at a time, as a filtered
//     one, even when smaller);
//   - create and update: one, the lookup's read, and one more, as of the
//     write's revision, when the record changed since. The write is done
//     by then: an error of that read is ErrUnknownOutcome, whose advice
//     (read back before retrying) holds.
//
// From the read cache, lookups and lists add none (records and nodes come
// from the mirror at one revision, under the records' freshness check);
// create and update add one, a freshness check, plus the direct reads
// above when the mirror cannot answer.
func WithNodeUUIDs(ctx context.Context) (context.Context, *NodeUUIDs) {
	u := &NodeUUIDs{uuids: map[int64]string{}}
	return context.WithValue(ctx, nodeUUIDsKey{}, u), u
}

// Of is the node_uuid of a returned record whose node_id is nodeID: nil
// when nodeID is nil or no node had that id when the record was read.
func (u *NodeUUIDs) Of(nodeID *int64) *string {
	if nodeID == nil {
		return nil
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	uuid, ok := u.uuids[*nodeID]
	if !ok {
		return nil
	}
	return &uuid
}

// put records node (nil: none) as node nodeID of a record read. The last
// read wins, so a read the read cache gave up to etcd is replaced by
// etcd's.
func (u *NodeUUIDs) put(nodeID int64, node *pb.Node) {
	if u == nil {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if node == nil {
		delete(u.uuids, nodeID)
		return
	}
	u.uuids[nodeID] = node.GetUuid()
}

// nodeUUIDsFor is the NodeUUIDs ctx asks t's records' nodes for (nil:
// none, or t has no node_uuid).
func nodeUUIDsFor(ctx context.Context, t *table) *NodeUUIDs {
	if t != portsTable && t != portgroupsTable {
		return nil
	}
	u, _ := ctx.Value(nodeUUIDsKey{}).(*NodeUUIDs)
	return u
}

// nodeOfWritten gives the NodeUUIDs of ctx, if any, the node of st, a
// record this call has just written (modRev the write's revision): read
// beside the record while it is unchanged, else as of the write. The
// write is done, so an error is ErrUnknownOutcome.
func (s *Store) nodeOfWritten(ctx context.Context, t *table, st stored) error {
	u := nodeUUIDsFor(ctx, t)
	nodeID, ok := nodeIDOf(st.rec)
	if u == nil || !ok {
		return nil
	}
	node, current, err := s.read.nodeBeside(ctx, t, st, nodeID)
	if err == nil && !current {
		var nodes map[int64]*pb.Node
		nodes, err = s.directReader().nodesAt(ctx, []int64{nodeID}, st.modRev)
		node = nodes[nodeID]
	}
	if err != nil {
		return &unknownOutcome{err: err}
	}
	u.put(nodeID, node)
	return nil
}

// directReader is the reader that reads etcd, the read cache's fallback.
func (s *Store) directReader() *directReader {
	if c, ok := s.read.(*cachedReader); ok {
		return c.direct
	}
	return s.read.(*directReader)
}
