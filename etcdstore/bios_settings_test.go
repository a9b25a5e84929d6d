package etcdstore_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// BIOS settings, from ironic/tests/unit/db/test_bios_settings.py (21.4.4).

func biosSettingList() []etcdstore.Values {
	return []etcdstore.Values{
		{"name": "virtualization", "value": "on"},
		{"name": "hyperthread", "value": "enabled"},
		{"name": "numlock", "value": "off"},
	}
}

// createTestBIOSSetting is db_utils.create_test_bios_setting.
func (f *fixture) createTestBIOSSetting(t *testing.T, nodeID int64) *pb.BIOSSetting {
	t.Helper()
	got, err := f.CreateBIOSSettingList(f.ctx, nodeID, []etcdstore.Values{{"name": "virtualization", "value": "on",
		"attribute_type": "Enumeration", "allowable_values": []string{"on", "off"}, "read_only": false,
		"reset_required": true, "unique": false}}, "1.1")
	if err != nil || len(got) != 1 {
		t.Fatal(got, err)
	}
	return got[0]
}

func biosField(rows []*pb.BIOSSetting, get func(*pb.BIOSSetting) string) []string {
	out := []string{}
	for _, r := range rows {
		out = append(out, get(r))
	}
	return out
}

func TestGetBIOSSetting(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	created := f.createTestBIOSSetting(t, n.Id)
	got, err := f.GetBIOSSetting(f.ctx, n.Id, "virtualization")
	if err != nil || got.NodeId != n.Id || got.Name != "virtualization" || got.GetValue() != "on" || got.GetVersion() != "1.1" {
		t.Fatal(got, err)
	}
	if !proto.Equal(got, created) || string(got.AllowableValues) != `["on","off"]` || !got.GetResetRequired() || got.ReadOnly == nil ||
		got.LowerBound != nil || got.CreatedAt == nil || got.UpdatedAt != nil {
		t.Fatalf("row %v, created %v", got, created)
	}
	_, err = f.GetBIOSSetting(f.ctx, 456, "virtualization")
	wantErr(t, err, etcdstore.ErrNodeNotFound)
	_, err = f.GetBIOSSetting(f.ctx, n.Id, "bios_name")
	wantErr(t, err, etcdstore.ErrBIOSSettingNotFound)
	var e *etcdstore.Error
	if !errors.As(err, &e) || e.Param("name") != "bios_name" || e.Param("node") != id(n.Id) {
		t.Fatal(err)
	}
	// A node without any settings record.
	other := f.mustNode(t, nil)
	_, err = f.GetBIOSSetting(f.ctx, other.Id, "virtualization")
	wantErr(t, err, etcdstore.ErrBIOSSettingNotFound)
}

func TestGetBIOSSettingList(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	if got, err := f.GetBIOSSettingList(f.ctx, n.Id); err != nil || got == nil || len(got) != 0 {
		t.Fatal(got, err)
	}
	f.createTestBIOSSetting(t, n.Id)
	got, err := f.GetBIOSSettingList(f.ctx, n.Id)
	if err != nil || len(got) != 1 || got[0].NodeId != n.Id || got[0].Name != "virtualization" || got[0].GetValue() != "on" || got[0].GetVersion() != "1.1" {
		t.Fatal(got, err)
	}
	_, err = f.GetBIOSSettingList(f.ctx, 456)
	wantErr(t, err, etcdstore.ErrNodeNotFound)
}

