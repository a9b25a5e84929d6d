package etcdstore_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

const (
	uuidA = "1be26c0b-03f2-4d2e-ae87-c02d7f33c123"
	uuidB = "2be26c0b-03f2-4d2e-ae87-c02d7f33c123"
	uuidC = "3be26c0b-03f2-4d2e-ae87-c02d7f33c123"
)

func TestCreateNodeDefaults(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, etcdstore.Values{"driver": "ipmi", "extra": nil})
	if n.Uuid == "" || n.GetProvisionState() != "enroll" || n.PowerState != nil || n.Maintenance || n.ConsoleEnabled ||
		string(n.Extra) != "{}" || string(n.Properties) != "{}" || n.Tags != nil || !n.CreatedAt.AsTime().Equal(epoch) || n.UpdatedAt != nil {
		t.Fatalf("defaults: %v", n)
	}
	// An explicit null provision_state stays null.
	n2 := f.mustNode(t, etcdstore.Values{"provision_state": nil, "maintenance": nil})
	if n2.ProvisionState != nil || n2.Maintenance {
		t.Fatalf("explicit nulls: %v", n2)
	}
	got, err := f.GetNodeByID(f.ctx, n.Id)
	if err != nil || got.Uuid != n.Uuid || len(got.GetTags()) != 0 {
		t.Fatal(got, err)
	}
}

func TestCreateNodeRefusesTagsEvenEmpty(t *testing.T) {
	f := newFixture(t)
	for _, tags := range []any{[]string{}, []string{"a"}, nil} {
		_, err := f.CreateNode(f.ctx, etcdstore.Values{"tags": tags})
		wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	}
	if k := f.keysUnder(t); len(k) != 0 {
		t.Fatalf("refused creates wrote %v", k)
	}
}

// Clashes are reported name first, then instance_uuid, then uuid or id.
func TestCreateNodeClashOrder(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, etcdstore.Values{"uuid": uuidA, "name": "n1", "instance_uuid": uuidB})
	before := f.keysUnder(t)
	cases := []struct {
		values etcdstore.Values
		want   error
	}{
		{etcdstore.Values{"uuid": uuidA, "name": "n1", "instance_uuid": uuidB}, etcdstore.ErrDuplicateName},
		{etcdstore.Values{"uuid": uuidA, "name": "n2", "instance_uuid": uuidB}, etcdstore.ErrInstanceAssociated},
		{etcdstore.Values{"uuid": uuidA, "name": "n2"}, etcdstore.ErrNodeAlreadyExists},
		{etcdstore.Values{"id": n.Id}, etcdstore.ErrNodeAlreadyExists},
	}
	for _, c := range cases {
		_, err := f.CreateNode(f.ctx, c.values)
		if !errors.Is(err, c.want) || !errors.Is(err, etcdstore.ErrConflict) {
			t.Errorf("%v: got %v, want %v", c.values, err, c.want)
		}
	}
	if !slices.Equal(before, f.keysUnder(t)) {
		t.Fatal("refused creates changed the key space")
	}
	// NULL never collides: many nodes without a name or instance.
	for i := 0; i < 3; i++ {
		f.mustNode(t, etcdstore.Values{"name": nil, "instance_uuid": nil})
	}
}

func TestNodeIDs(t *testing.T) {
	f := newFixture(t, etcdstore.WithIDBlock(4))
	explicit := f.mustNode(t, etcdstore.Values{"id": 3})
	var ids []int64
	for i := 0; i < 10; i++ {
		ids = append(ids, f.mustNode(t, nil).Id)
	}
	if !slices.IsSorted(ids) || slices.Contains(ids, explicit.Id) {
		t.Fatalf("auto ids %v (explicit %d)", ids, explicit.Id)
	}
	// Another Store on the same prefix takes other blocks.
	other := newFixture(t, etcdstore.WithPrefix(f.prefix))
	o := other.mustNode(t, nil)
	if slices.Contains(ids, o.Id) || o.Id == explicit.Id {
		t.Fatalf("second store reused id %d", o.Id)
	}
	for _, bad := range []any{0, -1, "7", 1.5} {
		_, err := f.CreateNode(f.ctx, etcdstore.Values{"id": bad})
		wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	}
}

