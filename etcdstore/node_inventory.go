package etcdstore

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Node inventory (21.4's node_inventory table): the introspection data of
// a node, which must exist (NULL allowed), removed with it by
// destroy_node. inventory_data and plugin_data are JSON objects of at most
// 512 KiB each, the record at most 1 MiB (21.4 stores them as LONGTEXT on
// MySQL: larger documents are refused here, InvalidParameterValue).

var nodeInventoryTable = &table{
	name:    "node_inventory",
	noun:    "node inventory",
	newMsg:  func() proto.Message { return &pb.NodeInventory{} },
	members: []membership{{column: "node_id", owner: nodesTable, mustExist: true}},
	// The generic paths name an inventory by its id; 21.4's
	// NodeInventoryNotFound names the node (errInventoryNotFound).
	notFound: func(id string) error {
		return newError(ErrNodeInventoryNotFound, fmt.Sprintf("node inventory %s could not be found", id), "node", id)
	},
	alreadyExists: func(r protoreflect.Message) error {
		id := strconv.FormatInt(recordID(r), 10)
		return newError(ErrNodeInventoryAlreadyExists, fmt.Sprintf("a node inventory with ID %s already exists", id), "id", id)
	},
}

func errInventoryNotFound(nodeID int64) error {
	n := strconv.FormatInt(nodeID, 10)
	return newError(ErrNodeInventoryNotFound, fmt.Sprintf("node inventory record for node %s could not be found", n), "node", n)
}

// CreateNodeInventory follows 21.4's create_node_inventory. NodeNotFound
// for a node_id that does not exist; NodeInventoryAlreadyExists for an
// explicit id already taken; InvalidParameterValue for bad values (a JSON
// column over 512 KiB included). A node may have several inventories, as
// in 21.4. One round trip (plus one per id block).
func (s *Store) CreateNodeInventory(ctx context.Context, values Values) (*pb.NodeInventory, error) {
	return as[*pb.NodeInventory](s.createRecord(ctx, nodeInventoryTable, &pb.NodeInventory{}, values, nil))
}

// GetNodeInventoryByNodeID follows 21.4's get_node_inventory_by_node_id:
// NodeInventoryNotFound when the node has none. A node with several
// inventories gets its newest (latest created_at, then highest id), where
// 21.4 fails with SQLAlchemy's MultipleResultsFound. Two round trips (one
// from the read cache).
func (s *Store) GetNodeInventoryByNodeID(ctx context.Context, nodeID int64) (*pb.NodeInventory, error) {
	sts, err := s.inventoriesOf(ctx, nodeID)
	if err != nil {
		return nil, err
	}
	if len(sts) == 0 {
		return nil, errInventoryNotFound(nodeID)
	}
	newest := slices.MaxFunc(sts, func(a, b stored) int {
		x, y := a.rec.Interface().(*pb.NodeInventory), b.rec.Interface().(*pb.NodeInventory)
		if c := x.GetCreatedAt().AsTime().Compare(y.GetCreatedAt().AsTime()); c != 0 {
			return c
		}
		return compareValues(x.Id, y.Id, true)
	})
	return newest.rec.Interface().(*pb.NodeInventory), nil
}

// DestroyNodeInventoryByNodeID follows 21.4's
// destroy_node_inventory_by_node_id: deletes every inventory of the node;
// NodeInventoryNotFound when it has none. Each batch of WithMaxTxnOps/2
// inventories is one transaction comparing that they are unchanged.
// Round trips: three (two from the read cache) per batch, plus as many per
// lost race.
func (s *Store) DestroyNodeInventoryByNodeID(ctx context.Context, nodeID int64) error {
	deleted := false
	for {
		sts, err := s.inventoriesOf(ctx, nodeID)
		if err != nil {
			return err
		}
		if len(sts) == 0 {
			if deleted {
				return nil
			}
			return errInventoryNotFound(nodeID)
		}
		var part txnPart
		for _, st := range sts[:min(len(sts), max(1, s.opts.maxTxnOps/2))] {
			part.cmps = append(part.cmps, s.unchanged(child{t: nodeInventoryTable, st: st}))
			part.ops = append(part.ops, s.removeOps(nodeInventoryTable, st.rec)...)
		}
		resp, err := s.cli.Txn(ctx).If(part.cmps...).Then(part.ops...).Commit()
		if err != nil {
			return etcdError(err, true)
		}
		if resp.Succeeded {
			deleted = true
			for _, st := range sts {
				s.recent.forget(nodeInventoryTable, recordID(st.rec))
			}
		} else if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// inventoriesOf reads the inventories of node nodeID, as members does.
func (s *Store) inventoriesOf(ctx context.Context, nodeID int64) ([]stored, error) {
	sts, err := s.members(ctx, nodeInventoryTable, s.keys.Members(nodeInventoryTable.name, "node_id", nodeID))
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(sts, func(st stored) bool {
		return st.rec.Interface().(*pb.NodeInventory).GetNodeId() != nodeID
	}), nil
}