func TestCreateBIOSSettingList(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	got, err := f.CreateBIOSSettingList(f.ctx, n.Id, biosSettingList(), "1.1")
	if err != nil || !slices.Equal(biosField(got, func(b *pb.BIOSSetting) string { return b.Name }), []string{"virtualization", "hyperthread", "numlock"}) ||
		!slices.Equal(biosField(got, (*pb.BIOSSetting).GetValue), []string{"on", "enabled", "off"}) {
		t.Fatal(got, err)
	}
	if string(got[0].AllowableValues) != "[]" || got[0].AttributeType != nil || got[0].ReadOnly != nil {
		t.Fatalf("absent columns are NULL ([] for allowable_values): %v", got[0])
	}
	// More settings later land beside them.
	if _, err := f.CreateBIOSSettingList(f.ctx, n.Id, []etcdstore.Values{{"name": "boot", "value": nil, "lower_bound": 1}}, "1.1"); err != nil {
		t.Fatal(err)
	}
	list, _ := f.GetBIOSSettingList(f.ctx, n.Id)
	if len(list) != 4 || list[3].Value != nil || list[3].GetLowerBound() != 1 {
		t.Fatal(list)
	}
	// Duplicates (with the node's, or within the list) write nothing.
	before := f.keysUnder(t)
	rev := f.revision(t)
	_, err = f.CreateBIOSSettingList(f.ctx, n.Id, biosSettingList(), "1.0")
	wantErr(t, err, etcdstore.ErrBIOSSettingAlreadyExists)
	wantErr(t, err, etcdstore.ErrConflict)
	_, err = f.CreateBIOSSettingList(f.ctx, n.Id, []etcdstore.Values{{"name": "x", "value": "1"}, {"name": "x", "value": "2"}}, "1.0")
	wantErr(t, err, etcdstore.ErrBIOSSettingAlreadyExists)
	other := f.mustNode(t, nil)
	before = f.keysUnder(t)
	rev = f.revision(t)
	_, err = f.CreateBIOSSettingList(f.ctx, other.Id, []etcdstore.Values{{"name": "x", "value": "1"}, {"name": "x", "value": "2"}}, "1.0")
	wantErr(t, err, etcdstore.ErrBIOSSettingAlreadyExists)
	if f.revision(t) != rev || !slices.Equal(before, f.keysUnder(t)) {
		t.Fatal("a refused create wrote")
	}
	// Nothing to create: no record, no error.
	if got, err := f.CreateBIOSSettingList(f.ctx, other.Id, nil, "1.0"); err != nil || len(got) != 0 || f.revision(t) != rev {
		t.Fatal(got, err)
	}
	_, err = f.CreateBIOSSettingList(f.ctx, 456, nil, "1.0")
	wantErr(t, err, etcdstore.ErrNodeNotFound)
	// NodeNotFound comes before bad input, as in 21.4.
	_, err = f.CreateBIOSSettingList(f.ctx, 456, []etcdstore.Values{{"value": "no name"}}, "1.0")
	wantErr(t, err, etcdstore.ErrNodeNotFound)
	for _, bad := range []etcdstore.Values{{"value": "no name"}, {"name": "no value"}, {"name": 7, "value": "x"},
		{"name": "x", "value": "x", "read_only": "yes"}, {"name": "x", "value": "x", "allowable_values": map[string]any{}},
		{"name": "x", "value": "x", "lower_bound": 1.5}} {
		_, err = f.CreateBIOSSettingList(f.ctx, other.Id, []etcdstore.Values{bad}, "1.0")
		wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	}
	// Keys 21.4 does not read are ignored, as it does.
	got, err = f.CreateBIOSSettingList(f.ctx, other.Id, []etcdstore.Values{{"name": "y", "value": "1", "node_id": 999, "created_at": "x"}}, "1.0")
	if err != nil || got[0].NodeId != other.Id {
		t.Fatal(got, err)
	}
}

