package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/internal/etcdtest"
)

// cluster is three `ironic-etcd serve` members on loopback. With proxied
// peers, every member advertises its peer URL through a TCP proxy that a
// test can block, cutting the member off from the others.
type cluster struct {
	members []*member
	proxies []*etcdtest.Proxy
}

func startCluster(t *testing.T, proxiedPeers bool) *cluster {
	t.Helper()
	c := &cluster{}
	var initial []string
	var advertise []string
	for i := 0; i < 3; i++ {
		m := &member{name: fmt.Sprintf("m%d", i+1),
			clientURL: fmt.Sprintf("http://127.0.0.1:%d", freePort(t)),
			peerURL:   fmt.Sprintf("http://127.0.0.1:%d", freePort(t))}
		adv := m.peerURL
		if proxiedPeers {
			p, err := etcdtest.NewProxy(strings.TrimPrefix(m.peerURL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(p.Close)
			c.proxies = append(c.proxies, p)
			adv = p.Endpoint()
		}
		advertise = append(advertise, adv)
		initial = append(initial, m.name+"="+adv)
		c.members = append(c.members, m)
	}
	done := make(chan struct{}, 3)
	for i, m := range c.members {
		go func(i int, m *member) {
			defer func() { done <- struct{}{} }()
			startMember(t, m, "--initial-cluster", strings.Join(initial, ","),
				"--initial-advertise-peer-urls", advertise[i], "--initial-cluster-token", t.Name())
		}(i, m)
	}
	for range c.members {
		<-done
	}
	return c
}

func (c *cluster) endpoints() []string {
	var out []string
	for _, m := range c.members {
		out = append(out, m.clientURL)
	}
	return out
}

// leader returns the index of the member that leads.
func (c *cluster) leader(t *testing.T, cli *clientv3.Client) int {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		for i, m := range c.members {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			st, err := cli.Status(ctx, m.clientURL)
			cancel()
			if err == nil && st.Leader != 0 && st.Leader == st.Header.MemberId {
				return i
			}
		}
	}
	t.Fatal("no leader within 30 s")
	return -1
}

// checksum hashes every key and value under prefix, and counts them.
func checksum(t *testing.T, cli *clientv3.Client, prefix string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := cli.Get(ctx, prefix, clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	for _, kv := range resp.Kvs {
		fmt.Fprintf(h, "%q=%q\n", kv.Key, kv.Value)
	}
	return hex.EncodeToString(h.Sum(nil)), len(resp.Kvs)
}
