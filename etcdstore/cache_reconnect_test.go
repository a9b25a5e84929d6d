package etcdstore_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// A cache cut off while another client gets 1,600 updates acknowledged is
// caught up by etcd in batches of 1,000 revisions, each stamped with the
// cluster's current revision (mvcc syncWatchers), not with the last
// revision it carries. The test holds the cache's watch loop right after
// the first batch and reads every node: each read must return the last
// acknowledged value (the cache, behind, sends it to etcd), never the
// batch's. After the catch-up the cache serves current values again.
func TestCacheReadsAfterReconnectAreCurrent(t *testing.T) {
	choosesReadMode(t) // a Store with the read cache of its own
	f := newFixture(t)
	proxy, readerCli := proxiedClient(t)
	reconnected := make(chan struct{})
	firstBatch := make(chan clientv3.WatchResponse, 1)
	release := make(chan struct{})
	var hold, unhold sync.Once
	holdFirstBatch := func(resp clientv3.WatchResponse) {
		select {
		case <-reconnected:
			hold.Do(func() { firstBatch <- resp; <-release })
		default:
		}
	}
	reader, err := etcdstore.New(readerCli, etcdstore.WithPrefix(f.prefix), etcdstore.WithReadCache(),
		etcdstore.WithLogger(quietLog), etcdstore.WithFreshWait(200*time.Millisecond),
		etcdstore.WithCacheWatchHook(holdFirstBatch))
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	defer unhold.Do(func() { close(release) }) // first: Close waits for a held watch loop

	const nodes, updates = 4, 1600
	var uuids []string
	want := map[string]string{}
	for i := 0; i < nodes; i++ {
		n := f.mustNode(t, etcdstore.Values{"power_state": "initial"})
		uuids, want[n.Uuid] = append(uuids, n.Uuid), "initial"
	}
	readAll := func(phase string) {
		t.Helper()
		for _, u := range uuids {
			n, err := reader.GetNodeByUUID(f.ctx, u)
			if err != nil {
				t.Fatalf("%s: %v", phase, err)
			}
			if got := n.GetPowerState(); got != want[u] {
				t.Errorf("%s: node %s read %q after %q was acknowledged", phase, u, got, want[u])
			}
		}
	}
	readAll("before the cut")

	proxy.Block()
	for i := 0; i < updates; i++ {
		u, state := uuids[i%nodes], fmt.Sprintf("update-%d", i)
		if _, err := f.UpdateNode(f.ctx, u, etcdstore.Values{"power_state": state}); err != nil {
			t.Fatal(err)
		}
		want[u] = state
	}
	lastWrite := f.revision(t)
	close(reconnected)
	proxy.Unblock()

	var batch clientv3.WatchResponse
	select {
	case batch = <-firstBatch:
	case <-time.After(60 * time.Second):
		t.Fatal("the cache's watch did not resume within 60 s of reconnecting")
	}
	var carried int64
	for _, ev := range batch.Events {
		carried = max(carried, ev.Kv.ModRevision)
	}
	if batch.Header.Revision <= carried || carried >= lastWrite {
		t.Fatalf("first response after reconnecting: header %d, events up to %d, last write %d: not a partial catch-up batch, the scenario did not happen",
			batch.Header.Revision, carried, lastWrite)
	}
	readAll("between catch-up batches")

	unhold.Do(func() { close(release) })
	waitUntil(t, "the cache to catch up", func() bool { return reader.MirrorRevision() >= lastWrite })
	readAll("after the catch-up")
}
