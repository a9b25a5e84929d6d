// Package bench runs the benchmark workloads of WORKLOADS.md (W1-W6)
// against the store and, in the same run, the raw-etcd floor for the same
// operations, so every figure comes with a ratio taken on the same
// machine at the same time.
package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// Config selects what to run.
type Config struct {
	N         int           // nodes in the data set
	Seed      uint64        // data set seed
	Shape     string        // node shape: ShapeSeed (default) or Shape214
	Workloads []string      // "W1".."W6"; empty: all
	Duration  time.Duration // W4 and W5 run time per measurement
	Repeat    int           // measurements per figure; the median is reported
	Ks        []int         // W5 worker counts
	Prefix    string        // key prefix of the store under test
	Progress  io.Writer     // progress bars go here; nil for none
	Log       io.Writer     // one line per finished measurement; nil for none
}

// Result is one figure: ours, the raw-etcd floor and their ratio.
type Result struct {
	Workload string  `json:"workload"`
	Figure   string  `json:"figure"`
	Unit     string  `json:"unit"`
	Value    float64 `json:"value"`
	Floor    float64 `json:"floor,omitempty"`
	// Ratio is ours relative to the floor, as "fraction of the floor's
	// throughput" for rates and "floor time / our time" for latencies:
	// above 1 means faster than the floor.
	Ratio float64 `json:"ratio,omitempty"`
	Note  string  `json:"note,omitempty"`
}

func (c Config) wants(w string) bool {
	return len(c.Workloads) == 0 || slices.Contains(c.Workloads, w)
}

func (c Config) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, format+"\n", args...)
	}
}

// checked refuses a config that measures nothing and fills the default K
// list.
func (cfg Config) checked() (Config, error) {
	if cfg.N <= 0 || cfg.Repeat <= 0 || cfg.Duration <= 0 {
		return cfg, fmt.Errorf("bench: N, repeat and duration must be positive")
	}
	if len(cfg.Ks) == 0 {
		cfg.Ks = []int{1, 8, 32}
	}
	switch cfg.Shape {
	case "":
		cfg.Shape = ShapeSeed
	case ShapeSeed, Shape214:
	default:
		return cfg, fmt.Errorf("bench: unknown node shape %q (want %s or %s)", cfg.Shape, ShapeSeed, Shape214)
	}
	return cfg, nil
}

// Run loads the data set (W1 is the load) and runs the chosen workloads.
// The data set is created under cfg.Prefix, which must be empty.
func Run(ctx context.Context, cli *clientv3.Client, cfg Config) ([]Result, error) {
	cfg, err := cfg.checked()
	if err != nil {
		return nil, err
	}
	direct, err := etcdstore.New(cli, etcdstore.WithPrefix(cfg.Prefix), etcdstore.WithIDBlock(256))
	if err != nil {
		return nil, err
	}
	data := NewShapedDataset(cfg.N, cfg.Seed, cfg.Shape)
	var results []Result
	add := func(rs []Result, err error) error {
		results = append(results, rs...)
		for _, r := range rs {
			cfg.logf("%-3s %-40s %12.3f %-8s floor %12.3f ratio %6.2f %s", r.Workload, r.Figure, r.Value, r.Unit, r.Floor, r.Ratio, r.Note)
		}
		return err
	}
	// W1 also loads the data set the other workloads read.
	if err := add(runEnroll(ctx, cli, direct, data, cfg)); err != nil {
		return results, err
	}
	cached, mem, err := newCachedStore(cli, cfg.Prefix)
	if err != nil {
		return results, err
	}
	defer cached.Close()
	results = append(results, Result{Workload: "cache", Figure: fmt.Sprintf("memory per 100,000 nodes (N=%d)", cfg.N),
		Unit: "MiB", Value: mem / float64(cfg.N) * 100000 / (1 << 20), Note: "heap growth of a cached Store after load, incl. ports and index keys"})
	stores := []namedStore{{name: "direct", s: direct}, {name: "cache", s: cached}}
	steps := []struct {
		w   string
		run func() ([]Result, error)
	}{
		{"W2", func() ([]Result, error) { return runFilter(ctx, cli, stores, cfg) }},
		{"W3", func() ([]Result, error) { return runWalk(ctx, cli, stores, cfg) }},
		{"W4", func() ([]Result, error) { return runLookups(ctx, cli, stores, data, cfg) }},
		{"W5", func() ([]Result, error) { return runChurn(ctx, cli, direct, cfg) }},
		{"W6", func() ([]Result, error) { return runLiveness(ctx, cli, cfg) }},
	}
	for _, s := range steps {
		if !cfg.wants(s.w) {
			continue
		}
		if err := add(s.run()); err != nil {
			return results, err
		}
	}
	return results, nil
}

// namedStore is one way of reaching the store under measurement: s
// in-process, or c (the HTTP API) when set.
type namedStore struct {
	name string
	s    *etcdstore.Store
	c    conn
}

func (n namedStore) conn() conn {
	if n.c != nil {
		return n.c
	}
	return storeConn{n.s}
}

// PrintTable writes results as a table.
func PrintTable(w io.Writer, results []Result) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "WORKLOAD\tFIGURE\tVALUE\tUNIT\tRAW ETCD\tRATIO\t")
	for _, r := range results {
		floor, ratio := "-", "-"
		if r.Floor != 0 {
			floor, ratio = fmt.Sprintf("%.3f", r.Floor), fmt.Sprintf("%.2f", r.Ratio)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.3f\t%s\t%s\t%s\t\n", r.Workload, r.Figure, r.Value, r.Unit, floor, ratio)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range results {
		if r.Note != "" {
			fmt.Fprintf(w, "  %s %s: %s\n", r.Workload, strings.TrimSpace(r.Figure), r.Note)
		}
	}
	return nil
}

// PrintJSON writes results as a JSON array.
func PrintJSON(w io.Writer, results []Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(results)
}
