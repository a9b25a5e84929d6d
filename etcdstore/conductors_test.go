package etcdstore_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/lease"
)

func TestRegisterConductor(t *testing.T) {
	f := newFixture(t)
	c, err := f.RegisterConductor(f.ctx, etcdstore.Values{"hostname": "c1", "drivers": []string{"ipmi"}, "id": 6}, false)
	if err != nil || c.Id != 6 || !c.Online || c.UpdatedAt == nil || string(c.Drivers) != `["ipmi"]` {
		t.Fatal(c, err)
	}
	_, err = f.RegisterConductor(f.ctx, etcdstore.Values{"hostname": "c1", "drivers": []string{"ipmi"}}, false)
	wantErr(t, err, etcdstore.ErrConductorAlreadyRegistered)
	var e *etcdstore.Error
	if !errors.As(err, &e) || e.Param("conductor") != "c1" {
		t.Fatalf("params: %v", err)
	}
	// update_existing takes over and keeps the id.
	f.clock.Advance(time.Minute)
	c2, err := f.RegisterConductor(f.ctx, etcdstore.Values{"hostname": "c1", "drivers": []string{"redfish"}}, true)
	if err != nil || c2.Id != 6 || string(c2.Drivers) != `["redfish"]` || !c2.UpdatedAt.AsTime().Equal(epoch.Add(time.Minute)) {
		t.Fatal(c2, err)
	}
	// An offline record is taken over without update_existing.
	if err := f.UnregisterConductor(f.ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	c3, err := f.RegisterConductor(f.ctx, etcdstore.Values{"hostname": "c1"}, false)
	if err != nil || c3.Id != 6 || !c3.Online {
		t.Fatal(c3, err)
	}
	auto, err := f.RegisterConductor(f.ctx, etcdstore.Values{"hostname": "c2"}, false)
	if err != nil || auto.Id == 6 || string(auto.Drivers) != "[]" {
		t.Fatal(auto, err)
	}
	for _, bad := range []etcdstore.Values{{}, {"hostname": ""}, {"hostname": "a/b"}, {"hostname": "x", "drivers": "ipmi"}, {"hostname": "x", "bogus": 1}} {
		if _, err := f.RegisterConductor(f.ctx, bad, false); !errors.Is(err, etcdstore.ErrInvalid) {
			t.Errorf("%v: %v", bad, err)
		}
	}
}

func TestGetTouchUnregisterConductor(t *testing.T) {
	f := newFixture(t)
	if _, err := f.RegisterConductor(f.ctx, etcdstore.Values{"hostname": "c1"}, false); err != nil {
		t.Fatal(err)
	}
	if c, err := f.GetConductor(f.ctx, "c1"); err != nil || c.Hostname != "c1" {
		t.Fatal(c, err)
	}
	_, err := f.GetConductor(f.ctx, "nope")
	wantErr(t, err, etcdstore.ErrConductorNotFound)
	wantErr(t, f.TouchConductor(f.ctx, "nope"), etcdstore.ErrConductorNotFound)
	wantErr(t, f.UnregisterConductor(f.ctx, "nope"), etcdstore.ErrConductorNotFound)

	f.clock.Advance(30 * time.Second)
	if err := f.UnregisterConductor(f.ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, f.UnregisterConductor(f.ctx, "c1"), etcdstore.ErrConductorNotFound)
	_, err = f.GetConductor(f.ctx, "c1")
	wantErr(t, err, etcdstore.ErrConductorNotFound) // offline records are not found
	f.clock.Advance(30 * time.Second)
	if err := f.TouchConductor(f.ctx, "c1"); err != nil { // revives it
		t.Fatal(err)
	}
	c, err := f.GetConductor(f.ctx, "c1")
	if err != nil || !c.Online || !c.UpdatedAt.AsTime().Equal(epoch.Add(time.Minute)) {
		t.Fatal(c, err)
	}
}

// The reference's timestamp rules, for conductors without a session.
func TestActiveAndOfflineByTimestamps(t *testing.T) {
	f := newFixture(t)
	reg := func(host string, drivers ...string) {
		if _, err := f.RegisterConductor(f.ctx, etcdstore.Values{"hostname": host, "drivers": drivers}, false); err != nil {
			t.Fatal(err)
		}
	}
	reg("h1", "d1", "d2")
	f.clock.Advance(90 * time.Second)
	reg("h2", "d2", "d3")
	reg("h3")
	dict, err := f.GetActiveDriverDict(f.ctx, 60*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"d2": {"h2"}, "d3": {"h2"}}
	if !maps.EqualFunc(dict, want, slices.Equal) {
		t.Fatalf("interval 60s: %v", dict)
	}
	dict, _ = f.GetActiveDriverDict(f.ctx, 120*time.Second)
	want = map[string][]string{"d1": {"h1"}, "d2": {"h1", "h2"}, "d3": {"h2"}}
	if !maps.EqualFunc(dict, want, slices.Equal) {
		t.Fatalf("interval 120s: %v", dict)
	}
	// The boundary counts as active, and as not offline.
	f.clock.Advance(-30 * time.Second)
	dict, _ = f.GetActiveDriverDict(f.ctx, 0) // heartbeat timeout, 60 s
	if !slices.Equal(dict["d1"], []string{"h1"}) {
		t.Fatalf("at the boundary: %v", dict)
	}
	off, _ := f.GetOfflineConductors(f.ctx)
	if len(off) != 0 {
		t.Fatalf("offline at the boundary: %v", off)
	}
	f.clock.Advance(30*time.Second + time.Microsecond)
	off, _ = f.GetOfflineConductors(f.ctx)
	if !slices.Equal(off, []string{"h1"}) {
		t.Fatalf("offline: %v", off)
	}
	// Offline ignores `online`: an unregistered conductor is neither active
	// nor offline until the timeout has passed.
	if err := f.UnregisterConductor(f.ctx, "h2"); err != nil {
		t.Fatal(err)
	}
	dict, _ = f.GetActiveDriverDict(f.ctx, 0)
	off, _ = f.GetOfflineConductors(f.ctx)
	if len(dict["d3"]) != 0 || slices.Contains(off, "h2") {
		t.Fatalf("after unregister: active %v offline %v", dict, off)
	}
}

// A conductor with a session is alive while its lease is: neither a
// clock hours off nor a missed touch makes it offline, and losing the
// lease makes it offline within TTL + 1 s with nobody cleaning up.
func TestLivenessFromLeases(t *testing.T) {
	f := newFixture(t)
	skewed := newFixture(t, etcdstore.WithPrefix(f.prefix))
	skewed.clock.Set(epoch.Add(-5 * time.Hour)) // this conductor's clock is hours behind
	sess, err := lease.New(f.ctx, client, lease.WithTTL(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := skewed.RegisterConductor(f.ctx, etcdstore.Values{"hostname": "skewed", "drivers": []string{"ipmi"}}, false,
		etcdstore.WithConductorLease(sess.Lease())); err != nil {
		t.Fatal(err)
	}
	dict, _ := f.GetActiveDriverDict(f.ctx, 60*time.Second)
	off, _ := f.GetOfflineConductors(f.ctx)
	if !slices.Equal(dict["ipmi"], []string{"skewed"}) || len(off) != 0 {
		t.Fatalf("live conductor with a skewed clock: active %v offline %v", dict, off)
	}
	// A running conductor cannot be registered twice.
	_, err = f.RegisterConductor(f.ctx, etcdstore.Values{"hostname": "skewed"}, false)
	wantErr(t, err, etcdstore.ErrConductorAlreadyRegistered)

	sess.Abandon() // the process dies: no revoke, no unregister
	lost := time.Now()
	deadline := lost.Add(sess.TTL() + time.Second)
	for {
		off, _ = f.GetOfflineConductors(f.ctx)
		if slices.Equal(off, []string{"skewed"}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not offline %v after its lease stopped", time.Since(lost))
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("offline %v after keep-alives stopped (TTL %v)", time.Since(lost).Round(time.Millisecond), sess.TTL())
	dict, _ = f.GetActiveDriverDict(f.ctx, 60*time.Second)
	if len(dict) != 0 {
		t.Fatalf("dead conductor still active: %v", dict)
	}
	// Its record remains (offline) and a restarted conductor takes it over
	// without update_existing, keeping the id.
	before, _ := f.GetConductor(f.ctx, "skewed")
	sess2, err := lease.New(f.ctx, client, lease.WithTTL(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer sess2.Close(context.Background())
	again, err := f.RegisterConductor(f.ctx, etcdstore.Values{"hostname": "skewed"}, false, etcdstore.WithConductorLease(sess2.Lease()))
	if err != nil || again.Id != before.Id {
		t.Fatal(again, err)
	}
}

func TestHardwareInterfaces(t *testing.T) {
	f := newFixture(t)
	if err := f.RegisterConductorHardwareInterfaces(f.ctx, 7, "ipmi", "deploy", []string{"iscsi", "direct"}, "iscsi"); err != nil {
		t.Fatal(err)
	}
	rows, err := f.ListConductorHardwareInterfaces(f.ctx, 7)
	if err != nil || len(rows) != 2 || rows[0].InterfaceName != "iscsi" || !rows[0].Default || rows[1].Default || rows[0].Id > rows[1].Id {
		t.Fatal(rows, err)
	}
	before := f.keysUnder(t)
	err = f.RegisterConductorHardwareInterfaces(f.ctx, 7, "ipmi", "deploy", []string{"ansible", "direct"}, "ansible")
	wantErr(t, err, etcdstore.ErrConductorHardwareInterfacesAlreadyRegistered)
	if !strings.Contains(err.Error(), "direct") {
		t.Fatalf("message does not name the clash: %v", err)
	}
	err = f.RegisterConductorHardwareInterfaces(f.ctx, 7, "ipmi", "power", []string{"ipmitool", "ipmitool"}, "")
	wantErr(t, err, etcdstore.ErrConductorHardwareInterfacesAlreadyRegistered)
	if !slices.Equal(before, f.keysUnder(t)) {
		t.Fatal("a refused batch stored something")
	}
	if err := f.RegisterConductorHardwareInterfaces(f.ctx, 8, "ipmi", "deploy", []string{"direct"}, ""); err != nil {
		t.Fatal(err) // another conductor may register the same names
	}
	if rows, _ := f.ListConductorHardwareInterfaces(f.ctx, 99); len(rows) != 0 {
		t.Fatal(rows)
	}
	if err := f.UnregisterConductorHardwareInterfaces(f.ctx, 7); err != nil {
		t.Fatal(err)
	}
	if err := f.UnregisterConductorHardwareInterfaces(f.ctx, 7); err != nil {
		t.Fatal(err)
	}
	if rows, _ := f.ListConductorHardwareInterfaces(f.ctx, 7); len(rows) != 0 {
		t.Fatal(rows)
	}
	if rows, _ := f.ListConductorHardwareInterfaces(f.ctx, 8); len(rows) != 1 {
		t.Fatal(rows)
	}
}

func TestClearReservationsAndTargetPowerState(t *testing.T) {
	f := newFixture(t)
	mine := f.mustNode(t, etcdstore.Values{"target_power_state": "power on"})
	mineIdle := f.mustNode(t, nil)
	theirs := f.mustNode(t, etcdstore.Values{"target_power_state": "power off", "last_error": "old"})
	for _, r := range []struct {
		tag  string
		node string
	}{{"c1", mine.Uuid}, {"c1", mineIdle.Uuid}, {"c2", theirs.Uuid}} {
		if _, err := f.ReserveNode(f.ctx, r.tag, r.node); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.ClearNodeTargetPowerState(f.ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	got, _ := f.GetNodeByID(f.ctx, mine.Id)
	if got.TargetPowerState != nil || !strings.Contains(got.GetLastError(), "power operation was aborted") {
		t.Fatalf("own node: %v", got)
	}
	got, _ = f.GetNodeByID(f.ctx, theirs.Id)
	if got.GetTargetPowerState() != "power off" || got.GetLastError() != "old" {
		t.Fatalf("other conductor's node touched: %v", got)
	}
	if err := f.ClearNodeReservationsForConductor(f.ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	for _, n := range []struct {
		id     int64
		holder string
	}{{mine.Id, ""}, {mineIdle.Id, ""}, {theirs.Id, "c2"}} {
		got, _ := f.GetNodeByID(f.ctx, n.id)
		if got.GetReservation() != n.holder {
			t.Fatalf("node %d reserved by %q, want %q", n.id, got.GetReservation(), n.holder)
		}
	}
}

// The heartbeat timeout is configurable, as Ironic's
// [conductor]heartbeat_timeout.
func TestHeartbeatTimeoutOption(t *testing.T) {
	f := newFixture(t, etcdstore.WithHeartbeatTimeout(30*time.Second))
	if _, err := f.RegisterConductor(f.ctx, etcdstore.Values{"hostname": "h", "drivers": []string{"d"}}, false); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(30 * time.Second)
	if off, _ := f.GetOfflineConductors(f.ctx); len(off) != 0 {
		t.Fatalf("offline at the boundary: %v", off)
	}
	if dict, _ := f.GetActiveDriverDict(f.ctx, 0); len(dict["d"]) != 1 {
		t.Fatalf("inactive at the boundary: %v", dict)
	}
	f.clock.Advance(time.Second)
	if off, _ := f.GetOfflineConductors(f.ctx); !slices.Equal(off, []string{"h"}) {
		t.Fatalf("not offline after the timeout: %v", off)
	}
}
