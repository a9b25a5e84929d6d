package etcdstore

import (
	"context"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// The read cache's side of node_join.go: records and their nodes under
// one read lock of the mirror.

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
	// keep tests the node too, so a page in id order stops at the limit.
	sts, ok := m.scanLocked(t, o, withNode, o.byIDOnly(), nil)
	return sts, ok && served, nil
}

// nodeBeside serves reader.nodeBeside from the mirror: current when the
// mirror holds st's record at st's revision. When st is the mirror's own
// answer to this call and still held, no second freshness check is
// needed: the mirror's state, a revision at which st holds, is no older
// than the call.
func (m *mirror) nodeBeside(ctx context.Context, t *table, st stored, nodeID int64) (node *pb.Node, current, served bool, err error) {
	m.mu.RLock()
	node, held := m.nodeBesideLocked(t, st, nodeID)
	m.mu.RUnlock()
	if held {
		return node, true, true, nil
	}
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

// nodeBesideLocked is node nodeID (nil: none) when the ready mirror holds
// st, which the mirror served, at st's revision (held), with m.mu
// read-locked by the caller. A record read from etcd (the mirror lagging)
// or remembered from an earlier call proves nothing about the mirror's
// age.
func (m *mirror) nodeBesideLocked(t *table, st stored, nodeID int64) (node *pb.Node, held bool) {
	if !m.ready || !st.mirrored || st.remembered {
		return nil, false
	}
	e, ok := m.kvs.Get(&entry{key: m.keys.Record(t.name, recordID(st.rec))})
	if !ok || e.modRev != st.modRev {
		return nil, false
	}
	n, found, decoded := m.nodeLocked(nodeID)
	if !decoded {
		return nil, false
	}
	if !found {
		return nil, true
	}
	return n, true
}