func TestUpdateBIOSSettingList(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	created, err := f.CreateBIOSSettingList(f.ctx, n.Id, []etcdstore.Values{{"name": "virtualization", "value": "on", "attribute_type": "Enumeration"},
		{"name": "hyperthread", "value": "enabled"}, {"name": "numlock", "value": "off"}}, "1.1")
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(1e9)
	got, err := f.UpdateBIOSSettingList(f.ctx, n.Id, []etcdstore.Values{{"name": "virtualization", "value": "off"},
		{"name": "hyperthread", "value": "disabled"}, {"name": "numlock", "value": "off"}}, "1.1")
	if err != nil || !slices.Equal(biosField(got, (*pb.BIOSSetting).GetValue), []string{"off", "disabled", "off"}) {
		t.Fatal(got, err)
	}
	if got[0].AttributeType != nil || got[0].UpdatedAt == nil || !proto.Equal(got[0].CreatedAt, created[0].CreatedAt) {
		t.Fatalf("an absent column becomes NULL, updated_at moves, created_at stays: %v", got[0])
	}
	if got[2].UpdatedAt != nil {
		t.Fatalf("an unchanged row keeps updated_at: %v", got[2])
	}
	if list, _ := f.GetBIOSSettingList(f.ctx, n.Id); !proto.Equal(list[1], got[1]) {
		t.Fatal(list)
	}
	// A setting the node does not have: nothing written.
	rev := f.revision(t)
	_, err = f.UpdateBIOSSettingList(f.ctx, n.Id, []etcdstore.Values{{"name": "numlock", "value": "on"}, {"name": "bios_name", "value": "on"}}, "1.0")
	wantErr(t, err, etcdstore.ErrBIOSSettingNotFound)
	if f.revision(t) != rev {
		t.Fatal("a refused update wrote")
	}
	other := f.mustNode(t, nil)
	_, err = f.UpdateBIOSSettingList(f.ctx, other.Id, biosSettingList(), "1.0")
	wantErr(t, err, etcdstore.ErrBIOSSettingNotFound)
	_, err = f.UpdateBIOSSettingList(f.ctx, 456, nil, "1.0")
	wantErr(t, err, etcdstore.ErrNodeNotFound)
	_, err = f.UpdateBIOSSettingList(f.ctx, n.Id, []etcdstore.Values{{"name": "numlock"}}, "1.0")
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
}

func TestDeleteBIOSSettingList(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	if _, err := f.CreateBIOSSettingList(f.ctx, n.Id, biosSettingList(), "1.1"); err != nil {
		t.Fatal(err)
	}
	if err := f.DeleteBIOSSettingList(f.ctx, n.Id, []string{"virtualization", "hyperthread"}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"virtualization", "hyperthread"} {
		_, err := f.GetBIOSSetting(f.ctx, n.Id, name)
		wantErr(t, err, etcdstore.ErrBIOSSettingNotFound)
	}
	// As in 21.4: the names the node has are deleted, the others named.
	err := f.DeleteBIOSSettingList(f.ctx, n.Id, []string{"fake-bios-option", "numlock", "other"})
	wantErr(t, err, etcdstore.ErrBIOSSettingListNotFound)
	var e *etcdstore.Error
	if !errors.As(err, &e) || e.Param("names") != "fake-bios-option,other" || e.Param("node") != id(n.Id) {
		t.Fatal(err)
	}
	if list, err := f.GetBIOSSettingList(f.ctx, n.Id); err != nil || len(list) != 0 {
		t.Fatal(list, err)
	}
	wantErr(t, f.DeleteBIOSSettingList(f.ctx, 456, []string{"virtualization"}), etcdstore.ErrNodeNotFound)
	other := f.mustNode(t, nil)
	wantErr(t, f.DeleteBIOSSettingList(f.ctx, other.Id, []string{"x"}), etcdstore.ErrBIOSSettingListNotFound)
	if err := f.DeleteBIOSSettingList(f.ctx, other.Id, nil); err != nil {
		t.Fatal(err)
	}
}

// destroy_node removes the node's BIOS record and its membership key;
// the record is served by the read cache without going to etcd.
func TestBIOSSettingsGoWithTheirNode(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	if _, err := f.CreateBIOSSettingList(f.ctx, n.Id, biosSettingList(), "1.1"); err != nil {
		t.Fatal(err)
	}
	record := f.Keys().Record("bios_settings", n.Id)
	member := f.Keys().Member("bios_settings", "id", n.Id, n.Id)
	if keys := f.keysUnder(t); !slices.Contains(keys, record[len(f.prefix):]) || !slices.Contains(keys, member[len(f.prefix):]) {
		t.Fatalf("keys %v", keys)
	}
	if f.ReadsThroughCache() {
		if err := f.Settle(f.ctx); err != nil {
			t.Fatal(err)
		}
		fallbacks := f.MirrorFallbacks()
		if _, err := f.GetBIOSSetting(f.ctx, n.Id, "numlock"); err != nil || !f.MirrorHasKey(record) || f.MirrorFallbacks() != fallbacks {
			t.Fatalf("not served by the read cache: %v", err)
		}
	}
	if err := f.DestroyNode(f.ctx, n.Uuid); err != nil {
		t.Fatal(err)
	}
	if after := f.keysUnder(t); !slices.Equal(after, []string{"ids/nodes"}) {
		t.Fatalf("left behind: %v", after)
	}
}

