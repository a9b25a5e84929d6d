package etcdstore_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// The cases of Ironic 21.4's tests/unit/db/test_deploy_templates.py, and
// the store's own rules for steps.

func raidStep() map[string]any {
	return map[string]any{"interface": "raid", "step": "create_configuration",
		"args": map[string]any{"logical_disks": []any{}}, "priority": 10}
}

func biosStep() map[string]any {
	return map[string]any{"interface": "bios", "step": "apply_configuration", "args": map[string]any{}, "priority": 50}
}

// mustTemplate is db_utils.create_test_deploy_template: CUSTOM_DT1 with
// one raid step unless values say otherwise.
func (f *fixture) mustTemplate(t *testing.T, values etcdstore.Values) *pb.DeployTemplate {
	t.Helper()
	return mustCreate(t, f, f.CreateDeployTemplate, etcdstore.Values{"name": "CUSTOM_DT1", "steps": []any{raidStep()}, "extra": map[string]any{}}, values)
}

func TestDeployTemplateCreate(t *testing.T) {
	f := newFixture(t)
	tmpl := f.mustTemplate(t, nil)
	if tmpl.Name != "CUSTOM_DT1" || len(tmpl.Steps) != 1 || string(tmpl.Extra) != "{}" || tmpl.Uuid == "" {
		t.Fatalf("created %v", tmpl)
	}
	st := tmpl.Steps[0]
	if st.DeployTemplateId != tmpl.Id || st.Interface != "raid" || st.Step != "create_configuration" ||
		string(st.Args) != `{"logical_disks":[]}` || st.Priority != 10 || st.Id == 0 || st.CreatedAt == nil {
		t.Fatalf("step %v", st)
	}
	got, err := f.GetDeployTemplateByID(f.ctx, tmpl.Id)
	if err != nil || got.Steps[0].Id != st.Id || got.Steps[0].DeployTemplateId != tmpl.Id {
		t.Fatalf("read back %v %v", got, err)
	}
	// An explicit template id gets its steps too.
	other := f.mustTemplate(t, etcdstore.Values{"id": 777, "name": "CUSTOM_DT7"})
	if other.Id != 777 || other.Steps[0].DeployTemplateId != 777 || other.Steps[0].Id == st.Id {
		t.Fatalf("explicit id: %v", other)
	}
}

func TestDeployTemplateCreateNoSteps(t *testing.T) {
	f := newFixture(t)
	tmpl := f.mustTemplate(t, etcdstore.Values{"uuid": uuidA, "name": "CUSTOM_DT2", "steps": []any{}})
	if len(tmpl.Steps) != 0 {
		t.Fatal(tmpl.Steps)
	}
	got, err := f.GetDeployTemplateByUUID(f.ctx, uuidA)
	if err != nil || len(got.Steps) != 0 {
		t.Fatal(got, err)
	}
}

func TestDeployTemplateCreateDuplicates(t *testing.T) {
	f := newFixture(t)
	tmpl := f.mustTemplate(t, nil)
	_, err := f.CreateDeployTemplate(f.ctx, etcdstore.Values{"uuid": tmpl.Uuid, "name": "CUSTOM_DT2"})
	wantErr(t, err, etcdstore.ErrDeployTemplateAlreadyExists)
	_, err = f.CreateDeployTemplate(f.ctx, etcdstore.Values{"uuid": uuidB, "name": tmpl.Name})
	wantErr(t, err, etcdstore.ErrDeployTemplateDuplicateName)
	// Both taken: the name is reported, as 21.4 checks it first.
	_, err = f.CreateDeployTemplate(f.ctx, etcdstore.Values{"uuid": tmpl.Uuid, "name": "custom_dt1"})
	wantErr(t, err, etcdstore.ErrDeployTemplateDuplicateName)
	_, err = f.CreateDeployTemplate(f.ctx, etcdstore.Values{"id": tmpl.Id, "name": "CUSTOM_DT3"})
	wantErr(t, err, etcdstore.ErrDeployTemplateAlreadyExists)
	list, _ := f.GetDeployTemplateList(f.ctx, etcdstore.ListOptions{})
	if len(list) != 1 {
		t.Fatalf("a refused create wrote: %v", list)
	}
}

