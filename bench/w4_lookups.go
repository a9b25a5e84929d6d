package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/keys"
)

// runLookups is W4: random point lookups by uuid, by name, by port MAC and
// by two port MACs, from one client; the floor is a linearizable point Get.
func runLookups(ctx context.Context, cli *clientv3.Client, stores []namedStore, data *Dataset, cfg Config) ([]Result, error) {
	rng := rand.New(rand.NewPCG(cfg.Seed, 4))
	nodeKey := keys.MustNew(cfg.Prefix).Record("nodes", 1)
	floorRate, floorP50, err := measureRate(cfg, func() error {
		_, err := cli.Get(ctx, nodeKey)
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []Result
	for _, st := range stores {
		i := 0
		rate, p50, err := measureRate(cfg, func() error {
			spec := data.Nodes[rng.IntN(len(data.Nodes))]
			i++
			return st.conn().lookup(ctx, i%4, spec)
		})
		if err != nil {
			return nil, err
		}
		out = append(out,
			Result{Workload: "W4", Figure: "point lookups (" + st.name + ")", Unit: "ops/s", Value: rate, Floor: floorRate, Ratio: ratio(rate, floorRate),
				Note: "mix of by uuid, name, port MAC and two port MACs; floor: a linearizable Get"},
			Result{Workload: "W4", Figure: "point lookup p50 (" + st.name + ")", Unit: "ms", Value: ms(p50), Floor: ms(floorP50), Ratio: speedup(ms(p50), ms(floorP50))})
	}
	return out, nil
}

// measureRate calls f for cfg.Duration, cfg.Repeat times, and returns the
// median rate and median p50 latency.
func measureRate(cfg Config, f func() error) (float64, time.Duration, error) {
	var rates []float64
	var p50s []time.Duration
	for r := 0; r < cfg.Repeat; r++ {
		var lat []time.Duration
		start := time.Now()
		for time.Since(start) < cfg.Duration {
			t := time.Now()
			if err := f(); err != nil {
				return 0, 0, fmt.Errorf("W4: %w", err)
			}
			lat = append(lat, time.Since(t))
		}
		rates = append(rates, float64(len(lat))/time.Since(start).Seconds())
		p50s = append(p50s, percentile(lat, 50))
	}
	return median(rates), median(p50s), nil
}
