package etcdstore_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// bothReadModes runs fn against a direct Store and a read-cache Store.
func bothReadModes(t *testing.T, fn func(t *testing.T, f *fixture)) {
	choosesReadMode(t)
	t.Run("direct", func(t *testing.T) { fn(t, newFixture(t)) })
	t.Run("read cache", func(t *testing.T) { fn(t, newFixture(t, etcdstore.WithReadCache())) })
}

// Issue 10 item 7: an address list larger than etcd's request limit is
// refused as InvalidParameterValue, nothing written, in both read modes
// (the cache could answer without asking etcd).
func TestNodeByPortAddressesBeyondRequestLimit(t *testing.T) {
	bothReadModes(t, func(t *testing.T, f *fixture) {
		n := f.mustNode(t, nil)
		f.mustPort(t, etcdstore.Values{"node_id": n.Id, "address": macOf(1)})
		before := f.snapshot(t)
		for _, addrs := range [][]string{{strings.Repeat("a", 10<<20)}, {macOf(1), strings.Repeat("b", 2<<20)}} {
			_, err := f.GetNodeByPortAddresses(f.ctx, addrs)
			wantErr(t, err, etcdstore.ErrInvalidParameterValue)
		}
		if after := f.snapshot(t); !slices.Equal(before, after) {
			t.Fatal("a refused lookup wrote something")
		}
		if got, err := f.GetNodeByPortAddresses(f.ctx, []string{macOf(1)}); err != nil || got.Id != n.Id {
			t.Fatalf("lookup by a real address: %v, %v", got, err)
		}
	})
}

// Issue 10 item 7: an empty address list answers NodeNotFound without a
// request, in both read modes, even with the context already done.
func TestNodeByPortAddressesEmpty(t *testing.T) {
	bothReadModes(t, func(t *testing.T, f *fixture) {
		done, cancel := context.WithCancel(f.ctx)
		cancel()
		for _, ctx := range []context.Context{f.ctx, done} {
			for _, addrs := range [][]string{nil, {}} {
				_, err := f.GetNodeByPortAddresses(ctx, addrs)
				wantErr(t, err, etcdstore.ErrNodeNotFound)
			}
		}
	})
}

// smallRequestFixture is a direct Store whose client sends at most limit
// bytes per request, as etcd's own limit does at 1.5 MiB.
func smallRequestFixture(t *testing.T, limit int) *fixture {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: server.Endpoints, DialTimeout: 5 * time.Second,
		Logger: zap.NewNop(), MaxCallSendMsgSize: limit})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	other := newFixture(t)
	s, err := etcdstore.New(cli, etcdstore.WithPrefix(other.prefix), etcdstore.WithClock(other.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &fixture{Store: s, clock: other.clock, prefix: other.prefix, ctx: other.ctx}
}

// Issue 10 item 7: a read and a write whose request exceeds what etcd
// (here its client) accepts say so as InvalidParameterValue, in the
// ErrInvalid family, and write nothing.
func TestRequestTooLargeIsInvalid(t *testing.T) {
	const limit = 16 << 10
	f := smallRequestFixture(t, limit)
	n := f.mustNode(t, nil) // takes the id block: later creates write no counter
	f.mustPort(t, etcdstore.Values{"node_id": n.Id, "address": macOf(1)})
	before := f.snapshot(t)

	addrs := []string{macOf(1)}
	for len(strings.Join(addrs, "")) <= limit {
		addrs = append(addrs, strings.Repeat("c", 1000))
	}
	_, err := f.GetNodeByPortAddresses(f.ctx, addrs)
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)

	big := map[string]any{"blob": strings.Repeat("d", 2*limit)}
	_, err = f.UpdateNode(f.ctx, n.Uuid, etcdstore.Values{"extra": big})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	_, err = f.CreateNode(f.ctx, etcdstore.Values{"extra": big})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	if errors.Is(err, etcdstore.ErrUnknownOutcome) {
		t.Fatalf("a request refused for its size is definite: %v", err)
	}
	if after := f.snapshot(t); !slices.Equal(before, after) {
		t.Fatal("a refused request wrote something")
	}
}

// The conversion maps etcd's own refusal of a large request (the server's
// --max-request-bytes, 1.5 MiB by default) to InvalidParameterValue, and
// leaves the cluster's resource errors alone.
func TestEtcdErrorRequestTooLarge(t *testing.T) {
	f := newFixture(t)
	_, err := client.Put(f.ctx, f.prefix+"big", strings.Repeat("e", 1700<<10))
	if err == nil {
		t.Fatal("etcd accepted a 1.7 MiB request")
	}
	for _, write := range []bool{false, true} {
		wantErr(t, etcdstore.EtcdErrorForTest(err, write), etcdstore.ErrInvalidParameterValue)
	}
	if len(f.keysUnder(t)) != 0 {
		t.Fatal("the refused put wrote something")
	}
	// A cancelled write stays an unknown outcome, not bad input.
	done, cancel := context.WithCancel(f.ctx)
	cancel()
	_, err = client.Put(done, f.prefix+"k", "v")
	if got := etcdstore.EtcdErrorForTest(err, true); !errors.Is(got, etcdstore.ErrUnknownOutcome) || errors.Is(got, etcdstore.ErrInvalid) {
		t.Fatalf("cancelled write: %v", got)
	}
}
