package etcdstore_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Hostile input on the columns of deploy templates, node history and
// node inventory, and on a template's steps.

func newTableHostileKinds() []hostileKind {
	withNode := func(f *fixture, t *testing.T) etcdstore.Values {
		return etcdstore.Values{"node_id": f.mustNode(t, nil).Id}
	}
	named := 0
	return []hostileKind{
		{name: "deploy template", msg: &pb.DeployTemplate{},
			base: func(*fixture, *testing.T) etcdstore.Values {
				return etcdstore.Values{"name": "CUSTOM_BASE", "steps": []any{raidStep()}}
			},
			create: func(f *fixture, v etcdstore.Values) (proto.Message, error) {
				if v["name"] == "CUSTOM_BASE" { // one name per template: a clash is not what is tested
					named++
					v["name"] = fmt.Sprint("CUSTOM_", named)
				}
				return f.CreateDeployTemplate(f.ctx, v)
			},
			update: func(f *fixture, id string, v etcdstore.Values) (proto.Message, error) {
				return f.UpdateDeployTemplate(f.ctx, id, v)
			},
			read: func(f *fixture, id int64) (proto.Message, error) { return f.GetDeployTemplateByID(f.ctx, id) },
			gets: []func(*fixture, string) error{
				func(f *fixture, s string) error { _, err := f.GetDeployTemplateByName(f.ctx, s); return err },
				func(f *fixture, s string) error { _, err := f.GetDeployTemplateByUUID(f.ctx, s); return err },
				func(f *fixture, s string) error {
					_, err := f.GetDeployTemplateListByNames(f.ctx, []string{s})
					return err
				},
			}},
		{name: "node history", msg: &pb.NodeHistory{}, base: withNode, replaced: []string{"uuid"},
			create: func(f *fixture, v etcdstore.Values) (proto.Message, error) { return f.CreateNodeHistory(f.ctx, v) },
			read:   func(f *fixture, id int64) (proto.Message, error) { return f.GetNodeHistoryByID(f.ctx, id) },
			gets: []func(*fixture, string) error{
				func(f *fixture, s string) error { _, err := f.GetNodeHistoryByUUID(f.ctx, s); return err },
				func(f *fixture, s string) error { return f.DestroyNodeHistoryByUUID(f.ctx, s) },
			}},
		{name: "node inventory", msg: &pb.NodeInventory{}, base: withNode,
			create: func(f *fixture, v etcdstore.Values) (proto.Message, error) { return f.CreateNodeInventory(f.ctx, v) },
			read:   func(f *fixture, id int64) (proto.Message, error) { return inventoryByID(f, id) },
		},
	}
}

// inventoryByID finds an inventory among its node's (there is no lookup
// by id in 21.4).
func inventoryByID(f *fixture, id int64) (proto.Message, error) {
	nodes, err := f.GetNodeList(f.ctx, etcdstore.NodeFilter{}, etcdstore.ListOptions{})
	if err != nil {
		return nil, err
	}
	for _, n := range nodes {
		if inv, err := f.GetNodeInventoryByNodeID(f.ctx, n.Id); err == nil && inv.Id == id {
			return inv, nil
		}
	}
	return nil, fmt.Errorf("inventory %d not found", id)
}

func TestHostileInputNewTables(t *testing.T) {
	for _, k := range newTableHostileKinds() {
		t.Run(k.name+"/columns", k.attackColumns)
		t.Run(k.name+"/json", k.attackJSON)
	}
}

// A template's steps: hostile strings in interface and step, bad args
// documents, wrong types: a typed error and nothing written, or stored
// verbatim and read back equal.
func TestHostileDeployTemplateSteps(t *testing.T) {
	f := newFixture(t)
	tmpl := f.mustTemplate(t, nil)
	var bad []map[string]any
	for _, s := range hostileStrings {
		for _, col := range []string{"interface", "step"} {
			st := raidStep()
			st[col] = s
			bad = append(bad, st)
		}
	}
	for _, c := range refusedJSON() {
		st := raidStep()
		st["args"] = c.obj
		bad = append(bad, st)
	}
	for _, v := range []any{"1", 1.5, nil, json.Number("1e400"), []any{}} {
		st := raidStep()
		st["priority"] = v
		bad = append(bad, st)
	}
	for i, st := range bad {
		before := f.snapshot(t)
		created, err := f.CreateDeployTemplate(f.ctx, etcdstore.Values{"name": fmt.Sprint("CUSTOM_H", i), "steps": []any{st}})
		updated, uerr := f.UpdateDeployTemplate(f.ctx, id(tmpl.Id), etcdstore.Values{"steps": []any{st}})
		for _, e := range []error{err, uerr} {
			if e != nil && !errors.Is(e, etcdstore.ErrInvalidParameterValue) {
				t.Fatalf("step %.60v: untyped error %v", st, e)
			}
		}
		if err != nil && uerr != nil {
			if after := f.snapshot(t); !slices.Equal(before, after) {
				t.Fatalf("refused step %.60v wrote something", st)
			}
			continue
		}
		for _, got := range []*pb.DeployTemplate{created, updated} {
			if got == nil {
				continue
			}
			read, rerr := f.GetDeployTemplateByID(f.ctx, got.Id)
			if rerr != nil || !proto.Equal(read, got) {
				t.Fatalf("step %.60v: read back %v %v, returned %v", st, read, rerr, got)
			}
			if s := read.Steps[0]; s.Interface != st["interface"] || s.Step != st["step"] {
				t.Fatalf("step %.60v stored as %.60q %.60q", st, s.Interface, s.Step)
			}
			if _, derr := etcdstore.DecodeJSON(read.Steps[0].Args); derr != nil {
				t.Fatal(derr)
			}
		}
	}
	// Many steps: the record's 1 MiB bound, nothing written.
	var many []any
	for i := 0; i < 3; i++ {
		st := raidStep()
		st["args"] = map[string]any{"blob": strings.Repeat("b", 400<<10)}
		many = append(many, st)
	}
	before := f.snapshot(t)
	_, err := f.CreateDeployTemplate(f.ctx, etcdstore.Values{"name": "CUSTOM_BIG", "steps": many})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	_, err = f.UpdateDeployTemplate(f.ctx, id(tmpl.Id), etcdstore.Values{"steps": many})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	if after := f.snapshot(t); !slices.Equal(before, after) {
		t.Fatal("a refused template of 1.2 MiB wrote something")
	}
	assertNoOrphans(t, f)
}
