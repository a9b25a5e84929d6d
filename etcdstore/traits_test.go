package etcdstore_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Node traits, from ironic/tests/unit/db/test_node_traits.py (21.4.4).

func traitNames(traits []*pb.NodeTrait) []string {
	out := []string{}
	for _, t := range traits {
		out = append(out, t.Trait)
	}
	slices.Sort(out)
	return out
}

func traitsN(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("trait%d", i)
	}
	return out
}

func TestSetNodeTraits(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	got, err := f.SetNodeTraits(f.ctx, n.Id, []string{"trait1", "trait2", "trait2"}, "1.0")
	if err != nil || !slices.Equal(traitNames(got), []string{"trait1", "trait2"}) || got[0].NodeId != n.Id {
		t.Fatal(got, err)
	}
	if got[0].GetVersion() != "1.0" || got[0].CreatedAt == nil || got[0].UpdatedAt != nil {
		t.Fatalf("row %v", got[0])
	}
	// Every row is written anew, with the new version.
	f.clock.Advance(1e9)
	again, err := f.SetNodeTraits(f.ctx, n.Id, []string{"trait1"}, "1.1")
	if err != nil || len(again) != 1 || again[0].GetVersion() != "1.1" || !again[0].CreatedAt.AsTime().After(got[0].CreatedAt.AsTime()) {
		t.Fatal(again, err)
	}
	node, _ := f.GetNodeByID(f.ctx, n.Id)
	if !slices.Equal(traitNames(node.Traits), []string{"trait1"}) || node.UpdatedAt != nil {
		t.Fatalf("a node read returns its traits and keeps updated_at: %v", node)
	}
	if got, err := f.SetNodeTraits(f.ctx, n.Id, []string{}, "1.0"); err != nil || got == nil || len(got) != 0 {
		t.Fatal(got, err)
	}
	// At the limit; over it refused before anything is written.
	if got, err := f.SetNodeTraits(f.ctx, n.Id, traitsN(50), "1.0"); err != nil || len(got) != 50 {
		t.Fatal(len(got), err)
	}
	before := f.keysUnder(t)
	rev := f.revision(t)
	_, err = f.SetNodeTraits(f.ctx, n.Id, traitsN(51), "1.0")
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	if f.revision(t) != rev || !slices.Equal(before, f.keysUnder(t)) {
		t.Fatal("a refused set wrote")
	}
	// The limit is checked before the node, as in 21.4.
	_, err = f.SetNodeTraits(f.ctx, 1234, traitsN(51), "1.0")
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	_, err = f.SetNodeTraits(f.ctx, 1234, []string{"trait1", "trait2"}, "1.0")
	wantErr(t, err, etcdstore.ErrNodeNotFound)
}

func TestGetUnsetNodeTraits(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	if got, err := f.GetNodeTraitsByNodeID(f.ctx, n.Id); err != nil || got == nil || len(got) != 0 {
		t.Fatal(got, err)
	}
	for _, tr := range []string{"trait1", "trait2"} {
		if _, err := f.AddNodeTrait(f.ctx, n.Id, tr, "1.0"); err != nil {
			t.Fatal(err)
		}
	}
	got, err := f.GetNodeTraitsByNodeID(f.ctx, n.Id)
	if err != nil || !slices.Equal(traitNames(got), []string{"trait1", "trait2"}) || got[0].NodeId != n.Id {
		t.Fatal(got, err)
	}
	if err := f.UnsetNodeTraits(f.ctx, n.Id); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.GetNodeTraitsByNodeID(f.ctx, n.Id); len(got) != 0 {
		t.Fatal(got)
	}
	if err := f.UnsetNodeTraits(f.ctx, n.Id); err != nil { // none to unset
		t.Fatal(err)
	}
	_, err = f.GetNodeTraitsByNodeID(f.ctx, 123)
	wantErr(t, err, etcdstore.ErrNodeNotFound)
	wantErr(t, f.UnsetNodeTraits(f.ctx, 123), etcdstore.ErrNodeNotFound)
	// Tags and traits are separate.
	if _, err := f.SetNodeTags(f.ctx, n.Id, []string{"trait1"}); err != nil {
		t.Fatal(err)
	}
	if ok, err := f.NodeTraitExists(f.ctx, n.Id, "trait1"); ok || err != nil {
		t.Fatal(ok, err)
	}
}

