package etcdstore_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/internal/embedded"
)

// A conductor's cycle: enroll a node, lock it, change it under the lock
// (fenced), release it.
func Example() {
	member, err := embedded.Start() // an embedded etcd in a temp dir
	if err != nil {
		panic(err)
	}
	defer member.Close()
	cli, err := member.Client()
	if err != nil {
		panic(err)
	}
	defer cli.Close()

	ctx := context.Background()
	store, err := etcdstore.New(cli, etcdstore.WithPrefix("/ironic/"))
	if err != nil {
		panic(err)
	}
	node, err := store.CreateNode(ctx, etcdstore.Values{"name": "node-1", "driver": "ipmi"})
	if err != nil {
		panic(err)
	}
	locked, err := store.ReserveNode(ctx, "conductor-1", node.Uuid)
	if err != nil {
		panic(err)
	}
	_, err = store.ReserveNode(ctx, "conductor-2", node.Uuid)
	fmt.Println("second reservation refused:", errors.Is(err, etcdstore.ErrNodeLocked))

	node, err = store.UpdateNode(ctx, node.Uuid, etcdstore.Values{"power_state": "power on"},
		etcdstore.WithFence("conductor-1", locked.ReservationRevision))
	if err != nil {
		panic(err)
	}
	fmt.Println(node.GetName(), node.GetPowerState(), node.GetReservation())
	if err := store.ReleaseNode(ctx, "conductor-1", node.Uuid); err != nil {
		panic(err)
	}
	// Output:
	// second reservation refused: true
	// node-1 power on conductor-1
}
