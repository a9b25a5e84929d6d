package etcdstore

import (
	"context"
	"slices"
	"sort"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// The conductor methods of Ironic 21.4 beyond the seed's. Liveness is
// liveness.go's: a conductor with a session is active while its lease
// is, one without by the reference's timestamps against the heartbeat
// timeout (WithHeartbeatTimeout).

// GetConductorOnline follows get_conductor(hostname, online=True) of
// Ironic 21.4: the conductor hostname (in any case) whose online is
// *online, or with online nil (None) whatever it is. ConductorNotFound
// otherwise. GetConductor is this with online true. Two round trips.
func (s *Store) GetConductorOnline(ctx context.Context, hostname string, online *bool) (*pb.Conductor, error) {
	st, found, err := s.getByUnique(ctx, conductorsTable, "hostname", hostname)
	if err != nil {
		return nil, err
	}
	if !found || online != nil && st.rec.Interface().(*pb.Conductor).Online != *online {
		return nil, errConductorNotFound(hostname)
	}
	return st.rec.Interface().(*pb.Conductor), nil
}

// GetConductorListWith follows get_conductor_list(limit, marker,
// sort_key, sort_dir) of Ironic 21.4: every conductor, online or not,
// paged as every list (a *pb.Conductor marker; an unknown sort_key or
// sort_dir is InvalidParameterValue). Round trips: one per 1,000
// conductors in id order, one for another sort key.
func (s *Store) GetConductorListWith(ctx context.Context, opts ListOptions) ([]*pb.Conductor, error) {
	sts, err := s.listRecords(ctx, conductorsTable, opts)
	return records[*pb.Conductor](sts), err
}

// GetOfflineConductorsField follows get_offline_conductors(field='hostname')
// of Ironic 21.4: the column field of every offline conductor, in id
// order, as ColumnValue gives it (a string hostname, an int64 id, a
// time.Time, json.RawMessage drivers, nil for NULL). A field that is no
// conductor column is InvalidParameterValue (the reference fails with an
// AttributeError). One round trip.
func (s *Store) GetOfflineConductorsField(ctx context.Context, field string) ([]any, error) {
	fd, ok := conductorColumn(field)
	if !ok {
		return nil, invalidParam("conductors have no column %q", field)
	}
	views, err := s.readConductors(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := []any{}
	for _, v := range views {
		if v.offline(now, s.heartbeatTimeoutNow()) {
			out = append(out, getValue(v.c.ProtoReflect(), fd))
		}
	}
	return out, nil
}

// conductorColumn is the conductor column named field (not the store's
// own lease).
func conductorColumn(field string) (protoreflect.FieldDescriptor, bool) {
	fd := (&pb.Conductor{}).ProtoReflect().Descriptor().Fields().ByName(protoreflect.Name(field))
	if fd == nil || derivedField(fd) {
		return nil, false
	}
	return fd, true
}

// GetOnlineConductors follows get_online_conductors() of Ironic 21.4: the
// hostnames of the active conductors (online and heartbeating within the
// heartbeat timeout, or with their session's lease alive), in id order.
// One round trip.
func (s *Store) GetOnlineConductors(ctx context.Context) ([]string, error) {
	return s.conductorsWhere(ctx, conductorView.active)
}

// GetActiveHardwareTypeDict follows get_active_hardware_type_dict(
// use_groups=False) of Ironic 21.4: each hardware type of an active
// conductor's hardware interfaces to the sorted hostnames (a set) of the
// active conductors having it; with useGroups the key is
// "<conductor_group>:<hardware type>". Conductors, their liveness and
// their interfaces are read in one transaction: one round trip.
func (s *Store) GetActiveHardwareTypeDict(ctx context.Context, useGroups bool) (map[string][]string, error) {
	active, ifaces, err := s.activeInterfaces(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, hw := range ifaces {
		c := active[hw.ConductorId]
		key := hw.HardwareType
		if useGroups {
			key = c.ConductorGroup + ":" + key
		}
		if !slices.Contains(out[key], c.Hostname) {
			out[key] = append(out[key], c.Hostname)
		}
	}
	for _, hosts := range out {
		sort.Strings(hosts)
	}
	return out, nil
}

// ListHardwareTypeInterfaces follows list_hardware_type_interfaces(
// hardware_types) of Ironic 21.4: the hardware interface rows of the
// active conductors whose hardware_type is one of hardwareTypes, in id
// order. (The reference forgets the join with conductors: it returns the
// rows of every conductor as soon as any one is active; here a dead
// conductor's rows are not returned.) One round trip.
func (s *Store) ListHardwareTypeInterfaces(ctx context.Context, hardwareTypes []string) ([]*pb.ConductorHardwareInterface, error) {
	_, ifaces, err := s.activeInterfaces(ctx)
	if err != nil {
		return nil, err
	}
	out := []*pb.ConductorHardwareInterface{}
	for _, hw := range ifaces {
		if slices.Contains(hardwareTypes, hw.HardwareType) {
			out = append(out, hw)
		}
	}
	return out, nil
}

// activeInterfaces reads, in one transaction, the active conductors by id
// and the hardware interfaces that belong to them, in id order.
func (s *Store) activeInterfaces(ctx context.Context) (map[int64]*pb.Conductor, []*pb.ConductorHardwareInterface, error) {
	views, ifaces, err := s.readConductorsWith(ctx, true)
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	active := map[int64]*pb.Conductor{}
	for _, v := range views {
		if v.active(now, s.heartbeatTimeoutNow()) {
			active[v.c.Id] = v.c
		}
	}
	kept := ifaces[:0]
	for _, hw := range ifaces {
		if active[hw.ConductorId] != nil {
			kept = append(kept, hw)
		}
	}
	return active, kept, nil
}
