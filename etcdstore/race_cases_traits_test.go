package etcdstore_test

import (
	"context"
	"fmt"
	"slices"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Rows of the race table for node traits and BIOS settings.

func traitRaceCases() []raceCase {
	notFound := []error{etcdstore.ErrNodeNotFound}
	addTrait := func(trait string) func(context.Context, *world) (any, error) {
		return func(ctx context.Context, w *world) (any, error) {
			return w.victim.AddNodeTrait(ctx, w.id["node"], trait, "1.0")
		}
	}
	rivalAdds := func(trait string) func(context.Context, *world) error {
		return func(ctx context.Context, w *world) error {
			_, err := w.admin.AddNodeTrait(ctx, w.id["node"], trait, "1.0")
			return err
		}
	}
	return []raceCase{
		{name: "add_node_trait, another trait added", setup: setupNode, scope: nodeBy("id"), errs: notFound,
			call: addTrait("a"), rival: rivalAdds("b"), check: hasTraits(1, 2)},
		{name: "add_node_trait, destroyed", setup: setupNode, scope: nodeBy("id"), errs: notFound,
			call: addTrait("a"), rival: destroyNode},
		{name: "add_node_trait, id reused", setup: setupNode, scope: nodeBy("id"), errs: notFound,
			call: addTrait("a"), rival: reuseNodeID},
		{name: "add_node_trait at the limit, another trait added", setup: setupNodeWithTraits(etcdstore.MaxTraitsPerNode - 1),
			scope: nodeBy("id"), errs: []error{etcdstore.ErrInvalidParameterValue},
			call: addTrait("a"), rival: rivalAdds("b"), check: hasTraits(etcdstore.MaxTraitsPerNode, etcdstore.MaxTraitsPerNode)},
		{name: "set_node_traits, another trait added", setup: setupNode, scope: nodeBy("id"), errs: notFound,
			call: func(ctx context.Context, w *world) (any, error) {
				return w.victim.SetNodeTraits(ctx, w.id["node"], []string{"a", "c"}, "1.0")
			},
			rival: rivalAdds("b"), check: hasTraits(2, 2)},
		{name: "set_node_traits, destroyed", setup: setupNode, scope: nodeBy("id"), errs: notFound, rival: destroyNode,
			call: func(ctx context.Context, w *world) (any, error) {
				return w.victim.SetNodeTraits(ctx, w.id["node"], []string{"a"}, "1.0")
			}},
		{name: "delete_node_trait, deleted meanwhile", setup: setupNodeWithTraits(2), scope: nodeBy("id"),
			errs: []error{etcdstore.ErrNodeTraitNotFound}, check: hasTraits(1, 1),
			call: func(ctx context.Context, w *world) (any, error) {
				return nil, w.victim.DeleteNodeTrait(ctx, w.id["node"], "trait0")
			},
			rival: func(ctx context.Context, w *world) error { return w.admin.DeleteNodeTrait(ctx, w.id["node"], "trait0") }},
	}
}

func biosRaceCases() []raceCase {
	notFound := []error{etcdstore.ErrNodeNotFound}
	create := func(names ...string) func(context.Context, *world) (any, error) {
		return func(ctx context.Context, w *world) (any, error) {
			return w.victim.CreateBIOSSettingList(ctx, w.id["node"], biosSettings(names...), "1.0")
		}
	}
	rivalCreates := func(names ...string) func(context.Context, *world) error {
		return func(ctx context.Context, w *world) error {
			_, err := w.admin.CreateBIOSSettingList(ctx, w.id["node"], biosSettings(names...), "1.0")
			return err
		}
	}
	update := func(ctx context.Context, w *world) (any, error) {
		return w.victim.UpdateBIOSSettingList(ctx, w.id["node"], []etcdstore.Values{{"name": "a", "value": "victim"}}, "1.1")
	}
	return []raceCase{
		{name: "create_bios_setting_list, the same created meanwhile", setup: setupNode, scope: biosOf, creates: true,
			errs: []error{etcdstore.ErrBIOSSettingAlreadyExists}, call: create("a", "b"), rival: rivalCreates("b", "a"),
			check: hasBIOS([]string{"a", "b"}, []string{"b", "a"})},
		{name: "create_bios_setting_list, others created meanwhile", setup: setupNode, scope: biosOf, creates: true,
			call: create("a", "b"), rival: rivalCreates("c"), check: hasBIOS([]string{"a", "b"}, []string{"c", "a", "b"})},
		{name: "create_bios_setting_list, destroyed", setup: setupNode, scope: biosOf, creates: true, errs: notFound,
			call: create("a"), rival: destroyNode},
		{name: "create_bios_setting_list, id reused", setup: setupNode, scope: biosOf, creates: true, errs: notFound,
			call: create("a"), rival: reuseNodeID},
		{name: "create_bios_setting_list on settings, destroyed", setup: setupNodeWithBIOS, scope: biosOf, errs: notFound,
			call: create("c"), rival: destroyNode},
		{name: "update_bios_setting_list, updated meanwhile", setup: setupNodeWithBIOS, scope: biosOf,
			call: update, check: biosValueOfA("victim", "victim"),
			rival: func(ctx context.Context, w *world) error {
				_, err := w.admin.UpdateBIOSSettingList(ctx, w.id["node"], []etcdstore.Values{{"name": "a", "value": "rival"}}, "1.1")
				return err
			}},
		{name: "update_bios_setting_list, destroyed", setup: setupNodeWithBIOS, scope: biosOf, errs: notFound,
			call: update, rival: destroyNode},
		{name: "delete_bios_setting_list, deleted meanwhile", setup: setupNodeWithBIOS, scope: biosOf,
			errs: []error{etcdstore.ErrBIOSSettingListNotFound}, check: hasBIOS([]string{"b"}, []string{"b"}),
			call: func(ctx context.Context, w *world) (any, error) {
				return nil, w.victim.DeleteBIOSSettingList(ctx, w.id["node"], []string{"a"})
			},
			rival: func(ctx context.Context, w *world) error {
				return w.admin.DeleteBIOSSettingList(ctx, w.id["node"], []string{"a"})
			}},
		{name: "destroy_node, BIOS settings created", setup: setupNode, call: destroyBy("uuid"), scope: nodeTree, errs: notFound,
			rival: mayLose(rivalCreates("a"))},
		{name: "destroy_node with BIOS settings, BIOS settings updated", setup: setupNodeWithBIOS, call: destroyBy("uuid"), scope: nodeTree, errs: notFound,
			rival: mayLose(func(ctx context.Context, w *world) error {
				_, err := w.admin.UpdateBIOSSettingList(ctx, w.id["node"], []etcdstore.Values{{"name": "a", "value": "rival"}}, "1.1")
				return err
			})},
	}
}

func biosSettings(names ...string) []etcdstore.Values {
	out := make([]etcdstore.Values, len(names))
	for i, n := range names {
		out[i] = etcdstore.Values{"name": n, "value": "v"}
	}
	return out
}

func setupNodeWithTraits(n int) func(context.Context, *world) error {
	return func(ctx context.Context, w *world) error {
		if err := setupNode(ctx, w); err != nil {
			return err
		}
		_, err := w.admin.SetNodeTraits(ctx, w.id["node"], traitsN(n), "1.0")
		return err
	}
}

// setupNodeWithBIOS: a node with BIOS settings a and b.
func setupNodeWithBIOS(ctx context.Context, w *world) error {
	if err := setupNode(ctx, w); err != nil {
		return err
	}
	_, err := w.admin.CreateBIOSSettingList(ctx, w.id["node"], biosSettings("a", "b"), "1.0")
	return err
}

// biosOf is the scope of a BIOS settings write: the record of the node
// with the id.
func biosOf(w *world, s *snapshot) []string {
	return []string{s.space.Record("bios_settings", w.id["node"])}
}

// hasTraits: the node ends with this many traits, alone or raced (no
// update lost, the limit held).
func hasTraits(alone, raced int) func(*world, *runResult) []string {
	return func(w *world, r *runResult) []string {
		want := alone
		if r.fired {
			want = raced
		}
		n := recordOf[*pb.Node](r.end, r.end.space.Record("nodes", w.id["node"]))
		if n == nil {
			return nil // destroyed
		}
		if len(n.Traits) != want {
			return []string{fmt.Sprintf("outcome: node has %d traits, want %d (an update lost or the limit broken)", len(n.Traits), want)}
		}
		return nil
	}
}

// hasBIOS: the node's BIOS record ends with these setting names in this
// order, alone or raced (no update lost, no name twice).
func hasBIOS(alone, raced []string) func(*world, *runResult) []string {
	return func(w *world, r *runResult) []string {
		want := alone
		if r.fired {
			want = raced
		}
		rec := recordOf[*pb.NodeBIOSSettings](r.end, r.end.space.Record("bios_settings", w.id["node"]))
		if rec == nil {
			return nil // destroyed, or its id reused
		}
		var got []string
		for _, s := range rec.Settings {
			got = append(got, s.Name)
		}
		if !slices.Equal(got, want) {
			return []string{fmt.Sprintf("outcome: BIOS settings %v, want %v", got, want)}
		}
		return nil
	}
}

// biosValueOfA: setting a ends with this value, alone or raced.
func biosValueOfA(alone, raced string) func(*world, *runResult) []string {
	return func(w *world, r *runResult) []string {
		want := alone
		if r.fired {
			want = raced
		}
		rec := recordOf[*pb.NodeBIOSSettings](r.end, r.end.space.Record("bios_settings", w.id["node"]))
		if rec == nil || len(rec.Settings) == 0 || rec.Settings[0].GetValue() != want {
			return []string{fmt.Sprintf("outcome: BIOS settings %v, want a = %q", rec, want)}
		}
		return nil
	}
}
