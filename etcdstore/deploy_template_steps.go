package etcdstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// The steps of a deploy template. 21.4 keeps them in their own table
// (deploy_template_steps); here they live inside the template's record,
// so a template and its steps are read and written whole, in one key.
// Each step keeps 21.4's own id, handed out from the id counter of
// "deploy_template_steps" (ids.go), and its deploy_template_id.

// stepsTable names the id counter of steps: they have no records of
// their own.
const stepsTable = "deploy_template_steps"

// stepColumns a step given in values may carry: the columns a caller
// sets, and the ones the store sets itself that a caller may echo back
// from a record it read (ignored: the store assigns ids and times).
var (
	stepSettable = []string{"interface", "step", "args", "priority", "version"}
	stepEchoed   = []string{"id", "deploy_template_id", "created_at", "updated_at"}
	stepRequired = []string{"interface", "step", "priority"} // NOT NULL without a default in 21.4
)

// parseSteps reads the "steps" value of a create or update: a list of
// step dicts (map[string]any or Values) or of *pb.DeployTemplateStep, as
// 21.4 takes dicts or step objects. Unknown keys, missing interface, step
// or priority, and bad values are InvalidParameterValue (21.4: a DBError
// from its NOT NULL columns). args defaults to {}.
func parseSteps(v any) ([]*pb.DeployTemplateStep, error) {
	var items []any
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []any:
		items = x
	case []map[string]any:
		for _, m := range x {
			items = append(items, m)
		}
	case []Values:
		for _, m := range x {
			items = append(items, map[string]any(m))
		}
	case []*pb.DeployTemplateStep:
		for _, st := range x {
			items = append(items, st)
		}
	default:
		return nil, invalidParam("steps: want a list of steps, got %T", v)
	}
	out := make([]*pb.DeployTemplateStep, len(items))
	for i, item := range items {
		st, err := parseStep(item)
		if err != nil {
			return nil, invalidLike(err, "steps[%d]: %v", i, err)
		}
		out[i] = st
	}
	return out, nil
}

func parseStep(item any) (*pb.DeployTemplateStep, error) {
	var m map[string]any
	switch x := item.(type) {
	case map[string]any:
		m = x
	case Values:
		m = x
	case *pb.DeployTemplateStep:
		if x == nil {
			return nil, fmt.Errorf("a nil step")
		}
		m = map[string]any{"interface": x.Interface, "step": x.Step, "args": nil, "priority": x.Priority}
		if len(x.Args) > 0 {
			m["args"] = json.RawMessage(x.Args)
		}
		if x.Version != nil {
			m["version"] = *x.Version
		}
	default:
		return nil, fmt.Errorf("want a step dict, got %T", item)
	}
	st := &pb.DeployTemplateStep{}
	rec := st.ProtoReflect()
	for name, val := range m {
		switch {
		case slices.Contains(stepEchoed, name):
			continue
		case !slices.Contains(stepSettable, name):
			return nil, fmt.Errorf("unknown step field %q", name)
		}
		if err := setValue(rec, name, val); err != nil {
			return nil, err
		}
	}
	for _, name := range stepRequired {
		if m[name] == nil {
			return nil, sqlRefused{fmt.Errorf("step field %q is required", name), ReferenceDBError}
		}
	}
	fillEmptyJSON(rec)
	return st, nil
}

// stepKey is 21.4's _step_key: interface, step, args with sorted keys,
// priority. Two steps with one key are the same step.
func stepKey(st *pb.DeployTemplateStep) string {
	args, err := DecodeJSON(st.Args)
	if err != nil {
		args = string(st.Args) // never stored so; compare the text
	}
	sorted, _ := json.Marshal(args) // maps marshal with sorted keys; numbers exact
	k, _ := json.Marshal([]any{st.Interface, st.Step, json.RawMessage(sorted), st.Priority})
	return string(k)
}

// mergeSteps is 21.4's _update_deploy_template_steps on the steps of a
// template: a wanted step equal (stepKey) to a current one keeps the
// current one, id and times included; the others are new steps with new
// ids; current steps not wanted go. The result is in id order, as 21.4
// reads them.
func (s *Store) mergeSteps(ctx context.Context, templateID int64, current, wanted []*pb.DeployTemplateStep) ([]*pb.DeployTemplateStep, error) {
	unused := map[string][]*pb.DeployTemplateStep{}
	for _, st := range current {
		k := stepKey(st)
		unused[k] = append(unused[k], st)
	}
	out := make([]*pb.DeployTemplateStep, 0, len(wanted))
	var fresh []*pb.DeployTemplateStep
	for _, w := range wanted {
		k := stepKey(w)
		if same := unused[k]; len(same) > 0 {
			out = append(out, same[0])
			unused[k] = same[1:]
			continue
		}
		fresh = append(fresh, w)
	}
	if err := s.newSteps(ctx, templateID, fresh); err != nil {
		return nil, err
	}
	out = append(out, fresh...)
	slices.SortFunc(out, func(a, b *pb.DeployTemplateStep) int { return compareValues(a.Id, b.Id, true) })
	return out, nil
}

// newSteps gives steps their ids and creation time. One round trip per
// id block taken.
func (s *Store) newSteps(ctx context.Context, templateID int64, steps []*pb.DeployTemplateStep) error {
	for _, st := range steps {
		id, err := s.ids.next(ctx, stepsTable)
		if err != nil {
			return err
		}
		st.Id, st.DeployTemplateId = id, templateID
		st.CreatedAt, st.UpdatedAt = timestampOf(s.now()), nil
	}
	return nil
}

// stepsOwnedBy sets deploy_template_id on every step of a template record
// (the table's fillDerived: create knows the id only when it commits).
func stepsOwnedBy(rec protoreflect.Message) {
	t := rec.Interface().(*pb.DeployTemplate)
	for _, st := range t.Steps {
		st.DeployTemplateId = t.Id
	}
}
