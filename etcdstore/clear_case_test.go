package etcdstore_test

import (
	"strings"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// 21.4's clear_node_reservations_for_conductor and
// clear_node_target_power_state match the holder with ilike: a conductor
// restarting as "hostname1" clears what it held as "hostName1" (Ironic's
// test_clear_node_reservations_for_conductor). % and _ stay literal.
func TestClearForConductorFoldsCase(t *testing.T) {
	f := newFixture(t)
	holders := []string{"hostname1", "hostName1", "hostname2", "host_ame1", "hostnamE1x"}
	nodes := make([]int64, len(holders))
	for i, h := range holders {
		n := f.mustNode(t, etcdstore.Values{"target_power_state": "power on"})
		if _, err := f.ReserveNode(f.ctx, h, n.Uuid); err != nil {
			t.Fatal(err)
		}
		nodes[i] = n.Id
	}
	cleared := []bool{true, true, false, false, false}
	if err := f.ClearNodeTargetPowerState(f.ctx, "HOSTNAME1"); err != nil {
		t.Fatal(err)
	}
	for i, id := range nodes {
		got, _ := f.GetNodeByID(f.ctx, id)
		aborted := got.TargetPowerState == nil && strings.Contains(got.GetLastError(), "power operation was aborted")
		if aborted != cleared[i] || (!aborted && (got.GetTargetPowerState() != "power on" || got.LastError != nil)) {
			t.Errorf("held by %q: target %v, last_error %q", holders[i], got.TargetPowerState, got.GetLastError())
		}
	}
	if err := f.ClearNodeReservationsForConductor(f.ctx, "hostname1"); err != nil {
		t.Fatal(err)
	}
	for i, id := range nodes {
		got, _ := f.GetNodeByID(f.ctx, id)
		want := holders[i]
		if cleared[i] {
			want = ""
		}
		if got.GetReservation() != want {
			t.Errorf("node held by %q: reservation %q, want %q", holders[i], got.GetReservation(), want)
		}
	}
}
