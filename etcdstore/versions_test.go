package etcdstore_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// The version methods, with the cases of Ironic 21.4.4's
// ironic/tests/unit/db/test_api.py.

var v214 = etcdstore.Ironic214ObjectVersions()

func (f *fixture) nodeVersion(t *testing.T, v any) *pb.Node {
	t.Helper()
	return f.mustNode(t, etcdstore.Values{"version": v})
}

func (f *fixture) nodeVersionIs(t *testing.T, id int64, want string) *pb.Node {
	t.Helper()
	n, err := f.GetNodeByID(f.ctx, id)
	if err != nil || n.GetVersion() != want {
		t.Fatalf("node %d: %v, want version %q (%v)", id, n.GetVersion(), want, err)
	}
	return n
}

func (f *fixture) checkVersions(t *testing.T, want bool, ignore []string, opts ...etcdstore.VersionsOption) {
	t.Helper()
	got, err := f.CheckVersions(f.ctx, ignore, false, opts...)
	if err != nil || got != want {
		t.Fatalf("check_versions(ignore %v) = %v, %v; want %v", ignore, got, err, want)
	}
}

func TestCheckVersions(t *testing.T) {
	t.Run("empty DB", func(t *testing.T) {
		f := newFixture(t)
		f.checkVersions(t, true, nil)
		// handles_missing_table: tables are never missing here.
		ok, err := f.CheckVersions(f.ctx, nil, true, etcdstore.WithObjectVersions(etcdstore.ObjectVersions{
			Supported: map[string][]string{"Node": {"1.0"}}}))
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
	})
	t.Run("every supported node version", func(t *testing.T) {
		f := newFixture(t)
		for _, v := range v214.Supported["Node"] {
			f.nodeVersionIs(t, f.nodeVersion(t, v).Id, v)
		}
		f.checkVersions(t, true, nil)
	})
	t.Run("node no version", func(t *testing.T) {
		f := newFixture(t)
		f.nodeVersionIs(t, f.nodeVersion(t, nil).Id, "")
		f.checkVersions(t, false, nil)
		f.checkVersions(t, true, []string{"Node"}) // ignore_node
	})
	t.Run("node old", func(t *testing.T) {
		f := newFixture(t)
		f.nodeVersion(t, "1.0")
		f.checkVersions(t, false, nil)
		f.checkVersions(t, true, []string{"Node"})
		// A caller's mapping that supports it.
		f.checkVersions(t, true, nil, etcdstore.WithObjectVersions(etcdstore.ObjectVersions{Supported: map[string][]string{"Node": {"1.0"}}}))
	})
	t.Run("every supported conductor version", func(t *testing.T) {
		f := newFixture(t)
		for i, v := range v214.Supported["Conductor"] {
			c, err := f.RegisterConductor(f.ctx, etcdstore.Values{"hostname": strings.Repeat("h", i+1), "version": v}, false)
			if err != nil || c.GetVersion() != v {
				t.Fatal(c, err)
			}
		}
		f.checkVersions(t, true, nil)
	})
	t.Run("conductor old", func(t *testing.T) {
		f := newFixture(t)
		c, err := f.RegisterConductor(f.ctx, etcdstore.Values{"hostname": "h", "version": "1.0"}, false)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := f.GetConductor(f.ctx, c.Hostname); got.GetVersion() != "1.0" {
			t.Fatalf("version %v", got)
		}
		f.checkVersions(t, false, nil)
	})
	t.Run("models without an entry are not checked", func(t *testing.T) {
		f := newFixture(t)
		if err := f.RegisterConductorHardwareInterfaceDicts(f.ctx, 1, []etcdstore.Values{{"hardware_type": "h",
			"interface_type": "power", "interface_name": "ipmi", "version": "0.1"}}); err != nil {
			t.Fatal(err)
		}
		f.checkVersions(t, true, nil)
		f.checkVersions(t, false, nil, etcdstore.WithObjectVersions(etcdstore.ObjectVersions{
			Supported: map[string][]string{"ConductorHardwareInterfaces": {"1.0"}}}))
	})
}

// setTagVersions gives every tag of node id the version v, written as the
// store writes records (no method of the store sets a tag's version).
func (f *fixture) setTagVersions(t *testing.T, id int64, v string) {
	t.Helper()
	key := f.Keys().Record("nodes", id)
	resp, err := client.Get(f.ctx, key)
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatal(resp, err)
	}
	var n pb.Node
	if err := proto.Unmarshal(resp.Kvs[0].Value, &n); err != nil {
		t.Fatal(err)
	}
	for _, tag := range n.Tags {
		tag.Version = proto.String(v)
	}
	data, _ := proto.MarshalOptions{Deterministic: true}.Marshal(&n)
	if _, err := client.Put(f.ctx, key, string(data)); err != nil {
		t.Fatal(err)
	}
}

