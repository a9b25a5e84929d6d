package etcdtest

import (
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// ProxiedClient is a client that reaches the member at endpoint (an
// http:// client URL) through a Proxy the test can block to cut the
// client off. Both end with the test.
func ProxiedClient(t testing.TB, endpoint string) (*Proxy, *clientv3.Client) {
	t.Helper()
	proxy, err := NewProxy(strings.TrimPrefix(endpoint, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{proxy.Endpoint()}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return proxy, cli
}
