package main

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/spf13/cobra"
	clientv3 "go.etcd.io/etcd/client/v3"
	"golang.org/x/term"

	"github.com/ironic-etcd/ironic-etcd/bench"
	"github.com/ironic-etcd/ironic-etcd/internal/embedded"
)

func init() { subcommands = append(subcommands, newBenchCmd) }

func newBenchCmd(g *globalFlags) *cobra.Command {
	cfg := bench.Config{}
	var workloads, cpuProfile string
	var quiet, viaAPI bool
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Run the benchmark workloads W1-W6 with the raw-etcd floor",
		Long: `Runs the workloads of WORKLOADS.md against the store and, in the same run,
the same operations on bare etcd keys, and prints each figure with its
ratio to that floor. By default it starts an embedded etcd in a temp dir;
give --endpoints to measure a cluster (the data set goes under a fresh
prefix, or --prefix, which must be empty).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if workloads != "" {
				cfg.Workloads = strings.Split(strings.ToUpper(workloads), ",")
			}
			if !quiet && term.IsTerminal(int(os.Stderr.Fd())) {
				cfg.Progress = os.Stderr
			}
			if !quiet {
				cfg.Log = os.Stderr
			}
			cfg.Prefix = g.prefix
			if !cmd.Flags().Changed("prefix") {
				cfg.Prefix = fmt.Sprintf("/ironic-bench/%d/", time.Now().UnixNano())
			}
			cli, stop, err := benchClient(cmd, g)
			if err != nil {
				return err
			}
			defer stop()
			if cpuProfile != "" {
				// The whole run, embedded etcd included: where a ratio is lost.
				pf, err := os.Create(cpuProfile)
				if err != nil {
					return err
				}
				defer pf.Close()
				if err := pprof.StartCPUProfile(pf); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			run := bench.Run
			if viaAPI {
				run = bench.RunViaAPI
			}
			results, err := run(context.Background(), cli, cfg)
			if g.output == "json" {
				if perr := bench.PrintJSON(cmd.OutOrStdout(), results); perr != nil {
					return perr
				}
			} else if perr := bench.PrintTable(cmd.OutOrStdout(), results); perr != nil {
				return perr
			}
			return err
		},
	}
	f := cmd.Flags()
	f.IntVarP(&cfg.N, "nodes", "n", 10000, "nodes in the data set")
	f.StringVar(&workloads, "workload", "", "workloads to run, e.g. W2,W5 (default all)")
	f.DurationVar(&cfg.Duration, "duration", 10*time.Second, "run time of each W4 and W5 measurement")
	f.IntVar(&cfg.Repeat, "repeat", 3, "measurements per figure (the median is reported)")
	f.IntSliceVar(&cfg.Ks, "k", []int{1, 8, 32}, "W5 worker counts")
	f.Uint64Var(&cfg.Seed, "seed", 1, "data set seed")
	f.StringVar(&cfg.Shape, "shape", bench.ShapeSeed, "node shape: seed (WORKLOADS.md) or 21.4 (the columns a 21.4 conductor writes)")
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress bars or log lines")
	f.BoolVar(&viaAPI, "via-api", false, "run W1-W6 through the HTTP API (served in this process), with the in-process store as the baseline")
	f.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file (go tool pprof)")
	return cmd
}

// benchClient connects to --endpoints when given, else to a new embedded
// member in a temp dir.
func benchClient(cmd *cobra.Command, g *globalFlags) (*clientv3.Client, func(), error) {
	if cmd.Flags().Changed("endpoints") || os.Getenv("ETCDCTL_ENDPOINTS") != "" {
		cli, err := g.client()
		if err != nil {
			return nil, nil, err
		}
		return cli, func() { cli.Close() }, nil
	}
	member, err := embedded.Start()
	if err != nil {
		return nil, nil, err
	}
	cli, err := member.Client()
	if err != nil {
		member.Close()
		return nil, nil, err
	}
	fmt.Fprintf(os.Stderr, "bench: embedded etcd in %s\n", member.Dir())
	return cli, func() { cli.Close(); member.Close() }, nil
}
