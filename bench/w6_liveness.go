package bench

import (
	"context"
	"fmt"
	"slices"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/lease"
)

// W6 parameters: 50 conductors heartbeat; 5 stop abruptly.
const (
	conductors = 50
	stopping   = 5
	w6TTL      = 3 * time.Second
)

// runLiveness is W6: the latency of get_active_driver_dict with 50 live
// conductors, and how long after 5 of them stop abruptly they are reported
// offline, as a multiple of the liveness timeout (their lease TTL).
func runLiveness(ctx context.Context, cli *clientv3.Client, cfg Config) ([]Result, error) {
	s, err := etcdstore.New(cli, etcdstore.WithPrefix(cfg.Prefix+"w6/"))
	if err != nil {
		return nil, err
	}
	defer cli.Delete(context.WithoutCancel(ctx), cfg.Prefix+"w6/", clientv3.WithPrefix())
	sessions := make([]*lease.Session, conductors)
	for i := range sessions {
		if sessions[i], err = lease.New(ctx, cli, lease.WithTTL(w6TTL)); err != nil {
			return nil, err
		}
		defer sessions[i].Close(context.WithoutCancel(ctx))
		host := fmt.Sprintf("conductor-%02d", i)
		if _, err := s.RegisterConductor(ctx, etcdstore.Values{"hostname": host, "drivers": conductorDrivers(i)}, false,
			etcdstore.WithConductorLease(sessions[i].Lease())); err != nil {
			return nil, err
		}
	}
	var lat []time.Duration
	for i := 0; i < 100*cfg.Repeat; i++ {
		start := time.Now()
		dict, err := s.GetActiveDriverDict(ctx, 0)
		if err != nil {
			return nil, err
		}
		lat = append(lat, time.Since(start))
		if len(dict) != 3 {
			return nil, fmt.Errorf("W6: %d drivers active", len(dict))
		}
	}
	var want []string
	for i := 0; i < stopping; i++ {
		sessions[i].Abandon() // the process dies: no revoke, no unregister
		want = append(want, fmt.Sprintf("conductor-%02d", i))
	}
	stopped := time.Now()
	for {
		off, err := s.GetOfflineConductors(ctx)
		if err != nil {
			return nil, err
		}
		if slices.Equal(off, want) {
			break
		}
		if time.Since(stopped) > 5*w6TTL {
			return nil, fmt.Errorf("W6: offline %v after %v", off, time.Since(stopped))
		}
		time.Sleep(20 * time.Millisecond)
	}
	after := time.Since(stopped)
	return []Result{
		{Workload: "W6", Figure: "active-driver query p50", Unit: "ms", Value: ms(percentile(lat, 50)),
			Note: fmt.Sprintf("%d conductors, one transaction reading records and liveness keys", conductors)},
		{Workload: "W6", Figure: "offline after, x liveness timeout", Unit: "x", Value: after.Seconds() / w6TTL.Seconds(),
			Note: fmt.Sprintf("%d conductors stopped abruptly, all reported offline %.2f s later; timeout = lease TTL %v", stopping, after.Seconds(), w6TTL)},
	}, nil
}
