package etcdstore_test

import (
	"strings"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// The cases of Ironic 21.4's tests/unit/db/test_node_inventory.py, and
// the size bounds of its JSON columns.

func (f *fixture) mustInventory(t *testing.T, values etcdstore.Values) *pb.NodeInventory {
	t.Helper()
	return mustCreate(t, f, f.CreateNodeInventory, etcdstore.Values{"inventory_data": map[string]any{"inventory": "test_inventory"},
		"plugin_data": map[string]any{"plugin_data": "test_plugin_data"}}, values)
}

func TestNodeInventoryGetAndDestroy(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	inv := f.mustInventory(t, etcdstore.Values{"node_id": n.Id})
	got, err := f.GetNodeInventoryByNodeID(f.ctx, n.Id)
	if err != nil || got.Id != inv.Id || string(got.InventoryData) != `{"inventory":"test_inventory"}` ||
		string(got.PluginData) != `{"plugin_data":"test_plugin_data"}` {
		t.Fatal(got, err)
	}
	if err := f.DestroyNodeInventoryByNodeID(f.ctx, n.Id); err != nil {
		t.Fatal(err)
	}
	_, err = f.GetNodeInventoryByNodeID(f.ctx, n.Id)
	wantErr(t, err, etcdstore.ErrNodeInventoryNotFound)
	wantErr(t, f.DestroyNodeInventoryByNodeID(f.ctx, n.Id), etcdstore.ErrNodeInventoryNotFound)
	for _, k := range f.keysUnder(t) {
		if strings.Contains(k, "node_inventory") && !strings.HasPrefix(k, "ids/") {
			t.Fatalf("left behind: %s", k)
		}
	}
}

func TestNodeInventoryCreateErrors(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	inv := f.mustInventory(t, etcdstore.Values{"node_id": n.Id})
	_, err := f.CreateNodeInventory(f.ctx, etcdstore.Values{"id": inv.Id, "node_id": n.Id})
	wantErr(t, err, etcdstore.ErrNodeInventoryAlreadyExists)
	_, err = f.CreateNodeInventory(f.ctx, etcdstore.Values{"node_id": 4242})
	wantErr(t, err, etcdstore.ErrNodeNotFound)
	_, err = f.CreateNodeInventory(f.ctx, etcdstore.Values{"node_id": n.Id, "inventory_data": []any{1}})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	_, err = f.GetNodeInventoryByNodeID(f.ctx, 4242)
	wantErr(t, err, etcdstore.ErrNodeInventoryNotFound)
	empty := f.mustInventory(t, etcdstore.Values{"node_id": nil, "inventory_data": nil, "plugin_data": nil})
	if string(empty.InventoryData) != "{}" || string(empty.PluginData) != "{}" {
		t.Fatal(empty)
	}
}

// A node inspected twice has two inventories, as in 21.4; the newest is
// read (21.4: MultipleResultsFound), and destroy removes both.
func TestNodeInventoryTwice(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	f.mustInventory(t, etcdstore.Values{"node_id": n.Id})
	f.clock.Advance(1)
	second := f.mustInventory(t, etcdstore.Values{"node_id": n.Id, "inventory_data": map[string]any{"v": 2}})
	got, err := f.GetNodeInventoryByNodeID(f.ctx, n.Id)
	if err != nil || got.Id != second.Id {
		t.Fatal(got, err)
	}
	if err := f.DestroyNodeInventoryByNodeID(f.ctx, n.Id); err != nil {
		t.Fatal(err)
	}
	_, err = f.GetNodeInventoryByNodeID(f.ctx, n.Id)
	wantErr(t, err, etcdstore.ErrNodeInventoryNotFound)
}

// Inventories are LONGTEXT on 21.4's MySQL; here a JSON column holds at
// most 512 KiB and the record 1 MiB: a document at the bound is stored,
// one byte more is refused, and nothing is written.
func TestNodeInventorySizeBounds(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	doc := func(size int) map[string]any { // {"d":"xxx..."} of size bytes
		return map[string]any{"d": strings.Repeat("x", size-len(`{"d":""}`))}
	}
	big := f.mustInventory(t, etcdstore.Values{"node_id": n.Id, "inventory_data": doc(512 << 10)})
	if len(big.InventoryData) != 512<<10 {
		t.Fatal(len(big.InventoryData))
	}
	_, err := f.CreateNodeInventory(f.ctx, etcdstore.Values{"node_id": n.Id, "inventory_data": doc(512<<10 + 1)})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	// Both columns at their bound: the record exceeds 1 MiB.
	_, err = f.CreateNodeInventory(f.ctx, etcdstore.Values{"node_id": n.Id, "inventory_data": doc(512 << 10), "plugin_data": doc(512 << 10)})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	got, err := f.GetNodeInventoryByNodeID(f.ctx, n.Id)
	if err != nil || got.Id != big.Id {
		t.Fatal(err)
	}
}
