package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/api"
)

func init() { subcommands = append(subcommands, newAPICmd) }

// apiFlags configure the HTTP API, in `api` and in `serve --api-listen-address`.
type apiFlags struct {
	server           api.ServerConfig
	readCache        bool
	requestTimeout   time.Duration
	heartbeatTimeout time.Duration
	maxBodyBytes     int64
	testing          bool
	logFormat        string
}

// addTuning adds the flags both commands share.
func (af *apiFlags) addTuning(f *pflag.FlagSet, prefix string) {
	f.BoolVar(&af.server.Insecure, prefix+"insecure", false, "allow a non-loopback listen address without TLS and client-certificate auth")
	f.BoolVar(&af.readCache, prefix+"read-cache", true, "serve reads from the watch-fed in-memory copy (linearizable)")
	f.DurationVar(&af.requestTimeout, prefix+"request-timeout", 30*time.Second, "bound of each call")
	f.DurationVar(&af.heartbeatTimeout, prefix+"heartbeat-timeout", 60*time.Second, "Ironic's [conductor]heartbeat_timeout: the TTL of each conductor's lease")
	f.Int64Var(&af.maxBodyBytes, prefix+"max-body-bytes", 4<<20, "largest request body")
	f.DurationVar(&af.server.DrainTimeout, prefix+"drain-timeout", 30*time.Second, "wait for calls in flight on SIGTERM")
	f.StringVar(&af.logFormat, prefix+"log-format", "json", "access log format: json or text (to stderr)")
}

func newAPICmd(g *globalFlags) *cobra.Command {
	var af apiFlags
	cmd := &cobra.Command{
		Use:   "api",
		Short: "Serve Ironic's database API over HTTP/JSON (POST /v1/<method>)",
		Long: `Serves every method of Ironic's database API (the Connection) over HTTP
with JSON, in front of the etcd cluster of --endpoints: POST /v1/<method>
with the keyword arguments as a JSON object. GET /v1/ lists the methods,
GET /v1/openapi.json describes them; /healthz, /readyz and /metrics
(Prometheus) serve operators. Stateless: run several replicas over one
cluster. Stops on SIGTERM after draining the calls in flight.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := af.server.Check(); err != nil {
				return err
			}
			cli, err := g.client()
			if err != nil {
				return err
			}
			defer cli.Close()
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return runAPI(ctx, cmd.OutOrStdout(), cli, g.prefix, af)
		},
	}
	f := cmd.Flags()
	f.StringVar(&af.server.ListenAddress, "listen-address", api.DefaultListenAddress, "host:port to serve on")
	f.StringVar(&af.server.CertFile, "cert-file", "", "server certificate (enables TLS)")
	f.StringVar(&af.server.KeyFile, "key-file", "", "server key")
	f.StringVar(&af.server.TrustedCAFile, "trusted-ca-file", "", "CA that signs client certificates")
	f.BoolVar(&af.server.ClientCertAuth, "client-cert-auth", false, "require client certificates")
	f.BoolVar(&af.testing, "testing", false, "test mode: POST /v1/reset_for_tests and the X-Ironic-Etcd-Now header (calls served one at a time)")
	af.addTuning(f, "")
	return cmd
}

// runAPI serves until ctx ends, then drains.
func runAPI(ctx context.Context, out io.Writer, cli *clientv3.Client, prefix string, af apiFlags) error {
	var logHandler slog.Handler
	switch af.logFormat {
	case "json":
		logHandler = slog.NewJSONHandler(os.Stderr, nil)
	case "text":
		logHandler = slog.NewTextHandler(os.Stderr, nil)
	default:
		return fmt.Errorf("--log-format must be json or text, not %q", af.logFormat)
	}
	h, err := api.New(api.Config{Client: cli, Prefix: prefix, ReadCache: af.readCache, HeartbeatTimeout: af.heartbeatTimeout,
		RequestTimeout: af.requestTimeout, MaxBodyBytes: af.maxBodyBytes, Testing: af.testing, Logger: slog.New(logHandler)})
	if err != nil {
		return err
	}
	defer h.Close()
	scheme := "http"
	if af.server.CertFile != "" {
		scheme = "https"
	}
	err = api.Serve(ctx, h, af.server, func(addr string) {
		fmt.Fprintf(out, "ironic-etcd: API serving on %s://%s/v1/\n", scheme, addr)
	})
	if err == nil {
		fmt.Fprintln(out, "ironic-etcd: API drained and stopped")
	}
	return err
}
