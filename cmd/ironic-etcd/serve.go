package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.etcd.io/etcd/server/v3/embed"
	"go.etcd.io/etcd/server/v3/etcdserver/api/v3client"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

func init() { subcommands = append(subcommands, newServeCmd) }

// serveFlags are etcd's own flag names for one member.
type serveFlags struct {
	name, dataDir                              string
	listenClient, advertiseClient              string
	listenPeer, advertisePeer                  string
	initialCluster, clusterState, clusterToken string
	maxTxnOps                                  uint
	certFile, keyFile, trustedCA               string
	clientCertAuth                             bool
	peerCertFile, peerKeyFile, peerTrustedCA   string
	peerClientCertAuth                         bool
	logLevel                                   string
	electionMs, heartbeatMs                    uint
	api                                        apiFlags
}

func newServeCmd(g *globalFlags) *cobra.Command {
	var sf serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run an embedded etcd member, ready for conductors",
		Long: `Runs one etcd member in this process (etcd's own flag names). Alone it is a
one-member cluster; with --initial-cluster it joins or forms a cluster. It
prints its client URLs once it serves and stops cleanly on SIGINT or SIGTERM.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return serve(cmd, sf, g) },
	}
	f := cmd.Flags()
	f.StringVar(&sf.name, "name", "default", "member name")
	f.StringVar(&sf.dataDir, "data-dir", "", "data directory (default <name>.etcd)")
	f.StringVar(&sf.listenClient, "listen-client-urls", "http://127.0.0.1:2379", "URLs to serve clients on")
	f.StringVar(&sf.advertiseClient, "advertise-client-urls", "", "client URLs to advertise (default: the listen URLs)")
	f.StringVar(&sf.listenPeer, "listen-peer-urls", "http://127.0.0.1:2380", "URLs to serve peers on")
	f.StringVar(&sf.advertisePeer, "initial-advertise-peer-urls", "", "peer URLs to advertise (default: the listen URLs)")
	f.StringVar(&sf.initialCluster, "initial-cluster", "", "name=peerURL,... of the initial members (default: this member)")
	f.StringVar(&sf.clusterState, "initial-cluster-state", "new", "new or existing")
	f.StringVar(&sf.clusterToken, "initial-cluster-token", "ironic-etcd", "token of the initial cluster")
	f.UintVar(&sf.maxTxnOps, "max-txn-ops", 128, "most operations in one transaction")
	f.StringVar(&sf.certFile, "cert-file", "", "server certificate for clients (enables TLS)")
	f.StringVar(&sf.keyFile, "key-file", "", "server key for clients")
	f.StringVar(&sf.trustedCA, "trusted-ca-file", "", "CA that signs client certificates")
	f.BoolVar(&sf.clientCertAuth, "client-cert-auth", false, "require client certificates")
	f.StringVar(&sf.peerCertFile, "peer-cert-file", "", "certificate for peers")
	f.StringVar(&sf.peerKeyFile, "peer-key-file", "", "key for peers")
	f.StringVar(&sf.peerTrustedCA, "peer-trusted-ca-file", "", "CA that signs peer certificates")
	f.BoolVar(&sf.peerClientCertAuth, "peer-client-cert-auth", false, "require peer certificates")
	f.StringVar(&sf.logLevel, "log-level", "error", "etcd log level")
	f.UintVar(&sf.electionMs, "election-timeout", 1000, "election timeout in ms (the shortest lease TTL is 1.5 x this)")
	f.UintVar(&sf.heartbeatMs, "heartbeat-interval", 100, "heartbeat interval in ms")
	f.StringVar(&sf.api.server.ListenAddress, "api-listen-address", "", "also serve the HTTP API (as `ironic-etcd api`) on this host:port, with the member's client TLS flags")
	sf.api.addTuning(f, "api-")
	return cmd
}

func parseURLs(s string) ([]url.URL, error) {
	var out []url.URL
	for _, part := range strings.Split(s, ",") {
		u, err := url.Parse(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("bad URL %q: %w", part, err)
		}
		out = append(out, *u)
	}
	return out, nil
}

func memberConfig(sf serveFlags) (*embed.Config, error) {
	cfg := embed.NewConfig()
	cfg.Name = sf.name
	cfg.Dir = sf.dataDir
	if cfg.Dir == "" {
		cfg.Dir = sf.name + ".etcd"
	}
	var err error
	if cfg.ListenClientUrls, err = parseURLs(sf.listenClient); err != nil {
		return nil, err
	}
	cfg.AdvertiseClientUrls = cfg.ListenClientUrls
	if sf.advertiseClient != "" {
		if cfg.AdvertiseClientUrls, err = parseURLs(sf.advertiseClient); err != nil {
			return nil, err
		}
	}
	if cfg.ListenPeerUrls, err = parseURLs(sf.listenPeer); err != nil {
		return nil, err
	}
	cfg.AdvertisePeerUrls = cfg.ListenPeerUrls
	if sf.advertisePeer != "" {
		if cfg.AdvertisePeerUrls, err = parseURLs(sf.advertisePeer); err != nil {
			return nil, err
		}
	}
	cfg.InitialCluster = sf.initialCluster
	if cfg.InitialCluster == "" {
		cfg.InitialCluster = cfg.InitialClusterFromName(sf.name)
	}
	cfg.ClusterState = sf.clusterState
	cfg.InitialClusterToken = sf.clusterToken
	cfg.MaxTxnOps = sf.maxTxnOps
	cfg.TickMs, cfg.ElectionMs = sf.heartbeatMs, sf.electionMs
	cfg.LogLevel = sf.logLevel
	cfg.ClientTLSInfo.CertFile, cfg.ClientTLSInfo.KeyFile = sf.certFile, sf.keyFile
	cfg.ClientTLSInfo.TrustedCAFile, cfg.ClientTLSInfo.ClientCertAuth = sf.trustedCA, sf.clientCertAuth
	cfg.PeerTLSInfo.CertFile, cfg.PeerTLSInfo.KeyFile = sf.peerCertFile, sf.peerKeyFile
	cfg.PeerTLSInfo.TrustedCAFile, cfg.PeerTLSInfo.ClientCertAuth = sf.peerTrustedCA, sf.peerClientCertAuth
	return cfg, nil
}

func serve(cmd *cobra.Command, sf serveFlags, g *globalFlags) error {
	cfg, err := memberConfig(sf)
	if err != nil {
		return err
	}
	var stopping atomic.Bool
	if err := quietOnStop(cfg, sf.logLevel, &stopping); err != nil {
		return err
	}
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return err
	}
	var closeOnce sync.Once
	stop := func() {
		closeOnce.Do(func() {
			stopping.Store(true)
			e.Close()
		})
	}
	defer stop()
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		return err
	case <-time.After(5 * time.Minute):
		return fmt.Errorf("member %s not ready after 5 minutes", sf.name)
	}
	var urls []string
	for _, u := range cfg.AdvertiseClientUrls {
		urls = append(urls, u.String())
	}
	fmt.Fprintf(cmd.OutOrStdout(), "ironic-etcd: member %s serving clients on %s\n", sf.name, strings.Join(urls, ","))
	apiDone, stopAPI, err := serveAPIInProcess(cmd, e, sf, g.prefix)
	if err != nil {
		return err
	}
	defer stopAPI()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sig)
	select {
	case s := <-sig:
		fmt.Fprintf(cmd.OutOrStdout(), "ironic-etcd: %v, stopping member %s\n", s, sf.name)
		stopAPI() // drain the API before its member goes
		stop()
		<-e.Server.StopNotify()
		return nil
	case err := <-apiDone:
		return err
	case err := <-e.Err():
		return err
	}
}

// serveAPIInProcess starts the HTTP API on the member when
// --api-listen-address is set, through an in-process client (no network
// hop, no client TLS). stop drains it and waits.
func serveAPIInProcess(cmd *cobra.Command, e *embed.Etcd, sf serveFlags, prefix string) (<-chan error, func(), error) {
	done := make(chan error, 1)
	if sf.api.server.ListenAddress == "" {
		return done, func() {}, nil
	}
	sf.api.server.CertFile, sf.api.server.KeyFile = sf.certFile, sf.keyFile
	sf.api.server.TrustedCAFile, sf.api.server.ClientCertAuth = sf.trustedCA, sf.clientCertAuth
	sf.api.logFormat = "json"
	if err := sf.api.server.Check(); err != nil {
		return nil, nil, err
	}
	cli := v3client.New(e.Server)
	ctx, cancel := context.WithCancel(context.Background())
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		err := runAPI(ctx, cmd.OutOrStdout(), cli, prefix, sf.api)
		cli.Close()
		done <- err
	}()
	var once sync.Once
	return done, func() { once.Do(func() { cancel(); <-finished }) }, nil
}

// quietOnStop gives the member a logger at level that goes silent once
// stopping is set: etcd reports its listeners closing at error level,
// which on a clean shutdown is noise.
func quietOnStop(cfg *embed.Config, level string, stopping *atomic.Bool) error {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	zcfg := zap.NewProductionConfig()
	zcfg.Level = zap.NewAtomicLevelAt(lvl)
	logger, err := zcfg.Build(zap.WrapCore(func(c zapcore.Core) zapcore.Core { return &stopFilter{c, stopping} }))
	if err != nil {
		return err
	}
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(logger)
	return nil
}

type stopFilter struct {
	zapcore.Core
	stopping *atomic.Bool
}

func (f *stopFilter) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if f.stopping.Load() {
		return ce
	}
	return f.Core.Check(e, ce)
}

func (f *stopFilter) With(fields []zapcore.Field) zapcore.Core {
	return &stopFilter{f.Core.With(fields), f.stopping}
}
