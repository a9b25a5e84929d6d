package api

import (
	"context"
	"errors"
	"math"
	"net/http"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Conductor liveness across the wire. Each registered conductor has an
// etcd lease (TTL = heartbeat timeout) that belongs to the conductor, not
// to the replica that granted it: the store binds the conductor's
// liveness key (<prefix>alive/<hostname>) to it, so any replica finds the
// lease on that key and renews it with one KeepAliveOnce. No replica keeps
// anything alive on its own, so a replica that dies loses nothing, and a
// conductor that stops calling touch_conductor is dead within TTL (+0.5 s):
// its liveness key and the node locks it took through reserve_node go
// with its lease. Its nodes still name it as their reservation (the
// store's last-holder marker, a stale holder with token 0), so that
// Ironic's orphan task finds them (reserved_by_any_of the offline
// conductors) and release_node in the dead conductor's name clears them;
// their locks are free meanwhile.

// In test mode conductors get no lease: liveness follows the reference's
// time rules (updated_at against "now"), so a suite that moves "now" with
// X-Ironic-Etcd-Now sees conductors go offline as it expects.

// leaseTTL is the conductors' lease TTL in whole seconds.
func (h *Handler) leaseTTL() int64 {
	return max(1, int64(math.Ceil(h.cfg.HeartbeatTimeout.Seconds())))
}

// conductorLease returns the lease of hostname's liveness key (0: none,
// the conductor is not registered or its lease expired).
func (h *Handler) conductorLease(ctx context.Context, hostname string) (clientv3.LeaseID, error) {
	if h.cfg.Testing {
		return 0, nil
	}
	resp, err := h.cfg.Client.Get(ctx, h.store().Keys().Alive(hostname))
	if err != nil || len(resp.Kvs) == 0 {
		return 0, err
	}
	return clientv3.LeaseID(resp.Kvs[0].Lease), nil
}

// renew keeps lease alive one more TTL; false when it has expired.
func (h *Handler) renew(ctx context.Context, lease clientv3.LeaseID) (bool, error) {
	if lease == 0 {
		return false, nil
	}
	if _, err := h.cfg.Client.KeepAliveOnce(ctx, lease); err != nil {
		if errors.Is(err, rpctypes.ErrLeaseNotFound) {
			return false, nil
		}
		return false, err
	}
	h.metrics.leases.WithLabelValues("renewed").Inc()
	return true, nil
}

func (h *Handler) grant(ctx context.Context) (clientv3.LeaseID, error) {
	resp, err := h.cfg.Client.Grant(ctx, h.leaseTTL())
	if err != nil {
		return 0, err
	}
	h.metrics.leases.WithLabelValues("granted").Inc()
	return resp.ID, nil
}

// dropUnused revokes a lease granted for a call that failed for sure; after
// an unknown outcome it is left to expire (the write may have bound it).
func (h *Handler) dropUnused(lease clientv3.LeaseID, err error) {
	if err == nil || errors.Is(err, etcdstore.ErrUnknownOutcome) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h.cfg.Client.Revoke(ctx, lease) // best effort: it expires anyway
}

// registerConductor grants the conductor a lease and registers it bound
// to it. With update_existing, a live conductor keeps its lease (and so
// the locks bound to it).
func (h *Handler) registerConductor(ctx context.Context, values etcdstore.Values, updateExisting bool) (*pb.Conductor, error) {
	if h.cfg.Testing {
		return h.store().RegisterConductor(ctx, values, updateExisting)
	}
	host, _ := values["hostname"].(string)
	var lease clientv3.LeaseID
	if updateExisting && host != "" {
		cur, err := h.conductorLease(ctx, host)
		if err != nil {
			return nil, err
		}
		if ok, err := h.renew(ctx, cur); err != nil {
			return nil, err
		} else if ok {
			lease = cur
		}
	}
	granted := false
	if lease == 0 {
		var err error
		if lease, err = h.grant(ctx); err != nil {
			return nil, err
		}
		granted = true
	}
	c, err := h.store().RegisterConductor(ctx, values, updateExisting, etcdstore.WithConductorLease(lease))
	if granted {
		h.dropUnused(lease, err)
	}
	return c, err
}

// touchConductor renews the conductor's lease, from whichever replica,
// and sets updated_at. A conductor whose lease expired (declared dead, its
// locks gone) is revived under a new lease, as the reference's heartbeat
// revives an offline record.
func (h *Handler) touchConductor(ctx context.Context, hostname string) error {
	if h.cfg.Testing {
		return h.store().TouchConductor(ctx, hostname)
	}
	lease, err := h.conductorLease(ctx, hostname)
	if err != nil {
		return err
	}
	alive, err := h.renew(ctx, lease)
	if err != nil {
		return err
	}
	if alive {
		return h.store().TouchConductor(ctx, hostname)
	}
	if lease, err = h.grant(ctx); err != nil {
		return err
	}
	err = h.store().TouchConductor(ctx, hostname, etcdstore.WithConductorLease(lease))
	if err == nil {
		h.metrics.leases.WithLabelValues("regranted").Inc()
	}
	h.dropUnused(lease, err)
	return err
}

// unregisterConductor marks the conductor offline, then revokes its lease:
// the locks it still holds are released with it.
func (h *Handler) unregisterConductor(ctx context.Context, hostname string) error {
	lease, err := h.conductorLease(ctx, hostname)
	if err != nil {
		return err
	}
	if err := h.store().UnregisterConductor(ctx, hostname); err != nil {
		return err
	}
	if lease == 0 {
		return nil
	}
	if _, err := h.cfg.Client.Revoke(ctx, lease); err != nil && !errors.Is(err, rpctypes.ErrLeaseNotFound) {
		return err // unregistered; the lease expires within its TTL anyway
	}
	h.metrics.leases.WithLabelValues("revoked").Inc()
	return nil
}

// reserveNode takes the lock for tag, bound to tag's lease when tag is a
// registered conductor: the lock dies with the conductor.
func (h *Handler) reserveNode(ctx context.Context, tag, nodeID string) (*pb.Node, error) {
	lease, err := h.conductorLease(ctx, tag)
	if err != nil {
		return nil, err
	}
	var opts []etcdstore.ReserveOption
	if lease != 0 {
		opts = append(opts, etcdstore.WithLease(lease))
	}
	n, err := h.store().ReserveNode(ctx, tag, nodeID, opts...)
	if lease != 0 && errors.Is(err, etcdstore.ErrLeaseNotFound) {
		// The lease expired between the read and the write, which failed
		// whole: the conductor was just declared dead.
		return nil, &requestError{Status: http.StatusConflict, Type: "ConductorLeaseExpired",
			Msg:    "conductor " + tag + "'s lease expired: it is considered dead until it registers or heartbeats again",
			Params: map[string]any{"conductor": tag}}
	}
	return n, err
}