func TestJSONColumnsRoundTrip(t *testing.T) {
	f := newFixture(t)
	big := json.Number("123456789012345678901234567890")
	props := map[string]any{
		"nested":  map[string]any{"a": []any{1, "two", nil, true, map[string]any{}}},
		"big":     big,
		"int64":   int64(9007199254740993), // 2^53 + 1
		"unicode": "ノード ✓ \u00e9",
		"empty":   "",
		"html":    "<a&b>",
	}
	n := f.mustNode(t, etcdstore.Values{"properties": props, "driver_info": json.RawMessage(`{"x": 1e400}`)})
	got, err := f.GetNodeByUUID(f.ctx, n.Uuid)
	if err != nil {
		t.Fatal(err)
	}
	v, err := etcdstore.DecodeJSON(got.Properties)
	if err != nil {
		t.Fatal(err)
	}
	m := v.(map[string]any)
	if m["big"].(json.Number) != big || m["int64"].(json.Number) != "9007199254740993" || m["unicode"] != props["unicode"] ||
		m["empty"] != "" || m["html"] != "<a&b>" {
		t.Fatalf("properties came back as %s", got.Properties)
	}
	if _, absent := m["absent"]; absent {
		t.Fatal("absent key present")
	}
	if string(got.DriverInfo) != `{"x":1e400}` {
		t.Fatalf("raw JSON not kept digit for digit: %s", got.DriverInfo)
	}
	for _, bad := range []any{"a string", []any{1}, json.RawMessage(`{`), map[string]any{"f": func() {}}} {
		_, err := f.CreateNode(f.ctx, etcdstore.Values{"extra": bad})
		wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	}
}

func TestBadNodeInputWritesNothing(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, etcdstore.Values{"name": "ok"})
	before := f.keysUnder(t)
	rev := f.revision(t)
	bad := []etcdstore.Values{
		{"uuid": "not-a-uuid"}, {"instance_uuid": "nope"}, {"name": "a/b"}, {"name": "tab\there"},
		{"name": strings.Repeat("n", 256)}, {"driver": strings.Repeat("d", 256)}, {"power_state": 7},
		{"maintenance": "yes"}, {"chassis_id": "1"}, {"properties": map[string]any{"x": strings.Repeat("p", 600<<10)}},
		{"last_error": strings.Repeat("e", 70<<10)}, {"no_such_column": 1}, {"reservation_revision": 5},
		{"name": string([]byte{0xff, 0xfe})}, {"created_at": "yesterday"},
	}
	for _, v := range bad {
		if _, err := f.CreateNode(f.ctx, v); !errors.Is(err, etcdstore.ErrInvalid) {
			t.Errorf("create %v: %v", v, err)
		}
		if _, err := f.UpdateNode(f.ctx, n.Uuid, v); !errors.Is(err, etcdstore.ErrInvalid) {
			t.Errorf("update %v: %v", v, err)
		}
	}
	if !slices.Equal(before, f.keysUnder(t)) || f.revision(t) != rev {
		t.Fatal("bad input changed the store")
	}
}

