package etcdstore_test

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// The cases of Ironic 21.4.4's ironic/tests/unit/db/test_conductor.py
// that the seed's tests do not cover, on the store's clock (the tests
// that mock utcnow move f.clock).

// hwDicts are 21.4's interface dicts of one hardware and interface type.
func hwDicts(ht, it string, names ...string) []etcdstore.Values {
	var out []etcdstore.Values
	for i, n := range names {
		out = append(out, etcdstore.Values{"hardware_type": ht, "interface_type": it, "interface_name": n, "default": i == 0})
	}
	return out
}

// createTestCdr is the test module's _create_test_cdr: a conductor with,
// per hardware type, power interfaces ipmi (default) and fake.
func (f *fixture) createTestCdr(t *testing.T, values etcdstore.Values, hardwareTypes ...string) *pb.Conductor {
	t.Helper()
	if values["hostname"] == nil {
		values["hostname"] = "test-conductor"
	}
	c, err := f.RegisterConductor(f.ctx, values, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, ht := range hardwareTypes {
		if err := f.RegisterConductorHardwareInterfaceDicts(f.ctx, c.Id, hwDicts(ht, "power", "ipmi", "fake")); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func TestGetConductorOnline(t *testing.T) {
	f := newFixture(t)
	c1 := f.createTestCdr(t, etcdstore.Values{})
	yes, no := true, false
	// test_get_conductor
	if c, err := f.GetConductorOnline(f.ctx, c1.Hostname, &yes); err != nil || c.Id != c1.Id {
		t.Fatal(c, err)
	}
	_, err := f.GetConductorOnline(f.ctx, c1.Hostname, &no)
	wantParams(t, err, etcdstore.ErrConductorNotFound, "conductor", c1.Hostname)
	if err := f.UnregisterConductor(f.ctx, c1.Hostname); err != nil {
		t.Fatal(err)
	}
	// test_get_inactive_conductor_ignore_online
	if c, err := f.GetConductorOnline(f.ctx, c1.Hostname, nil); err != nil || c.Id != c1.Id || c.Online {
		t.Fatal(c, err)
	}
	if c, err := f.GetConductorOnline(f.ctx, c1.Hostname, &no); err != nil || c.Id != c1.Id {
		t.Fatal(c, err)
	}
	// test_get_inactive_conductor_with_online_true
	_, err = f.GetConductorOnline(f.ctx, c1.Hostname, &yes)
	wantErr(t, err, etcdstore.ErrConductorNotFound)
	_, err = f.GetConductor(f.ctx, c1.Hostname)
	wantErr(t, err, etcdstore.ErrConductorNotFound)
	// test_get_conductor_not_found, whatever online says
	for _, online := range []*bool{nil, &yes, &no} {
		_, err = f.GetConductorOnline(f.ctx, "bad-hostname", online)
		wantParams(t, err, etcdstore.ErrConductorNotFound, "conductor", "bad-hostname")
	}
}

// conductor_group: "" by default, set by register_conductor's values,
// kept by a registration with update_existing that does not name it.
func TestConductorGroup(t *testing.T) {
	f := newFixture(t)
	c, err := f.RegisterConductor(f.ctx, etcdstore.Values{"hostname": "c1"}, false)
	if err != nil || c.ConductorGroup != "" {
		t.Fatal(c, err)
	}
	c, err = f.RegisterConductor(f.ctx, etcdstore.Values{"hostname": "c1", "conductor_group": "g1"}, true)
	if err != nil || c.ConductorGroup != "g1" {
		t.Fatal(c, err)
	}
	c, err = f.RegisterConductor(f.ctx, etcdstore.Values{"hostname": "c1", "drivers": []string{"x"}}, true)
	if err != nil || c.ConductorGroup != "g1" {
		t.Fatal(c, err)
	}
	if got, _ := f.GetConductor(f.ctx, "c1"); got.ConductorGroup != "g1" {
		t.Fatalf("read back %v", got)
	}
	for _, bad := range []any{nil, 7, string(make([]byte, 256)), "\xff"} {
		_, err := f.RegisterConductor(f.ctx, etcdstore.Values{"hostname": "c2", "conductor_group": bad}, false)
		wantErr(t, err, etcdstore.ErrInvalid)
	}
}

func TestGetConductorListWith(t *testing.T) {
	f := newFixture(t)
	for _, h := range []string{"b", "c", "a"} {
		f.createTestCdr(t, etcdstore.Values{"hostname": h})
	}
	if err := f.UnregisterConductor(f.ctx, "c"); err != nil {
		t.Fatal(err)
	}
	hosts := func(opts etcdstore.ListOptions) []string {
		t.Helper()
		cs, err := f.GetConductorListWith(f.ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range cs {
			out = append(out, c.Hostname)
		}
		return out
	}
	if got := hosts(etcdstore.ListOptions{}); !slices.Equal(got, []string{"b", "c", "a"}) {
		t.Fatalf("id order: %v", got)
	}
	if got := hosts(etcdstore.ListOptions{SortKey: "hostname", SortDir: "desc", Limit: etcdstore.Limit(2)}); !slices.Equal(got, []string{"c", "b"}) {
		t.Fatalf("hostname desc, limit 2: %v", got)
	}
	all, _ := f.GetConductorListWith(f.ctx, etcdstore.ListOptions{SortKey: "hostname"})
	if got := hosts(etcdstore.ListOptions{SortKey: "hostname", Marker: all[0]}); !slices.Equal(got, []string{"b", "c"}) {
		t.Fatalf("after marker a: %v", got)
	}
	if got := hosts(etcdstore.ListOptions{Limit: etcdstore.Limit(0)}); len(got) != 0 {
		t.Fatalf("limit 0: %v", got)
	}
	for _, bad := range []etcdstore.ListOptions{{SortKey: "nope"}, {SortKey: "lease"}, {SortDir: "up"}, {Limit: etcdstore.Limit(-1)}, {Marker: &pb.Node{}}} {
		_, err := f.GetConductorListWith(f.ctx, bad)
		wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	}
}

// test_get_offline_conductors and test_get_online_conductors.
func TestOfflineAndOnlineConductors21(t *testing.T) {
	f := newFixture(t, etcdstore.WithHeartbeatTimeout(60*time.Second))
	c := f.createTestCdr(t, etcdstore.Values{})
	f.clock.Advance(30 * time.Second)
	if got, err := f.GetOfflineConductorsField(f.ctx, "hostname"); err != nil || len(got) != 0 {
		t.Fatal(got, err)
	}
	if got, err := f.GetOnlineConductors(f.ctx); err != nil || !slices.Equal(got, []string{c.Hostname}) {
		t.Fatal(got, err)
	}
	f.clock.Advance(31 * time.Second)
	if got, err := f.GetOfflineConductorsField(f.ctx, "hostname"); err != nil || !slices.Equal(got, []any{c.Hostname}) {
		t.Fatal(got, err)
	}
	if got, err := f.GetOfflineConductorsField(f.ctx, "id"); err != nil || !slices.Equal(got, []any{c.Id}) {
		t.Fatal(got, err)
	}
	if got, _ := f.GetOfflineConductorsField(f.ctx, "updated_at"); len(got) != 1 || !got[0].(time.Time).Equal(epoch) {
		t.Fatalf("updated_at %v", got)
	}
	if got, _ := f.GetOfflineConductorsField(f.ctx, "conductor_group"); !slices.Equal(got, []any{""}) {
		t.Fatalf("conductor_group %v", got)
	}
	if got, err := f.GetOnlineConductors(f.ctx); err != nil || len(got) != 0 {
		t.Fatal(got, err)
	}
	for _, bad := range []string{"nope", "lease", "", "Hostname"} {
		_, err := f.GetOfflineConductorsField(f.ctx, bad)
		wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	}
	// Online ignores nothing: an unregistered conductor is not online.
	f.clock.Advance(-61 * time.Second)
	if err := f.UnregisterConductor(f.ctx, c.Hostname); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.GetOnlineConductors(f.ctx); len(got) != 0 {
		t.Fatalf("unregistered but online: %v", got)
	}
}

func TestGetActiveHardwareTypeDict(t *testing.T) {
	eq := func(t *testing.T, got, want map[string][]string) {
		t.Helper()
		if !maps.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	dict := func(f *fixture, groups bool) map[string][]string {
		d, err := f.GetActiveHardwareTypeDict(f.ctx, groups)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	t.Run("one host no ht", func(t *testing.T) {
		f := newFixture(t)
		f.createTestCdr(t, etcdstore.Values{"hostname": "fake-host", "drivers": []string{}})
		eq(t, dict(f, false), map[string][]string{})
	})
	t.Run("one host one ht", func(t *testing.T) {
		f := newFixture(t)
		f.createTestCdr(t, etcdstore.Values{"hostname": "fake-host"}, "hardware-type")
		eq(t, dict(f, false), map[string][]string{"hardware-type": {"fake-host"}})
	})
	t.Run("one host one ht groups", func(t *testing.T) {
		f := newFixture(t)
		f.createTestCdr(t, etcdstore.Values{"hostname": "fake-host", "conductor_group": "foogroup"}, "hardware-type")
		eq(t, dict(f, true), map[string][]string{"foogroup:hardware-type": {"fake-host"}})
		eq(t, dict(f, false), map[string][]string{"hardware-type": {"fake-host"}})
	})
	t.Run("one host many ht", func(t *testing.T) {
		f := newFixture(t)
		f.createTestCdr(t, etcdstore.Values{"hostname": "fake-host"}, "hardware-type", "another-hardware-type")
		eq(t, dict(f, false), map[string][]string{"hardware-type": {"fake-host"}, "another-hardware-type": {"fake-host"}})
	})
	t.Run("many host one ht", func(t *testing.T) {
		f := newFixture(t)
		f.createTestCdr(t, etcdstore.Values{"id": 1, "hostname": "host-one"}, "hardware-type")
		f.createTestCdr(t, etcdstore.Values{"id": 2, "hostname": "host-two"}, "hardware-type")
		eq(t, dict(f, false), map[string][]string{"hardware-type": {"host-one", "host-two"}})
		eq(t, dict(f, true), map[string][]string{":hardware-type": {"host-one", "host-two"}})
	})
	t.Run("many host many ht", func(t *testing.T) {
		f := newFixture(t)
		f.createTestCdr(t, etcdstore.Values{"id": 1, "hostname": "host-one"}, "hardware-type", "another-hardware-type")
		f.createTestCdr(t, etcdstore.Values{"id": 2, "hostname": "host-two"}, "hardware-type", "another-hardware-type")
		both := []string{"host-one", "host-two"}
		eq(t, dict(f, false), map[string][]string{"hardware-type": both, "another-hardware-type": both})
	})
	t.Run("with old conductor", func(t *testing.T) {
		f := newFixture(t, etcdstore.WithHeartbeatTimeout(60*time.Second))
		f.createTestCdr(t, etcdstore.Values{"id": 1, "hostname": "old-host"}, "hardware-type", "old-hardware-type")
		f.clock.Advance(2 * time.Minute)
		f.createTestCdr(t, etcdstore.Values{"id": 2, "hostname": "new-host"}, "hardware-type", "new-hardware-type")
		eq(t, dict(f, false), map[string][]string{"hardware-type": {"new-host"}, "new-hardware-type": {"new-host"}})
		g := newFixture(t, etcdstore.WithPrefix(f.prefix), etcdstore.WithHeartbeatTimeout(120*time.Second))
		g.clock.Set(f.clock.Now())
		eq(t, dict(g, false), map[string][]string{"hardware-type": {"new-host", "old-host"},
			"old-hardware-type": {"old-host"}, "new-hardware-type": {"new-host"}})
	})
	t.Run("offline conductor", func(t *testing.T) {
		f := newFixture(t)
		f.createTestCdr(t, etcdstore.Values{"hostname": "h"}, "ht")
		if err := f.UnregisterConductor(f.ctx, "h"); err != nil {
			t.Fatal(err)
		}
		eq(t, dict(f, false), map[string][]string{})
	})
}

func TestListHardwareTypeInterfaces(t *testing.T) {
	f := newFixture(t, etcdstore.WithHeartbeatTimeout(60*time.Second))
	c := f.createTestCdr(t, etcdstore.Values{"hostname": "fake-host"}, "hw-type-1", "hw-type-2")
	type row struct {
		ht, name string
		def      bool
	}
	expected := []row{{"hw-type-1", "ipmi", true}, {"hw-type-1", "fake", false}, {"hw-type-2", "ipmi", true}, {"hw-type-2", "fake", false}}
	list := func(hts ...string) []row {
		got, err := f.ListHardwareTypeInterfaces(f.ctx, hts)
		if err != nil {
			t.Fatal(err)
		}
		var out []row
		for _, r := range got {
			if r.InterfaceType != "power" || r.ConductorId != c.Id {
				t.Fatalf("row %v", r)
			}
			out = append(out, row{r.HardwareType, r.InterfaceName, r.Default})
		}
		return out
	}
	if got := list("hw-type-1", "hw-type-2"); !slices.Equal(got, expected) {
		t.Fatalf("both: %v", got)
	}
	if got := list("hw-type-1"); !slices.Equal(got, expected[:2]) {
		t.Fatalf("one: %v", got)
	}
	if got := list(); len(got) != 0 {
		t.Fatalf("none: %v", got)
	}
	// A dead conductor's rows are not listed while another is alive
	// (the reference's missing join would list them).
	f.clock.Advance(61 * time.Second)
	f.createTestCdr(t, etcdstore.Values{"hostname": "alive"})
	if got := list("hw-type-1", "hw-type-2"); len(got) != 0 {
		t.Fatalf("after the heartbeat timeout: %v", got)
	}
}

// A conductor with a session is active for the 21.4 methods while its
// lease lives, whatever the clocks say, and gone from them when it ends.
func TestHardwareTypesFromLeases(t *testing.T) {
	f := newFixture(t)
	skewed := newFixture(t, etcdstore.WithPrefix(f.prefix))
	skewed.clock.Set(epoch.Add(-5 * time.Hour))
	grant, err := client.Grant(f.ctx, 30)
	if err != nil {
		t.Fatal(err)
	}
	c, err := skewed.RegisterConductor(f.ctx, etcdstore.Values{"hostname": "skewed", "conductor_group": "g"}, false,
		etcdstore.WithConductorLease(grant.ID))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.RegisterConductorHardwareInterfaceDicts(f.ctx, c.Id, hwDicts("ht", "power", "ipmi")); err != nil {
		t.Fatal(err)
	}
	check := func(alive bool) {
		t.Helper()
		d, err := f.GetActiveHardwareTypeDict(f.ctx, true)
		if err != nil {
			t.Fatal(err)
		}
		online, _ := f.GetOnlineConductors(f.ctx)
		rows, _ := f.ListHardwareTypeInterfaces(f.ctx, []string{"ht"})
		off, _ := f.GetOfflineConductorsField(f.ctx, "hostname")
		if got := len(d) == 1 && len(online) == 1 && len(rows) == 1 && len(off) == 0; got != alive {
			t.Fatalf("alive %v: dict %v online %v rows %v offline %v", alive, d, online, rows, off)
		}
	}
	check(true)
	if _, err := client.Revoke(f.ctx, grant.ID); err != nil {
		t.Fatal(err)
	}
	check(false)
}
