package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/keys"
)

// globalFlags are the connection and output flags every subcommand shares.
type globalFlags struct {
	endpoints      []string
	cacert         string
	cert, key      string
	user, password string
	dialTimeout    time.Duration
	commandTimeout time.Duration
	prefix         string
	output         string
}

// subcommands are the commands of the root, each in its own file.
var subcommands []func(*globalFlags) *cobra.Command

func newRootCmd() *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:           "ironic-etcd",
		Short:         "OpenStack Ironic's inventory and coordination on etcd",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return g.fromEnv(cmd.Flags())
		},
	}
	f := root.PersistentFlags()
	f.StringSliceVar(&g.endpoints, "endpoints", []string{"127.0.0.1:2379"}, "etcd endpoints (ETCDCTL_ENDPOINTS)")
	f.StringVar(&g.cacert, "cacert", "", "verify servers with this CA bundle (ETCDCTL_CACERT)")
	f.StringVar(&g.cert, "cert", "", "client certificate (ETCDCTL_CERT)")
	f.StringVar(&g.key, "key", "", "client key (ETCDCTL_KEY)")
	f.StringVar(&g.user, "user", "", "username[:password] (ETCDCTL_USER)")
	f.StringVar(&g.password, "password", "", "password (ETCDCTL_PASSWORD)")
	f.DurationVar(&g.dialTimeout, "dial-timeout", 2*time.Second, "dial timeout (ETCDCTL_DIAL_TIMEOUT)")
	f.DurationVar(&g.commandTimeout, "command-timeout", 5*time.Second, "timeout of each request (ETCDCTL_COMMAND_TIMEOUT)")
	f.StringVar(&g.prefix, "prefix", keys.DefaultPrefix, "key prefix of the inventory")
	f.StringVarP(&g.output, "output", "o", "table", "output format: table or json")
	for _, sub := range subcommands {
		root.AddCommand(sub(g))
	}
	return root
}

// fromEnv applies ETCDCTL_* variables to the flags not given.
func (g *globalFlags) fromEnv(flags *pflag.FlagSet) error {
	env := map[string]string{
		"endpoints": "ETCDCTL_ENDPOINTS", "cacert": "ETCDCTL_CACERT", "cert": "ETCDCTL_CERT",
		"key": "ETCDCTL_KEY", "user": "ETCDCTL_USER", "password": "ETCDCTL_PASSWORD",
		"dial-timeout": "ETCDCTL_DIAL_TIMEOUT", "command-timeout": "ETCDCTL_COMMAND_TIMEOUT",
	}
	for flag, name := range env {
		if v, ok := os.LookupEnv(name); ok && !flags.Changed(flag) {
			if err := flags.Set(flag, v); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	if g.output != "table" && g.output != "json" {
		return fmt.Errorf("--output must be table or json, not %q", g.output)
	}
	return nil
}

// tlsConfig builds the client TLS configuration, nil without TLS flags.
func (g *globalFlags) tlsConfig() (*tls.Config, error) {
	if g.cacert == "" && g.cert == "" && g.key == "" {
		return nil, nil
	}
	info := transport.TLSInfo{CertFile: g.cert, KeyFile: g.key, TrustedCAFile: g.cacert}
	return info.ClientConfig()
}

// client connects to the cluster the flags name.
func (g *globalFlags) client() (*clientv3.Client, error) {
	tlsCfg, err := g.tlsConfig()
	if err != nil {
		return nil, err
	}
	user, password := g.user, g.password
	if u, p, ok := strings.Cut(user, ":"); ok {
		user, password = u, p
	}
	endpoints := g.endpoints
	if tlsCfg != nil {
		endpoints = withScheme(endpoints, "https")
	}
	return clientv3.New(clientv3.Config{
		Endpoints:   endpoints,
		DialTimeout: g.dialTimeout,
		TLS:         tlsCfg,
		Username:    user,
		Password:    password,
		Logger:      zap.NewNop(),
	})
}

func withScheme(endpoints []string, scheme string) []string {
	out := make([]string, len(endpoints))
	for i, e := range endpoints {
		if !strings.Contains(e, "://") {
			e = scheme + "://" + e
		}
		out[i] = e
	}
	return out
}

// store connects and returns a Store on the flags' prefix; close the
// client when done.
func (g *globalFlags) store() (*etcdstore.Store, *clientv3.Client, error) {
	cli, err := g.client()
	if err != nil {
		return nil, nil, err
	}
	s, err := etcdstore.New(cli, etcdstore.WithPrefix(g.prefix))
	if err != nil {
		cli.Close()
		return nil, nil, err
	}
	return s, cli, nil
}

// ctx is the context of one request.
func (g *globalFlags) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), g.commandTimeout)
}
