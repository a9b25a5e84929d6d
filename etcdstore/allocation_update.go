package etcdstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// UpdateAllocation follows update_allocation(allocation_id, values,
// update_node): it changes the columns in values of the allocation
// allocationID (id or uuid).
//
// Checks in the reference's order: a "uuid" key is refused
// (InvalidParameterValue; "id" too, see README), then InvalidIdentity,
// AllocationNotFound, AllocationDuplicateName. When values sets a non-null,
// non-zero node_id and updateNode is true, the node is associated in the
// same transaction: its allocation_id becomes the allocation's id, its
// instance_uuid the allocation's uuid, and instance_info["traits"] the
// allocation's traits. NodeAssociated when the node has another
// instance_uuid; InstanceAssociated when another node has the
// allocation's uuid as its instance_uuid; AllocationNotFound, as 21.4,
// when the node does not exist. Without association a node_id must name
// an existing node (NodeNotFound) and the node is not touched.
//
// The association compares the revisions of the allocation and of the
// node record as read and retries on a conflict, so a concurrent
// update_node, destroy_node or association of the same node is never
// lost. It does not look at the node's lock, as 21.4 does not: the
// conductor associates while it holds the node's lock itself, and a lock
// lives in a key of its own, so reserve and release never conflict with
// it.
//
// Round trips: as UpdateVolumeTarget without association; with it three
// (read the allocation, read the node, write both), plus three per lost
// race.
func (s *Store) UpdateAllocation(ctx context.Context, allocationID string, values Values, updateNode bool) (*pb.Allocation, error) {
	nodeID, _ := values["node_id"]
	if n, err := toInt64(nodeID); !updateNode || nodeID == nil || err == nil && n == 0 {
		return as[*pb.Allocation](s.updateRecord(ctx, allocationsTable, allocationID, resolveIdentity, values))
	}
	if _, ok := values["uuid"]; ok {
		return nil, invalidParam("cannot overwrite UUID for an existing allocation")
	}
	if _, ok := values["id"]; ok {
		return nil, invalidParam("cannot update the id of an allocation")
	}
	id, err := resolveIdentity(allocationID)
	if err != nil {
		return nil, err
	}
	notFound := func() error { return allocationsTable.notFound(allocationID) }
	cur, found, err := s.loadByIdent(ctx, allocationsTable, id)
	for {
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, notFound()
		}
		var done bool
		var a *pb.Allocation
		done, a, err = s.associate(ctx, cur, values, notFound)
		if done || err != nil {
			return a, err
		}
		// The allocation or the node changed: start again from a fresh read.
		var fresh stored
		fresh, found, err = s.getByID(ctx, allocationsTable, recordID(cur.rec))
		if err == nil {
			fresh, found, err = s.renamed(ctx, allocationsTable, id, fresh, found)
		}
		if err == nil && !found {
			s.recent.forget(allocationsTable, recordID(cur.rec))
		}
		cur = fresh
		if err == nil {
			err = ctx.Err()
		}
	}
}

// associate writes values to the allocation cur and associates the node
// they name, in one transaction comparing both as read. done is false
// when either changed meanwhile (the caller reads again). One read (the
// node) and one transaction.
func (s *Store) associate(ctx context.Context, cur stored, values Values, notFound func() error) (done bool, _ *pb.Allocation, _ error) {
	next := proto.Clone(cur.rec.Interface()).ProtoReflect()
	for name, v := range values {
		if err := setValue(next, name, v); err != nil {
			return false, nil, err
		}
	}
	if err := validateRecord(next); err != nil {
		return false, nil, err
	}
	a := next.Interface().(*pb.Allocation)
	node, found, err := s.getByID(ctx, nodesTable, a.GetNodeId())
	if err != nil {
		return false, nil, err
	}
	if !found {
		// 21.4 reads the node with .one(): NoResultFound, reported as the
		// allocation not found.
		return false, nil, notFound()
	}
	old := nodeOf(node.rec)
	if inst := old.GetInstanceUuid(); inst != "" && inst != a.Uuid {
		return false, nil, newError(ErrNodeAssociated, fmt.Sprintf("node %s is associated with instance %s", old.Uuid, inst),
			"node", old.Uuid, "instance", inst)
	}
	nextNode := proto.Clone(node.rec.Interface()).ProtoReflect()
	n := nodeOf(nextNode)
	info, err := withTraits(n.InstanceInfo, a.Traits)
	if err != nil {
		return false, nil, err
	}
	n.AllocationId, n.InstanceUuid, n.InstanceInfo = &a.Id, &a.Uuid, info
	now := timestampOf(s.now())
	if _, keep := values["updated_at"]; !keep {
		a.UpdatedAt = now
	}
	n.UpdatedAt = now

	var b txnBuilder
	allocW, err := s.putChanged(&b, allocationsTable, cur, next)
	if err != nil {
		return false, nil, err
	}
	nodeW, err := s.putChanged(&b, nodesTable, node, nextNode)
	if err != nil {
		return false, nil, err
	}
	resp, err := b.commit(ctx, s.cli)
	if err != nil {
		return false, nil, etcdError(err, true)
	}
	if resp.Succeeded {
		rev := resp.Header.Revision
		for _, c := range []changedRecord{allocW, nodeW} {
			for _, k := range c.added {
				s.uniques.put(k.key, c.id)
			}
		}
		s.recent.put(allocationsTable, stored{rec: next, modRev: rev})
		s.recent.put(nodesTable, s.afterWrite(nodesTable, nextNode, rev, node))
		return true, a, nil
	}
	if allocW.moved(s, resp, cur) || nodeW.moved(s, resp, node) {
		return false, nil, nil
	}
	if err := allocW.clash(resp, next); err != nil {
		return false, nil, err
	}
	if err := nodeW.clash(resp, nextNode); err != nil {
		if isErr(err, ErrInstanceAssociated) {
			return false, nil, errInstanceAssociated(a.Uuid, old.Uuid)
		}
		return false, nil, err
	}
	return false, nil, errExtraCompare
}

