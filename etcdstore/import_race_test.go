package etcdstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/internal/racetest"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// A rival creates a node named like an imported one at every point of the
// import's requests: the import names the clash and writes nothing, or
// it wins and the rival's create fails; never two nodes hold the name.
func TestImportRecordsRacingAClash(t *testing.T) {
	choosesReadMode(t)
	recs := func() []proto.Message {
		return []proto.Message{
			jsonFilled(&pb.Node{Id: 100, Uuid: "a1f7c2a4-4b1e-4c55-9a57-0e1d7f3b2d00", Name: proto.String("a")}),
			jsonFilled(&pb.Node{Id: 101, Uuid: "a1f7c2a4-4b1e-4c55-9a57-0e1d7f3b2d01", Name: proto.String("b")}),
		}
	}
	run := func(p *racetest.Point) *racetest.Trace {
		f := newFixture(t)
		cli, err := clientv3.New(clientv3.Config{Endpoints: server.Endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop(),
			DialOptions: []grpc.DialOption{racetest.DialOption()}})
		if err != nil {
			t.Fatal(err)
		}
		defer cli.Close()
		victim, err := etcdstore.New(cli, etcdstore.WithPrefix(f.prefix))
		if err != nil {
			t.Fatal(err)
		}
		defer victim.Close()
		var ctx context.Context
		var trace *racetest.Trace
		var rivalErr error
		if p == nil {
			ctx, trace = racetest.Record(f.ctx)
		} else {
			ctx, _, trace = racetest.Arm(f.ctx, *p, func(rctx context.Context) error {
				_, rivalErr = f.CreateNode(rctx, etcdstore.Values{"name": "B"})
				return nil
			})
		}
		res, err := victim.ImportRecords(ctx, "nodes", recs())
		switch {
		case p == nil && err != nil:
			t.Fatalf("dry run: %v", err)
		case p == nil:
		case err == nil && !errors.Is(rivalErr, etcdstore.ErrDuplicateName):
			t.Fatalf("%v: import and rival both succeeded (rival: %v)", p, rivalErr)
		case err != nil && (rivalErr != nil || len(res.Problems) != 1 || res.Problems[0].ID != 101 ||
			!errors.Is(res.Problems[0].Err, etcdstore.ErrDuplicateName)):
			t.Fatalf("%v: import %v %+v, rival %v", p, err, res, rivalErr)
		case err != nil:
			if _, err := f.GetNodeByID(f.ctx, 100); !errors.Is(err, etcdstore.ErrNodeNotFound) {
				t.Fatalf("%v: a refused import wrote node 100: %v", p, err)
			}
		}
		nodes, err := f.GetNodeList(f.ctx, etcdstore.NodeFilter{}, etcdstore.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		named := 0
		for _, n := range nodes {
			if n.GetName() == "b" || n.GetName() == "B" {
				named++
			}
		}
		if p != nil && named != 1 {
			t.Fatalf("%v: %d nodes named b", p, named)
		}
		return trace
	}
	points := run(nil).Points()
	if len(points) < 3 {
		t.Fatalf("points %v", points)
	}
	for _, p := range points {
		run(&p)
	}
}
