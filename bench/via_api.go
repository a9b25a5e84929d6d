package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/api"
	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// RunViaAPI measures the HTTP API (--via-api): W1 loads the data set
// in-process (and enrolls it again through the API), then W2-W6 run
// through `ironic-etcd api` as it runs
// by default (read cache on), served in this process on a loopback
// listener, and, in the same run, through the in-process cached store.
// Each figure's Floor is the in-process figure and Ratio the API's share
// of it (above 1: the API is faster). W6 has no in-process pair: its
// conductors' leases are the API's (granted and renewed through it).
func RunViaAPI(ctx context.Context, cli *clientv3.Client, cfg Config) ([]Result, error) {
	cfg, err := cfg.checked()
	if err != nil {
		return nil, err
	}
	direct, err := etcdstore.New(cli, etcdstore.WithPrefix(cfg.Prefix), etcdstore.WithIDBlock(256))
	if err != nil {
		return nil, err
	}
	defer direct.Close()
	data := NewShapedDataset(cfg.N, cfg.Seed, cfg.Shape)
	results, err := runEnroll(ctx, cli, direct, data, cfg)
	if err != nil {
		return results, err
	}
	cached, _, err := newCachedStore(cli, cfg.Prefix)
	if err != nil {
		return results, err
	}
	defer cached.Close()
	url, stop, err := serveAPI(ctx, cli, cfg.Prefix, 0)
	if err != nil {
		return results, err
	}
	defer stop()
	inproc := namedStore{name: "in-process", s: cached}
	viaAPI := namedStore{name: "api", c: newAPIConn(url)}
	both := []namedStore{inproc, viaAPI}
	add := func(rs []Result) {
		for _, r := range rs {
			cfg.logf("%-3s %-45s %12.3f %-8s in-process %12.3f ratio %6.2f %s", r.Workload, r.Figure, r.Value, r.Unit, r.Floor, r.Ratio, r.Note)
		}
		results = append(results, rs...)
	}
	if cfg.wants("W1") {
		rs, err := enrollViaAPI(ctx, cli, data, cfg, results)
		if err != nil {
			return results, err
		}
		add(rs)
	}
	if cfg.wants("W2") {
		rs, err := runFilter(ctx, cli, both, cfg)
		if err != nil {
			return results, err
		}
		add(versus(rs, inproc.name, viaAPI.name))
	}
	if cfg.wants("W3") {
		rs, err := runWalk(ctx, cli, both, cfg)
		if err != nil {
			return results, err
		}
		add(versus(rs, inproc.name, viaAPI.name))
	}
	if cfg.wants("W4") {
		rs, err := runLookups(ctx, cli, both, data, cfg)
		if err != nil {
			return results, err
		}
		paired := versus(rs, inproc.name, viaAPI.name)
		for _, r := range paired {
			if r.Unit == "ms" {
				paired = append(paired, Result{Workload: "W4", Figure: "added latency per call (p50)", Unit: "ms",
					Value: r.Value - r.Floor, Note: "API p50 minus in-process p50: HTTP, JSON and the extra hop"})
				break
			}
		}
		add(paired)
	}
	if cfg.wants("W5") {
		rs, err := churnVersus(ctx, direct, storeConn{cached}, viaAPI.c, cfg)
		add(rs)
		if err != nil {
			return results, err
		}
	}
	if cfg.wants("W6") {
		rs, err := runLivenessViaAPI(ctx, cli, cfg)
		add(rs)
		if err != nil {
			return results, err
		}
	}
	return results, nil
}

// enrollViaAPI enrolls the data set again, through the API under a
// prefix of its own, and pairs its rate with the in-process load's (W1
// of loaded).
func enrollViaAPI(ctx context.Context, cli *clientv3.Client, data *Dataset, cfg Config, loaded []Result) ([]Result, error) {
	prefix := cfg.Prefix + "w1api/"
	defer cli.Delete(context.WithoutCancel(ctx), prefix, clientv3.WithPrefix())
	url, stop, err := serveAPI(ctx, cli, prefix, 0)
	if err != nil {
		return nil, err
	}
	defer stop()
	wall, err := enrollAll(ctx, newAPIConn(url), data, newBar(cfg, len(data.Nodes), "W1 enroll (API)"))
	if err != nil || len(loaded) == 0 {
		return nil, err
	}
	ours, inproc := float64(5*len(data.Nodes))/wall.Seconds(), loaded[0].Value
	return []Result{{Workload: "W1", Figure: "enroll, 8 writers via API", Unit: "records/s", Value: ours, Floor: inproc,
		Ratio: ratio(ours, inproc), Note: fmt.Sprintf("wall %.1f s through the API", wall.Seconds())}}, nil
}

// serveAPI starts the API on a loopback port (heartbeat 0: the default
// timeout); stop drains it.
func serveAPI(ctx context.Context, cli *clientv3.Client, prefix string, heartbeat time.Duration) (string, func(), error) {
	h, err := api.New(api.Config{Client: cli, Prefix: prefix, ReadCache: true, HeartbeatTimeout: heartbeat,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return "", nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- api.Serve(sctx, h, api.ServerConfig{ListenAddress: "127.0.0.1:0"}, func(a string) { addr <- a })
	}()
	select {
	case a := <-addr:
		return "http://" + a, func() { cancel(); <-done; h.Close() }, nil
	case err := <-done:
		cancel()
		h.Close()
		return "", nil, err
	}
}

// versus pairs each figure of other with the same figure of base.
func versus(rs []Result, base, other string) []Result {
	byFigure := map[string]Result{}
	for _, r := range rs {
		byFigure[r.Figure] = r
	}
	var out []Result
	for _, r := range rs {
		if !strings.HasSuffix(r.Figure, "("+other+")") {
			continue
		}
		b, ok := byFigure[strings.TrimSuffix(r.Figure, "("+other+")")+"("+base+")"]
		if !ok {
			continue
		}
		res := Result{Workload: r.Workload, Figure: strings.TrimSuffix(r.Figure, " ("+other+")") + " via API",
			Unit: r.Unit, Value: r.Value, Floor: b.Value, Note: r.Note}
		if r.Unit == "ms" || r.Unit == "s" { // times: in-process time / API time
			res.Ratio = speedup(r.Value, b.Value)
		} else {
			res.Ratio = ratio(r.Value, b.Value)
		}
		out = append(out, res)
	}
	return out
}

// churnVersus runs W5 at each K through base and through other.
func churnVersus(ctx context.Context, direct *etcdstore.Store, base, other conn, cfg Config) ([]Result, error) {
	hot, err := hotNodes(ctx, direct)
	if err != nil {
		return nil, err
	}
	var out []Result
	for _, k := range cfg.Ks {
		var rates [2][]float64
		for r := 0; r < cfg.Repeat; r++ {
			for i, c := range []conn{base, other} {
				rate, _, doubles, err := churnOnce(ctx, c, hot, k, cfg.Duration)
				if err == nil && doubles > 0 {
					err = fmt.Errorf("W5: %d double holds", doubles)
				}
				if err != nil {
					return out, err
				}
				rates[i] = append(rates[i], rate)
			}
		}
		ours, floor := median(rates[1]), median(rates[0])
		out = append(out, Result{Workload: "W5", Figure: fmt.Sprintf("lock churn K=%d via API", k), Unit: "cycles/s",
			Value: ours, Floor: floor, Ratio: ratio(ours, floor), Note: "reserve, update_node, release per cycle"})
	}
	return out, nil
}
