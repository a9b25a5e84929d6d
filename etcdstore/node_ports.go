package etcdstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// GetNodeByPortAddresses returns the one node that owns a port with any of
// these MAC addresses (any case). NodeNotFound when none does ("was not
// found", also for an empty list) or when several do ("Multiple nodes").
// Ports without a node do not count.
//
// Round trips: three — the address index entries in one transaction, the
// ports in one transaction per WithMaxTxnOps, then the node; one (the
// freshness check) from the read cache.
func (s *Store) GetNodeByPortAddresses(ctx context.Context, addresses []string) (*pb.Node, error) {
	desc := strings.Join(addresses, ",")
	if s.mirror != nil {
		owners, st, served, err := s.mirror.nodesOfPorts(ctx, addresses)
		if err != nil {
			return nil, err
		}
		if served {
			return nodeOfPorts(owners, st, desc)
		}
	}
	portIDs, err := s.portIDsByAddress(ctx, addresses)
	if err != nil {
		return nil, err
	}
	ports, err := s.getMany(ctx, portsTable, portIDs)
	if err != nil {
		return nil, err
	}
	nodes := map[int64]bool{}
	for _, st := range ports {
		p := st.rec.Interface().(*pb.Port)
		if p.NodeId != nil && containsFold(addresses, p.GetAddress()) {
			nodes[p.GetNodeId()] = true
		}
	}
	var node stored
	for id := range nodes {
		if len(nodes) == 1 {
			st, found, err := s.getByID(ctx, nodesTable, id)
			if err != nil {
				return nil, err
			}
			if found { // else destroyed since the ports were read
				node = st
			}
		}
	}
	return nodeOfPorts(len(nodes), node, desc)
}

// nodeOfPorts turns the owners found into the reference's answer.
func nodeOfPorts(owners int, st stored, desc string) (*pb.Node, error) {
	switch {
	case owners > 1:
		return nil, newError(ErrNodeNotFound, fmt.Sprintf("Multiple nodes with port addresses %s were found", desc), "node", desc)
	case owners == 0 || st.rec == nil:
		return nil, newError(ErrNodeNotFound, fmt.Sprintf("node with port addresses %s was not found", desc), "node", desc)
	}
	return st.rec.Interface().(*pb.Node), nil
}

// portIDsByAddress resolves MACs through the address index in one
// transaction (or from the read cache).
func (s *Store) portIDsByAddress(ctx context.Context, addresses []string) ([]int64, error) {
	var ids []int64
	for start := 0; start < len(addresses); start += s.opts.maxTxnOps {
		batch := addresses[start:min(start+s.opts.maxTxnOps, len(addresses))]
		ops := make([]clientv3.Op, len(batch))
		for i, a := range batch {
			ops[i] = clientv3.OpGet(s.keys.Unique(tablePorts, "address", strings.ToLower(a)))
		}
		resp, err := s.cli.Txn(ctx).Then(ops...).Commit()
		if err != nil {
			return nil, etcdError(err, false)
		}
		for _, r := range resp.Responses {
			for _, kv := range r.GetResponseRange().Kvs {
				if id, err := strconv.ParseInt(string(kv.Value), 10, 64); err == nil {
					ids = append(ids, id)
				}
			}
		}
	}
	return ids, nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