func TestDeployTemplateCreateInvalidSteps(t *testing.T) {
	f := newFixture(t)
	noInterface := raidStep()
	delete(noInterface, "interface")
	noPriority := raidStep()
	delete(noPriority, "priority")
	unknown := raidStep()
	unknown["color"] = "red"
	nullStep := raidStep()
	nullStep["step"] = nil
	listArgs := raidStep()
	listArgs["args"] = []any{1}
	for name, steps := range map[string]any{
		"no interface": []any{noInterface}, "no priority": []any{noPriority}, "unknown field": []any{unknown},
		"null step": []any{nullStep}, "args a list": []any{listArgs}, "not a list": "raid",
		"not a dict": []any{"raid"},
	} {
		_, err := f.CreateDeployTemplate(f.ctx, etcdstore.Values{"name": "CUSTOM_DT2", "steps": steps})
		if !isInvalid(err) {
			t.Errorf("%s: got %v, want InvalidParameterValue", name, err)
		}
	}
	_, err := f.CreateDeployTemplate(f.ctx, etcdstore.Values{"steps": []any{}})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue) // name is NOT NULL
	if keys := f.keysUnder(t); len(keys) > 1 {          // the id counter of steps at most
		t.Fatalf("refused creates wrote %v", keys)
	}
	// Echoed columns of a step read back are accepted and ignored.
	echoed := raidStep()
	echoed["id"], echoed["deploy_template_id"], echoed["created_at"] = 5, 6, nil
	tmpl := f.mustTemplate(t, etcdstore.Values{"steps": []any{echoed}})
	if tmpl.Steps[0].Id == 5 || tmpl.Steps[0].DeployTemplateId != tmpl.Id {
		t.Fatalf("echoed step columns were used: %v", tmpl.Steps[0])
	}
}

func isInvalid(err error) bool {
	return err != nil && errors.Is(err, etcdstore.ErrInvalidParameterValue)
}

func TestDeployTemplateUpdateName(t *testing.T) {
	f := newFixture(t)
	tmpl := f.mustTemplate(t, nil)
	got, err := f.UpdateDeployTemplate(f.ctx, id(tmpl.Id), etcdstore.Values{"name": "CUSTOM_DT2"})
	if err != nil || got.Name != "CUSTOM_DT2" || len(got.Steps) != 1 || got.Steps[0].Id != tmpl.Steps[0].Id {
		t.Fatal(got, err)
	}
	if _, err := f.GetDeployTemplateByName(f.ctx, "CUSTOM_DT1"); !errors.Is(err, etcdstore.ErrDeployTemplateNotFound) {
		t.Fatalf("the old name still finds it: %v", err)
	}
	// The old name is free again.
	f.mustTemplate(t, nil)
}

func TestDeployTemplateUpdateStepsReplace(t *testing.T) {
	f := newFixture(t)
	tmpl := f.mustTemplate(t, nil)
	got, err := f.UpdateDeployTemplate(f.ctx, id(tmpl.Id), etcdstore.Values{"steps": []any{biosStep()}})
	if err != nil || len(got.Steps) != 1 {
		t.Fatal(got, err)
	}
	st := got.Steps[0]
	if st.Interface != "bios" || st.Step != "apply_configuration" || string(st.Args) != "{}" || st.Priority != 50 ||
		st.Id == tmpl.Steps[0].Id || st.DeployTemplateId != tmpl.Id {
		t.Fatalf("step %v", st)
	}
}

func TestDeployTemplateUpdateStepsAdd(t *testing.T) {
	f := newFixture(t)
	tmpl := f.mustTemplate(t, nil)
	// The current step given back as read (a record, as 21.4's test does).
	got, err := f.UpdateDeployTemplate(f.ctx, tmpl.Uuid, etcdstore.Values{"steps": []*pb.DeployTemplateStep{tmpl.Steps[0], mustStep(t, biosStep())}})
	if err != nil || len(got.Steps) != 2 {
		t.Fatal(got, err)
	}
	s0, s1 := got.Steps[0], got.Steps[1]
	if s0.Id != tmpl.Steps[0].Id || s0.Interface != "raid" || string(s0.Args) != `{"logical_disks":[]}` || s0.Priority != 10 ||
		!s0.CreatedAt.AsTime().Equal(tmpl.Steps[0].CreatedAt.AsTime()) {
		t.Fatalf("the kept step changed: %v", s0)
	}
	if s1.Id == s0.Id || s1.Interface != "bios" || s1.Priority != 50 || string(s1.Args) != "{}" {
		t.Fatalf("the added step: %v", s1)
	}
	read, _ := f.GetDeployTemplateByID(f.ctx, tmpl.Id)
	if len(read.Steps) != 2 || read.Steps[0].Id != s0.Id || read.Steps[1].Id != s1.Id {
		t.Fatalf("read back %v", read.Steps)
	}
}

