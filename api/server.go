package api

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
)

// ServerConfig is how the API listens, with etcd's TLS flag names.
type ServerConfig struct {
	ListenAddress  string // --listen-address, default 127.0.0.1:6390
	CertFile       string // --cert-file: serve TLS
	KeyFile        string // --key-file
	TrustedCAFile  string // --trusted-ca-file: CA of client certificates
	ClientCertAuth bool   // --client-cert-auth: require a client certificate
	// Insecure allows a non-loopback address without TLS and client
	// certificates (behind a trusted proxy, on a private network).
	Insecure bool
	// DrainTimeout bounds the wait for calls in flight at shutdown.
	DrainTimeout time.Duration
}

// DefaultListenAddress is where the API listens unless told otherwise.
const DefaultListenAddress = "127.0.0.1:6390"

// Check refuses a configuration that would expose the store unprotected:
// a non-loopback address needs TLS with client-certificate auth, or
// Insecure.
func (sc ServerConfig) Check() error {
	if (sc.CertFile == "") != (sc.KeyFile == "") {
		return errors.New("--cert-file and --key-file go together")
	}
	if sc.ClientCertAuth && (sc.CertFile == "" || sc.TrustedCAFile == "") {
		return errors.New("--client-cert-auth needs --cert-file, --key-file and --trusted-ca-file")
	}
	loopback, err := isLoopback(sc.ListenAddress)
	if err != nil {
		return err
	}
	if !loopback && !sc.Insecure && !(sc.CertFile != "" && sc.ClientCertAuth) {
		return fmt.Errorf("refusing to listen on %s beyond loopback without TLS and client-certificate auth "+
			"(--cert-file, --key-file, --trusted-ca-file, --client-cert-auth); --insecure to do it anyway", sc.ListenAddress)
	}
	return nil
}

// isLoopback reports whether addr only accepts local connections.
func isLoopback(addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, fmt.Errorf("--listen-address %q: %v", addr, err)
	}
	if host == "localhost" {
		return true, nil
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback(), nil
}

func (sc ServerConfig) tlsConfig() (*tls.Config, error) {
	if sc.CertFile == "" {
		return nil, nil
	}
	info := transport.TLSInfo{CertFile: sc.CertFile, KeyFile: sc.KeyFile, TrustedCAFile: sc.TrustedCAFile,
		ClientCertAuth: sc.ClientCertAuth}
	return info.ServerConfig()
}

// Serve listens and serves h until ctx ends, then drains: /readyz fails,
// new connections are refused, and calls in flight finish (up to
// DrainTimeout). ready, if set, gets the address once listening.
func Serve(ctx context.Context, h *Handler, sc ServerConfig, ready func(addr string)) error {
	if sc.ListenAddress == "" {
		sc.ListenAddress = DefaultListenAddress
	}
	if err := sc.Check(); err != nil {
		return err
	}
	tlsCfg, err := sc.tlsConfig()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", sc.ListenAddress)
	if err != nil {
		return err
	}
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		WriteTimeout: h.cfg.RequestTimeout + 10*time.Second, ErrorLog: slog.NewLogLogger(h.cfg.Logger.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	h.Drain()
	drain := sc.DrainTimeout
	if drain <= 0 {
		drain = 30 * time.Second
	}
	dctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	if err := srv.Shutdown(dctx); err != nil {
		srv.Close()
		return fmt.Errorf("drain: %w", err)
	}
	return nil
}
