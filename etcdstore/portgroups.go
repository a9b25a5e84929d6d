package etcdstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Portgroups (BEHAVIOUR.md §7.3). Unique on uuid, name and address; a
// portgroup's node must exist, and it cannot be destroyed while ports use
// it.

// CreatePortgroup creates a portgroup: uuid generated when missing,
// standalone_ports_supported true, mode from WithDefaultPortgroupMode
// (read now) when missing or empty. PortgroupDuplicateName, then
// PortgroupMACAlreadyExists, then PortgroupAlreadyExists (uuid or explicit
// id); NodeNotFound for a missing node. One round trip.
func (s *Store) CreatePortgroup(ctx context.Context, values Values) (*pb.Portgroup, error) {
	defaults := Values{"standalone_ports_supported": true}
	// Missing, null or "": the default. Any other value, of any type, goes
	// to the record, which refuses a wrong type.
	if m, isString := values["mode"].(string); values["mode"] == nil || isString && m == "" {
		defaults["mode"] = s.opts.defaultPortgroupMode()
		if _, given := values["mode"]; given {
			values = copyValues(values)
			delete(values, "mode")
		}
	}
	return as[*pb.Portgroup](s.createRecord(ctx, portgroupsTable, &pb.Portgroup{}, values, defaults))
}

func copyValues(v Values) Values {
	out := make(Values, len(v))
	for k, x := range v {
		out[k] = x
	}
	return out
}

// GetPortgroupByID returns the portgroup with this id or
// PortgroupNotFound. One round trip.
func (s *Store) GetPortgroupByID(ctx context.Context, id int64) (*pb.Portgroup, error) {
	return as[*pb.Portgroup](s.getRecord(ctx, portgroupsTable, id))
}

// GetPortgroupByUUID returns the portgroup with this uuid (any spelling) or
// PortgroupNotFound. Round trips as GetNodeByUUID.
func (s *Store) GetPortgroupByUUID(ctx context.Context, pgUUID string) (*pb.Portgroup, error) {
	return as[*pb.Portgroup](s.getRecordBy(ctx, portgroupsTable, "uuid", pgUUID))
}

// GetPortgroupByAddress returns the portgroup with this MAC (any case) or
// PortgroupNotFound. Round trips as GetPortgroupByUUID.
func (s *Store) GetPortgroupByAddress(ctx context.Context, address string) (*pb.Portgroup, error) {
	return as[*pb.Portgroup](s.getRecordBy(ctx, portgroupsTable, "address", strings.ToLower(address)))
}

// GetPortgroupByName returns the portgroup with this name, in any case, or
// PortgroupNotFound. Round trips as GetPortgroupByUUID.
func (s *Store) GetPortgroupByName(ctx context.Context, name string) (*pb.Portgroup, error) {
	return as[*pb.Portgroup](s.getRecordBy(ctx, portgroupsTable, "name", name))
}

// GetPortgroupList lists portgroups (§5). One round trip per 1,000 in id
// order.
func (s *Store) GetPortgroupList(ctx context.Context, opts ListOptions) ([]*pb.Portgroup, error) {
	sts, err := s.listRecords(ctx, portgroupsTable, opts)
	return records[*pb.Portgroup](sts), err
}

// GetPortgroupsByNodeID lists the portgroups of node nodeID (§5); [] for
// an unknown node. Two round trips.
func (s *Store) GetPortgroupsByNodeID(ctx context.Context, nodeID int64, opts ListOptions) ([]*pb.Portgroup, error) {
	sts, err := s.listMembers(ctx, portgroupsTable, "node_id", nodeID, opts)
	return records[*pb.Portgroup](sts), err
}

// UpdatePortgroup changes the portgroup named by a MAC, an id or a uuid.
// "uuid" is refused (InvalidParameterValue), then PortgroupNotFound,
// PortgroupDuplicateName, PortgroupMACAlreadyExists. Two round trips.
func (s *Store) UpdatePortgroup(ctx context.Context, portgroupID string, values Values) (*pb.Portgroup, error) {
	return as[*pb.Portgroup](s.updateRecord(ctx, portgroupsTable, portgroupID, resolveMACOrIdentity, values))
}

// DestroyPortgroup deletes the portgroup named by an id or a uuid (a MAC
// or a name is InvalidIdentity, as in the reference). PortgroupNotEmpty
// while ports use it — checked in the delete transaction, so a port joining
// concurrently cannot be left pointing at nothing — and PortgroupNotFound.
// Two round trips.
func (s *Store) DestroyPortgroup(ctx context.Context, portgroupID string) error {
	return s.destroyRecord(ctx, portgroupsTable, portgroupID, resolveIdentity,
		func(id int64) string { return s.keys.Members(portsTable.name, "portgroup_id", id) },
		func() error {
			return newError(ErrPortgroupNotEmpty, fmt.Sprintf("cannot complete the requested action because portgroup %s contains ports", portgroupID), "portgroup", portgroupID)
		})
}
