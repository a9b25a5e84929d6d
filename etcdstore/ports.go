package etcdstore

import (
	"context"
	"strings"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Ports (BEHAVIOUR.md §7.2). Unique on uuid and address (MACs are stored
// in lower case and looked up case-insensitively); a port's node and
// portgroup must exist (compares in the create or update transaction).

// CreatePort creates a port: uuid generated when missing, pxe_enabled true
// by default. MACAlreadyExists, then PortAlreadyExists (uuid or explicit
// id); NodeNotFound or PortgroupNotFound for a missing owner. One round
// trip.
func (s *Store) CreatePort(ctx context.Context, values Values) (*pb.Port, error) {
	return as[*pb.Port](s.createRecord(ctx, portsTable, &pb.Port{}, values, Values{"pxe_enabled": true}))
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
// MACAlreadyExists for an address in use. Two round trips.
func (s *Store) UpdatePort(ctx context.Context, portID string, values Values) (*pb.Port, error) {
	return as[*pb.Port](s.updateRecord(ctx, portsTable, portID, resolveMACOrIdentity, values))
}

// DestroyPort deletes the port named by a MAC address, an id or a uuid,
// with its index keys. PortNotFound. Two round trips.
func (s *Store) DestroyPort(ctx context.Context, portID string) error {
	return s.destroyRecord(ctx, portsTable, portID, resolveMACOrIdentity, nil, nil)
}
