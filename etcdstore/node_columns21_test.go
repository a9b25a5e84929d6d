package etcdstore_test

import (
	"encoding/json"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// get_node_list with fields / get_node_list_columns: each node with only
// the asked columns and its id (test_get_node_list_requested_fields_with_traits,
// _no_traits); traits with their rows.
func TestGetNodeListColumns(t *testing.T) {
	f := newFixture(t)
	var want []int64
	for range 3 {
		n := f.mustNode(t, etcdstore.Values{"provision_state": "available", "power_state": "power off",
			"maintenance": false, "properties": map[string]any{"cpu": "x86_64"}, "resource_class": "CUSTOM_BAREMETAL",
			"owner": "fred", "lessee": "marsha", "driver_internal_info": map[string]any{"cat": "meow"},
			"deploy_interface": "purring_machine", "version": "1.40"})
		want = append(want, n.Id)
	}
	// A node with traits, as the traits methods store them (with the node).
	withTraits := &pb.Node{Id: 99, Uuid: uuidC, ProvisionState: proto.String("available"), Version: proto.String("1.40"),
		Traits:     []*pb.NodeTrait{{NodeId: 99, Trait: "trait1"}, {NodeId: 99, Trait: "trait2"}},
		Properties: []byte("{}"), Extra: []byte("{}")}
	f.putOld(t, "nodes", 99, withTraits, map[string]string{"uuid": uuidC})
	want = append(want, 99)

	asked := []string{"uuid", "power_state", "target_power_state", "provision_state", "target_provision_state",
		"last_error", "maintenance", "properties", "instance_uuid", "resource_class", "traits", "version",
		"updated_at", "created_at"}
	nodes, err := f.GetNodeListColumns(f.ctx, asked, etcdstore.NodeFilter{}, etcdstore.ListOptions{})
	if err != nil || !slices.Equal(nodeIDs(nodes), want) {
		t.Fatal(nodeIDs(nodes), err)
	}
	for _, n := range nodes[:3] {
		if n.GetProvisionState() != "available" || n.GetPowerState() != "power off" || n.GetResourceClass() != "CUSTOM_BAREMETAL" ||
			string(n.Properties) != `{"cpu":"x86_64"}` || n.GetVersion() != "1.40" || n.CreatedAt == nil || n.Uuid == "" {
			t.Fatalf("asked columns: %v", n)
		}
		if n.DriverInternalInfo != nil || n.DeployInterface != nil || n.Owner != nil || n.Driver != nil || n.Extra != nil ||
			n.Retired != nil || len(n.Traits) != 0 {
			t.Fatalf("columns not asked are filled: %v", n)
		}
	}
	if tr := nodes[3].Traits; len(tr) != 2 || tr[0].Trait != "trait1" || tr[1].Trait != "trait2" {
		t.Fatalf("traits: %v", nodes[3])
	}
	// The caller owns what it gets, also from the read cache.
	nodes[3].Traits[0].Trait = "changed"
	again, err := f.GetNodeListColumns(f.ctx, []string{"traits"}, etcdstore.NodeFilter{}, etcdstore.ListOptions{})
	if err != nil || again[3].Traits[0].Trait != "trait1" || again[3].Uuid != "" {
		t.Fatal(again, err)
	}
	// Filters, sort and paging as get_node_list.
	flt, _ := etcdstore.ParseNodeFilters(map[string]any{"owner": "fred"})
	nodes, err = f.GetNodeListColumns(f.ctx, []string{"owner", "lessee"}, flt,
		etcdstore.ListOptions{SortDir: "desc", Limit: etcdstore.Limit(2)})
	if err != nil || !slices.Equal(nodeIDs(nodes), []int64{want[2], want[1]}) || nodes[0].GetLessee() != "marsha" {
		t.Fatal(nodes, err)
	}
	for _, cols := range [][]string{{"no_such"}, {"uuid", "reservation_revision"}, {}, nil} {
		_, err := f.GetNodeListColumns(f.ctx, cols, etcdstore.NodeFilter{}, etcdstore.ListOptions{})
		wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	}
}

// get_nodeinfo_list asks any 21.4 column (a 21.4 conductor asks
// conductor_group); traits come as sorted names, like tags.
func TestNodeinfoList21Columns(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, etcdstore.Values{"conductor_group": "g1", "shard": "s", "protected": true})
	rows, err := f.GetNodeinfoList(f.ctx, []string{"id", "conductor_group", "shard", "protected", "retired",
		"automated_clean", "traits", "network_data"}, etcdstore.NodeFilter{}, etcdstore.ListOptions{})
	if err != nil || len(rows) != 1 {
		t.Fatal(rows, err)
	}
	r := rows[0]
	if r[0] != n.Id || r[1] != "g1" || r[2] != "s" || r[3] != true || r[4] != false || r[5] != nil ||
		len(r[6].([]string)) != 0 || string(r[7].(json.RawMessage)) != "{}" {
		t.Fatalf("row: %#v", r)
	}
}
