// Package embedded starts real etcd members in-process: a temp data dir,
// loopback listeners on free ports, quiet logs. Tests use it, and so do
// the demo and bench commands, which need a throwaway member.
package embedded

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Server is one embedded etcd member.
type Server struct {
	Etcd      *embed.Etcd
	Endpoints []string
	dir       string
	ownDir    bool
	cfg       *embed.Config
}

// Start launches a single-member cluster in a new temp dir and waits until
// it serves. Close removes the dir.
func Start() (*Server, error) { return startTemp(nil) }

// StartWithoutFsync is Start with etcd's --unsafe-no-fsync: for tests
// that make thousands of short-lived writes and never crash the member.
func StartWithoutFsync() (*Server, error) {
	return startTemp(func(cfg *embed.Config) { cfg.UnsafeNoFsync = true })
}

func startTemp(tune func(*embed.Config)) (*Server, error) {
	dir, err := os.MkdirTemp("", "ironic-etcd-embedded-")
	if err != nil {
		return nil, err
	}
	s, err := startIn(dir, tune)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s.ownDir = true
	return s, nil
}

// StartIn launches a single-member cluster with its data in dir (reused if
// it already holds one).
func StartIn(dir string) (*Server, error) { return startIn(dir, nil) }

func startIn(dir string, tune func(*embed.Config)) (*Server, error) {
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ { // a free port may be taken before etcd binds it
		cfg, err := config(dir)
		if err != nil {
			return nil, err
		}
		if tune != nil {
			tune(cfg)
		}
		e, err := embed.StartEtcd(cfg)
		if err != nil {
			lastErr = err
			continue
		}
		select {
		case <-e.Server.ReadyNotify():
		case <-time.After(60 * time.Second):
			e.Close()
			return nil, fmt.Errorf("etcdtest: etcd in %s not ready after 60s", dir)
		}
		return &Server{Etcd: e, Endpoints: []string{cfg.ListenClientUrls[0].String()}, dir: dir, cfg: cfg}, nil
	}
	return nil, fmt.Errorf("etcdtest: start etcd: %w", lastErr)
}

func config(dir string) (*embed.Config, error) {
	cfg := embed.NewConfig()
	cfg.Dir = dir
	cfg.Name = "test"
	client, err := freeURL()
	if err != nil {
		return nil, err
	}
	peer, err := freeURL()
	if err != nil {
		return nil, err
	}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{client}, []url.URL{client}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peer}, []url.URL{peer}
	cfg.InitialCluster = cfg.Name + "=" + peer.String()
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	cfg.LogLevel = "error"
	// Short elections keep lease tests fast: the minimum lease TTL is
	// 1.5 x the election timeout.
	cfg.TickMs, cfg.ElectionMs = 50, 500
	return cfg, nil
}

var portMu sync.Mutex

func freeURL() (url.URL, error) {
	portMu.Lock()
	defer portMu.Unlock()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return url.URL{}, err
	}
	defer l.Close()
	return url.URL{Scheme: "http", Host: l.Addr().String()}, nil
}

// Client returns a new client of the member; the caller closes it.
func (s *Server) Client() (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{
		Endpoints:   s.Endpoints,
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
	})
}

// Dir is the member's data dir.
func (s *Server) Dir() string { return s.dir }

// Close stops the member and, if Start made the dir, removes it.
func (s *Server) Close() {
	s.Etcd.Close()
	<-s.Etcd.Server.StopNotify()
	if s.ownDir {
		os.RemoveAll(s.dir)
	}
}
