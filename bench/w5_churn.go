package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// hotSet is the number of nodes W5 contends on.
const hotSet = 100

// hotNodes are the uuids of the W5 hot set: the first hotSet nodes.
func hotNodes(ctx context.Context, s *etcdstore.Store) ([]string, error) {
	rows, err := s.GetNodeinfoList(ctx, []string{"uuid"}, etcdstore.NodeFilter{}, etcdstore.ListOptions{Limit: etcdstore.Limit(hotSet)})
	if err != nil {
		return nil, err
	}
	hot := make([]string, len(rows))
	for i, r := range rows {
		hot[i] = r[0].(string)
	}
	return hot, nil
}

// runChurn is W5: K workers reserve a random node of a hot set, flip its
// power state with a fenced update and release it; NodeLocked is a
// conflict. At no instant may two workers hold one node: each worker
// claims a per-node slot after reserving and frees it before releasing,
// and a claim that finds the slot taken fails the run.
func runChurn(ctx context.Context, cli *clientv3.Client, s *etcdstore.Store, cfg Config) ([]Result, error) {
	hot, err := hotNodes(ctx, s)
	if err != nil {
		return nil, err
	}
	var out []Result
	for _, k := range cfg.Ks {
		var rates, confl []float64
		var doubles int64
		for r := 0; r < cfg.Repeat; r++ {
			rate, c, d, err := churnOnce(ctx, storeConn{s}, hot, k, cfg.Duration)
			if err != nil {
				return nil, err
			}
			rates, confl, doubles = append(rates, rate), append(confl, c), doubles+d
		}
		floor, err := rawChurn(ctx, cli, cfg, k)
		if err != nil {
			return nil, err
		}
		ours := median(rates)
		out = append(out, Result{Workload: "W5", Figure: fmt.Sprintf("lock churn K=%d", k), Unit: "cycles/s", Value: ours, Floor: floor,
			Ratio: ratio(ours, floor), Note: fmt.Sprintf("conflicts %.0f/s, double holds %d; floor: the same three transactions on bare keys", median(confl), doubles)})
		if doubles > 0 {
			return out, fmt.Errorf("W5: %d double holds", doubles)
		}
	}
	return out, nil
}

func churnOnce(ctx context.Context, c conn, hot []string, k int, d time.Duration) (rate, conflicts float64, doubles int64, err error) {
	slots := make([]atomic.Int64, len(hot))
	var cycles, conf, dbl atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	end := time.Now().Add(d)
	start := time.Now()
	for w := 1; w <= k; w++ {
		wg.Add(1)
		go func(w int64) {
			defer wg.Done()
			tag := "worker-" + strconv.FormatInt(w, 10)
			rng := rand.New(rand.NewPCG(uint64(w), 5))
			flip := []string{"power on", "power off"}
			for i := 0; time.Now().Before(end); i++ {
				n := rng.IntN(len(hot))
				fence, err := c.reserve(ctx, tag, hot[n])
				if errors.Is(err, etcdstore.ErrNodeLocked) {
					conf.Add(1)
					continue
				}
				if err == nil && !slots[n].CompareAndSwap(0, w) {
					dbl.Add(1)
				}
				if err == nil {
					err = c.setPower(ctx, tag, hot[n], fence, flip[i%2])
					slots[n].CompareAndSwap(w, 0)
				}
				if err == nil {
					err = c.release(ctx, tag, hot[n])
				}
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				cycles.Add(1)
			}
		}(int64(w))
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	return float64(cycles.Load()) / secs, float64(conf.Load()) / secs, dbl.Load(), firstErr
}

// rawChurn runs W5's transactions on bare keys: create-if-absent of a
// lock with a read of the record, a compare-and-swap of the record, a
// delete-if-value-matches of the lock.
func rawChurn(ctx context.Context, cli *clientv3.Client, cfg Config, k int) (float64, error) {
	prefix := cfg.Prefix + "raw-churn/"
	defer cli.Delete(context.WithoutCancel(ctx), prefix, clientv3.WithPrefix())
	value := string(make([]byte, 1100))
	for i := 0; i < hotSet; i++ {
		if _, err := cli.Put(ctx, prefix+"rec/"+strconv.Itoa(i), value); err != nil {
			return 0, err
		}
	}
	var rates []float64
	for r := 0; r < cfg.Repeat; r++ {
		var cycles atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		end := start.Add(cfg.Duration)
		for w := 0; w < k; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(w), 6))
				tag := strconv.Itoa(w)
				for time.Now().Before(end) {
					i := strconv.Itoa(rng.IntN(hotSet))
					lock, rec := prefix+"lock/"+i, prefix+"rec/"+i
					resp, err := cli.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(lock), "=", 0)).
						Then(clientv3.OpPut(lock, tag), clientv3.OpGet(rec)).Commit()
					if err != nil || !resp.Succeeded {
						continue
					}
					mod := resp.Responses[1].GetResponseRange().Kvs[0].ModRevision
					cli.Txn(ctx).If(clientv3.Compare(clientv3.ModRevision(rec), "=", mod)).Then(clientv3.OpPut(rec, value)).Commit()
					cli.Txn(ctx).If(clientv3.Compare(clientv3.Value(lock), "=", tag)).Then(clientv3.OpDelete(lock)).Commit()
					cycles.Add(1)
				}
			}(w)
		}
		wg.Wait()
		rates = append(rates, float64(cycles.Load())/time.Since(start).Seconds())
	}
	return median(rates), nil
}
