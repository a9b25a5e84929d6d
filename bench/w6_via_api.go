package bench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// runLivenessViaAPI is W6 through the HTTP API: 50 conductors register
// and heartbeat with touch_conductor (their leases granted and renewed by
// the API); the latency of get_active_driver_dict, and how long after 5
// of them stop heartbeating they are reported offline, as a multiple of
// the heartbeat timeout (their lease TTL).
func runLivenessViaAPI(ctx context.Context, cli *clientv3.Client, cfg Config) ([]Result, error) {
	prefix := cfg.Prefix + "w6api/"
	defer cli.Delete(context.WithoutCancel(ctx), prefix, clientv3.WithPrefix())
	url, stop, err := serveAPI(ctx, cli, prefix, w6TTL)
	if err != nil {
		return nil, err
	}
	defer stop()
	c := newAPIConn(url)
	hosts := make([]string, conductors)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("conductor-%02d", i)
		if err := c.call(ctx, "register_conductor", apiArgs{"values": apiArgs{"hostname": hosts[i], "drivers": conductorDrivers(i)}}, nil); err != nil {
			return nil, err
		}
	}
	// Heartbeats, a third of the TTL apart; the first `stopping` conductors
	// stop when told, as a killed process would.
	hbCtx, stopBeats := context.WithCancel(ctx)
	dying := make(chan struct{})
	var wg sync.WaitGroup
	var hbErr error
	var once sync.Once
	for i, host := range hosts {
		wg.Add(1)
		die := dying
		if i >= stopping {
			die = nil // never fires: this one keeps beating
		}
		go func() {
			defer wg.Done()
			for {
				select {
				case <-hbCtx.Done():
					return
				case <-die:
					return
				case <-time.After(w6TTL / 3):
				}
				if err := c.call(hbCtx, "touch_conductor", apiArgs{"hostname": host}, nil); err != nil && hbCtx.Err() == nil {
					once.Do(func() { hbErr = err })
				}
			}
		}()
	}
	defer func() { stopBeats(); wg.Wait() }()
	var lat []time.Duration
	for i := 0; i < 100*cfg.Repeat; i++ {
		var dict map[string][]string
		start := time.Now()
		if err := c.call(ctx, "get_active_driver_dict", apiArgs{}, &dict); err != nil {
			return nil, err
		}
		lat = append(lat, time.Since(start))
		if len(dict) != 3 {
			return nil, fmt.Errorf("W6 via API: %d drivers active", len(dict))
		}
	}
	close(dying)
	stopped := time.Now()
	want := hosts[:stopping]
	for {
		var off []string
		if err := c.call(ctx, "get_offline_conductors", apiArgs{}, &off); err != nil {
			return nil, err
		}
		if slices.Equal(off, want) {
			break
		}
		if time.Since(stopped) > 5*w6TTL {
			return nil, fmt.Errorf("W6 via API: offline %v after %v", off, time.Since(stopped))
		}
		time.Sleep(20 * time.Millisecond)
	}
	after := time.Since(stopped)
	if hbErr != nil {
		return nil, fmt.Errorf("W6 via API: heartbeat: %w", hbErr)
	}
	return []Result{
		{Workload: "W6", Figure: "active-driver query p50 via API", Unit: "ms", Value: ms(percentile(lat, 50)),
			Note: fmt.Sprintf("%d conductors heartbeating through the API", conductors)},
		{Workload: "W6", Figure: "offline after, x heartbeat timeout, via API", Unit: "x", Value: after.Seconds() / w6TTL.Seconds(),
			Note: fmt.Sprintf("%d conductors stopped heartbeating, all reported offline %.2f s later; timeout = lease TTL %v", stopping, after.Seconds(), w6TTL)},
	}, nil
}
