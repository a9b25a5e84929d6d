package etcdstore

import (
	"context"
	"strconv"
	"strings"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// The 21.4 forms of the port, portgroup and volume reads that take
// owner= / project= (ProjectFilter). With the zero filter each is exactly
// the seed method it extends. A filter adds the read of the records'
// nodes at the records' revision (node_join.go).
//
// joinRoundTrips, the cost of a filtered whole-table list: in id order,
// two per 1,000 records read (the records, then their nodes at the
// records' revision), stopping once the page is full; in another order,
// one read of the whole table and one of the nodes. The nodes' read is
// one transaction for up to WithMaxTxnOps distinct nodes, else one range
// read per 1,000 nodes of their id range. One (the freshness check) from
// the read cache.
//
// get_volume_connectors_by_node_id and get_volume_targets_by_node_id take
// project= in 21.4 too, but build the join and drop it (api.py discards
// the filtered query): the filter changes nothing there, so they keep the
// seed's methods and the HTTP API accepts and ignores project.

// GetPortByAddressForProject is get_port_by_address(address, owner,
// project): GetPortByAddress, and PortNotFound (naming the address) also
// when the port's node does not pass f. Round trips: GetPortByAddress's,
// plus one with a filter.
func (s *Store) GetPortByAddressForProject(ctx context.Context, address string, f ProjectFilter) (*pb.Port, error) {
	return as[*pb.Port](s.getForProject(ctx, portsTable, f, func() error { return portsTable.notFound(address) },
		func() (stored, bool, error) {
			return s.getByUnique(ctx, portsTable, "address", strings.ToLower(address))
		}))
}

// GetPortListForProject is get_port_list(..., owner, project): the ports
// whose node passes f (§5 paging after the filter). InvalidParameterValue
// for an unknown sort key. Round trips: without a filter as GetPortList;
// with one, joinRoundTrips.
func (s *Store) GetPortListForProject(ctx context.Context, opts ListOptions, f ProjectFilter) ([]*pb.Port, error) {
	sts, err := s.listForProject(ctx, portsTable, "", 0, opts, f)
	return records[*pb.Port](sts), err
}

// GetPortsByNodeIDForProject is get_ports_by_node_id(node_id, ...,
// owner, project): [] when the node does not pass f. Round trips: two,
// plus one with a filter.
func (s *Store) GetPortsByNodeIDForProject(ctx context.Context, nodeID int64, opts ListOptions, f ProjectFilter) ([]*pb.Port, error) {
	sts, err := s.listForProject(ctx, portsTable, "node_id", nodeID, opts, f)
	return records[*pb.Port](sts), err
}

// GetPortsByPortgroupIDForProject is get_ports_by_portgroup_id(
// portgroup_id, ..., owner, project): the portgroup's ports whose node
// passes f. Round trips: two, plus one with a filter (one per
// WithMaxTxnOps distinct nodes).
func (s *Store) GetPortsByPortgroupIDForProject(ctx context.Context, portgroupID int64, opts ListOptions, f ProjectFilter) ([]*pb.Port, error) {
	sts, err := s.listForProject(ctx, portsTable, "portgroup_id", portgroupID, opts, f)
	return records[*pb.Port](sts), err
}

// GetPortgroupByIDForProject is get_portgroup_by_id(portgroup_id,
// project): PortgroupNotFound (naming the id) also when the portgroup's
// node does not pass f; an Owner is InvalidParameterValue (the reference
// takes none). Round trips: one, plus one with a filter.
func (s *Store) GetPortgroupByIDForProject(ctx context.Context, id int64, f ProjectFilter) (*pb.Portgroup, error) {
	if err := f.projectOnly("get_portgroup_by_id"); err != nil {
		return nil, err
	}
	ident := strconv.FormatInt(id, 10)
	return as[*pb.Portgroup](s.getForProject(ctx, portgroupsTable, f, func() error { return portgroupsTable.notFound(ident) },
		func() (stored, bool, error) { return s.getByID(ctx, portgroupsTable, id) }))
}

// GetPortgroupByAddressForProject is get_portgroup_by_address(address,
// project): PortgroupNotFound (naming the address) also when the
// portgroup's node does not pass f; an Owner is InvalidParameterValue.
// Round trips: GetPortgroupByAddress's, plus one with a filter.
func (s *Store) GetPortgroupByAddressForProject(ctx context.Context, address string, f ProjectFilter) (*pb.Portgroup, error) {
	if err := f.projectOnly("get_portgroup_by_address"); err != nil {
		return nil, err
	}
	return as[*pb.Portgroup](s.getForProject(ctx, portgroupsTable, f, func() error { return portgroupsTable.notFound(address) },
		func() (stored, bool, error) {
			return s.getByUnique(ctx, portgroupsTable, "address", strings.ToLower(address))
		}))
}

// GetPortgroupListForProject is get_portgroup_list(..., project); an
// Owner is InvalidParameterValue. Round trips as GetPortListForProject.
func (s *Store) GetPortgroupListForProject(ctx context.Context, opts ListOptions, f ProjectFilter) ([]*pb.Portgroup, error) {
	if err := f.projectOnly("get_portgroup_list"); err != nil {
		return nil, err
	}
	sts, err := s.listForProject(ctx, portgroupsTable, "", 0, opts, f)
	return records[*pb.Portgroup](sts), err
}

// GetPortgroupsByNodeIDForProject is get_portgroups_by_node_id(node_id,
// ..., project): [] when the node does not pass f; an Owner is
// InvalidParameterValue. Round trips: two, plus one with a filter.
func (s *Store) GetPortgroupsByNodeIDForProject(ctx context.Context, nodeID int64, opts ListOptions, f ProjectFilter) ([]*pb.Portgroup, error) {
	if err := f.projectOnly("get_portgroups_by_node_id"); err != nil {
		return nil, err
	}
	sts, err := s.listForProject(ctx, portgroupsTable, "node_id", nodeID, opts, f)
	return records[*pb.Portgroup](sts), err
}

// GetVolumeConnectorListForProject is get_volume_connector_list(...,
// project); an Owner is InvalidParameterValue. Round trips as
// GetPortListForProject.
func (s *Store) GetVolumeConnectorListForProject(ctx context.Context, opts ListOptions, f ProjectFilter) ([]*pb.VolumeConnector, error) {
	if err := f.projectOnly("get_volume_connector_list"); err != nil {
		return nil, err
	}
	sts, err := s.listForProject(ctx, volumeConnectorsTable, "", 0, opts, f)
	return records[*pb.VolumeConnector](sts), err
}

// GetVolumeTargetListForProject is get_volume_target_list(..., project);
// an Owner is InvalidParameterValue. Round trips as GetPortListForProject.
func (s *Store) GetVolumeTargetListForProject(ctx context.Context, opts ListOptions, f ProjectFilter) ([]*pb.VolumeTarget, error) {
	if err := f.projectOnly("get_volume_target_list"); err != nil {
		return nil, err
	}
	sts, err := s.listForProject(ctx, volumeTargetsTable, "", 0, opts, f)
	return records[*pb.VolumeTarget](sts), err
}
