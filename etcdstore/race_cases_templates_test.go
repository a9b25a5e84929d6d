package etcdstore_test

import (
	"context"
	"fmt"
	"slices"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/keys"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Rows of the race table for deploy templates, node history and node
// inventory: a node's history and inventory against destroy_node, a
// template's name and steps against rival writers.

func (w *world) makeTemplate(ctx context.Context, key string, values etcdstore.Values) error {
	v := etcdstore.Values{"name": "CUSTOM_" + key, "steps": []any{raidStep()}}
	for k, x := range values {
		v[k] = x
	}
	tmpl, err := w.admin.CreateDeployTemplate(ctx, v)
	if err != nil {
		return fmt.Errorf("create deploy template %s: %w", key, err)
	}
	w.id[key], w.uuid[key] = tmpl.Id, tmpl.Uuid
	return nil
}

func (w *world) makeHistory(ctx context.Context, key, nodeKey string) error {
	h, err := w.admin.CreateNodeHistory(ctx, etcdstore.Values{"node_id": w.id[nodeKey], "event": key})
	if err != nil {
		return fmt.Errorf("create node history %s: %w", key, err)
	}
	w.id[key], w.uuid[key] = h.Id, h.Uuid
	return nil
}

func (w *world) makeInventory(ctx context.Context, key, nodeKey string) error {
	inv, err := w.admin.CreateNodeInventory(ctx, etcdstore.Values{"node_id": w.id[nodeKey], "inventory_data": map[string]any{"k": key}})
	if err != nil {
		return fmt.Errorf("create node inventory %s: %w", key, err)
	}
	w.id[key] = inv.Id
	return nil
}

// setupNodeWithHistory: a node with two history records and an inventory.
func setupNodeWithHistory(ctx context.Context, w *world) error {
	if err := setupNode(ctx, w); err != nil {
		return err
	}
	for _, k := range []string{"h1", "h2"} {
		if err := w.makeHistory(ctx, k, "node"); err != nil {
			return err
		}
	}
	return w.makeInventory(ctx, "inv", "node")
}

func setupTemplate(ctx context.Context, w *world) error { return w.makeTemplate(ctx, "tmpl", nil) }

// nodeTreeWithHistory is destroy_node's scope with the node's history
// and inventory.
func nodeTreeWithHistory(w *world, s *snapshot) []string {
	out := nodeTree(w, s)
	for _, key := range s.named("nodes", "uuid", w.uuid["node"]) {
		id, _ := keys.ParseID(key)
		out = append(out, s.named("node_history", "node_id", id)...)
		out = append(out, s.named("node_inventory", "node_id", id)...)
	}
	return out
}

// stepsOwned: every template's steps carry its id and ids of their own.
func stepsOwned(w *world, r *runResult) []string {
	var out []string
	seen := map[int64]string{}
	for key, k := range r.end.kvs {
		tmpl, ok := k.rec.(*pb.DeployTemplate)
		if !ok {
			continue
		}
		for _, st := range tmpl.Steps {
			if st.DeployTemplateId != tmpl.Id {
				out = append(out, fmt.Sprintf("steps: %s holds a step of template %d", key, st.DeployTemplateId))
			}
			if other, dup := seen[st.Id]; dup || st.Id == 0 {
				out = append(out, fmt.Sprintf("steps: step id %d of %s is also in %s", st.Id, key, other))
			}
			seen[st.Id] = key
		}
	}
	return out
}

func templateRaceCases() []raceCase {
	none := func(*world, *snapshot) []string { return nil }
	nodeGone := []error{etcdstore.ErrNodeNotFound}
	tmplScope := byUUID("deploy_templates", "tmpl")
	updateSteps := func(ctx context.Context, w *world) (any, error) {
		return w.victim.UpdateDeployTemplate(ctx, w.uuid["tmpl"], etcdstore.Values{"steps": []any{raidStep(), biosStep()}})
	}
	return []raceCase{
		{name: "create_node_history, node destroyed", setup: setupNode, rival: destroyNode, creates: true, scope: none, errs: nodeGone,
			call: func(ctx context.Context, w *world) (any, error) {
				return w.victim.CreateNodeHistory(ctx, etcdstore.Values{"node_id": w.id["node"], "event": "raced"})
			}},
		{name: "create_node_inventory, node destroyed", setup: setupNode, rival: destroyNode, creates: true, scope: none, errs: nodeGone,
			call: func(ctx context.Context, w *world) (any, error) {
				return w.victim.CreateNodeInventory(ctx, etcdstore.Values{"node_id": w.id["node"]})
			}},
		{name: "destroy_node, history record created", setup: setupNodeWithHistory, scope: nodeTreeWithHistory, errs: nodeGone,
			call: func(ctx context.Context, w *world) (any, error) {
				return nil, w.victim.DestroyNode(ctx, w.uuid["node"])
			},
			rival: mayLose(func(ctx context.Context, w *world) error { return w.makeHistory(ctx, "rival", "node") })},
		{name: "destroy_node, inventory created", setup: setupNodeWithHistory, scope: nodeTreeWithHistory, errs: nodeGone,
			call: func(ctx context.Context, w *world) (any, error) {
				return nil, w.victim.DestroyNode(ctx, w.uuid["node"])
			},
			rival: mayLose(func(ctx context.Context, w *world) error { return w.makeInventory(ctx, "rival", "node") })},
		{name: "bulk_delete_node_history_records, node destroyed", setup: setupNodeWithHistory, errs: nil,
			scope: func(w *world, s *snapshot) []string {
				return append(s.named("node_history", "id", w.id["h1"]), s.named("node_history", "id", w.id["h2"])...)
			},
			call: func(ctx context.Context, w *world) (any, error) {
				return nil, w.victim.BulkDeleteNodeHistoryRecords(ctx, []int64{w.id["h1"], w.id["h2"]})
			},
			rival: destroyNode},
		{name: "destroy_node_inventory_by_node_id, another inventory created", setup: setupNodeWithHistory,
			errs:  []error{etcdstore.ErrNodeInventoryNotFound},
			scope: func(w *world, s *snapshot) []string { return s.named("node_inventory", "node_id", w.id["node"]) },
			call: func(ctx context.Context, w *world) (any, error) {
				return nil, w.victim.DestroyNodeInventoryByNodeID(ctx, w.id["node"])
			},
			rival: func(ctx context.Context, w *world) error { return w.makeInventory(ctx, "rival", "node") }},
		{name: "update_deploy_template name, name taken", setup: setupTemplate, scope: tmplScope, check: stepsOwned,
			errs: []error{etcdstore.ErrDeployTemplateDuplicateName},
			call: func(ctx context.Context, w *world) (any, error) {
				return w.victim.UpdateDeployTemplate(ctx, w.uuid["tmpl"], etcdstore.Values{"name": "CUSTOM_TAKEN"})
			},
			rival: func(ctx context.Context, w *world) error {
				return w.makeTemplate(ctx, "rival", etcdstore.Values{"name": "custom_taken"})
			}},
		{name: "update_deploy_template steps by uuid, id reused", setup: setupTemplate, scope: tmplScope, check: stepsOwned,
			errs: []error{etcdstore.ErrDeployTemplateNotFound}, call: updateSteps,
			rival: func(ctx context.Context, w *world) error {
				if err := w.admin.DestroyDeployTemplate(ctx, w.id["tmpl"]); err != nil {
					return err
				}
				return w.makeTemplate(ctx, "reborn", etcdstore.Values{"id": w.id["tmpl"]})
			}},
		{name: "update_deploy_template steps, steps changed meanwhile", setup: setupTemplate, scope: tmplScope, call: updateSteps,
			check: func(w *world, r *runResult) []string {
				out := stepsOwned(w, r)
				got, _ := r.res.(*pb.DeployTemplate)
				if names := stepNames(got); r.err == nil && !slices.Equal(names, []string{"bios", "raid"}) {
					out = append(out, fmt.Sprintf("outcome: steps %v, not the ones asked", names))
				}
				return out
			},
			rival: func(ctx context.Context, w *world) error {
				_, err := w.admin.UpdateDeployTemplate(ctx, w.uuid["tmpl"], etcdstore.Values{"steps": []any{biosStep()}})
				return err
			}},
		{name: "destroy_deploy_template, renamed meanwhile", setup: setupTemplate, check: stepsOwned,
			scope: func(w *world, s *snapshot) []string { return s.named("deploy_templates", "id", w.id["tmpl"]) },
			call: func(ctx context.Context, w *world) (any, error) {
				return nil, w.victim.DestroyDeployTemplate(ctx, w.id["tmpl"])
			},
			rival: func(ctx context.Context, w *world) error {
				_, err := w.admin.UpdateDeployTemplate(ctx, w.uuid["tmpl"], etcdstore.Values{"name": "CUSTOM_RENAMED"})
				return err
			}},
	}
}

// stepNames are the interfaces of a template's steps, sorted.
func stepNames(t *pb.DeployTemplate) []string {
	var out []string
	for _, st := range t.GetSteps() {
		out = append(out, st.Interface)
	}
	slices.Sort(out)
	return out
}
