package etcdstore_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Ironic 21.4's create_node defaults (models.py) and refusals
// (test_nodes.py: test_create_node, test_create_node_with_traits).
func TestCreateNode21Defaults(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, etcdstore.Values{"version": "1.40", "owner": "p1", "bios_interface": "no-bios"})
	if n.ConductorGroup != "" || n.Protected || n.Retired == nil || *n.Retired || n.AutomatedClean != nil ||
		n.SecureBoot != nil || n.Shard != nil || n.GetVersion() != "1.40" || n.GetOwner() != "p1" ||
		string(n.DeployStep) != "{}" || string(n.NetworkData) != "{}" || len(n.Traits) != 0 || n.PowerState != nil {
		t.Fatalf("21.4 defaults: %v", n)
	}
	// An explicit NULL on a nullable column stays NULL, as SQLAlchemy
	// inserts it.
	n2 := f.mustNode(t, etcdstore.Values{"retired": nil, "automated_clean": true, "conductor_group": "g1"})
	if n2.Retired != nil || !n2.GetAutomatedClean() || n2.ConductorGroup != "g1" {
		t.Fatalf("explicit values: %v", n2)
	}
	for _, v := range []etcdstore.Values{
		{"traits": []string{"CUSTOM_A"}}, {"traits": nil}, {"traits": []string{}},
		{"conductor_group": nil}, {"protected": nil}, // NOT NULL columns
		{"boot_mode": strings.Repeat("b", 17)}, {"secure_boot": "yes"}, {"allocation_id": "x"},
	} {
		before := f.keysUnder(t)
		_, err := f.CreateNode(f.ctx, v)
		wantErr(t, err, etcdstore.ErrInvalidParameterValue)
		if after := f.keysUnder(t); !slices.Equal(before, after) {
			t.Fatalf("refused create %v changed keys", v)
		}
	}
}

// Every 21.4 column is writable by update_node, version too; NOT NULL
// columns refuse NULL (nothing written).
func TestUpdateNode21Columns(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	stamp := epoch.Add(-time.Hour)
	for _, update := range []func(string, etcdstore.Values) (*pb.Node, error){
		func(id string, v etcdstore.Values) (*pb.Node, error) { return f.UpdateNode(f.ctx, id, v) },
		func(id string, v etcdstore.Values) (*pb.Node, error) { return f.UpdateNode21(f.ctx, id, v) },
	} {
		got, err := update(n.Uuid, etcdstore.Values{"version": "1.41", "deploy_step": map[string]any{"step": "x"},
			"conductor_group": "g", "fault": "power failure", "automated_clean": false, "protected": true,
			"protected_reason": "prod", "owner": "o", "lessee": "l", "allocation_id": 7, "description": "rack 1",
			"rescue_interface": "agent", "retired": true, "retired_reason": "old", "network_data": map[string]any{},
			"boot_mode": "uefi", "secure_boot": true, "shard": "s1", "inspection_started_at": stamp})
		if err != nil {
			t.Fatal(err)
		}
		if got.GetVersion() != "1.41" || string(got.DeployStep) != `{"step":"x"}` || got.ConductorGroup != "g" ||
			!got.Protected || !got.GetRetired() || got.GetAllocationId() != 7 || got.GetShard() != "s1" ||
			got.GetBootMode() != "uefi" || !got.GetSecureBoot() || got.AutomatedClean == nil || got.GetAutomatedClean() {
			t.Fatalf("updated: %v", got)
		}
		for _, v := range []etcdstore.Values{{"conductor_group": nil}, {"protected": nil}, {"traits": []string{}}} {
			before := f.keysUnder(t)
			_, err := update(n.Uuid, v)
			wantErr(t, err, etcdstore.ErrInvalidParameterValue)
			if after := f.keysUnder(t); !slices.Equal(before, after) {
				t.Fatalf("refused update %v changed keys", v)
			}
		}
		got, err = update(n.Uuid, etcdstore.Values{"retired": nil, "automated_clean": nil, "shard": nil, "deploy_step": nil})
		if err != nil || got.Retired != nil || got.AutomatedClean != nil || got.Shard != nil || string(got.DeployStep) != "{}" {
			t.Fatal(got, err)
		}
	}
}