// withTraits is instance_info with its "traits" key set to traits (a JSON
// list), as Python's dict assignment does it: every other key kept as
// stored and in its place, "traits" replaced where it is or added last.
func withTraits(info, traits []byte) ([]byte, error) {
	if len(traits) == 0 {
		traits = []byte("[]")
	}
	var keys []string
	vals := map[string]json.RawMessage{}
	dec := json.NewDecoder(bytes.NewReader(info))
	if len(info) > 0 {
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			return nil, invalidParam("the node's instance_info is not a JSON object")
		}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return nil, invalidParam("the node's instance_info does not decode: %v", err)
			}
			key, _ := tok.(string)
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return nil, invalidParam("the node's instance_info does not decode: %v", err)
			}
			if _, dup := vals[key]; !dup {
				keys = append(keys, key)
			}
			vals[key] = v
		}
	}
	if _, ok := vals["traits"]; !ok {
		keys = append(keys, "traits")
	}
	vals["traits"] = traits
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		name, _ := json.Marshal(k)
		buf.Write(name)
		buf.WriteByte(':')
		buf.Write(vals[k])
	}
	buf.WriteByte('}')
	out, err := encodeJSON(pb.JSONKind_JSON_OBJECT, json.RawMessage(buf.Bytes()))
	if err != nil {
		return nil, invalidParam("instance_info with the allocation's traits: %v", err)
	}
	return out, nil
}

// changedRecord is one record a multi-record transaction writes: the
// Else read that tells whether it moved, the unique keys it claims and
// the Else reads that name a clash.
type changedRecord struct {
	id      int64
	t       *table
	read    recordRead
	added   []indexKey
	clashes []txnRead
	owners  []ownerRead
}

// putChanged adds to b the update of cur to next (a record of t): the
// compare on the record's revision as read, the put, its index changes,
// and the Else read of the record. It does not compare a node's lock.
func (s *Store) putChanged(b *txnBuilder, t *table, cur stored, next protoreflect.Message) (changedRecord, error) {
	id := recordID(next)
	data, err := encode(t, next)
	if err != nil {
		return changedRecord{}, err
	}
	key := s.keys.Record(t.name, id)
	b.cmps = append(b.cmps, clientv3.Compare(clientv3.ModRevision(key), "=", cur.modRev))
	b.ops = append(b.ops, clientv3.OpPut(key, string(data)))
	c := changedRecord{id: id, t: t, read: b.readRecord(s, t, id)}
	c.added, c.clashes, c.owners = s.indexChanges(b, t, cur.rec, next)
	return c, nil
}

// moved reports whether the record changed or went since cur was read,
// from the Else read of a failed transaction.
func (c changedRecord) moved(s *Store, resp *clientv3.TxnResponse, cur stored) bool {
	fresh, found, err := s.decodeRead(c.t, c.read, resp)
	return err != nil || !found || fresh.modRev != cur.modRev
}

// clash names why a failed transaction refused the record's new state
// next (an owner gone, a unique key taken); nil: neither.
func (c changedRecord) clash(resp *clientv3.TxnResponse, next protoreflect.Message) error {
	return clashOf(resp, c.owners, c.added, c.clashes, next, false)
}