func mustStep(t *testing.T, m map[string]any) *pb.DeployTemplateStep {
	t.Helper()
	return &pb.DeployTemplateStep{Interface: m["interface"].(string), Step: m["step"].(string), Args: []byte("{}"), Priority: int64(m["priority"].(int))}
}

func TestDeployTemplateUpdateStepsReplaceArgs(t *testing.T) {
	f := newFixture(t)
	tmpl := f.mustTemplate(t, nil)
	step := raidStep()
	step["id"] = tmpl.Steps[0].Id
	step["args"] = map[string]any{"foo": "bar"}
	got, err := f.UpdateDeployTemplate(f.ctx, id(tmpl.Id), etcdstore.Values{"steps": []any{step}})
	if err != nil || len(got.Steps) != 1 || string(got.Steps[0].Args) != `{"foo":"bar"}` {
		t.Fatal(got, err)
	}
	if got.Steps[0].Id == tmpl.Steps[0].Id {
		t.Fatal("a changed step kept its id: it is deleted and created again")
	}
}

// Steps match on interface, step, args (key order aside) and priority;
// equal steps given twice are two steps.
func TestDeployTemplateUpdateStepsMatching(t *testing.T) {
	f := newFixture(t)
	two := map[string]any{"interface": "raid", "step": "s", "args": map[string]any{"a": 1, "b": 2}, "priority": 1}
	tmpl := f.mustTemplate(t, etcdstore.Values{"steps": []any{two}})
	rev := f.revision(t)
	same, err := f.UpdateDeployTemplate(f.ctx, id(tmpl.Id), etcdstore.Values{"steps": []any{
		map[string]any{"interface": "raid", "step": "s", "args": map[string]any{"b": 2, "a": 1}, "priority": 1}}})
	if err != nil || same.Steps[0].Id != tmpl.Steps[0].Id || f.revision(t) != rev || same.UpdatedAt != nil {
		t.Fatalf("an equal step list wrote: %v %v", same, err)
	}
	twice, err := f.UpdateDeployTemplate(f.ctx, id(tmpl.Id), etcdstore.Values{"steps": []any{two, two}})
	if err != nil || len(twice.Steps) != 2 || twice.Steps[0].Id != tmpl.Steps[0].Id || twice.Steps[1].Id == tmpl.Steps[0].Id {
		t.Fatal(twice, err)
	}
	for _, prio := range []int{1, 2} {
		changed := map[string]any{"interface": "raid", "step": "s", "args": map[string]any{"a": 1, "b": 2}, "priority": prio}
		got, err := f.UpdateDeployTemplate(f.ctx, id(tmpl.Id), etcdstore.Values{"steps": []any{changed}})
		if err != nil || len(got.Steps) != 1 {
			t.Fatal(got, err)
		}
		if keep := prio == 1; (got.Steps[0].Id == tmpl.Steps[0].Id) != keep {
			t.Fatalf("priority %d: step id %d, first step %d", prio, got.Steps[0].Id, tmpl.Steps[0].Id)
		}
	}
}

func TestDeployTemplateUpdateStepsRemoveAllAndExtra(t *testing.T) {
	f := newFixture(t)
	tmpl := f.mustTemplate(t, nil)
	got, err := f.UpdateDeployTemplate(f.ctx, id(tmpl.Id), etcdstore.Values{"steps": []any{}})
	if err != nil || len(got.Steps) != 0 || got.UpdatedAt == nil {
		t.Fatal(got, err)
	}
	got, err = f.UpdateDeployTemplate(f.ctx, id(tmpl.Id), etcdstore.Values{"extra": map[string]any{"foo": "bar"}, "steps": nil})
	if err != nil || string(got.Extra) != `{"foo":"bar"}` || len(got.Steps) != 0 {
		t.Fatal(got, err)
	}
}