func TestAddNodeTrait(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	tr, err := f.AddNodeTrait(f.ctx, n.Id, "trait1", "1.0")
	if err != nil || tr.NodeId != n.Id || tr.Trait != "trait1" || tr.GetVersion() != "1.0" {
		t.Fatal(tr, err)
	}
	// A duplicate is ignored: nothing written, the stored row returned.
	rev := f.revision(t)
	dup, err := f.AddNodeTrait(f.ctx, n.Id, "trait1", "1.1")
	if err != nil || dup.Trait != "trait1" || dup.GetVersion() != "1.0" || f.revision(t) != rev {
		t.Fatal(dup, err)
	}
	if got, _ := f.GetNodeTraitsByNodeID(f.ctx, n.Id); !slices.Equal(traitNames(got), []string{"trait1"}) {
		t.Fatal(got)
	}
	_, err = f.AddNodeTrait(f.ctx, 123, "trait1", "1.0")
	wantErr(t, err, etcdstore.ErrNodeNotFound)
}

func TestAddNodeTraitLimit(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	for _, tr := range traitsN(49) {
		if _, err := f.AddNodeTrait(f.ctx, n.Id, tr, "1.0"); err != nil {
			t.Fatal(err)
		}
	}
	if tr, err := f.AddNodeTrait(f.ctx, n.Id, "trait49", "1.0"); err != nil || tr.Trait != "trait49" {
		t.Fatal(tr, err) // the 50th
	}
	if tr, err := f.AddNodeTrait(f.ctx, n.Id, "trait49", "1.0"); err != nil || tr.Trait != "trait49" {
		t.Fatal(tr, err) // a duplicate at the limit
	}
	_, err := f.AddNodeTrait(f.ctx, n.Id, "trait50", "1.0")
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	if got, _ := f.GetNodeTraitsByNodeID(f.ctx, n.Id); len(got) != 50 || slices.Contains(traitNames(got), "trait50") {
		t.Fatalf("%d traits", len(got))
	}
}

func TestDeleteNodeTraitAndExists(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	if _, err := f.SetNodeTraits(f.ctx, n.Id, []string{"trait1", "trait2"}, "1.0"); err != nil {
		t.Fatal(err)
	}
	if ok, err := f.NodeTraitExists(f.ctx, n.Id, "trait1"); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if err := f.DeleteNodeTrait(f.ctx, n.Id, "trait1"); err != nil {
		t.Fatal(err)
	}
	got, _ := f.GetNodeTraitsByNodeID(f.ctx, n.Id)
	if len(got) != 1 || got[0].Trait != "trait2" {
		t.Fatal(got)
	}
	if ok, err := f.NodeTraitExists(f.ctx, n.Id, "trait1"); ok || err != nil {
		t.Fatal(ok, err)
	}
	err := f.DeleteNodeTrait(f.ctx, n.Id, "trait1")
	wantErr(t, err, etcdstore.ErrNodeTraitNotFound)
	wantErr(t, err, etcdstore.ErrNotFound) // a NotFound, as in 21.4
	var e *etcdstore.Error
	if !errors.As(err, &e) || e.Param("trait") != "trait1" || e.Param("node_id") != id(n.Id) {
		t.Fatal(err)
	}
	wantErr(t, f.DeleteNodeTrait(f.ctx, 123, "trait1"), etcdstore.ErrNodeNotFound)
	_, err = f.NodeTraitExists(f.ctx, 123, "trait1")
	wantErr(t, err, etcdstore.ErrNodeNotFound)
}

// Traits go with their node, and a node cannot be created or updated
// with traits (21.4: "Cannot create node with traits").
func TestTraitsLiveInTheNode(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	if _, err := f.SetNodeTraits(f.ctx, n.Id, []string{"CUSTOM_A"}, "1.0"); err != nil {
		t.Fatal(err)
	}
	_, err := f.CreateNode(f.ctx, etcdstore.Values{"traits": []string{"CUSTOM_A"}})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	_, err = f.UpdateNode(f.ctx, n.Uuid, etcdstore.Values{"traits": []string{"CUSTOM_B"}})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	if err := f.DestroyNode(f.ctx, n.Uuid); err != nil {
		t.Fatal(err)
	}
	if keys := f.keysUnder(t); len(keys) != 1 { // the id counter
		t.Fatalf("left behind: %v", keys)
	}
}

