package etcdstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// Rows of the race table for Ironic 21.4's update_node (UpdateNode21),
// which moves a node's instance_uuid from one value to another: the old
// index entry must go and the new one be claimed in the same
// transaction, whatever a rival did in between.

const thirdInstance = "8be26c0b-03f2-4d2e-ae87-c02d7f33c123"

func nodeRaceCases21() []raceCase {
	setupAssociated := func(ctx context.Context, w *world) error {
		return w.makeNode(ctx, "node", etcdstore.Values{"name": "node-1", "instance_uuid": thirdInstance})
	}
	reassociate := func(ctx context.Context, w *world) (any, error) {
		return w.victim.UpdateNode21(ctx, w.uuid["node"], etcdstore.Values{"instance_uuid": otherInstance})
	}
	return []raceCase{
		{name: "update_node (21.4) instance_uuid over another, instance taken", setup: setupAssociated, scope: nodeBy("uuid"),
			errs: []error{etcdstore.ErrInstanceAssociated}, call: reassociate,
			rival: func(ctx context.Context, w *world) error {
				return w.makeNode(ctx, "rival", etcdstore.Values{"instance_uuid": otherInstance})
			}},
		{name: "update_node (21.4) instance_uuid over another, re-associated meanwhile", setup: setupAssociated, scope: nodeBy("uuid"),
			call: reassociate,
			rival: func(ctx context.Context, w *world) error {
				_, err := w.admin.UpdateNode21(ctx, w.uuid["node"], etcdstore.Values{"instance_uuid": uuidC})
				return err
			}},
		{name: "update_node (21.4) instance_uuid over another, old instance freed and taken", setup: setupAssociated, scope: nodeBy("uuid"),
			call: reassociate,
			rival: func(ctx context.Context, w *world) error {
				if _, err := w.admin.UpdateNode21(ctx, w.uuid["node"], etcdstore.Values{"instance_uuid": nil}); err != nil {
					return err
				}
				return w.makeNode(ctx, "rival", etcdstore.Values{"instance_uuid": thirdInstance})
			}},
	}
}

// 16 writers set one instance_uuid on 16 nodes with UpdateNode21: one
// wins, 15 get InstanceAssociated.
func TestConcurrentInstanceUUID21(t *testing.T) {
	f := newFixture(t)
	errs := make([]error, 16)
	nodes := make([]string, len(errs))
	for i := range nodes {
		nodes[i] = f.mustNode(t, etcdstore.Values{"instance_uuid": fmt.Sprintf("%08x-0000-4000-8000-000000000000", i+1)}).Uuid
	}
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = f.UpdateNode21(f.ctx, nodes[i], etcdstore.Values{"instance_uuid": uuidA})
		}(i)
	}
	wg.Wait()
	exactlyOneWins(t, errs, etcdstore.ErrInstanceAssociated)
}

// 16 writers, each its own Store, move one node's instance_uuid to 16
// values: every write applies (the last wins, as in the reference) and
// exactly one instance index entry is left, the node's.
func TestConcurrentReassociation21(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, etcdstore.Values{"instance_uuid": uuidA})
	var wg sync.WaitGroup
	for i := range 16 {
		s := newFixture(t, etcdstore.WithPrefix(f.prefix))
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			inst := fmt.Sprintf("%08x-0000-4000-8000-000000000000", i+1)
			if _, err := s.UpdateNode21(f.ctx, n.Uuid, etcdstore.Values{"instance_uuid": inst}); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	got, err := f.GetNodeByID(f.ctx, n.Id)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Get(f.ctx, f.prefix+"index/nodes/instance_uuid/", clientv3.WithPrefix())
	if err != nil || len(resp.Kvs) != 1 || string(resp.Kvs[0].Key) != f.prefix+"index/nodes/instance_uuid/"+got.GetInstanceUuid() {
		t.Fatalf("instance index after the race: %v %v (node has %s)", resp.Kvs, err, got.GetInstanceUuid())
	}
}
