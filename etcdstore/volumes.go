package etcdstore

import (
	"context"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Volume connectors (BEHAVIOUR.md §7.7), unique on uuid and
// (type, connector_id), and volume targets (§7.8), unique on uuid and
// (node_id, boot_index). Both belong to a node that must exist.

// CreateVolumeConnector creates a volume connector, its uuid generated when
// missing. VolumeConnectorTypeAndIdAlreadyExists, then
// VolumeConnectorAlreadyExists (uuid or explicit id); NodeNotFound for a
// missing node. One round trip.
func (s *Store) CreateVolumeConnector(ctx context.Context, values Values) (*pb.VolumeConnector, error) {
	return as[*pb.VolumeConnector](s.createRecord(ctx, volumeConnectorsTable, &pb.VolumeConnector{}, values, nil))
}

// GetVolumeConnectorByID returns the connector with this id or
// VolumeConnectorNotFound. One round trip.
func (s *Store) GetVolumeConnectorByID(ctx context.Context, id int64) (*pb.VolumeConnector, error) {
	return as[*pb.VolumeConnector](s.getRecord(ctx, volumeConnectorsTable, id))
}

// GetVolumeConnectorByUUID returns the connector with this uuid (any spelling) or
// VolumeConnectorNotFound. One round trip once seen, else two.
func (s *Store) GetVolumeConnectorByUUID(ctx context.Context, connectorUUID string) (*pb.VolumeConnector, error) {
	return as[*pb.VolumeConnector](s.getRecordBy(ctx, volumeConnectorsTable, "uuid", connectorUUID))
}

// GetVolumeConnectorList lists volume connectors (§5). One round trip per
// 1,000 in id order.
func (s *Store) GetVolumeConnectorList(ctx context.Context, opts ListOptions) ([]*pb.VolumeConnector, error) {
	sts, err := s.listRecords(ctx, volumeConnectorsTable, opts)
	return records[*pb.VolumeConnector](sts), err
}

// GetVolumeConnectorsByNodeID lists the connectors of node nodeID (§5); []
// for an unknown node. Two round trips.
func (s *Store) GetVolumeConnectorsByNodeID(ctx context.Context, nodeID int64, opts ListOptions) ([]*pb.VolumeConnector, error) {
	sts, err := s.listMembers(ctx, volumeConnectorsTable, "node_id", nodeID, opts)
	return records[*pb.VolumeConnector](sts), err
}

// UpdateVolumeConnector changes the connector named by an id or a uuid.
// "uuid" is refused (InvalidParameterValue), then InvalidIdentity,
// VolumeConnectorNotFound (before any check of the values), and
// VolumeConnectorTypeAndIdAlreadyExists naming the merged type and
// connector_id. Two round trips.
func (s *Store) UpdateVolumeConnector(ctx context.Context, ident string, values Values) (*pb.VolumeConnector, error) {
	return as[*pb.VolumeConnector](s.updateRecord(ctx, volumeConnectorsTable, ident, resolveIdentity, values))
}

// DestroyVolumeConnector deletes the connector named by an id or a uuid.
// InvalidIdentity, VolumeConnectorNotFound. Two round trips.
func (s *Store) DestroyVolumeConnector(ctx context.Context, ident string) error {
	return s.destroyRecord(ctx, volumeConnectorsTable, ident, resolveIdentity, nil, nil)
}

// CreateVolumeTarget creates a volume target, its uuid generated when
// missing. VolumeTargetBootIndexAlreadyExists, then
// VolumeTargetAlreadyExists (uuid or explicit id); NodeNotFound for a
// missing node. One round trip.
func (s *Store) CreateVolumeTarget(ctx context.Context, values Values) (*pb.VolumeTarget, error) {
	return as[*pb.VolumeTarget](s.createRecord(ctx, volumeTargetsTable, &pb.VolumeTarget{}, values, nil))
}

// GetVolumeTargetByID returns the target with this id or
// VolumeTargetNotFound. One round trip.
func (s *Store) GetVolumeTargetByID(ctx context.Context, id int64) (*pb.VolumeTarget, error) {
	return as[*pb.VolumeTarget](s.getRecord(ctx, volumeTargetsTable, id))
}

// GetVolumeTargetByUUID returns the target with this uuid (any spelling) or
// VolumeTargetNotFound. One round trip once seen, else two.
func (s *Store) GetVolumeTargetByUUID(ctx context.Context, targetUUID string) (*pb.VolumeTarget, error) {
	return as[*pb.VolumeTarget](s.getRecordBy(ctx, volumeTargetsTable, "uuid", targetUUID))
}

// GetVolumeTargetList lists volume targets (§5). One round trip per 1,000
// in id order.
func (s *Store) GetVolumeTargetList(ctx context.Context, opts ListOptions) ([]*pb.VolumeTarget, error) {
	sts, err := s.listRecords(ctx, volumeTargetsTable, opts)
	return records[*pb.VolumeTarget](sts), err
}

// GetVolumeTargetsByNodeID lists the targets of node nodeID (§5); [] for
// an unknown node. Two round trips.
func (s *Store) GetVolumeTargetsByNodeID(ctx context.Context, nodeID int64, opts ListOptions) ([]*pb.VolumeTarget, error) {
	sts, err := s.listMembers(ctx, volumeTargetsTable, "node_id", nodeID, opts)
	return records[*pb.VolumeTarget](sts), err
}

// GetVolumeTargetsByVolumeID is get_volume_targets_by_volume_id(
// volume_id, ..., project): the targets whose volume_id is volumeID
// (exactly: no index, case matters), paged as §5, with f (only Project;
// an Owner is InvalidParameterValue) on their node. Round trips: one per
// 1,000 targets; with a filter, joinRoundTrips (project_reads.go).
func (s *Store) GetVolumeTargetsByVolumeID(ctx context.Context, volumeID string, opts ListOptions, f ProjectFilter) ([]*pb.VolumeTarget, error) {
	if err := f.projectOnly("get_volume_targets_by_volume_id"); err != nil {
		return nil, err
	}
	ofVolume := func(rec protoreflect.Message) bool {
		return rec.Interface().(*pb.VolumeTarget).GetVolumeId() == volumeID
	}
	if f.active() {
		sts, err := s.listJoined(ctx, volumeTargetsTable, "", opts, func(rec protoreflect.Message, n *pb.Node) bool {
			return ofVolume(rec) && f.keepNode(n)
		})
		return records[*pb.VolumeTarget](sts), err
	}
	ord, err := parseOrder(volumeTargetsTable, opts)
	if err != nil {
		return nil, err
	}
	sts, err := s.list(ctx, volumeTargetsTable, ord, ofVolume)
	return records[*pb.VolumeTarget](sts), err
}

// UpdateVolumeTarget changes the target named by an id or a uuid. "uuid"
// is refused (InvalidParameterValue), then InvalidIdentity,
// VolumeTargetNotFound, and VolumeTargetBootIndexAlreadyExists naming the
// merged boot_index. Two round trips.
func (s *Store) UpdateVolumeTarget(ctx context.Context, ident string, values Values) (*pb.VolumeTarget, error) {
	return as[*pb.VolumeTarget](s.updateRecord(ctx, volumeTargetsTable, ident, resolveIdentity, values))
}

// DestroyVolumeTarget deletes the target named by an id or a uuid.
// InvalidIdentity, VolumeTargetNotFound. Two round trips.
func (s *Store) DestroyVolumeTarget(ctx context.Context, ident string) error {
	return s.destroyRecord(ctx, volumeTargetsTable, ident, resolveIdentity, nil, nil)
}
