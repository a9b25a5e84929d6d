package etcdstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// node_uuid is read at a revision at which the record is as returned: a
// rival that destroys node "a" (and with it its port p1) and creates a
// node again under a's id (explicit ids may be reused), with port p2 at
// p1's address, injected before each etcd request of the call, leaves a
// port beside the uuid of its own node, never beside the new node's uuid
// or none.

// replaceNodeA is that rival; the new node's uuid is labelled a2.uuid.
func replaceNodeA(ctx context.Context, s *etcdstore.Store, w map[string]int64) error {
	if err := s.DestroyNode(ctx, fmt.Sprint(w["a"])); err != nil {
		return err
	}
	n, err := s.CreateNode(ctx, etcdstore.Values{"id": w["a"]})
	if err != nil {
		return err
	}
	w["a2.uuid"] = 1002
	w["uuid:"+n.Uuid] = w["a2.uuid"]
	p, err := s.CreatePort(ctx, etcdstore.Values{"node_id": w["a"], "address": macOf(1)})
	w["p2"] = p.GetId()
	return err
}

// withUUIDs lists each port's id and the label of its node_uuid (-2 for
// none, 0 for a uuid of no node of the world), nothing for a nil port.
func withUUIDs(w map[string]int64, uuids *etcdstore.NodeUUIDs, ps ...*pb.Port) []int64 {
	var out []int64
	for _, p := range ps {
		if p == nil { // the call failed
			continue
		}
		label := int64(-2)
		if u := uuids.Of(p.NodeId); u != nil {
			label = w["uuid:"+*u]
		}
		out = append(out, p.Id, label)
	}
	return out
}

// notFoundOr is the answer of a lookup: [-1] for PortNotFound.
func notFoundOr(ids []int64, err error) ([]int64, error) {
	if errors.Is(err, etcdstore.ErrPortNotFound) {
		return []int64{-1}, nil
	}
	return ids, err
}

func nodeUUIDRaces() []joinRace {
	lookup := func(get func(ctx context.Context, s *etcdstore.Store, w map[string]int64) (*pb.Port, error)) func(context.Context, *etcdstore.Store, map[string]int64) ([]int64, error) {
		return func(ctx context.Context, s *etcdstore.Store, w map[string]int64) ([]int64, error) {
			ctx, uuids := etcdstore.WithNodeUUIDs(ctx)
			p, err := get(ctx, s, w)
			return notFoundOr(withUUIDs(w, uuids, p), err)
		}
	}
	list := func(get func(ctx context.Context, s *etcdstore.Store, w map[string]int64) ([]*pb.Port, error)) func(context.Context, *etcdstore.Store, map[string]int64) ([]int64, error) {
		return func(ctx context.Context, s *etcdstore.Store, w map[string]int64) ([]int64, error) {
			ctx, uuids := etcdstore.WithNodeUUIDs(ctx)
			ps, err := get(ctx, s, w)
			return withUUIDs(w, uuids, ps...), err
		}
	}
	// write answers the label of the written port's node_uuid only (its
	// id is new each time).
	write := func(put func(ctx context.Context, s *etcdstore.Store, w map[string]int64) (*pb.Port, error)) func(context.Context, *etcdstore.Store, map[string]int64) ([]int64, error) {
		return func(ctx context.Context, s *etcdstore.Store, w map[string]int64) ([]int64, error) {
			ctx, uuids := etcdstore.WithNodeUUIDs(ctx)
			p, err := put(ctx, s, w)
			ids, err := notFoundOr(withUUIDs(w, uuids, p), err)
			if len(ids) == 2 {
				ids = ids[1:]
			}
			return ids, err
		}
	}
	return []joinRace{
		{name: "get_port_by_id", rival: replaceNodeA, allowed: [][]string{{"p1", "a.uuid"}, {"notfound"}},
			call: lookup(func(ctx context.Context, s *etcdstore.Store, w map[string]int64) (*pb.Port, error) {
				return s.GetPortByID(ctx, w["p1"])
			})},
		{name: "get_port_by_address", rival: replaceNodeA, allowed: [][]string{{"p1", "a.uuid"}, {"p2", "a2.uuid"}},
			call: lookup(func(ctx context.Context, s *etcdstore.Store, _ map[string]int64) (*pb.Port, error) {
				return s.GetPortByAddress(ctx, macOf(1))
			})},
		{name: "get_ports_by_node_id", rival: replaceNodeA, allowed: [][]string{{"p1", "a.uuid"}, {"p2", "a2.uuid"}},
			call: list(func(ctx context.Context, s *etcdstore.Store, w map[string]int64) ([]*pb.Port, error) {
				return s.GetPortsByNodeID(ctx, w["a"], etcdstore.ListOptions{})
			})},
		{name: "get_port_list", rival: replaceNodeA,
			allowed: [][]string{{"p1", "a.uuid", "p3", "c.uuid"}, {"p2", "a2.uuid", "p3", "c.uuid"}},
			call: list(func(ctx context.Context, s *etcdstore.Store, _ map[string]int64) ([]*pb.Port, error) {
				return s.GetPortList(ctx, etcdstore.ListOptions{})
			})},
		// Created before the rival: node a's uuid, even once the port is
		// gone with a; after it: the new node's.
		{name: "create_port", rival: replaceNodeA, allowed: [][]string{{"a.uuid"}, {"a2.uuid"}},
			call: write(func(ctx context.Context, s *etcdstore.Store, w map[string]int64) (*pb.Port, error) {
				w["created"]++
				return s.CreatePort(ctx, etcdstore.Values{"node_id": w["a"], "address": macOf(int(500 + w["created"]))})
			})},
		{name: "update_port", rival: replaceNodeA, allowed: [][]string{{"a.uuid"}, {"notfound"}},
			call: write(func(ctx context.Context, s *etcdstore.Store, w map[string]int64) (*pb.Port, error) {
				w["updated"]++
				return s.UpdatePort(ctx, fmt.Sprint(w["p1"]), etcdstore.Values{"extra": map[string]any{"n": w["updated"]}})
			})},
	}
}

func TestNodeUUIDsAtTheRecordsRevision(t *testing.T) { runJoinRaces(t, nodeUUIDRaces()) }
