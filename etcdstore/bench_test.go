package etcdstore_test

import (
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Benchmarks of the hot paths, against the package's embedded etcd; run
// with `make bench` and compare runs with benchstat.

func benchNodes(b *testing.B, f *fixture, n int) []string {
	b.Helper()
	var uuids []string
	for i := 0; i < n; i++ {
		state := "available"
		if i%50 == 0 {
			state = "wait call-back"
		}
		node, err := f.CreateNode(f.ctx, etcdstore.Values{"name": fmt.Sprintf("b-%d", i), "provision_state": state,
			"driver_info": map[string]any{"pad": string(make([]byte, 800))}})
		if err != nil {
			b.Fatal(err)
		}
		uuids = append(uuids, node.Uuid)
	}
	return uuids
}

func BenchmarkCreateNode(b *testing.B) {
	f := newFixture(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.CreateNode(f.ctx, etcdstore.Values{"name": fmt.Sprintf("c-%d", i)}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReserveUpdateRelease(b *testing.B) {
	f := newFixture(b)
	uuids := benchNodes(b, f, 1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n, err := f.ReserveNode(f.ctx, "c", uuids[0])
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.UpdateNode(f.ctx, uuids[0], etcdstore.Values{"power_state": fmt.Sprint(i % 2)},
			etcdstore.WithFence("c", n.ReservationRevision)); err != nil {
			b.Fatal(err)
		}
		if err := f.ReleaseNode(f.ctx, "c", uuids[0]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetNodeByUUID(b *testing.B) {
	f := newFixture(b)
	uuids := benchNodes(b, f, 100)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.GetNodeByUUID(f.ctx, uuids[i%len(uuids)]); err != nil {
			b.Fatal(err)
		}
	}
}

func benchFilter(b *testing.B, opts ...etcdstore.Option) {
	f := newFixture(b, opts...)
	benchNodes(b, f, 1000)
	no := false
	flt := etcdstore.NodeFilter{ProvisionState: &etcdstore.NullableString{Value: "wait call-back"}, Maintenance: &no, Reserved: &no}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rows, err := f.GetNodeinfoList(f.ctx, []string{"id", "uuid", "driver", "reservation"}, flt, etcdstore.ListOptions{})
		if err != nil || len(rows) != 20 {
			b.Fatal(len(rows), err)
		}
	}
}

func BenchmarkNodeinfoListFilter(b *testing.B)       { benchFilter(b) }
func BenchmarkNodeinfoListFilterCached(b *testing.B) { benchFilter(b, etcdstore.WithReadCache()) }

func benchWalk(b *testing.B, opts ...etcdstore.Option) {
	f := newFixture(b, opts...)
	benchNodes(b, f, 1000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		o := etcdstore.ListOptions{Limit: etcdstore.Limit(100)}
		for {
			page, err := f.GetNodeList(f.ctx, etcdstore.NodeFilter{}, o)
			if err != nil {
				b.Fatal(err)
			}
			if len(page) < 100 {
				break
			}
			o.Marker = page[len(page)-1]
		}
	}
}

func BenchmarkNodeListWalk(b *testing.B)       { benchWalk(b) }
func BenchmarkNodeListWalkCached(b *testing.B) { benchWalk(b, etcdstore.WithReadCache()) }

// BenchmarkRawGetNode is the floor of the lookups: one linearizable Get
// of a node record, decoded.
func BenchmarkRawGetNode(b *testing.B) {
	f := newFixture(b)
	benchNodes(b, f, 100)
	key := f.Keys().Record("nodes", 1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := client.Get(f.ctx, key)
		if err != nil || len(resp.Kvs) != 1 {
			b.Fatal(err)
		}
		if err := proto.Unmarshal(resp.Kvs[0].Value, &pb.Node{}); err != nil {
			b.Fatal(err)
		}
	}
}