func TestDeployTemplateUpdateErrors(t *testing.T) {
	f := newFixture(t)
	tmpl := f.mustTemplate(t, nil)
	other := f.mustTemplate(t, etcdstore.Values{"name": "CUSTOM_DT2"})
	_, err := f.UpdateDeployTemplate(f.ctx, id(other.Id), etcdstore.Values{"name": tmpl.Name})
	wantErr(t, err, etcdstore.ErrDeployTemplateDuplicateName)
	_, err = f.UpdateDeployTemplate(f.ctx, "123", etcdstore.Values{})
	wantErr(t, err, etcdstore.ErrDeployTemplateNotFound)
	_, err = f.UpdateDeployTemplate(f.ctx, id(tmpl.Id), etcdstore.Values{"uuid": uuidA})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	// uuid is refused before the identity is looked at, as in 21.4.
	_, err = f.UpdateDeployTemplate(f.ctx, "not-an-ident", etcdstore.Values{"uuid": uuidA})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	_, err = f.UpdateDeployTemplate(f.ctx, "not-an-ident", etcdstore.Values{})
	wantErr(t, err, etcdstore.ErrInvalidIdentity)
	// A missing template wins over bad steps.
	_, err = f.UpdateDeployTemplate(f.ctx, uuidC, etcdstore.Values{"steps": "x"})
	wantErr(t, err, etcdstore.ErrDeployTemplateNotFound)
	_, err = f.UpdateDeployTemplate(f.ctx, id(tmpl.Id), etcdstore.Values{"steps": []any{map[string]any{"step": "x"}}})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	_, err = f.UpdateDeployTemplate(f.ctx, id(tmpl.Id), etcdstore.Values{"id": 9})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	got, _ := f.GetDeployTemplateByID(f.ctx, tmpl.Id)
	if got.UpdatedAt != nil || got.Steps[0].Id != tmpl.Steps[0].Id {
		t.Fatalf("a refused update wrote: %v", got)
	}
}

func TestDeployTemplateDestroy(t *testing.T) {
	f := newFixture(t)
	tmpl := f.mustTemplate(t, nil)
	if err := f.DestroyDeployTemplate(f.ctx, tmpl.Id); err != nil {
		t.Fatal(err)
	}
	_, err := f.GetDeployTemplateByID(f.ctx, tmpl.Id)
	wantErr(t, err, etcdstore.ErrDeployTemplateNotFound)
	wantErr(t, f.DestroyDeployTemplate(f.ctx, tmpl.Id), etcdstore.ErrDeployTemplateNotFound)
	if keys := f.keysUnder(t); slices.ContainsFunc(keys, func(k string) bool { return !strings.HasPrefix(k, "ids/") }) {
		t.Fatalf("left behind: %v", keys)
	}
	f.mustTemplate(t, nil) // name and uuid free again
}

func TestDeployTemplateGets(t *testing.T) {
	f := newFixture(t)
	tmpl := f.mustTemplate(t, nil)
	for name, get := range map[string]func() (*pb.DeployTemplate, error){
		"id":   func() (*pb.DeployTemplate, error) { return f.GetDeployTemplateByID(f.ctx, tmpl.Id) },
		"uuid": func() (*pb.DeployTemplate, error) { return f.GetDeployTemplateByUUID(f.ctx, tmpl.Uuid) },
		"name": func() (*pb.DeployTemplate, error) { return f.GetDeployTemplateByName(f.ctx, tmpl.Name) },
		"name in another case": func() (*pb.DeployTemplate, error) {
			return f.GetDeployTemplateByName(f.ctx, "custom_dt1")
		},
	} {
		got, err := get()
		if err != nil || got.Id != tmpl.Id || len(got.Steps) != 1 || got.Steps[0].DeployTemplateId != tmpl.Id {
			t.Fatalf("by %s: %v %v", name, got, err)
		}
	}
	_, err := f.GetDeployTemplateByID(f.ctx, -1)
	wantErr(t, err, etcdstore.ErrDeployTemplateNotFound)
	_, err = f.GetDeployTemplateByUUID(f.ctx, uuidC)
	wantErr(t, err, etcdstore.ErrDeployTemplateNotFound)
	_, err = f.GetDeployTemplateByName(f.ctx, "bogus")
	wantErr(t, err, etcdstore.ErrDeployTemplateNotFound)
}

