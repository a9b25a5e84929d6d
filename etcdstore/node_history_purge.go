package etcdstore

import (
	"cmp"
	"context"
	"slices"
	"time"

	pbetcd "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// The conductor's periodic clean-up of node history: which records to
// purge, and their bulk delete.

// HistoryPurgeLimits are the [conductor] options 21.4's
// query_node_history_records_for_purge reads from its configuration; the
// Go form takes them as an argument. DefaultHistoryPurgeLimits holds
// 21.4's defaults.
type HistoryPurgeLimits struct {
	// MaxEntries is node_history_max_entries: how many records a node
	// keeps (21.4: 300).
	MaxEntries int
	// MinimumDays is node_history_minimum_days: records younger than
	// this many days are never purged nor counted (21.4: 0, none).
	MinimumDays int
}

// DefaultHistoryPurgeLimits are 21.4's defaults of the purge options.
var DefaultHistoryPurgeLimits = HistoryPurgeLimits{MaxEntries: 300}

// QueryNodeHistoryRecordsForPurge follows 21.4's
// query_node_history_records_for_purge(conductor_id): for each node whose
// conductor_affinity is conductorID, the ids of its oldest records
// (created_at ascending, ties by id) beyond limits.MaxEntries, counting
// only records older than limits.MinimumDays days when it is positive.
// Unlike 21.4, nodes with nothing to purge are left out of the map rather
// than mapped to an empty list (21.4's conductor skips those). Negative
// limits: InvalidParameterValue.
//
// Round trips: the node scan (one per 1,000 nodes read directly, one from
// the read cache), one per WithMaxTxnOps nodes of affinity (their history
// keys only), and two per node holding more than MaxEntries records (one
// from the read cache).
func (s *Store) QueryNodeHistoryRecordsForPurge(ctx context.Context, conductorID int64, limits HistoryPurgeLimits) (map[int64][]int64, error) {
	if limits.MaxEntries < 0 || limits.MinimumDays < 0 {
		return nil, invalidParam("node history purge limits must be >= 0, not %+v", limits)
	}
	nodes, err := s.nodesOfAffinity(ctx, conductorID)
	if err != nil {
		return nil, err
	}
	over, err := s.nodesWithHistoryOver(ctx, nodes, limits.MaxEntries)
	if err != nil {
		return nil, err
	}
	var cutoff time.Time
	if limits.MinimumDays > 0 {
		cutoff = s.now().AddDate(0, 0, -limits.MinimumDays)
	}
	out := map[int64][]int64{}
	for _, nid := range over {
		sts, err := s.members(ctx, nodeHistoryTable, s.keys.Members(nodeHistoryTable.name, "node_id", nid))
		if err != nil {
			return nil, err
		}
		var old []*pb.NodeHistory
		for _, st := range sts {
			h := st.rec.Interface().(*pb.NodeHistory)
			if h.GetNodeId() == nid && (cutoff.IsZero() || h.GetCreatedAt().AsTime().Before(cutoff)) {
				old = append(old, h)
			}
		}
		if len(old) <= limits.MaxEntries {
			continue
		}
		slices.SortFunc(old, func(a, b *pb.NodeHistory) int {
			if c := a.GetCreatedAt().AsTime().Compare(b.GetCreatedAt().AsTime()); c != 0 {
				return c
			}
			return cmp.Compare(a.Id, b.Id)
		})
		ids := make([]int64, len(old)-limits.MaxEntries)
		for i := range ids {
			ids[i] = old[i].Id
		}
		out[nid] = ids
	}
	return out, nil
}

// nodesOfAffinity are the ids of the nodes whose conductor_affinity is
// conductorID, ascending. Round trips as list.
func (s *Store) nodesOfAffinity(ctx context.Context, conductorID int64) ([]int64, error) {
	ord, err := parseOrder(nodesTable, ListOptions{})
	if err != nil {
		return nil, err
	}
	ord.shared = true
	sts, err := s.list(ctx, nodesTable, ord, func(rec protoreflect.Message) bool {
		n := nodeOf(rec)
		return n.ConductorAffinity != nil && *n.ConductorAffinity == conductorID
	})
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(sts))
	for i, st := range sts {
		ids[i] = recordID(st.rec)
	}
	return ids, nil
}

// nodesWithHistoryOver are the nodes among nids with more than limit
// history records, counted from their membership keys alone. One round
// trip per WithMaxTxnOps nodes.
func (s *Store) nodesWithHistoryOver(ctx context.Context, nids []int64, limit int) ([]int64, error) {
	var out []int64
	for start := 0; start < len(nids); start += s.opts.maxTxnOps {
		batch := nids[start:min(start+s.opts.maxTxnOps, len(nids))]
		ops := make([]clientv3.Op, len(batch))
		for i, nid := range batch {
			ops[i] = clientv3.OpGet(s.keys.Members(nodeHistoryTable.name, "node_id", nid), clientv3.WithPrefix(), clientv3.WithCountOnly())
		}
		resp, err := s.cli.Txn(ctx).Then(ops...).Commit()
		if err != nil {
			return nil, etcdError(err, false)
		}
		for i, nid := range batch {
			if resp.Responses[i].GetResponseRange().Count > int64(limit) {
				out = append(out, nid)
			}
		}
	}
	return out, nil
}

// BulkDeleteNodeHistoryRecords follows 21.4's
// bulk_delete_node_history_records(entries): deletes the history records
// with these ids; ids that name no record are ignored. Each batch of
// WithMaxTxnOps/3 records is one transaction (with their uuid index and
// membership keys), not the whole call as in 21.4's single DELETE.
// Round trips: two per batch (read, delete), plus two per lost race.
func (s *Store) BulkDeleteNodeHistoryRecords(ctx context.Context, entries []int64) error {
	ids := slices.Clone(entries)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	per := max(1, s.opts.maxTxnOps/3)
	for len(ids) > 0 {
		batch := ids[:min(per, len(ids))]
		done, err := s.deleteHistoryBatch(ctx, batch)
		if err != nil {
			return err
		}
		if done {
			ids = ids[len(batch):]
		} else if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// deleteHistoryBatch reads the records of ids and deletes those found, if
// unchanged since read; done is false when one changed (the caller reads
// again).
func (s *Store) deleteHistoryBatch(ctx context.Context, ids []int64) (done bool, err error) {
	gets := make([]clientv3.Op, len(ids))
	for i, id := range ids {
		gets[i] = clientv3.OpGet(s.keys.Record(nodeHistoryTable.name, id))
	}
	got, err := s.cli.Txn(ctx).Then(gets...).Commit()
	if err != nil {
		return false, etcdError(err, false)
	}
	var part txnPart
	for i := range ids {
		st, found, err := s.parseRead(nodeHistoryTable, []*pbetcd.ResponseOp{got.Responses[i]})
		if err != nil {
			return false, err
		}
		if found {
			part.cmps = append(part.cmps, s.unchanged(child{t: nodeHistoryTable, st: st}))
			part.ops = append(part.ops, s.removeOps(nodeHistoryTable, st.rec)...)
		}
	}
	if len(part.ops) == 0 {
		return true, nil
	}
	resp, err := s.cli.Txn(ctx).If(part.cmps...).Then(part.ops...).Commit()
	if err != nil {
		return false, etcdError(err, true)
	}
	if resp.Succeeded {
		for _, id := range ids {
			s.recent.forget(nodeHistoryTable, id)
		}
	}
	return resp.Succeeded, nil
}
