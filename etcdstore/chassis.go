package etcdstore

import (
	"context"
	"fmt"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Chassis (BEHAVIOUR.md §7.4). Unique on uuid; a node's chassis_id must
// name an existing chassis, and a chassis cannot be destroyed while nodes
// use it.

// CreateChassis creates a chassis, its uuid generated when missing.
// ChassisAlreadyExists for a used uuid or explicit id. One round trip.
func (s *Store) CreateChassis(ctx context.Context, values Values) (*pb.Chassis, error) {
	return as[*pb.Chassis](s.createRecord(ctx, chassisTable, &pb.Chassis{}, values, nil))
}

// GetChassisByID returns the chassis with this id or ChassisNotFound. One
// round trip.
func (s *Store) GetChassisByID(ctx context.Context, id int64) (*pb.Chassis, error) {
	return as[*pb.Chassis](s.getRecord(ctx, chassisTable, id))
}

// GetChassisByUUID returns the chassis with this uuid (any spelling) or
// ChassisNotFound. Round trips as GetNodeByUUID.
func (s *Store) GetChassisByUUID(ctx context.Context, chassisUUID string) (*pb.Chassis, error) {
	return as[*pb.Chassis](s.getRecordBy(ctx, chassisTable, "uuid", chassisUUID))
}

// GetChassisList lists chassis (§5). One round trip per 1,000 in id order.
func (s *Store) GetChassisList(ctx context.Context, opts ListOptions) ([]*pb.Chassis, error) {
	sts, err := s.listRecords(ctx, chassisTable, opts)
	return records[*pb.Chassis](sts), err
}

// UpdateChassis changes the chassis named by an id or a uuid and returns it
// as stored (JSON nulls read back as {}). "uuid" and unknown keys are
// refused (InvalidParameterValue), then InvalidIdentity, ChassisNotFound.
// Two round trips.
func (s *Store) UpdateChassis(ctx context.Context, chassisID string, values Values) (*pb.Chassis, error) {
	return as[*pb.Chassis](s.updateRecord(ctx, chassisTable, chassisID, resolveIdentity, values))
}

// DestroyChassis deletes the chassis named by an id or a uuid.
// ChassisNotEmpty while nodes use it (checked in the delete transaction),
// InvalidIdentity, ChassisNotFound. Two round trips.
func (s *Store) DestroyChassis(ctx context.Context, chassisID string) error {
	return s.destroyRecord(ctx, chassisTable, chassisID, resolveIdentity,
		func(id int64) string { return s.keys.Members(nodesTable.name, "chassis_id", id) },
		func() error {
			return newError(ErrChassisNotEmpty, fmt.Sprintf("cannot complete the requested action because chassis %s contains nodes", chassisID), "chassis", chassisID)
		})
}