// Hostile trait strings and versions: a typed error and nothing written,
// or the trait stored verbatim.
func TestHostileTraits(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	for _, s := range hostileStrings {
		before := f.keysUnder(t)
		rev := f.revision(t)
		tr, err := f.AddNodeTrait(f.ctx, n.Id, s, "1.0")
		if err != nil {
			wantErr(t, err, etcdstore.ErrInvalidParameterValue)
			if f.revision(t) != rev || !slices.Equal(before, f.keysUnder(t)) {
				t.Fatalf("%.20q: refused but wrote", s)
			}
			_, err = f.SetNodeTraits(f.ctx, n.Id, []string{"ok", s}, "1.0")
			wantErr(t, err, etcdstore.ErrInvalidParameterValue)
		} else if ok, err := f.NodeTraitExists(f.ctx, n.Id, s); tr.Trait != s || !ok || err != nil {
			t.Fatalf("%.20q stored as %.20q", s, tr.Trait)
		}
		if _, err := f.AddNodeTrait(f.ctx, n.Id, "v", s); err != nil {
			wantErr(t, err, etcdstore.ErrInvalidParameterValue) // versions: at most 15 characters
		}
		for _, call := range []func() error{
			func() error { return f.DeleteNodeTrait(f.ctx, n.Id, s) },
			func() error { _, err := f.NodeTraitExists(f.ctx, n.Id, s); return err },
		} {
			if err := call(); err != nil && !errors.Is(err, etcdstore.ErrNodeTraitNotFound) {
				t.Fatalf("%.20q: %v", s, err)
			}
		}
		if err := f.UnsetNodeTraits(f.ctx, n.Id); err != nil {
			t.Fatal(err)
		}
	}
	_, err := f.SetNodeTraits(f.ctx, n.Id, []string{"a"}, string([]byte{0xff}))
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
}

// peer is another Store on the fixture's prefix, in the fixture's read
// mode.
func (f *fixture) peer(t *testing.T) *etcdstore.Store {
	t.Helper()
	opts := []etcdstore.Option{etcdstore.WithPrefix(f.prefix)}
	if f.ReadsThroughCache() {
		opts = append(opts, etcdstore.WithReadCache())
	}
	s, err := etcdstore.New(client, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// 16 writers add distinct traits at once: every one lands; near the
// limit, exactly as many as fit land and the others are refused.
func TestConcurrentAddNodeTrait(t *testing.T) {
	f := newFixture(t)
	for _, start := range []int{0, 40} {
		n := f.mustNode(t, nil)
		if _, err := f.SetNodeTraits(f.ctx, n.Id, traitsN(start), "1.0"); err != nil {
			t.Fatal(err)
		}
		stores := []*etcdstore.Store{f.Store, f.peer(t), f.peer(t), f.peer(t)} // as several conductors
		var wg sync.WaitGroup
		errs := make([]error, 16)
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = stores[i%len(stores)].AddNodeTrait(f.ctx, n.Id, fmt.Sprintf("new%d", i), "1.0")
			}()
		}
		wg.Wait()
		landed := 0
		for _, err := range errs {
			if err == nil {
				landed++
			} else if !errors.Is(err, etcdstore.ErrInvalidParameterValue) {
				t.Fatal(err)
			}
		}
		got, _ := f.GetNodeTraitsByNodeID(f.ctx, n.Id)
		want := min(16, etcdstore.MaxTraitsPerNode-start)
		if landed != want || len(got) != start+want {
			t.Fatalf("from %d: %d landed, %d traits, want %d", start, landed, len(got), start+want)
		}
	}
}

// get_nodeinfo_list gives a node's trait names, sorted, like its tags.
func TestNodeinfoTraits(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	if _, err := f.SetNodeTraits(f.ctx, n.Id, []string{"b", "a"}, "1.0"); err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetNodeinfoList(f.ctx, []string{"id", "traits"}, etcdstore.NodeFilter{}, etcdstore.ListOptions{})
	if err != nil || len(rows) != 1 || fmt.Sprint(rows[0][1]) != "[a b]" {
		t.Fatal(rows, err)
	}
	_, err = f.GetNodeList(f.ctx, etcdstore.NodeFilter{}, etcdstore.ListOptions{SortKey: "traits"})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
}
