package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/keys"
)

// newCachedStore opens a Store with the read cache and reports how much
// heap the loaded cache holds: the live heap with it loaded minus the live
// heap once it is closed and dropped. (Heap growth across the load would
// also count what the embedded etcd frees or allocates meanwhile, such as
// its in-memory raft log after a snapshot.)
func newCachedStore(cli *clientv3.Client, prefix string) (*etcdstore.Store, float64, error) {
	open := func() (*etcdstore.Store, error) {
		return etcdstore.New(cli, etcdstore.WithPrefix(prefix), etcdstore.WithReadCache(),
			etcdstore.WithCacheCheck(0), etcdstore.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	}
	probe, err := open()
	if err != nil {
		return nil, 0, err
	}
	loaded := liveHeap()
	probe.Close()
	mem := float64(loaded) - float64(liveHeap())
	s, err := open()
	return s, mem, err
}

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// w2Columns and w2Filter are W2's periodic query.
var w2Columns = []string{"id", "uuid", "driver", "reservation"}

func w2Filter() etcdstore.NodeFilter {
	no := false
	return etcdstore.NodeFilter{ProvisionState: &etcdstore.NullableString{Value: "wait call-back"}, Maintenance: &no, Reserved: &no}
}

// samples is how many W2 queries make one measurement.
func (c Config) samples() int {
	if c.N >= 50000 {
		return 50
	}
	return 200
}

// runFilter is W2: the periodic filtered query, p50 and p99, for the
// store reading etcd and for the cached store; the floor is one full
// range read of the node records, the least a query without an index
// costs.
func runFilter(ctx context.Context, cli *clientv3.Client, stores []namedStore, cfg Config) ([]Result, error) {
	floor, err := timeMedian(cfg.Repeat, cfg.samples()/10+1, func() error {
		_, err := cli.Get(ctx, keys.MustNew(cfg.Prefix).Table("nodes"), clientv3.WithPrefix())
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []Result
	for _, st := range stores {
		var p50s, p99s []time.Duration
		rows := 0
		samples := cfg.samples()
		if st.name == "direct" && cfg.N >= 50000 {
			samples = 10 // each takes about as long as a full range read
		}
		for r := 0; r < cfg.Repeat; r++ {
			var lat []time.Duration
			for i := 0; i < samples; i++ {
				start := time.Now()
				n, err := st.conn().filter(ctx)
				if err != nil {
					return nil, err
				}
				lat = append(lat, time.Since(start))
				rows = n
			}
			p50s, p99s = append(p50s, percentile(lat, 50)), append(p99s, percentile(lat, 99))
		}
		p50, p99 := ms(median(p50s)), ms(median(p99s))
		out = append(out,
			Result{Workload: "W2", Figure: "periodic filter p50 (" + st.name + ")", Unit: "ms", Value: p50, Floor: ms(floor), Ratio: speedup(p50, ms(floor)),
				Note: fmt.Sprintf("%d rows; floor: one range read of all %d node records", rows, cfg.N)},
			Result{Workload: "W2", Figure: "periodic filter p99 (" + st.name + ")", Unit: "ms", Value: p99, Floor: ms(floor), Ratio: speedup(p99, ms(floor))})
	}
	return out, nil
}

// runWalk is W3: get_node_list in pages of 1,000 by id, following the
// marker; the floor is the same paged range walk of the node records.
func runWalk(ctx context.Context, cli *clientv3.Client, stores []namedStore, cfg Config) ([]Result, error) {
	prefix := keys.MustNew(cfg.Prefix).Table("nodes")
	floor, err := timeMedian(cfg.Repeat, 1, func() error {
		from, end := prefix, keys.PrefixEnd(prefix)
		for {
			resp, err := cli.Get(ctx, from, clientv3.WithRange(end), clientv3.WithLimit(1000))
			if err != nil || !resp.More {
				return err
			}
			from = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
		}
	})
	if err != nil {
		return nil, err
	}
	var out []Result
	for _, st := range stores {
		total := 0
		d, err := timeMedian(cfg.Repeat, 1, func() error {
			var err error
			total, err = st.conn().walk(ctx)
			return err
		})
		if err != nil {
			return nil, err
		}
		if total != cfg.N {
			return nil, fmt.Errorf("W3 walked %d nodes, want %d", total, cfg.N)
		}
		out = append(out, Result{Workload: "W3", Figure: "full walk, limit 1000 (" + st.name + ")", Unit: "s",
			Value: d.Seconds(), Floor: floor.Seconds(), Ratio: speedup(d.Seconds(), floor.Seconds())})
	}
	return out, nil
}

// timeMedian runs f `inner` times per measurement, `repeat` measurements,
// and returns the median time of one call.
func timeMedian(repeat, inner int, f func() error) (time.Duration, error) {
	var ds []time.Duration
	for r := 0; r < repeat; r++ {
		start := time.Now()
		for i := 0; i < inner; i++ {
			if err := f(); err != nil {
				return 0, err
			}
		}
		ds = append(ds, time.Since(start)/time.Duration(inner))
	}
	return median(ds), nil
}
