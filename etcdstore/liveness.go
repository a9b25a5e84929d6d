package etcdstore

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Which conductors are alive.
//
// A conductor registered with a session (WithConductorLease) is alive
// exactly while its lease is: its liveness key exists. No timestamp written
// by any machine's clock is compared, so a conductor whose clock is hours
// off is still reported correctly, and a killed conductor is reported
// offline as soon as etcd expires its lease (TTL to TTL + 0.5 s after its
// last keep-alive; see package lease for the failover caveat). For such a
// conductor the `interval` of get_active_driver_dict and the heartbeat
// timeout do not apply: the lease TTL plays their part.
//
// A conductor registered without a session keeps the reference's rules,
// computed from updated_at and the store's clock (BEHAVIOUR.md §8):
// active while online and updated_at >= now - interval; offline once
// updated_at < now - heartbeat_timeout, whatever online says.

// conductorView is every conductor with whether its liveness key exists.
type conductorView struct {
	c     *pb.Conductor
	alive bool
}

// readConductors reads all conductors and liveness keys in one
// transaction (one round trip).
func (s *Store) readConductors(ctx context.Context) ([]conductorView, error) {
	views, _, err := s.readConductorsWith(ctx, false)
	return views, err
}

// readConductorsWith is readConductors, also reading every conductor
// hardware interface in the same transaction when withInterfaces.
func (s *Store) readConductorsWith(ctx context.Context, withInterfaces bool) ([]conductorView, []*pb.ConductorHardwareInterface, error) {
	ops := []clientv3.Op{
		clientv3.OpGet(s.keys.Table(conductorsTable.name), clientv3.WithPrefix()),
		clientv3.OpGet(s.keys.AlivePrefix(), clientv3.WithPrefix(), clientv3.WithKeysOnly()),
	}
	if withInterfaces {
		ops = append(ops, clientv3.OpGet(s.keys.Table(hardwareInterfacesTable.name), clientv3.WithPrefix()))
	}
	resp, err := s.cli.Txn(ctx).Then(ops...).Commit()
	if err != nil {
		return nil, nil, etcdError(err, false)
	}
	alive := map[string]bool{}
	for _, kv := range resp.Responses[1].GetResponseRange().Kvs {
		if host, err := s.keys.ParseAlive(string(kv.Key)); err == nil {
			alive[host] = true
		}
	}
	var out []conductorView
	for _, kv := range resp.Responses[0].GetResponseRange().Kvs {
		st, err := s.decode(conductorsTable, kv, nodeLock{})
		if err != nil {
			return nil, nil, err
		}
		c := st.rec.Interface().(*pb.Conductor)
		out = append(out, conductorView{c: c, alive: alive[c.Hostname]})
	}
	var ifaces []*pb.ConductorHardwareInterface
	if withInterfaces {
		for _, kv := range resp.Responses[2].GetResponseRange().Kvs {
			st, err := s.decode(hardwareInterfacesTable, kv, nodeLock{})
			if err != nil {
				return nil, nil, err
			}
			ifaces = append(ifaces, st.rec.Interface().(*pb.ConductorHardwareInterface))
		}
	}
	return out, ifaces, nil
}

// active reports whether a conductor counts for get_active_driver_dict.
func (v conductorView) active(now time.Time, interval time.Duration) bool {
	if v.c.Lease != 0 {
		return v.c.Online && v.alive
	}
	return v.c.Online && v.c.UpdatedAt != nil && !v.c.UpdatedAt.AsTime().Before(now.Add(-interval))
}

// offline reports whether a conductor counts for get_offline_conductors.
func (v conductorView) offline(now time.Time, timeout time.Duration) bool {
	if v.c.Lease != 0 {
		return !v.alive
	}
	return v.c.UpdatedAt == nil || v.c.UpdatedAt.AsTime().Before(now.Add(-timeout))
}

// GetActiveDriverDict maps each driver to the sorted hostnames of the
// active conductors that have it. interval <= 0 means the heartbeat
// timeout (WithHeartbeatTimeout). One round trip.
func (s *Store) GetActiveDriverDict(ctx context.Context, interval time.Duration) (map[string][]string, error) {
	if interval <= 0 {
		interval = s.heartbeatTimeoutNow()
	}
	views, err := s.readConductors(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := map[string][]string{}
	for _, v := range views {
		if !v.active(now, interval) {
			continue
		}
		var drivers []string
		if err := json.Unmarshal(v.c.Drivers, &drivers); err != nil {
			continue // drivers that are not a list of names name no driver
		}
		for _, d := range drivers {
			if !slices.Contains(out[d], v.c.Hostname) {
				out[d] = append(out[d], v.c.Hostname)
			}
		}
	}
	for _, hosts := range out {
		sort.Strings(hosts)
	}
	return out, nil
}

// GetOfflineConductors returns the hostnames of the conductors that are
// offline, sorted. One round trip.
func (s *Store) GetOfflineConductors(ctx context.Context) ([]string, error) {
	out, err := s.conductorsWhere(ctx, conductorView.offline)
	if err != nil {
		return nil, err
	}
	sort.Strings(out)
	return out, nil
}

// GetConductorList returns every conductor record, online or not, in id
// order (not in the reference's interface; for tools). One round trip per
// 1,000 conductors.
func (s *Store) GetConductorList(ctx context.Context) ([]*pb.Conductor, error) {
	sts, err := s.listRecords(ctx, conductorsTable, ListOptions{})
	return records[*pb.Conductor](sts), err
}

// conductorsWhere reads every conductor and returns, in id order, the
// hostnames of those for which is holds (offline or active, against the
// store's clock and heartbeat timeout). One round trip.
func (s *Store) conductorsWhere(ctx context.Context, is func(conductorView, time.Time, time.Duration) bool) ([]string, error) {
	views, err := s.readConductors(ctx)
	if err != nil {
		return nil, err
	}
	now, timeout := s.now(), s.heartbeatTimeoutNow()
	out := []string{}
	for _, v := range views {
		if is(v, now, timeout) {
			out = append(out, v.c.Hostname)
		}
	}
	return out, nil
}