// 21.4's update_node sets instance_uuid over another
// (test_update_node_associate_and_disassociate); the seed's refuses with
// NodeAssociated. A clash with another node is InstanceAssociated in both
// (test_update_node_instance_already_associated), as are the uuid and
// name checks (test_update_node_uuid, test_update_node_name_duplicate,
// test_update_node_not_found).
func TestUpdateNode21Association(t *testing.T) {
	f := newFixture(t)
	n1 := f.mustNode(t, etcdstore.Values{"instance_uuid": uuidA, "name": "spam"})
	n2 := f.mustNode(t, nil)
	_, err := f.UpdateNode(f.ctx, id(n1.Id), etcdstore.Values{"instance_uuid": uuidB})
	wantErr(t, err, etcdstore.ErrNodeAssociated)
	got, err := f.UpdateNode21(f.ctx, id(n1.Id), etcdstore.Values{"instance_uuid": uuidB})
	if err != nil || got.GetInstanceUuid() != uuidB {
		t.Fatal(got, err)
	}
	if _, err := f.GetNodeByInstance(f.ctx, uuidA); err == nil {
		t.Fatal("the old instance uuid still finds the node")
	}
	got, err = f.UpdateNode21(f.ctx, id(n1.Id), etcdstore.Values{"instance_uuid": nil})
	if err != nil || got.InstanceUuid != nil {
		t.Fatal(got, err)
	}
	if _, err := f.UpdateNode21(f.ctx, id(n2.Id), etcdstore.Values{"instance_uuid": uuidC}); err != nil {
		t.Fatal(err)
	}
	_, err = f.UpdateNode21(f.ctx, id(n1.Id), etcdstore.Values{"instance_uuid": strings.ToUpper(uuidC)})
	wantErr(t, err, etcdstore.ErrInstanceAssociated)
	_, err = f.UpdateNode21(f.ctx, id(n2.Id), etcdstore.Values{"name": "SPAM"})
	wantErr(t, err, etcdstore.ErrDuplicateName)
	_, err = f.UpdateNode21(f.ctx, id(n2.Id), etcdstore.Values{"uuid": ""})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	_, err = f.UpdateNode21(f.ctx, uuidB, etcdstore.Values{"extra": map[string]any{"foo": "bar"}})
	wantErr(t, err, etcdstore.ErrNodeNotFound)
	_, err = f.UpdateNode21(f.ctx, "not an id", etcdstore.Values{})
	wantErr(t, err, etcdstore.ErrInvalidIdentity)
}

// 21.4 ends an inspection when a node leaves "inspect wait" as when it
// leaves "inspecting" (test_update_node_inspection_finished_at_inspectwait,
// test_update_node_inspection_started_at_inspectwait); the seed's
// UpdateNode does not know that state.
func TestUpdateNode21InspectWait(t *testing.T) {
	f := newFixture(t)
	started := epoch.Add(-time.Hour)
	for _, tc := range []struct {
		from, to        string
		started, finish bool // inspection_started_at kept, inspection_finished_at now
	}{
		{"inspect wait", "manageable", false, true},
		{"inspect wait", "inspect failed", false, false},
		{"inspecting", "manageable", false, true},
		{"inspecting", "inspect failed", false, false},
		{"inspect wait", "active", true, false},
	} {
		n := f.mustNode(t, etcdstore.Values{"provision_state": tc.from, "inspection_started_at": started})
		got, err := f.UpdateNode21(f.ctx, n.Uuid, etcdstore.Values{"provision_state": tc.to})
		if err != nil {
			t.Fatal(err)
		}
		if (got.InspectionStartedAt != nil) != tc.started || (got.InspectionFinishedAt != nil) != tc.finish ||
			!got.ProvisionUpdatedAt.AsTime().Equal(epoch) {
			t.Errorf("%s -> %s: started %v finished %v", tc.from, tc.to, got.InspectionStartedAt, got.InspectionFinishedAt)
		}
		if tc.finish && !got.InspectionFinishedAt.AsTime().Equal(epoch) {
			t.Errorf("%s -> %s: finished at %v", tc.from, tc.to, got.InspectionFinishedAt.AsTime())
		}
	}
	// The seed's rules: leaving "inspect wait" keeps the inspection times.
	n := f.mustNode(t, etcdstore.Values{"provision_state": "inspect wait", "inspection_started_at": started})
	got, err := f.UpdateNode(f.ctx, n.Uuid, etcdstore.Values{"provision_state": "manageable"})
	if err != nil || got.InspectionStartedAt == nil || got.InspectionFinishedAt != nil {
		t.Fatal(got, err)
	}
}