func TestGetNode(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, etcdstore.Values{"uuid": uuidA, "name": "n1", "instance_uuid": uuidB})
	for name, get := range map[string]func() (string, error){
		"id":       func() (string, error) { g, err := f.GetNodeByID(f.ctx, n.Id); return g.GetUuid(), err },
		"uuid":     func() (string, error) { g, err := f.GetNodeByUUID(f.ctx, uuidA); return g.GetUuid(), err },
		"name":     func() (string, error) { g, err := f.GetNodeByName(f.ctx, "n1"); return g.GetUuid(), err },
		"instance": func() (string, error) { g, err := f.GetNodeByInstance(f.ctx, uuidB); return g.GetUuid(), err },
	} {
		if u, err := get(); err != nil || u != uuidA {
			t.Fatalf("by %s: %q %v", name, u, err)
		}
	}
	_, err := f.GetNodeByID(f.ctx, 12345)
	wantErr(t, err, etcdstore.ErrNodeNotFound)
	_, err = f.GetNodeByUUID(f.ctx, uuidC)
	wantErr(t, err, etcdstore.ErrNodeNotFound)
	if g, err := f.GetNodeByUUID(f.ctx, strings.ToUpper(uuidA)); err != nil || g.Uuid != uuidA { // one uuid, any spelling
		t.Fatalf("by upper-case uuid: %v %v", g, err)
	}
	_, err = f.GetNodeByName(f.ctx, "n2")
	wantErr(t, err, etcdstore.ErrNodeNotFound)
	_, err = f.GetNodeByInstance(f.ctx, "not-a-uuid")
	wantErr(t, err, etcdstore.ErrInvalidUUID)
	_, err = f.GetNodeByInstance(f.ctx, uuidC)
	wantErr(t, err, etcdstore.ErrInstanceNotFound)
	// A renamed node is found by its new name only.
	if _, err := f.UpdateNode(f.ctx, uuidA, etcdstore.Values{"name": "n9"}); err != nil {
		t.Fatal(err)
	}
	_, err = f.GetNodeByName(f.ctx, "n1")
	wantErr(t, err, etcdstore.ErrNodeNotFound)
	if g, err := f.GetNodeByName(f.ctx, "n9"); err != nil || g.Id != n.Id {
		t.Fatal(g, err)
	}
}

func TestUpdateNodeChecksInOrder(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, etcdstore.Values{"instance_uuid": uuidB})
	other := f.mustNode(t, etcdstore.Values{"name": "taken", "instance_uuid": uuidC})
	_ = other
	_, err := f.UpdateNode(f.ctx, "not an identity", etcdstore.Values{"uuid": uuidA})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue) // uuid key first
	_, err = f.UpdateNode(f.ctx, "not an identity", etcdstore.Values{})
	wantErr(t, err, etcdstore.ErrInvalidIdentity)
	_, err = f.UpdateNode(f.ctx, "99999", etcdstore.Values{"instance_uuid": uuidA})
	wantErr(t, err, etcdstore.ErrNodeNotFound)
	_, err = f.UpdateNode(f.ctx, n.Uuid, etcdstore.Values{"instance_uuid": uuidB}) // even the same value
	wantErr(t, err, etcdstore.ErrNodeAssociated)
	var e *etcdstore.Error
	if !errors.As(err, &e) || e.Param("instance") != uuidB || e.Param("node") != n.Uuid {
		t.Fatalf("NodeAssociated params: %v", err)
	}
	if _, err := f.UpdateNode(f.ctx, n.Uuid, etcdstore.Values{"instance_uuid": nil}); err != nil {
		t.Fatal(err) // clearing is always allowed
	}
	_, err = f.UpdateNode(f.ctx, n.Uuid, etcdstore.Values{"instance_uuid": uuidC})
	wantErr(t, err, etcdstore.ErrInstanceAssociated)
	// The node parameter is the identity the caller gave (BEHAVIOUR §7.13).
	_, err = f.UpdateNode(f.ctx, id(n.Id), etcdstore.Values{"instance_uuid": uuidC})
	if !errors.As(err, &e) || !errors.Is(err, etcdstore.ErrInstanceAssociated) || e.Param("node") != id(n.Id) || e.Param("instance_uuid") != uuidC {
		t.Fatalf("InstanceAssociated params: %v", err)
	}
	_, err = f.UpdateNode(f.ctx, n.Uuid, etcdstore.Values{"name": "taken"})
	wantErr(t, err, etcdstore.ErrDuplicateName)
	for _, k := range []string{"id", "tags"} {
		_, err = f.UpdateNode(f.ctx, n.Uuid, etcdstore.Values{k: nil})
		wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	}
}

