package etcdstore_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// wantCorrupt fails unless err is a CorruptRecord naming key: in the
// internal family, not the caller's InvalidParameterValue.
func wantCorrupt(t *testing.T, what string, err error, key string) {
	t.Helper()
	var e *etcdstore.Error
	switch {
	case !errors.Is(err, etcdstore.ErrCorruptRecord) || !errors.Is(err, etcdstore.ErrInternal):
		t.Errorf("%s: want CorruptRecord, got %v", what, err)
	case errors.Is(err, etcdstore.ErrInvalid):
		t.Errorf("%s: corrupt data reported as bad input: %v", what, err)
	case !errors.As(err, &e) || e.Param("key") != key:
		t.Errorf("%s: want Param(key) %q in %v", what, key, err)
	}
}

func rawPut(t *testing.T, f *fixture, key, value string) {
	t.Helper()
	if _, err := client.Put(f.ctx, key, value); err != nil {
		t.Fatal(err)
	}
}

// nodeWithPort creates a node with one port and returns both.
func nodeWithPort(t *testing.T, f *fixture, n int) (*pb.Node, *pb.Port) {
	t.Helper()
	node := f.mustNode(t, etcdstore.Values{"name": fmt.Sprintf("node-%d", n)})
	return node, f.mustPort(t, etcdstore.Values{"address": macOf(n), "node_id": node.Id})
}

// A record that does not decode is CorruptRecord on every read of it: by
// id, through its unique index, in a list, as a member, via a port.
func TestCorruptRecordUndecodable(t *testing.T) {
	bothReadModes(t, func(t *testing.T, f *fixture) {
		node, port := nodeWithPort(t, f, 1)
		nodeKey, portKey := f.Keys().Record("nodes", node.Id), f.Keys().Record("ports", port.Id)
		rawPut(t, f, nodeKey, "\xff\xff")
		rawPut(t, f, portKey, "\xff\xff")
		_, err := f.GetNodeByID(f.ctx, node.Id)
		wantCorrupt(t, "GetNodeByID", err, nodeKey)
		_, err = f.GetNodeByUUID(f.ctx, node.Uuid)
		wantCorrupt(t, "GetNodeByUUID", err, nodeKey)
		_, err = f.GetNodeList(f.ctx, etcdstore.NodeFilter{}, etcdstore.ListOptions{})
		wantCorrupt(t, "GetNodeList", err, nodeKey)
		_, err = f.GetPortsByNodeID(f.ctx, node.Id, etcdstore.ListOptions{})
		wantCorrupt(t, "GetPortsByNodeID", err, portKey)
		_, err = f.GetNodeByPortAddresses(f.ctx, []string{port.GetAddress()})
		wantCorrupt(t, "GetNodeByPortAddresses", err, portKey)
	})
}

// A record stored under another record's key (here node 1's bytes under
// node 2's key) is corrupt, not node 1 answering for id 2.
func TestCorruptRecordUnderAnotherKey(t *testing.T) {
	bothReadModes(t, func(t *testing.T, f *fixture) {
		one, _ := nodeWithPort(t, f, 1)
		two, _ := nodeWithPort(t, f, 2)
		resp, err := client.Get(f.ctx, f.Keys().Record("nodes", one.Id))
		if err != nil || len(resp.Kvs) != 1 {
			t.Fatal(resp, err)
		}
		key := f.Keys().Record("nodes", two.Id)
		rawPut(t, f, key, string(resp.Kvs[0].Value))
		_, err = f.GetNodeByID(f.ctx, two.Id)
		wantCorrupt(t, "GetNodeByID", err, key)
		_, err = f.GetNodeList(f.ctx, etcdstore.NodeFilter{}, etcdstore.ListOptions{})
		wantCorrupt(t, "GetNodeList", err, key)
	})
}

// A unique-index entry that does not hold an id is corrupt for every
// lookup through it, the reservation's included.
func TestCorruptIndexEntry(t *testing.T) {
	bothReadModes(t, func(t *testing.T, f *fixture) {
		node, port := nodeWithPort(t, f, 1)
		uuidKey := f.Keys().Unique("nodes", "uuid", node.Uuid)
		nameKey := f.Keys().Unique("nodes", "name", node.GetName())
		addrKey := f.Keys().Unique("ports", "address", port.GetAddress())
		for _, k := range []string{uuidKey, nameKey, addrKey} {
			rawPut(t, f, k, "not-an-id")
		}
		_, err := f.GetNodeByUUID(f.ctx, node.Uuid)
		wantCorrupt(t, "GetNodeByUUID", err, uuidKey)
		_, err = f.GetNodeByName(f.ctx, node.GetName())
		wantCorrupt(t, "GetNodeByName", err, nameKey)
		_, err = f.ReserveNode(f.ctx, "conductor-1", node.Uuid)
		wantCorrupt(t, "ReserveNode", err, uuidKey)
		_, err = f.GetNodeByPortAddresses(f.ctx, []string{port.GetAddress()})
		wantCorrupt(t, "GetNodeByPortAddresses", err, addrKey)
	})
}

// A membership key that does not end in an id is corrupt for the list of
// members and for the destruction of the owner, which writes nothing.
func TestCorruptMembershipKey(t *testing.T) {
	bothReadModes(t, func(t *testing.T, f *fixture) {
		node, _ := nodeWithPort(t, f, 1)
		key := f.Keys().Members("ports", "node_id", node.Id) + "junk"
		rawPut(t, f, key, "")
		_, err := f.GetPortsByNodeID(f.ctx, node.Id, etcdstore.ListOptions{})
		wantCorrupt(t, "GetPortsByNodeID", err, key)
		before := f.snapshot(t)
		err = f.DestroyNode(f.ctx, node.Uuid)
		wantCorrupt(t, "DestroyNode", err, key)
		if after := f.snapshot(t); !slices.Equal(before, after) {
			t.Error("a refused DestroyNode wrote something")
		}
	})
}

// An id counter that does not hold an id is corrupt for the next create,
// which writes no record.
func TestCorruptIDCounter(t *testing.T) {
	bothReadModes(t, func(t *testing.T, f *fixture) {
		key := f.Keys().IDCounter("chassis")
		rawPut(t, f, key, "x")
		_, err := f.CreateChassis(f.ctx, etcdstore.Values{})
		wantCorrupt(t, "CreateChassis", err, key)
		resp, err := client.Get(f.ctx, f.Keys().Table("chassis"), clientv3.WithPrefix(), clientv3.WithCountOnly())
		if err != nil || resp.Count != 0 {
			t.Errorf("a refused create wrote %v records (%v)", resp.Count, err)
		}
	})
}