// count_nodes_in_provision_state (test_node_provision_state_count).
func TestCountNodesInProvisionState(t *testing.T) {
	f := newFixture(t)
	for state, n := range map[string]int{"active": 5, "manageable": 3, "wait call-back": 1} {
		for range n {
			f.mustNode(t, etcdstore.Values{"provision_state": state})
		}
	}
	f.mustNode(t, etcdstore.Values{"provision_state": nil})
	for _, tc := range []struct {
		states []string
		want   int
	}{
		{[]string{"active"}, 5}, {[]string{"manageable"}, 3}, {[]string{"wait call-back"}, 1},
		{[]string{"active", "manageable", "wait call-back"}, 9}, {[]string{"deploying"}, 0}, {nil, 0},
	} {
		got, err := f.CountNodesInProvisionState(f.ctx, tc.states...)
		if err != nil || got != tc.want {
			t.Errorf("%v: %d %v, want %d", tc.states, got, err, tc.want)
		}
	}
}

// get_shard_list (test_shard.py): most nodes first, "None" for the
// unsharded; empty without nodes.
func TestGetShardList(t *testing.T) {
	f := newFixture(t)
	if got, err := f.GetShardList(f.ctx); err != nil || len(got) != 0 {
		t.Fatal(got, err)
	}
	f.mustNode(t, nil)
	for range 2 {
		f.mustNode(t, etcdstore.Values{"shard": "shard1"})
	}
	for range 3 {
		f.mustNode(t, etcdstore.Values{"shard": "shard2"})
	}
	// Ties keep SQL's GROUP BY order: NULL first, then by name.
	f.mustNode(t, etcdstore.Values{"shard": "b"})
	f.mustNode(t, etcdstore.Values{"shard": "a"})
	f.mustNode(t, etcdstore.Values{"shard": "None"})
	got, err := f.GetShardList(f.ctx)
	want := []etcdstore.ShardCount{{Name: "shard2", Count: 3}, {Name: "shard1", Count: 2},
		{Name: "None", Count: 1}, {Name: "None", Count: 1}, {Name: "a", Count: 1}, {Name: "b", Count: 1}}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("got %v %v, want %v", got, err, want)
	}
}

// check_node_list (test_check_node_list, _non_existing, _impossible) and
// its project filter.
func TestCheckNodeList(t *testing.T) {
	f := newFixture(t)
	n1 := f.mustNode(t, etcdstore.Values{"owner": "p1"})
	n2 := f.mustNode(t, etcdstore.Values{"name": "node_2", "lessee": "p1"})
	n3 := f.mustNode(t, etcdstore.Values{"name": "node_3", "owner": "p2"})
	got, err := f.CheckNodeList(f.ctx, []string{n1.Uuid, n2.GetName(), n3.Uuid}, "")
	want := map[string]string{n1.Uuid: n1.Uuid, "node_2": n2.Uuid, n3.Uuid: n3.Uuid}
	if err != nil || !mapsEqual(got, want) {
		t.Fatal(got, err)
	}
	// Any uuid spelling, any name case: the key is the ident as given.
	upper := strings.ToUpper(n1.Uuid)
	got, err = f.CheckNodeList(f.ctx, []string{upper, "NODE_3"}, "")
	if err != nil || !mapsEqual(got, map[string]string{upper: n1.Uuid, "NODE_3": n3.Uuid}) {
		t.Fatal(got, err)
	}
	got, err = f.CheckNodeList(f.ctx, []string{n1.Uuid, "node_2"}, "p1")
	if err != nil || len(got) != 2 {
		t.Fatal(got, err)
	}
	if got, err := f.CheckNodeList(f.ctx, nil, "p1"); err != nil || len(got) != 0 {
		t.Fatal(got, err)
	}
	for _, tc := range []struct {
		idents  []string
		project string
		missing string
	}{
		{[]string{n1.Uuid, uuidA, "could-be-a-name", "node_2"}, "", uuidA + ", could-be-a-name"},
		{[]string{n1.Uuid, "this/cannot/be/a/name", "node_9"}, "", "this/cannot/be/a/name"},
		{[]string{strings.Repeat("n", 256)}, "", strings.Repeat("n", 256)},
		{[]string{n1.Uuid, "node_3"}, "p1", "node_3"},
	} {
		_, err := f.CheckNodeList(f.ctx, tc.idents, tc.project)
		wantErr(t, err, etcdstore.ErrNodeNotFound)
		if !strings.Contains(err.Error(), "Nodes cannot be found: "+tc.missing) {
			t.Errorf("%v: %v", tc.idents, err)
		}
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
