package bench

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/schollz/progressbar/v3"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// writers is W1's number of parallel enrollers.
const writers = 8

// parallel runs f(i) for i in [0, n) on k goroutines and returns the first
// error.
func parallel(k, n int, f func(i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for w := 0; w < k; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

func newBar(cfg Config, n int, what string) *progressbar.ProgressBar {
	if cfg.Progress == nil {
		return progressbar.DefaultSilent(int64(n))
	}
	return progressbar.NewOptions(n, progressbar.OptionSetWriter(cfg.Progress), progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
}

// runEnroll is W1: create the nodes, their ports and tags with 8 writers,
// then the same writes as raw etcd transactions.
func runEnroll(ctx context.Context, cli *clientv3.Client, s *etcdstore.Store, data *Dataset, cfg Config) ([]Result, error) {
	n := len(data.Nodes)
	bar := newBar(cfg, n, "W1 enroll (store)")
	wall, err := enrollAll(ctx, storeConn{s}, data, bar)
	bar.Finish()
	if err != nil {
		return nil, err
	}
	records := float64(5 * n) // nodes, 2 ports and 2 tags each
	if !cfg.wants("W1") {
		return nil, nil // the load for the other workloads: no figure, no floor
	}
	floor, err := rawEnroll(ctx, cli, data, cfg)
	if err != nil {
		return nil, err
	}
	ours, raw := records/wall.Seconds(), records/floor.Seconds()
	return []Result{
		{Workload: "W1", Figure: "enroll, 8 writers", Unit: "records/s", Value: ours, Floor: raw, Ratio: ratio(ours, raw),
			Note: fmt.Sprintf("wall %.1f s for %d nodes, %d ports, %d tags; raw etcd %.1f s", wall.Seconds(), n, 2*n, 2*n, floor.Seconds())},
	}, nil
}

// enrollAll enrolls every node of data through c with 8 writers.
func enrollAll(ctx context.Context, c conn, data *Dataset, bar *progressbar.ProgressBar) (time.Duration, error) {
	start := time.Now()
	err := parallel(writers, len(data.Nodes), func(i int) error {
		if err := c.enroll(ctx, data.Nodes[i]); err != nil {
			return fmt.Errorf("W1 node %d: %w", i, err)
		}
		bar.Add(1)
		return nil
	})
	return time.Since(start), err
}

// rawEnroll writes what W1 writes with bare transactions of the same
// shape: per node a create-if-absent of the record and its uuid and name
// keys, per port a create-if-absent of the record, uuid, address and
// membership keys, and one compare-and-swap of the node record for its
// tags. Under its own prefix, removed afterwards.
func rawEnroll(ctx context.Context, cli *clientv3.Client, data *Dataset, cfg Config) (time.Duration, error) {
	prefix := cfg.Prefix + "raw-floor/"
	defer cli.Delete(context.WithoutCancel(ctx), prefix, clientv3.WithPrefix())
	bar := newBar(cfg, len(data.Nodes), "W1 enroll (raw etcd)")
	start := time.Now()
	err := parallel(writers, len(data.Nodes), func(i int) error {
		spec := data.Nodes[i]
		rec := prefix + "nodes/" + strconv.Itoa(i)
		value := string(make([]byte, 1100))
		keys := []string{rec, prefix + "uuid/" + spec.UUID, prefix + "name/" + spec.Name}
		resp, err := createAll(ctx, cli, keys, value)
		if err != nil {
			return err
		}
		for p, m := range spec.MACs {
			port := prefix + "ports/" + strconv.Itoa(2*i+p)
			if _, err := createAll(ctx, cli, []string{port, prefix + "puuid/" + uuid.NewString(), prefix + "addr/" + m,
				prefix + "member/" + strconv.Itoa(i) + "/" + strconv.Itoa(p)}, string(make([]byte, 200))); err != nil {
				return err
			}
		}
		_, err = cli.Txn(ctx).If(clientv3.Compare(clientv3.ModRevision(rec), "=", resp.Header.Revision)).
			Then(clientv3.OpPut(rec, value+"tags")).Commit()
		bar.Add(1)
		return err
	})
	bar.Finish()
	return time.Since(start), err
}

// createAll puts value at every key if none exists: one transaction.
func createAll(ctx context.Context, cli *clientv3.Client, keys []string, value string) (*clientv3.TxnResponse, error) {
	var cmps []clientv3.Cmp
	var ops []clientv3.Op
	for _, k := range keys {
		cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(k), "=", 0))
		ops = append(ops, clientv3.OpPut(k, value))
	}
	resp, err := cli.Txn(ctx).If(cmps...).Then(ops...).Commit()
	if err == nil && !resp.Succeeded {
		err = fmt.Errorf("raw floor: key exists")
	}
	return resp, err
}
