package etcdstore_test

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// buildWorld creates, through the normal create methods, a record of
// every table and the keys they write beside them.
func buildWorld(t *testing.T, f *fixture) {
	t.Helper()
	ch, err := f.CreateChassis(f.ctx, etcdstore.Values{"description": "rack"})
	must(t, err)
	cond, err := f.RegisterConductor(f.ctx, etcdstore.Values{"hostname": "cond-A", "drivers": []string{"ipmi"}}, false)
	must(t, err)
	must(t, f.RegisterConductorHardwareInterfaces(f.ctx, cond.Id, "ipmi", "power", []string{"ipmitool", "fake"}, "ipmitool"))
	n, err := f.CreateNode(f.ctx, etcdstore.Values{"name": "Node-1", "chassis_id": ch.Id, "reservation": "cond-A",
		"instance_uuid": "c4ca4238-a0b9-4382-8dcc-509a6f75849b", "properties": map[string]any{"cpus": 8}})
	must(t, err)
	_, err = f.SetNodeTags(f.ctx, n.Id, []string{"b", "a"})
	must(t, err)
	_, err = f.SetNodeTraits(f.ctx, n.Id, []string{"CUSTOM_X"}, "1.0")
	must(t, err)
	pg, err := f.CreatePortgroup(f.ctx, etcdstore.Values{"name": "pg", "node_id": n.Id, "address": "52:54:00:00:00:01"})
	must(t, err)
	_, err = f.CreatePort(f.ctx, etcdstore.Values{"name": "p1", "node_id": n.Id, "portgroup_id": pg.Id, "address": "52:54:00:00:00:02"})
	must(t, err)
	_, err = f.CreateVolumeConnector(f.ctx, etcdstore.Values{"node_id": n.Id, "type": "iqn", "connector_id": "iqn.1"})
	must(t, err)
	_, err = f.CreateVolumeTarget(f.ctx, etcdstore.Values{"node_id": n.Id, "volume_type": "iscsi", "boot_index": 0, "volume_id": "v1"})
	must(t, err)
	_, err = f.CreateAllocation(f.ctx, etcdstore.Values{"name": "alloc", "node_id": n.Id, "state": "allocating"})
	must(t, err)
	_, err = f.CreateBIOSSettingList(f.ctx, n.Id, []etcdstore.Values{{"name": "Virt", "value": "on"}}, "1.1")
	must(t, err)
	_, err = f.CreateDeployTemplate(f.ctx, etcdstore.Values{"name": "CUSTOM_T", "steps": []any{
		map[string]any{"interface": "bios", "step": "apply", "args": map[string]any{}, "priority": 1}}})
	must(t, err)
	_, err = f.CreateNodeHistory(f.ctx, etcdstore.Values{"node_id": n.Id, "event": "e"})
	must(t, err)
	_, err = f.CreateNodeInventory(f.ctx, etcdstore.Values{"node_id": n.Id, "inventory_data": map[string]any{"a": 1}})
	must(t, err)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// records reads every record of f, table by table, at one revision.
func records(t *testing.T, f *fixture) map[string][]proto.Message {
	t.Helper()
	out := map[string][]proto.Message{}
	var rev int64
	for _, name := range etcdstore.ImportTables() {
		var err error
		rev, err = f.WalkRecords(f.ctx, name, rev, func(m proto.Message) error {
			if n, ok := m.(*pb.Node); ok {
				n.ReservationRevision = 0
			}
			out[name] = append(out[name], m)
			return nil
		})
		must(t, err)
	}
	return out
}

// keyValues is every key of f but the session and liveness keys, with
// its value (id counters: whether they are past every id is tested
// elsewhere).
func keyValues(t *testing.T, f *fixture) []string {
	t.Helper()
	resp, err := client.Get(f.ctx, f.prefix, clientv3.WithPrefix())
	must(t, err)
	var out []string
	for _, kv := range resp.Kvs {
		k := strings.TrimPrefix(string(kv.Key), f.prefix)
		if strings.HasPrefix(k, "ids/") || strings.HasPrefix(k, "alive/") || strings.HasPrefix(k, "sessions/") {
			continue
		}
		out = append(out, fmt.Sprintf("%s=%x", k, kv.Value))
	}
	return out
}

// Records imported into an empty store give exactly the keys and values
// the create methods wrote: records, unique and membership keys, the lock.
func TestImportRecordsWritesWhatCreatesWrite(t *testing.T) {
	src, dst := newFixture(t), newFixture(t)
	buildWorld(t, src)
	recs := records(t, src)
	for _, name := range etcdstore.ImportTables() {
		if name == "conductors" {
			for _, m := range recs[name] {
				m.(*pb.Conductor).Lease = 0
			}
		}
		res, err := dst.ImportRecords(dst.ctx, name, recs[name])
		if err != nil || res.Written != len(recs[name]) {
			t.Fatalf("%s: %v %+v", name, err, res)
		}
	}
	want, got := keyValues(t, src), keyValues(t, dst)
	if !slices.Equal(want, got) {
		t.Fatalf("keys differ:\ncreated  %v\nimported %v", want, got)
	}
	// Idempotent: a second import writes nothing.
	rev := dst.revision(t)
	for _, name := range etcdstore.ImportTables() {
		res, err := dst.ImportRecords(dst.ctx, name, recs[name])
		if err != nil || res.Unchanged != len(recs[name]) || res.Txns != 0 {
			t.Fatalf("%s again: %v %+v", name, err, res)
		}
	}
	if dst.revision(t) != rev {
		t.Fatal("a repeated import wrote")
	}
	// The lock is held by the imported holder.
	if _, err := dst.ReserveNode(dst.ctx, "other", "1"); !errors.Is(err, etcdstore.ErrNodeLocked) {
		t.Fatalf("reserve: %v", err)
	}
}

// Every refused record is named, and nothing of the call is written.
func TestImportRecordsRefusesAndWritesNothing(t *testing.T) {
	f := newFixture(t)
	n, err := f.CreateNode(f.ctx, etcdstore.Values{"name": "taken"})
	must(t, err)
	before := keyValues(t, f)
	good := jsonFilled(&pb.Node{Id: 50, Uuid: "a1f7c2a4-4b1e-4c55-9a57-0e1d7f3b2c50"})
	cases := map[string]proto.Message{
		"name clash":       jsonFilled(&pb.Node{Id: 51, Uuid: "a1f7c2a4-4b1e-4c55-9a57-0e1d7f3b2c51", Name: proto.String("TAKEN")}),
		"same id":          jsonFilled(&pb.Node{Id: n.Id, Uuid: "a1f7c2a4-4b1e-4c55-9a57-0e1d7f3b2c52"}),
		"uuid not canonic": jsonFilled(&pb.Node{Id: 53, Uuid: "A1F7C2A4-4B1E-4C55-9A57-0E1D7F3B2C53"}),
		"JSON not compact": jsonFilled(&pb.Node{Id: 54, Uuid: "a1f7c2a4-4b1e-4c55-9a57-0e1d7f3b2c54", Extra: []byte(`{"a": 1}`)}),
		"chassis missing":  jsonFilled(&pb.Node{Id: 55, Uuid: "a1f7c2a4-4b1e-4c55-9a57-0e1d7f3b2c55", ChassisId: proto.Int64(99)}),
		"dup in call":      jsonFilled(&pb.Node{Id: 56, Uuid: "a1f7c2a4-4b1e-4c55-9a57-0e1d7f3b2c50"}),
	}
	for name, bad := range cases {
		res, err := f.ImportRecords(f.ctx, "nodes", []proto.Message{good, bad})
		if !errors.Is(err, etcdstore.ErrInvalidParameterValue) || len(res.Problems) != 1 || res.Problems[0].ID != nodeIDOf(bad) {
			t.Errorf("%s: %v %+v", name, err, res)
		}
		if name == "chassis missing" && (res.Problems[0].OwnerTable != "chassis" || res.Problems[0].OwnerID != 99) {
			t.Errorf("owner not named: %+v", res.Problems[0])
		}
	}
	if after := keyValues(t, f); !slices.Equal(before, after) {
		t.Fatalf("written: %v", after)
	}
	// ImportReplace replaces the record with the same id, moving its index.
	res, err := f.ImportRecords(f.ctx, "nodes", []proto.Message{jsonFilled(&pb.Node{Id: n.Id, Uuid: n.Uuid, Name: proto.String("renamed"), ProvisionState: proto.String("enroll"), Retired: proto.Bool(false), CreatedAt: n.CreatedAt})}, etcdstore.ImportReplace())
	if err != nil || res.Replaced != 1 {
		t.Fatalf("replace: %v %+v", err, res)
	}
	if _, err := f.GetNodeByName(f.ctx, "taken"); !errors.Is(err, etcdstore.ErrNodeNotFound) {
		t.Fatalf("old name: %v", err)
	}
}

func nodeIDOf(m proto.Message) int64 { return m.(*pb.Node).Id }

// jsonFilled gives every JSON column of n that is not set "{}", as the
// store keeps them.
func jsonFilled(n *pb.Node) *pb.Node {
	rec := n.ProtoReflect()
	fields := rec.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		if fd := fields.Get(i); fd.Kind() == protoreflect.BytesKind && len(rec.Get(fd).Bytes()) == 0 {
			rec.Set(fd, protoreflect.ValueOfBytes([]byte("{}")))
		}
	}
	return n
}

