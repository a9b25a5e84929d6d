package etcdstore_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/keys"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// putOld writes a record and its index keys as a version before the case
// rules did: uuids as given, index segments not folded.
func (f *fixture) putOld(t *testing.T, table string, id int64, rec proto.Message, index map[string]string) {
	t.Helper()
	data, err := proto.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Put(f.ctx, f.Keys().Record(table, id), string(data)); err != nil {
		t.Fatal(err)
	}
	for field, v := range index {
		key := f.prefix + "index/" + table + "/" + field + "/" + keys.Escape(v)
		if _, err := client.Put(f.ctx, key, strconv.FormatInt(id, 10)); err != nil {
			t.Fatal(err)
		}
	}
}

// A store written before the case rules: lookups miss its mixed-case
// records until Reindex folds their keys and respells their uuids;
// records whose values fold alike are reported and left alone; a second
// run changes nothing.
func TestReindexOldStore(t *testing.T) {
	f := newFixture(t)
	upperA, upperB := strings.ToUpper(uuidA), strings.ToUpper(uuidB)
	f.putOld(t, "nodes", 1, &pb.Node{Id: 1, Uuid: upperA, Name: proto.String("Node-1"), InstanceUuid: proto.String(upperB)},
		map[string]string{"uuid": upperA, "name": "Node-1", "instance_uuid": upperB})
	f.putOld(t, "nodes", 2, &pb.Node{Id: 2, Uuid: uuidC, Name: proto.String("Dup")}, map[string]string{"uuid": uuidC, "name": "Dup"})
	uuidD := "4be26c0b-03f2-4d2e-ae87-c02d7f33c123"
	f.putOld(t, "nodes", 3, &pb.Node{Id: 3, Uuid: uuidD, Name: proto.String("dup")}, map[string]string{"uuid": uuidD, "name": "dup"})
	f.putOld(t, "conductors", 1, &pb.Conductor{Id: 1, Hostname: "Cond-A", Online: true}, map[string]string{"hostname": "Cond-A"})
	f.putOld(t, "nodes", 99, &pb.Node{}, map[string]string{"name": "ghost"})
	if _, err := client.Delete(f.ctx, f.Keys().Record("nodes", 99)); err != nil { // its index key dangles
		t.Fatal(err)
	}
	_, err := f.GetNodeByName(f.ctx, "Node-1")
	wantErr(t, err, etcdstore.ErrNodeNotFound) // why a re-index is needed

	rep, err := f.Reindex(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Records != 2 || rep.Removed != 5 || rep.Added != 4 || rep.Changed != 0 ||
		len(rep.Clashes) != 1 || !strings.Contains(rep.Clashes[0], "[2 3]") {
		t.Fatalf("report %+v", rep)
	}
	n, err := f.GetNodeByName(f.ctx, "NODE-1")
	if err != nil || n.Id != 1 || n.GetName() != "Node-1" || n.Uuid != uuidA || n.GetInstanceUuid() != uuidB || n.UpdatedAt != nil {
		t.Fatalf("after reindex: %v %v", n, err)
	}
	for _, get := range []func() (*pb.Node, error){
		func() (*pb.Node, error) { return f.GetNodeByUUID(f.ctx, upperA) },
		func() (*pb.Node, error) { return f.GetNodeByInstance(f.ctx, upperB) },
		func() (*pb.Node, error) { return f.GetNodeByName(f.ctx, "node-1") },
	} {
		if n, err := get(); err != nil || n.Id != 1 {
			t.Fatalf("after reindex: %v %v", n, err)
		}
	}
	if c, err := f.GetConductor(f.ctx, "COND-A"); err != nil || c.Hostname != "Cond-A" {
		t.Fatalf("conductor after reindex: %v %v", c, err)
	}
	names := slices.DeleteFunc(f.keysUnder(t), func(k string) bool { return !strings.HasPrefix(k, "index/nodes/name/") })
	if want := []string{"index/nodes/name/Dup", "index/nodes/name/dup", "index/nodes/name/node-1"}; !slices.Equal(names, want) {
		t.Fatalf("name index %v, want %v (clashing records untouched, ghost gone)", names, want)
	}
	before := f.keysUnder(t)
	again, err := f.Reindex(f.ctx)
	if err != nil || again.Records+again.Removed+again.Added+again.Changed != 0 || len(again.Clashes) != 1 {
		t.Fatalf("second run: %+v %v", again, err)
	}
	if after := f.keysUnder(t); !slices.Equal(before, after) {
		t.Fatalf("second run changed keys:\n%v\n%v", before, after)
	}
}
