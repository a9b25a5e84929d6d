package etcdstore

import (
	"context"
	"fmt"
	"strconv"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/keys"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Deploy templates (21.4's deploy_templates table), unique on name and
// uuid, each with its steps inside its record (deploy_template_steps.go).

var deployTemplatesTable = &table{
	name:   "deploy_templates",
	noun:   "deploy template",
	newMsg: func() proto.Message { return &pb.DeployTemplate{} },
	uniques: []unique{
		{name: "name", columns: []string{"name"}, clash: func(r protoreflect.Message) error {
			name := str(r, "name")
			return newError(ErrDeployTemplateDuplicateName, fmt.Sprintf("a deploy template with name %s already exists", name), "name", name)
		}},
		{name: "uuid", columns: []string{"uuid"}, clash: errTemplateExists},
	},
	notFound: func(id string) error {
		return errNotFound(ErrDeployTemplateNotFound, "deploy template", "template", id)
	},
	alreadyExists: errTemplateExists,
	fillDerived:   stepsOwnedBy,
}

func errTemplateExists(r protoreflect.Message) error {
	return errAlreadyExists(ErrDeployTemplateAlreadyExists, "a deploy template", recordUUID(r))
}

// CreateDeployTemplate follows 21.4's create_deploy_template: values are
// the template's columns and "steps", a list of step dicts (interface,
// step, priority required; args defaults to {}; id, deploy_template_id
// and times may be echoed back and are ignored: each step gets a new id).
// name is required. DeployTemplateDuplicateName, then
// DeployTemplateAlreadyExists (uuid or explicit id); InvalidParameterValue
// for bad values or steps (21.4: DBError). One round trip, plus one per id
// block taken.
func (s *Store) CreateDeployTemplate(ctx context.Context, values Values) (*pb.DeployTemplate, error) {
	steps, err := parseSteps(values["steps"])
	if err != nil {
		return nil, err
	}
	if values["name"] == nil {
		return nil, invalidParam("a deploy template needs a name")
	}
	cols := withoutSteps(values)
	rec, autoID, err := s.newRecord(&pb.DeployTemplate{}, cols)
	if err != nil {
		return nil, err
	}
	if err := s.newSteps(ctx, 0, steps); err != nil {
		return nil, err
	}
	tmpl := rec.Interface().(*pb.DeployTemplate)
	tmpl.Steps = steps
	if _, err := s.create(ctx, deployTemplatesTable, rec, autoID, nil); err != nil {
		return nil, err
	}
	return tmpl, nil
}

func withoutSteps(values Values) Values {
	cols := make(Values, len(values))
	for k, v := range values {
		if k != "steps" {
			cols[k] = v
		}
	}
	return cols
}

// UpdateDeployTemplate follows 21.4's update_deploy_template on the
// template named by an id or a uuid. "uuid" is refused
// (InvalidParameterValue), then InvalidIdentity, DeployTemplateNotFound,
// bad values, and DeployTemplateDuplicateName on a name taken. "steps",
// when given and not null, replaces the steps as 21.4's
// _update_deploy_template_steps: a step equal to a current one (same
// interface, step, args and priority) keeps its id; the others are new
// steps with new ids. Two round trips (read, write), plus one per lost
// race and per id block taken.
func (s *Store) UpdateDeployTemplate(ctx context.Context, templateID string, values Values) (*pb.DeployTemplate, error) {
	if _, ok := values["uuid"]; ok {
		return nil, invalidParam("cannot overwrite UUID for an existing deploy template")
	}
	if _, ok := values["id"]; ok {
		return nil, invalidParam("cannot update the id of a deploy template")
	}
	id, err := resolveIdentity(templateID)
	if err != nil {
		return nil, err
	}
	t := deployTemplatesTable
	cur, found, err := s.loadForUpdate(ctx, t, id)
	if err != nil {
		return nil, err
	}
	notFound := func() error { return t.notFound(templateID) }
	if !found {
		return nil, notFound()
	}
	wanted, err := parseSteps(values["steps"])
	if err != nil {
		return nil, err
	}
	newSteps := values["steps"] != nil
	cols := withoutSteps(values)
	_, keep := values["updated_at"]
	st, err := s.update(ctx, t, id, cur, keep, notFound, func(_ stored, next protoreflect.Message) (txnPart, error) {
		for name, v := range cols {
			if err := setValue(next, name, v); err != nil {
				return txnPart{}, err
			}
		}
		if newSteps {
			tmpl := next.Interface().(*pb.DeployTemplate)
			fresh := make([]*pb.DeployTemplateStep, len(wanted))
			for i, w := range wanted {
				fresh[i] = proto.Clone(w).(*pb.DeployTemplateStep) // a retry starts again from the given steps
			}
			merged, err := s.mergeSteps(ctx, tmpl.Id, tmpl.Steps, fresh)
			if err != nil {
				return txnPart{}, err
			}
			tmpl.Steps = merged
		}
		return txnPart{}, validateRecord(next)
	})
	if err != nil {
		return nil, err
	}
	return st.rec.Interface().(*pb.DeployTemplate), nil
}

// DestroyDeployTemplate follows 21.4's destroy_deploy_template(template_id):
// deletes the template with this id and its steps. DeployTemplateNotFound.
// Two round trips.
func (s *Store) DestroyDeployTemplate(ctx context.Context, templateID int64) error {
	return s.destroyRecord(ctx, deployTemplatesTable, strconv.FormatInt(templateID, 10), resolveIdentity, nil, nil)
}

// GetDeployTemplateByID follows 21.4's get_deploy_template_by_id, steps
// included: DeployTemplateNotFound when there is none. One round trip.
func (s *Store) GetDeployTemplateByID(ctx context.Context, templateID int64) (*pb.DeployTemplate, error) {
	return as[*pb.DeployTemplate](s.getRecord(ctx, deployTemplatesTable, templateID))
}

// GetDeployTemplateByUUID follows 21.4's get_deploy_template_by_uuid (any
// spelling of the uuid): DeployTemplateNotFound when there is none. One
// round trip once seen, else two.
func (s *Store) GetDeployTemplateByUUID(ctx context.Context, templateUUID string) (*pb.DeployTemplate, error) {
	return as[*pb.DeployTemplate](s.getRecordBy(ctx, deployTemplatesTable, "uuid", templateUUID))
}

// GetDeployTemplateByName follows 21.4's get_deploy_template_by_name
// (names match regardless of case, as unique names do here):
// DeployTemplateNotFound when there is none. One round trip once seen,
// else two.
func (s *Store) GetDeployTemplateByName(ctx context.Context, name string) (*pb.DeployTemplate, error) {
	return as[*pb.DeployTemplate](s.getRecordBy(ctx, deployTemplatesTable, "name", name))
}

// GetDeployTemplateList follows 21.4's get_deploy_template_list (§5);
// steps are not a sort key. One round trip per 1,000 in id order.
func (s *Store) GetDeployTemplateList(ctx context.Context, opts ListOptions) ([]*pb.DeployTemplate, error) {
	sts, err := s.listRecords(ctx, deployTemplatesTable, opts)
	return records[*pb.DeployTemplate](sts), err
}

// GetDeployTemplateListByNames follows 21.4's
// get_deploy_template_list_by_names: the templates whose name is one of
// names (regardless of case), in id order; [] when none. One round trip
// per 1,000 templates (a scan of the table).
func (s *Store) GetDeployTemplateListByNames(ctx context.Context, names []string) ([]*pb.DeployTemplate, error) {
	if len(names) == 0 {
		return []*pb.DeployTemplate{}, nil
	}
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[keys.Fold(n)] = true
	}
	ord, err := parseOrder(deployTemplatesTable, ListOptions{})
	if err != nil {
		return nil, err
	}
	sts, err := s.list(ctx, deployTemplatesTable, ord, func(rec protoreflect.Message) bool {
		return want[keys.Fold(str(rec, "name"))]
	})
	return records[*pb.DeployTemplate](sts), err
}
