package etcdstore

import (
	"context"
	"slices"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Ports (BEHAVIOUR.md §7.2). Unique on uuid, address and (21.4) name (MACs are stored
// in lower case and looked up case-insensitively); a port's node and
// portgroup must exist (compares in the create or update transaction).

// CreatePort creates a port: uuid generated when missing, pxe_enabled true
// and is_smartnic false by default. MACAlreadyExists, then
// PortAlreadyExists (a used name, uuid or explicit id: create_port names
// every clash but an address by the uuid); NodeNotFound or
// PortgroupNotFound for a missing owner. One round trip.
func (s *Store) CreatePort(ctx context.Context, values Values) (*pb.Port, error) {
	return as[*pb.Port](s.createRecord(ctx, portsTable, &pb.Port{}, values, Values{"pxe_enabled": true, "is_smartnic": false}))
}

// GetPortByID returns the port with this id or PortNotFound. One round trip.
func (s *Store) GetPortByID(ctx context.Context, id int64) (*pb.Port, error) {
	return as[*pb.Port](s.getRecord(ctx, portsTable, id))
}

// GetPortByUUID returns the port with this uuid (any spelling) or PortNotFound.
// Round trips as GetNodeByUUID.
func (s *Store) GetPortByUUID(ctx context.Context, portUUID string) (*pb.Port, error) {
	return as[*pb.Port](s.getRecordBy(ctx, portsTable, "uuid", portUUID))
}

// GetPortByAddress returns the port with this MAC address (any case) or
// PortNotFound. Round trips as GetPortByUUID.
func (s *Store) GetPortByAddress(ctx context.Context, address string) (*pb.Port, error) {
	return as[*pb.Port](s.getRecordBy(ctx, portsTable, "address", strings.ToLower(address)))
}

// GetPortByName is get_port_by_name: the port with this name, in any
// case, or PortNotFound naming it. Round trips as GetPortByUUID.
func (s *Store) GetPortByName(ctx context.Context, name string) (*pb.Port, error) {
	return as[*pb.Port](s.getRecordBy(ctx, portsTable, "name", name))
}

// GetPortsByShards is get_ports_by_shards: the ports whose node's shard
// is one of shards (none for an empty list; a node without a shard is in
// none), paged as §5. InvalidParameterValue for an unknown sort key. The
// ports and their nodes are read at one revision. Round trips as
// joinRoundTrips (project_reads.go).
func (s *Store) GetPortsByShards(ctx context.Context, shards []string, opts ListOptions) ([]*pb.Port, error) {
	if _, err := parseOrder(portsTable, opts); err != nil || len(shards) == 0 {
		return records[*pb.Port](nil), err
	}
	sts, err := s.listJoined(ctx, portsTable, "", opts, func(_ protoreflect.Message, n *pb.Node) bool {
		return n != nil && n.Shard != nil && slices.Contains(shards, n.GetShard())
	})
	return records[*pb.Port](sts), err
}

// GetPortList lists ports (§5): InvalidParameterValue for an unknown sort
// key. One round trip per 1,000 ports in id order.
func (s *Store) GetPortList(ctx context.Context, opts ListOptions) ([]*pb.Port, error) {
	sts, err := s.listRecords(ctx, portsTable, opts)
	return records[*pb.Port](sts), err
}

// GetPortsByNodeID lists the ports of node nodeID (§5); [] for an unknown
// node. Two round trips.
func (s *Store) GetPortsByNodeID(ctx context.Context, nodeID int64, opts ListOptions) ([]*pb.Port, error) {
	sts, err := s.listMembers(ctx, portsTable, "node_id", nodeID, opts)
	return records[*pb.Port](sts), err
}

// GetPortsByPortgroupID lists the ports of portgroup portgroupID (§5); []
// for an unknown portgroup. Two round trips.
func (s *Store) GetPortsByPortgroupID(ctx context.Context, portgroupID int64, opts ListOptions) ([]*pb.Port, error) {
	sts, err := s.listMembers(ctx, portsTable, "portgroup_id", portgroupID, opts)
	return records[*pb.Port](sts), err
}

// UpdatePort changes the port named by a MAC address, an id or a uuid.
// "uuid" is refused (InvalidParameterValue), then PortNotFound,
// PortDuplicateName for a name in use (before an address),
// MACAlreadyExists for an address in use. Two round trips.
func (s *Store) UpdatePort(ctx context.Context, portID string, values Values) (*pb.Port, error) {
	return as[*pb.Port](s.updateRecord(ctx, portsTable, portID, resolveMACOrIdentity, values))
}

// DestroyPort deletes the port named by a MAC address, an id or a uuid,
// with its index keys. PortNotFound. Two round trips.
func (s *Store) DestroyPort(ctx context.Context, portID string) error {
	return s.destroyRecord(ctx, portsTable, portID, resolveMACOrIdentity, nil, nil)
}