func TestGetNotVersions(t *testing.T) {
	f := newFixture(t)
	versions := []string{"1.1", "1.2", "1.3"}
	var uuids []string
	for _, v := range versions {
		uuids = append(uuids, f.nodeVersion(t, v).Uuid)
	}
	got := func(model string, versions ...string) []string {
		t.Helper()
		res, err := f.GetNotVersions(f.ctx, model, versions)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, r := range res {
			switch x := r.(type) {
			case *pb.Node:
				out = append(out, x.Uuid)
			case *pb.NodeTag:
				out = append(out, x.Tag+"@"+x.GetVersion())
			default:
				t.Fatalf("a %T", r)
			}
		}
		return out
	}
	if r := got("Node", versions...); len(r) != 0 {
		t.Fatalf("all in versions: %v", r)
	}
	if r := got("Node", "2.0"); !slices.Equal(r, uuids) {
		t.Fatalf("2.0: %v", r)
	}
	if r := got("NodeBase", versions[1:]...); !slices.Equal(r, uuids[:1]) {
		t.Fatalf("not 1.2, 1.3: %v", r)
	}
	// test_get_not_versions_null
	null := f.nodeVersion(t, nil)
	if r := got("Node", "1.6"); !slices.Contains(r, null.Uuid) || len(r) != 4 {
		t.Fatalf("null: %v", r)
	}
	// test_get_not_versions_no_model; no versions: none, whatever the name.
	_, err := f.GetNotVersions(f.ctx, "NotExist", []string{"1.6"})
	wantParams(t, err, etcdstore.ErrUnknownModel, "model", "NotExist")
	if r, err := f.GetNotVersions(f.ctx, "NotExist", nil); err != nil || len(r) != 0 {
		t.Fatal(r, err)
	}
	// A nested model: the rows, not their records.
	n := f.mustNode(t, nil)
	for _, tag := range []string{"a", "b"} {
		if _, err := f.AddNodeTag(f.ctx, n.Id, tag); err != nil {
			t.Fatal(err)
		}
	}
	if r := got("NodeTag", "1.0"); !slices.Equal(r, []string{"a@", "b@"}) {
		t.Fatalf("tags: %v", r)
	}
	f.setTagVersions(t, n.Id, "1.0")
	if r := got("NodeTag", "1.0"); len(r) != 0 {
		t.Fatalf("tags at 1.0: %v", r)
	}
	if r := got("NodeTag", "1.1"); !slices.Equal(r, []string{"a@1.0", "b@1.0"}) {
		t.Fatalf("tags not at 1.1: %v", r)
	}
}

func (f *fixture) migrate(t *testing.T, max int, wantTotal, wantMigrated int, opts ...etcdstore.VersionsOption) {
	t.Helper()
	total, migrated, err := f.UpdateToLatestVersions(f.ctx, max, opts...)
	if err != nil || total != wantTotal || migrated != wantMigrated {
		t.Fatalf("update_to_latest_versions(%d) = (%d, %d), %v; want (%d, %d)", max, total, migrated, err, wantTotal, wantMigrated)
	}
}

