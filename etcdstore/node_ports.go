package etcdstore

import (
	"context"
	"fmt"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// GetNodeByPortAddresses returns the one node that owns a port with any of
// these MAC addresses (any case). NodeNotFound when none does ("was not
// found", also for an empty list) or when several do ("Multiple nodes").
// Ports without a node do not count. InvalidParameterValue when the
// addresses together exceed etcd's default request limit (1.5 MiB), in
// both read modes.
//
// Everything is read as of one revision. Round trips: two — the address
// index entries with the ports they point at (known from this Store's copy
// of the index) in one transaction, then the node; one more for ports the
// copy did not know; one (the freshness check) from the read cache.
func (s *Store) GetNodeByPortAddresses(ctx context.Context, addresses []string) (*pb.Node, error) {
	desc := strings.Join(addresses, ",")
	if len(addresses) == 0 {
		return nodeOfPorts(0, stored{}, desc) // nothing to read, in either read mode
	}
	if len(desc) > etcdRequestLimit {
		return nil, invalidParam("port addresses of %d bytes exceed etcd's request limit of %d", len(desc), etcdRequestLimit)
	}
	owners, node, err := s.read.nodesOfPorts(ctx, addresses)
	if err != nil {
		return nil, err
	}
	return nodeOfPorts(owners, node, desc)
}

// nodeOfPorts turns the owners found into the reference's answer.
func nodeOfPorts(owners int, st stored, desc string) (*pb.Node, error) {
	switch {
	case owners > 1:
		msg := fmt.Sprintf("Multiple nodes with port addresses %s were found", desc)
		return nil, newError(ErrNodeNotFound, msg, "node", desc, ParamMessage, msg)
	case owners == 0 || st.rec == nil:
		msg := fmt.Sprintf("Node with port addresses %s was not found", desc)
		return nil, newError(ErrNodeNotFound, msg, "node", desc, ParamMessage, msg)
	}
	return nodeOf(st.rec), nil
}

// portsByAddress reads the ports holding these addresses and returns them
// with the revision they were read at. The index entries and the ports the
// Store's uniques copy expects behind them are read in one transaction; a
// port the copy did not know (or knew wrong) is read at the same revision
// afterwards.
func (d *directReader) portsByAddress(ctx context.Context, addresses []string) ([]stored, int64, error) {
	var (
		out     []stored
		missing []int64
		rev     int64
	)
	s := d.s
	per := max(1, s.opts.maxTxnOps/2)
	for start := 0; start < len(addresses); start += per {
		var opts []clientv3.OpOption
		if rev > 0 {
			opts = append(opts, clientv3.WithRev(rev))
		}
		var ops []clientv3.Op
		type guess struct {
			id    int64
			known bool
		}
		guesses := make([]guess, 0, per)
		for _, a := range addresses[start:min(start+per, len(addresses))] {
			key := s.keys.Unique(portsTable.name, "address", strings.ToLower(a))
			ops = append(ops, clientv3.OpGet(key, opts...))
			id, known := s.indexedID(portsTable.name, "address", key)
			if known {
				ops = append(ops, s.readOpsAt(portsTable, id, rev)...)
			}
			guesses = append(guesses, guess{id, known})
		}
		resp, err := s.cli.Txn(ctx).Then(ops...).Commit()
		if err != nil {
			return nil, 0, etcdError(err, false)
		}
		if rev == 0 {
			rev = resp.Header.Revision
		}
		rs := resp.Responses
		for _, g := range guesses {
			kvs := rs[0].GetResponseRange().Kvs
			rs = rs[1:]
			var id int64
			if len(kvs) > 0 {
				if id, err = indexEntryID(kvs[0]); err != nil {
					return nil, 0, err
				}
			}
			if g.known {
				if len(kvs) > 0 && id == g.id {
					st, found, err := s.parseRead(portsTable, rs[:1])
					if err != nil {
						return nil, 0, err
					}
					if found {
						out = append(out, st)
					}
					kvs = nil // read already
				}
				rs = rs[1:]
			}
			if len(kvs) > 0 {
				missing = append(missing, id)
			}
		}
	}
	if len(missing) > 0 {
		more, err := d.getMany(ctx, portsTable, missing, rev)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, more...)
	}
	return out, rev, nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
