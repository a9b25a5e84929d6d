package etcdstore_test

import (
	"testing"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// A uuid that is absent, null or empty is generated, for every record
// type (README, deliberate difference: the reference keeps a null uuid
// for nodes, volume connectors and targets).
func TestCreateGeneratesMissingUUIDs(t *testing.T) {
	f := newFixture(t)
	node := f.mustNode(t, nil)
	creates := map[string]func(v etcdstore.Values) (proto.Message, error){
		"node": func(v etcdstore.Values) (proto.Message, error) { return f.CreateNode(f.ctx, v) },
		"port": func(v etcdstore.Values) (proto.Message, error) {
			v["address"] = macOf(int(seq.Add(1)))
			return f.CreatePort(f.ctx, v)
		},
		"portgroup": func(v etcdstore.Values) (proto.Message, error) {
			v["node_id"] = node.Id
			return f.CreatePortgroup(f.ctx, v)
		},
		"chassis": func(v etcdstore.Values) (proto.Message, error) { return f.CreateChassis(f.ctx, v) },
		"volume connector": func(v etcdstore.Values) (proto.Message, error) {
			v["node_id"], v["type"], v["connector_id"] = node.Id, "iqn", uuid.NewString()
			return f.CreateVolumeConnector(f.ctx, v)
		},
		"volume target": func(v etcdstore.Values) (proto.Message, error) {
			v["node_id"], v["boot_index"], v["volume_id"], v["volume_type"] = node.Id, int(seq.Add(1)), "v", "iscsi"
			return f.CreateVolumeTarget(f.ctx, v)
		},
	}
	for kind, create := range creates {
		seen := map[string]bool{}
		for _, given := range []etcdstore.Values{{}, {"uuid": nil}, {"uuid": ""}} {
			rec, err := create(given)
			if err != nil {
				t.Fatalf("%s with %v: %v", kind, given, err)
			}
			u := rec.ProtoReflect().Get(rec.ProtoReflect().Descriptor().Fields().ByName("uuid")).String()
			if _, err := uuid.Parse(u); err != nil || seen[u] {
				t.Fatalf("%s with %v: uuid %q", kind, given, u)
			}
			seen[u] = true
		}
	}
}

// create_portgroup: a missing, null or empty mode takes the default; a
// mode of the wrong type is refused and writes nothing.
func TestCreatePortgroupMode(t *testing.T) {
	f := newFixture(t, etcdstore.WithDefaultPortgroupMode(func() string { return "802.3ad" }))
	node := f.mustNode(t, nil)
	for i, mode := range []any{"", nil} {
		pg, err := f.CreatePortgroup(f.ctx, etcdstore.Values{"node_id": node.Id, "name": "pg" + id(int64(i)), "mode": mode})
		if err != nil || pg.GetMode() != "802.3ad" {
			t.Fatalf("mode %v: %v, %v", mode, pg.GetMode(), err)
		}
	}
	before := f.keysUnder(t)
	for _, mode := range []any{7, true, []any{"balance-rr"}, map[string]any{}} {
		_, err := f.CreatePortgroup(f.ctx, etcdstore.Values{"node_id": node.Id, "mode": mode})
		wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	}
	if after := f.keysUnder(t); len(after) != len(before) {
		t.Fatalf("a refused portgroup wrote keys: %d -> %d", len(before), len(after))
	}
	pg, err := f.CreatePortgroup(f.ctx, etcdstore.Values{"node_id": node.Id, "mode": "balance-rr"})
	if err != nil || pg.GetMode() != "balance-rr" {
		t.Fatalf("explicit mode: %v, %v", pg.GetMode(), err)
	}
}