func TestUpdateToLatestVersions(t *testing.T) {
	nodeVer, chassisVer := v214.Latest["Node"], v214.Latest["Chassis"]
	nodeOld := "1.21"
	// Chassis has one version only (1.3): the reference's test then counts
	// one object of a different version, not two.
	chassisOld := v214.Supported["Chassis"][0]
	diff := 1
	if chassisOld != chassisVer {
		diff = 2
	}
	t.Run("empty DB", func(t *testing.T) {
		f := newFixture(t)
		f.migrate(t, 10, 0, 0)
	})
	t.Run("version exists", func(t *testing.T) {
		f := newFixture(t)
		f.nodeVersion(t, nodeVer)
		f.nodeVersion(t, nil) // NULL: neither counted nor migrated
		f.migrate(t, 10, 0, 0)
	})
	t.Run("one node", func(t *testing.T) {
		f := newFixture(t)
		n := f.nodeVersion(t, nodeOld)
		f.clock.Advance(time.Minute)
		f.migrate(t, 10, 1, 1)
		got := f.nodeVersionIs(t, n.Id, nodeVer)
		if !got.UpdatedAt.AsTime().Equal(f.clock.Now()) {
			t.Fatalf("updated_at %v", got.UpdatedAt.AsTime())
		}
	})
	t.Run("max count zero", func(t *testing.T) {
		f := newFixture(t)
		n := f.nodeVersion(t, nodeOld)
		c, err := f.CreateChassis(f.ctx, etcdstore.Values{"version": chassisOld})
		if err != nil {
			t.Fatal(err)
		}
		f.migrate(t, 0, diff, diff)
		f.nodeVersionIs(t, n.Id, nodeVer)
		if got, _ := f.GetChassisByUUID(f.ctx, c.Uuid); got.GetVersion() != chassisVer {
			t.Fatalf("chassis %v", got)
		}
	})
	t.Run("old version max count 1", func(t *testing.T) {
		f := newFixture(t)
		n := f.nodeVersion(t, nodeOld)
		c, err := f.CreateChassis(f.ctx, etcdstore.Values{"version": "1.0"})
		if err != nil {
			t.Fatal(err)
		}
		f.migrate(t, 1, 2, 1)
		// Chassis come before nodes, as the reference's models do.
		f.nodeVersionIs(t, n.Id, nodeOld)
		if got, _ := f.GetChassisByUUID(f.ctx, c.Uuid); got.GetVersion() != chassisVer {
			t.Fatalf("chassis %v", got)
		}
		f.migrate(t, 1, 1, 1)
		f.nodeVersionIs(t, n.Id, nodeVer)
	})
	// _create_nodes of test_api.py: per node an old trait (NodeTrait is no
	// object of the mapping, so it is not counted) and a BIOS setting at
	// 1.0 (BIOSSetting is, at 1.1): ten records to migrate for five nodes,
	// the BIOS settings first, as the reference's models come.
	createNodes := func(f *fixture, n int) []int64 {
		var ids []int64
		for range n {
			node := f.nodeVersion(t, nodeOld)
			if _, err := f.AddNodeTrait(f.ctx, node.Id, "foo", "0.0"); err != nil {
				t.Fatal(err)
			}
			if _, err := f.CreateBIOSSettingList(f.ctx, node.Id, []etcdstore.Values{{"name": "virtualization", "value": "on"}}, "1.0"); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, node.Id)
		}
		return ids
	}
	biosVersionIs := func(f *fixture, id int64, want string) {
		t.Helper()
		got, err := f.GetBIOSSettingList(f.ctx, id)
		if err != nil || len(got) != 1 || got[0].GetVersion() != want {
			t.Fatalf("BIOS settings of node %d: %v %v, want version %s", id, got, err, want)
		}
	}
	t.Run("old version max count 2 some nodes", func(t *testing.T) {
		f := newFixture(t)
		ids := createNodes(f, 5)
		f.migrate(t, 2, 10, 2)
		f.migrate(t, 10, 8, 8)
		f.migrate(t, 10, 0, 0)
		for _, id := range ids {
			f.nodeVersionIs(t, id, nodeVer)
			biosVersionIs(f, id, v214.Latest["BIOSSetting"])
		}
	})
	t.Run("old version max count same nodes", func(t *testing.T) {
		f := newFixture(t)
		ids := createNodes(f, 5)
		f.migrate(t, 10, 10, 10)
		f.migrate(t, 10, 0, 0)
		for _, id := range ids {
			f.nodeVersionIs(t, id, nodeVer)
			biosVersionIs(f, id, v214.Latest["BIOSSetting"])
		}
		if traits, _ := f.GetNodeTraitsByNodeID(f.ctx, ids[0]); traits[0].GetVersion() != "0.0" {
			t.Fatalf("a trait (no object of the mapping) was migrated: %v", traits)
		}
	})
	t.Run("rows without ids migrate a record at a time", func(t *testing.T) {
		// Under a mapping that versions NodeTag: three old tags of one node.
		withTags := etcdstore.Ironic214ObjectVersions()
		withTags.Latest["NodeTag"] = "1.1"
		f := newFixture(t)
		n := f.nodeVersion(t, nodeVer)
		for _, tag := range []string{"a", "b", "c"} {
			if _, err := f.AddNodeTag(f.ctx, n.Id, tag); err != nil {
				t.Fatal(err)
			}
		}
		f.setTagVersions(t, n.Id, "1.0")
		f.clock.Advance(time.Hour)
		f.migrate(t, 1, 3, 3, etcdstore.WithObjectVersions(withTags))
		got, _ := f.GetNodeByID(f.ctx, n.Id)
		for _, tag := range got.Tags {
			if tag.GetVersion() != "1.1" || !tag.UpdatedAt.AsTime().Equal(f.clock.Now()) {
				t.Fatalf("tag %v", tag)
			}
		}
		if got.UpdatedAt != nil {
			t.Fatalf("the node's updated_at moved with its tags: %v", got.UpdatedAt.AsTime())
		}
	})
	t.Run("batches", func(t *testing.T) {
		f := newFixture(t, etcdstore.WithMaxTxnOps(16))
		var ids []int64
		for range 20 {
			ids = append(ids, f.nodeVersion(t, nodeOld).Id)
		}
		f.migrate(t, 15, 20, 15)
		f.migrate(t, 0, 5, 5)
		for _, id := range ids {
			f.nodeVersionIs(t, id, nodeVer)
		}
	})
	t.Run("refused", func(t *testing.T) {
		f := newFixture(t)
		n := f.nodeVersion(t, nodeOld)
		before := f.keysUnder(t)
		_, _, err := f.UpdateToLatestVersions(f.ctx, -1)
		wantErr(t, err, etcdstore.ErrInvalidParameterValue)
		bad := etcdstore.Ironic214ObjectVersions()
		bad.Latest["Node"] = strings.Repeat("9", 16) // longer than the column
		_, _, err = f.UpdateToLatestVersions(f.ctx, 0, etcdstore.WithObjectVersions(bad))
		wantErr(t, err, etcdstore.ErrInvalidParameterValue)
		if !slices.Equal(before, f.keysUnder(t)) {
			t.Fatal("a refused call wrote")
		}
		f.nodeVersionIs(t, n.Id, nodeOld)
	})
}