func TestUpdateNodeTimestamps(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, etcdstore.Values{"provision_state": "manageable"})
	step := func(state string) (started, finished *time.Time) {
		t.Helper()
		f.clock.Advance(time.Minute)
		got, err := f.UpdateNode(f.ctx, id(n.Id), etcdstore.Values{"provision_state": state})
		if err != nil {
			t.Fatal(err)
		}
		if !got.ProvisionUpdatedAt.AsTime().Equal(f.clock.Now()) || !got.UpdatedAt.AsTime().Equal(f.clock.Now()) {
			t.Fatalf("%s: provision_updated_at %v updated_at %v", state, got.ProvisionUpdatedAt.AsTime(), got.UpdatedAt.AsTime())
		}
		if got.InspectionStartedAt != nil {
			s := got.InspectionStartedAt.AsTime()
			started = &s
		}
		if got.InspectionFinishedAt != nil {
			e := got.InspectionFinishedAt.AsTime()
			finished = &e
		}
		return
	}
	s, e := step("inspecting")
	if s == nil || !s.Equal(f.clock.Now()) || e != nil {
		t.Fatalf("inspecting: %v %v", s, e)
	}
	s, e = step("manageable")
	if s != nil || e == nil || !e.Equal(f.clock.Now()) {
		t.Fatalf("inspecting -> manageable: %v %v", s, e)
	}
	finished := *e
	step("inspecting")
	s, e = step("inspect failed")
	if s != nil || e != nil {
		t.Fatalf("inspecting -> inspect failed: started %v finished %v", s, e) // started cleared; finished was cleared by inspecting
	}
	_ = finished
	s, e = step("inspect failed") // unchanged state still stamps provision_updated_at
	if s != nil || e != nil {
		t.Fatalf("%v %v", s, e)
	}
	// A caller-supplied updated_at wins.
	when := epoch.Add(-24 * time.Hour)
	got, err := f.UpdateNode(f.ctx, id(n.Id), etcdstore.Values{"driver": "x", "updated_at": when})
	if err != nil || !got.UpdatedAt.AsTime().Equal(when) {
		t.Fatal(got, err)
	}
	f.clock.Advance(time.Minute)
	if err := f.TouchNodeProvisioning(f.ctx, n.Uuid); err != nil {
		t.Fatal(err)
	}
	got, _ = f.GetNodeByID(f.ctx, n.Id)
	if !got.ProvisionUpdatedAt.AsTime().Equal(f.clock.Now()) {
		t.Fatal(got.ProvisionUpdatedAt.AsTime())
	}
	wantErr(t, f.TouchNodeProvisioning(f.ctx, "4444"), etcdstore.ErrNodeNotFound)
	wantErr(t, f.TouchNodeProvisioning(f.ctx, "x"), etcdstore.ErrInvalidIdentity)
}

// An update that changes nothing makes no new etcd revision.
func TestNoOpUpdateWritesNothing(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, etcdstore.Values{"driver": "ipmi"})
	rev := f.revision(t)
	got, err := f.UpdateNode(f.ctx, n.Uuid, etcdstore.Values{"driver": "ipmi"})
	if err != nil || got.GetDriver() != "ipmi" {
		t.Fatal(got, err)
	}
	if f.revision(t) != rev {
		t.Fatal("a no-op update wrote")
	}
}

func TestDestroyNodeErrors(t *testing.T) {
	f := newFixture(t)
	wantErr(t, f.DestroyNode(f.ctx, "777"), etcdstore.ErrNodeNotFound)
	wantErr(t, f.DestroyNode(f.ctx, uuidA), etcdstore.ErrNodeNotFound)
	wantErr(t, f.DestroyNode(f.ctx, "node-name"), etcdstore.ErrInvalidIdentity)
	n := f.mustNode(t, etcdstore.Values{"name": "gone"})
	if err := f.DestroyNode(f.ctx, id(n.Id)); err != nil {
		t.Fatal(err)
	}
	_, err := f.GetNodeByName(f.ctx, "gone")
	wantErr(t, err, etcdstore.ErrNodeNotFound)
	f.mustNode(t, etcdstore.Values{"name": "gone"}) // the name is free again
}
