package etcdstore

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Node history (21.4's node_history table): events of a node, unique on
// uuid, belonging to a node that must exist (NULL allowed), removed with
// it by destroy_node.

var nodeHistoryTable = &table{
	name:   "node_history",
	noun:   "node history record",
	newMsg: func() proto.Message { return &pb.NodeHistory{} },
	uniques: []unique{
		{name: "uuid", columns: []string{"uuid"}, clash: errHistoryExists},
	},
	members: []membership{{column: "node_id", owner: nodesTable, mustExist: true}},
	notFound: func(id string) error {
		return errNotFound(ErrNodeHistoryNotFound, "node history record", "history", id)
	},
	alreadyExists: errHistoryExists,
}

func errHistoryExists(r protoreflect.Message) error {
	u := recordUUID(r)
	return newError(ErrNodeHistoryAlreadyExists, fmt.Sprintf("a node history record with UUID %s already exists", u), "uuid", u)
}

// CreateNodeHistory follows 21.4's create_node_history: the record always
// gets a new uuid (a given one is replaced, as the reference does).
// NodeNotFound for a node_id that does not exist; NodeHistoryAlreadyExists
// for an explicit id already taken; InvalidParameterValue for bad values.
// One round trip (plus one per id block).
func (s *Store) CreateNodeHistory(ctx context.Context, values Values) (*pb.NodeHistory, error) {
	v := make(Values, len(values))
	for k, x := range values {
		if k != "uuid" {
			v[k] = x
		}
	}
	return as[*pb.NodeHistory](s.createRecord(ctx, nodeHistoryTable, &pb.NodeHistory{}, v, nil))
}

// DestroyNodeHistoryByUUID follows 21.4's destroy_node_history_by_uuid:
// NodeHistoryNotFound when no record has this uuid (any spelling; a value
// that is not a uuid finds nothing). Two round trips.
func (s *Store) DestroyNodeHistoryByUUID(ctx context.Context, historyUUID string) error {
	return s.destroyRecord(ctx, nodeHistoryTable, historyUUID, byUUIDOnly, nil, nil)
}

// byUUIDOnly resolves an argument that the reference compares with the
// uuid column only (filter_by(uuid=...)): never InvalidIdentity.
// An empty value becomes id 0, which no record has.
func byUUIDOnly(s string) (ident, error) {
	return ident{uuid: CanonicalUUID(s), raw: s}, nil
}

// GetNodeHistoryByID follows 21.4's get_node_history_by_id:
// NodeHistoryNotFound when there is none. One round trip.
func (s *Store) GetNodeHistoryByID(ctx context.Context, id int64) (*pb.NodeHistory, error) {
	return as[*pb.NodeHistory](s.getRecord(ctx, nodeHistoryTable, id))
}

// GetNodeHistoryByUUID follows 21.4's get_node_history_by_uuid:
// NodeHistoryNotFound when there is none. One round trip once seen, else
// two.
func (s *Store) GetNodeHistoryByUUID(ctx context.Context, historyUUID string) (*pb.NodeHistory, error) {
	return as[*pb.NodeHistory](s.getRecordBy(ctx, nodeHistoryTable, "uuid", historyUUID))
}

// GetNodeHistoryList follows 21.4's get_node_history_list (§5), whose
// sort key defaults to created_at: a SortKey of "" sorts by created_at
// (ties by id), not by id. One read of the whole table (one round trip
// per 1,000 records when sorted by id).
func (s *Store) GetNodeHistoryList(ctx context.Context, opts ListOptions) ([]*pb.NodeHistory, error) {
	if opts.SortKey == "" {
		opts.SortKey = "created_at"
	}
	sts, err := s.listRecords(ctx, nodeHistoryTable, opts)
	return records[*pb.NodeHistory](sts), err
}

// GetNodeHistoryByNodeID follows 21.4's get_node_history_by_node_id (§5):
// the node's records, [] for an unknown node. Two round trips.
func (s *Store) GetNodeHistoryByNodeID(ctx context.Context, nodeID int64, opts ListOptions) ([]*pb.NodeHistory, error) {
	sts, err := s.listMembers(ctx, nodeHistoryTable, "node_id", nodeID, opts)
	return records[*pb.NodeHistory](sts), err
}