// _template_list_preparation: CUSTOM_DT1..3.
func (f *fixture) threeTemplates(t *testing.T) []string {
	uuids := []string{f.mustTemplate(t, nil).Uuid}
	for _, n := range []string{"CUSTOM_DT2", "CUSTOM_DT3"} {
		uuids = append(uuids, f.mustTemplate(t, etcdstore.Values{"name": n}).Uuid)
	}
	return uuids
}

func TestDeployTemplateList(t *testing.T) {
	f := newFixture(t)
	uuids := f.threeTemplates(t)
	list, err := f.GetDeployTemplateList(f.ctx, etcdstore.ListOptions{})
	if err != nil || len(list) != 3 {
		t.Fatal(list, err)
	}
	sorted, err := f.GetDeployTemplateList(f.ctx, etcdstore.ListOptions{SortKey: "uuid"})
	var got []string
	for _, tm := range sorted {
		got = append(got, tm.Uuid)
	}
	slices.Sort(uuids)
	if err != nil || !slices.Equal(got, uuids) {
		t.Fatalf("sorted by uuid: %v %v", got, err)
	}
	for _, key := range []string{"foo", "steps"} {
		_, err = f.GetDeployTemplateList(f.ctx, etcdstore.ListOptions{SortKey: key})
		wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	}
	page, err := f.GetDeployTemplateList(f.ctx, etcdstore.ListOptions{Limit: etcdstore.Limit(1), Marker: list[0]})
	if err != nil || len(page) != 1 || page[0].Id != list[1].Id {
		t.Fatal(page, err)
	}
}

func TestDeployTemplateListByNames(t *testing.T) {
	f := newFixture(t)
	f.threeTemplates(t)
	list, err := f.GetDeployTemplateListByNames(f.ctx, []string{"CUSTOM_DT2", "custom_dt3", "CUSTOM_FOO"})
	if err != nil || len(list) != 2 || list[0].Name != "CUSTOM_DT2" || list[1].Name != "CUSTOM_DT3" || len(list[0].Steps) != 1 {
		t.Fatal(list, err)
	}
	none, err := f.GetDeployTemplateListByNames(f.ctx, []string{"CUSTOM_FOO"})
	if err != nil || len(none) != 0 {
		t.Fatal(none, err)
	}
	none, err = f.GetDeployTemplateListByNames(f.ctx, nil)
	if err != nil || len(none) != 0 {
		t.Fatal(none, err)
	}
}

// 16 writers of one template name, through different Stores: one wins.
func TestConcurrentDeployTemplateName(t *testing.T) {
	f := newFixture(t)
	errs := f.concurrently(t, func(i int, s *etcdstore.Store) error {
		_, err := s.CreateDeployTemplate(f.ctx, etcdstore.Values{"name": "CUSTOM_CONTESTED", "steps": []any{raidStep()}})
		return err
	})
	exactlyOneWins(t, errs, etcdstore.ErrDeployTemplateDuplicateName)
}

// 16 templates renamed to one name at once: one wins, the others keep
// their names.
func TestConcurrentDeployTemplateRename(t *testing.T) {
	f := newFixture(t)
	var ids []int64
	for i := 0; i < 16; i++ {
		ids = append(ids, f.mustTemplate(t, etcdstore.Values{"name": "CUSTOM_R" + id(int64(i))}).Id)
	}
	errs := f.concurrently(t, func(i int, s *etcdstore.Store) error {
		_, err := s.UpdateDeployTemplate(f.ctx, id(ids[i]), etcdstore.Values{"name": "CUSTOM_TARGET"})
		return err
	})
	exactlyOneWins(t, errs, etcdstore.ErrDeployTemplateDuplicateName)
	for i, err := range errs {
		got, gerr := f.GetDeployTemplateByID(f.ctx, ids[i])
		if gerr != nil || (err == nil) != (got.Name == "CUSTOM_TARGET") {
			t.Fatalf("template %d: %v %v (update: %v)", i, got, gerr, err)
		}
	}
}

// 16 writers of one template uuid under different names: one wins.
func TestConcurrentDeployTemplateUUID(t *testing.T) {
	f := newFixture(t)
	errs := f.concurrently(t, func(i int, s *etcdstore.Store) error {
		_, err := s.CreateDeployTemplate(f.ctx, etcdstore.Values{"uuid": uuidA, "name": "CUSTOM_U" + id(int64(i))})
		return err
	})
	exactlyOneWins(t, errs, etcdstore.ErrDeployTemplateAlreadyExists)
}