// Hostile names, values and columns: a typed error and nothing written,
// or stored verbatim and read back equal.
func TestHostileBIOSSettings(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	columns := []string{"name", "value", "attribute_type", "allowable_values", "lower_bound", "read_only"}
	var values []any
	for _, s := range hostileStrings {
		values = append(values, s)
	}
	values = append(values, -1, int64(1)<<62, 1.5, true, []any{"a", nil, map[string]any{"x": 1}}, []string{"\xff"},
		map[string]any{}, []any{}, nil)
	for _, column := range columns {
		for _, v := range values {
			setting := etcdstore.Values{"name": "s", "value": "v"}
			setting[column] = v
			before := f.keysUnder(t)
			rev := f.revision(t)
			got, err := f.CreateBIOSSettingList(f.ctx, n.Id, []etcdstore.Values{setting}, "1.0")
			if err != nil {
				wantErr(t, err, etcdstore.ErrInvalidParameterValue)
				if f.revision(t) != rev || !slices.Equal(before, f.keysUnder(t)) {
					t.Fatalf("%s=%.20v: refused but wrote", column, v)
				}
				continue
			}
			read, err := f.GetBIOSSetting(f.ctx, n.Id, got[0].Name)
			if err != nil || !proto.Equal(read, got[0]) {
				t.Fatalf("%s=%.20v: read back %v, %v", column, v, read, err)
			}
			if s, ok := v.(string); ok && column == "name" && read.Name != s || column == "value" && ok && read.GetValue() != s {
				t.Fatalf("%s=%.20q not stored verbatim", column, s)
			}
			if _, err := f.UpdateBIOSSettingList(f.ctx, n.Id, []etcdstore.Values{setting}, "1.0"); err != nil {
				t.Fatalf("%s=%.20v: update: %v", column, v, err)
			}
			if err := f.DeleteBIOSSettingList(f.ctx, n.Id, []string{got[0].Name}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, s := range hostileStrings {
		_, err := f.GetBIOSSetting(f.ctx, n.Id, s)
		wantErr(t, err, etcdstore.ErrBIOSSettingNotFound)
		wantErr(t, f.DeleteBIOSSettingList(f.ctx, n.Id, []string{s}), etcdstore.ErrBIOSSettingListNotFound)
		if _, err := f.CreateBIOSSettingList(f.ctx, n.Id, biosSettingList(), s); err != nil {
			wantErr(t, err, etcdstore.ErrInvalidParameterValue) // a version of at most 15 characters
			continue
		}
		if err := f.DeleteBIOSSettingList(f.ctx, n.Id, []string{"virtualization", "hyperthread", "numlock"}); err != nil {
			t.Fatal(err)
		}
	}
}

// 16 writers create one node's settings at once: with the same names one
// wins and 15 get BIOSSettingAlreadyExists; with distinct names, all land.
func TestConcurrentCreateBIOSSettingList(t *testing.T) {
	f := newFixture(t)
	stores := []*etcdstore.Store{f.Store, f.peer(t), f.peer(t), f.peer(t)}
	for _, distinct := range []bool{false, true} {
		n := f.mustNode(t, nil)
		var wg sync.WaitGroup
		errs := make([]error, 16)
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				name := "virtualization"
				if distinct {
					name = fmt.Sprint("setting", i)
				}
				_, errs[i] = stores[i%len(stores)].CreateBIOSSettingList(f.ctx, n.Id, []etcdstore.Values{{"name": name, "value": "on"}}, "1.0")
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
			} else if distinct || !errors.Is(err, etcdstore.ErrBIOSSettingAlreadyExists) {
				t.Fatal(err)
			}
		}
		list, _ := f.GetBIOSSettingList(f.ctx, n.Id)
		want := map[bool]int{false: 1, true: 16}[distinct]
		if won != want || len(list) != want {
			t.Fatalf("distinct %v: %d won, %d settings", distinct, won, len(list))
		}
	}
}
