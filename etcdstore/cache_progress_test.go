package etcdstore_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// progressDropper is a client-side gRPC stream interceptor that swallows
// the first watch progress request, as etcd ignores one that arrives
// while the watch is not synced (being created, resumed or caught up).
type progressDropper struct{ seen atomic.Int32 }

func (d *progressDropper) intercept(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn,
	method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	cs, err := streamer(ctx, desc, cc, method, opts...)
	if err != nil || method != "/etcdserverpb.Watch/Watch" {
		return cs, err
	}
	return &droppingStream{ClientStream: cs, d: d}, nil
}

type droppingStream struct {
	grpc.ClientStream
	d *progressDropper
}

func (s *droppingStream) SendMsg(m any) error {
	if req, ok := m.(*pb.WatchRequest); ok && req.GetProgressRequest() != nil && s.d.seen.Add(1) == 1 {
		return nil
	}
	return s.ClientStream.SendMsg(m)
}

// A read of an idle prefix whose progress request goes unanswered asks
// again, and is answered by the cache instead of waiting out its bound
// (30 s here, so only a cache that never asks again fails).
func TestCacheAsksProgressAgain(t *testing.T) {
	choosesReadMode(t) // a Store with the read cache of its own
	f := newFixture(t)
	drop := &progressDropper{}
	cli, err := clientv3.New(clientv3.Config{Endpoints: server.Endpoints, DialTimeout: 5 * time.Second,
		Logger: zap.NewNop(), DialOptions: []grpc.DialOption{grpc.WithChainStreamInterceptor(drop.intercept)}})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	reader, err := etcdstore.New(cli, etcdstore.WithPrefix(f.prefix), etcdstore.WithReadCache(),
		etcdstore.WithLogger(quietLog), etcdstore.WithFreshWait(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	other := newFixture(t)
	other.mustNode(t, nil) // moves the cluster revision, no event for reader
	if list, err := reader.GetNodeList(f.ctx, etcdstore.NodeFilter{}, etcdstore.ListOptions{}); err != nil || len(list) != 0 {
		t.Fatal(list, err)
	}
	if n := drop.seen.Load(); n < 2 {
		t.Fatalf("%d progress requests, want the dropped one and another", n)
	}
	if n := reader.MirrorFallbacks(); n != 0 {
		t.Fatalf("%d reads fell back to etcd: the cache did not ask again after a dropped request", n)
	}
}