// Many records go in several transactions, each within max-txn-ops, and
// the id counter ends past the largest id.
func TestImportRecordsBatches(t *testing.T) {
	f := newFixture(t)
	n, err := f.CreateNode(f.ctx, etcdstore.Values{})
	must(t, err)
	var ports []proto.Message
	for i := 1; i <= 300; i++ {
		ports = append(ports, &pb.Port{Id: int64(1000 + i), Uuid: fmt.Sprintf("00000000-0000-4000-8000-%012d", i),
			Address: proto.String(fmt.Sprintf("52:54:00:00:%02x:%02x", i/256, i%256)), NodeId: proto.Int64(n.Id),
			Name: proto.String(fmt.Sprintf("p%d", i)), Extra: []byte("{}"), LocalLinkConnection: []byte("{}"), InternalInfo: []byte("{}")})
	}
	res, err := f.ImportRecords(f.ctx, "ports", ports)
	if err != nil || res.Written != 300 || res.Txns < 2 {
		t.Fatalf("%v %+v", err, res)
	}
	p, err := f.CreatePort(f.ctx, etcdstore.Values{"address": "52:54:00:ff:ff:ff"})
	if err != nil || p.Id <= 1300 {
		t.Fatalf("port after import: %v %v", p, err)
	}
	got, err := f.GetPortsByNodeID(f.ctx, n.Id, etcdstore.ListOptions{})
	if err != nil || len(got) != 300 || !bytes.Equal(got[0].Extra, []byte("{}")) {
		t.Fatalf("ports of the node: %d %v", len(got), err)
	}
}
