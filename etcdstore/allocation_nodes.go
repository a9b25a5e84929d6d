package etcdstore

import (
	"context"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/proto"
)

// orphanNodesOf is the part of a transaction that clears allocation_id and
// instance_uuid of every node pointing at allocation aid, as
// destroy_allocation's bulk update does: each node's revision compared as
// read, and no node added to the allocation's members since. The nodes'
// locks are not compared (21.4 does not look at them). Round trips: one,
// plus one when some node points at the allocation.
func (s *Store) orphanNodesOf(ctx context.Context, aid int64) (txnPart, error) {
	prefix := s.keys.Members(nodesTable.name, "allocation_id", aid)
	resp, err := s.cli.Get(ctx, prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		return txnPart{}, etcdError(err, false)
	}
	rev := resp.Header.Revision
	part := txnPart{cmps: []clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(prefix), "<", rev+1).WithPrefix()}}
	if len(resp.Kvs) == 0 {
		return part, nil
	}
	var gets []clientv3.Op
	for _, kv := range resp.Kvs {
		id, err := memberKeyID(kv)
		if err != nil {
			return txnPart{}, err
		}
		gets = append(gets, clientv3.OpGet(s.keys.Record(nodesTable.name, id), clientv3.WithRev(rev)))
	}
	got, err := s.cli.Txn(ctx).Then(gets...).Commit()
	if err != nil {
		return txnPart{}, etcdError(err, false)
	}
	now := timestampOf(s.now())
	for _, r := range got.Responses {
		cur, found, err := s.decodeFound(nodesTable, r.GetResponseRange().Kvs, nodeLock{}) // the lock is not compared
		if err != nil {
			return txnPart{}, err
		}
		if !found || nodeOf(cur.rec).GetAllocationId() != aid {
			continue // a stray key: the invariants' business, not ours
		}
		next := proto.Clone(cur.rec.Interface()).ProtoReflect()
		n := nodeOf(next)
		n.AllocationId, n.InstanceUuid, n.UpdatedAt = nil, nil, now
		var b txnBuilder
		if _, err := s.putChanged(&b, nodesTable, cur, next); err != nil {
			return txnPart{}, err
		}
		part.cmps = append(part.cmps, b.cmps...)
		part.ops = append(part.ops, b.ops...)
	}
	return part, nil
}
