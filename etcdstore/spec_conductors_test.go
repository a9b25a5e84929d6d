package etcdstore_test

import (
	"slices"
	"testing"
	"time"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Tests of BEHAVIOUR.md §7.5 and §8: conductors without a session, whose
// liveness follows the reference's timestamps.

// conductorRecord reads the record of hostname, online or not.
func (f *fixture) conductorRecord(t *testing.T, hostname string) *pb.Conductor {
	t.Helper()
	all, err := f.GetConductorList(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range all {
		if c.Hostname == hostname {
			return c
		}
	}
	t.Fatalf("no conductor record for %s", hostname)
	return nil
}

func TestSpecRegisterConductorCreatedAt(t *testing.T) {
	f := newFixture(t)
	when := epoch.Add(-48 * time.Hour)
	c, err := f.RegisterConductor(f.ctx, etcdstore.Values{"hostname": "c1", "created_at": when}, false)
	if err != nil {
		t.Fatal(err)
	}
	if c.CreatedAt == nil || !c.CreatedAt.AsTime().Equal(when) {
		t.Fatalf("created_at returned %v, want %v", c.CreatedAt, when)
	}
	// updated_at is forced to now even on insert.
	if c.UpdatedAt == nil || !c.UpdatedAt.AsTime().Equal(epoch) {
		t.Fatalf("updated_at on insert %v, want %v", c.UpdatedAt, epoch)
	}
	if got := f.conductorRecord(t, "c1"); !got.CreatedAt.AsTime().Equal(when) {
		t.Fatalf("created_at read back %v", got.CreatedAt.AsTime())
	}
	// Without created_at, now.
	c2, err := f.RegisterConductor(f.ctx, etcdstore.Values{"hostname": "c2"}, false)
	if err != nil || !c2.CreatedAt.AsTime().Equal(epoch) {
		t.Fatal(c2, err)
	}
	// A takeover applies the given created_at too.
	other := epoch.Add(-96 * time.Hour)
	f.clock.Advance(time.Minute)
	c3, err := f.RegisterConductor(f.ctx, etcdstore.Values{"hostname": "c2", "created_at": other}, true)
	if err != nil || c3.Id != c2.Id || !c3.CreatedAt.AsTime().Equal(other) || !c3.UpdatedAt.AsTime().Equal(f.clock.Now()) {
		t.Fatal(c3, err)
	}
}

func TestSpecRegisterConductorExplicitIDTaken(t *testing.T) {
	f := newFixture(t)
	if _, err := f.RegisterConductor(f.ctx, etcdstore.Values{"hostname": "c1", "id": 6}, false); err != nil {
		t.Fatal(err)
	}
	_, err := f.RegisterConductor(f.ctx, etcdstore.Values{"hostname": "c2", "id": 6}, false)
	wantParams(t, err, etcdstore.ErrConductorAlreadyRegistered, "conductor", "c2")
	_, err = f.GetConductor(f.ctx, "c2")
	wantErr(t, err, etcdstore.ErrConductorNotFound)
	// Also against an offline record.
	if err := f.UnregisterConductor(f.ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	_, err = f.RegisterConductor(f.ctx, etcdstore.Values{"hostname": "c3", "id": 6}, false)
	wantParams(t, err, etcdstore.ErrConductorAlreadyRegistered, "conductor", "c3")
	if got := f.conductorRecord(t, "c1"); got.Id != 6 || got.Online {
		t.Fatalf("record 6 changed: %v", got)
	}
}

func TestSpecRegisterConductorUpdateExistingInserts(t *testing.T) {
	f := newFixture(t)
	c, err := f.RegisterConductor(f.ctx, etcdstore.Values{"hostname": "fresh", "drivers": []string{"ipmi"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	if c.Id <= 0 || !c.Online || c.Hostname != "fresh" || string(c.Drivers) != `["ipmi"]` {
		t.Fatalf("inserted %v", c)
	}
	got, err := f.GetConductor(f.ctx, "fresh")
	if err != nil || got.Id != c.Id {
		t.Fatal(got, err)
	}
	if all, _ := f.GetConductorList(f.ctx); len(all) != 1 {
		t.Fatalf("records: %v", all)
	}
}

func TestSpecRegisterConductorAlwaysOnline(t *testing.T) {
	f := newFixture(t)
	c, err := f.RegisterConductor(f.ctx, etcdstore.Values{"hostname": "c1", "online": false}, false)
	if err != nil || !c.Online {
		t.Fatalf("insert with online=false: %v %v", c, err)
	}
	if got, err := f.GetConductor(f.ctx, "c1"); err != nil || !got.Online {
		t.Fatal(got, err)
	}
	// Takeover with update_existing, and of an offline record.
	c, err = f.RegisterConductor(f.ctx, etcdstore.Values{"hostname": "c1", "online": false}, true)
	if err != nil || !c.Online {
		t.Fatalf("update_existing with online=false: %v %v", c, err)
	}
	if err := f.UnregisterConductor(f.ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	c, err = f.RegisterConductor(f.ctx, etcdstore.Values{"hostname": "c1", "online": false}, false)
	if err != nil || !c.Online {
		t.Fatalf("takeover of an offline record with online=false: %v %v", c, err)
	}
	if got := f.conductorRecord(t, "c1"); !got.Online {
		t.Fatalf("stored offline: %v", got)
	}
}

func TestSpecUnregisterConductorBumpsUpdatedAt(t *testing.T) {
	f := newFixture(t)
	if _, err := f.RegisterConductor(f.ctx, etcdstore.Values{"hostname": "c1"}, false); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(42 * time.Second)
	if err := f.UnregisterConductor(f.ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	want := epoch.Add(42 * time.Second)
	got := f.conductorRecord(t, "c1")
	if got.Online || got.UpdatedAt == nil || !got.UpdatedAt.AsTime().Equal(want) {
		t.Fatalf("after unregister: online %v updated_at %v, want %v", got.Online, got.UpdatedAt, want)
	}
	// So it becomes offline heartbeat_timeout (60 s) after the unregister,
	// not after the registration.
	f.clock.Set(want.Add(60 * time.Second))
	if off, err := f.GetOfflineConductors(f.ctx); err != nil || len(off) != 0 {
		t.Fatalf("offline at the boundary: %v %v", off, err)
	}
	f.clock.Advance(time.Microsecond)
	if off, err := f.GetOfflineConductors(f.ctx); err != nil || !slices.Equal(off, []string{"c1"}) {
		t.Fatalf("offline past the boundary: %v %v", off, err)
	}
}

// get_offline_conductors looks at updated_at only, whatever online says.
func TestSpecOfflineConductorsIgnoreOnline(t *testing.T) {
	f := newFixture(t)
	for _, h := range []string{"stale-online", "stale-offline", "fresh-offline", "fresh-online"} {
		if _, err := f.RegisterConductor(f.ctx, etcdstore.Values{"hostname": h}, false); err != nil {
			t.Fatal(err)
		}
		if h == "stale-offline" {
			if err := f.UnregisterConductor(f.ctx, h); err != nil {
				t.Fatal(err)
			}
		}
	}
	f.clock.Advance(61 * time.Second)
	if err := f.TouchConductor(f.ctx, "fresh-online"); err != nil {
		t.Fatal(err)
	}
	if err := f.TouchConductor(f.ctx, "fresh-offline"); err != nil {
		t.Fatal(err)
	}
	if err := f.UnregisterConductor(f.ctx, "fresh-offline"); err != nil {
		t.Fatal(err)
	}
	off, err := f.GetOfflineConductors(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(off)
	if want := []string{"stale-offline", "stale-online"}; !slices.Equal(off, want) {
		t.Fatalf("offline: %v, want %v", off, want)
	}
}

func TestSpecHardwareInterfacesDuplicateParams(t *testing.T) {
	f := newFixture(t)
	if err := f.RegisterConductorHardwareInterfaces(f.ctx, 3, "ipmi", "deploy", []string{"iscsi", "direct"}, "iscsi"); err != nil {
		t.Fatal(err)
	}
	err := f.RegisterConductorHardwareInterfaces(f.ctx, 3, "ipmi", "deploy", []string{"ansible", "direct"}, "ansible")
	wantParams(t, err, etcdstore.ErrConductorHardwareInterfacesAlreadyRegistered, "hardware_type", "ipmi", "interface_type", "deploy")
	err = f.RegisterConductorHardwareInterfaces(f.ctx, 3, "redfish", "power", []string{"rf", "rf"}, "rf")
	wantParams(t, err, etcdstore.ErrConductorHardwareInterfacesAlreadyRegistered, "hardware_type", "redfish", "interface_type", "power")
	rows, err := f.ListConductorHardwareInterfaces(f.ctx, 3)
	if err != nil || len(rows) != 2 {
		t.Fatalf("refused batches stored rows: %v %v", rows, err)
	}
}
