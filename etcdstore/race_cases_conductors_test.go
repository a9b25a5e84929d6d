package etcdstore_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Rows of the race table for the 21.4 conductor and version methods, and
// their uniqueness under 16 writers.

func conductorRaceCases() []raceCase {
	latest := etcdstore.Ironic214ObjectVersions().Latest["Node"]
	migrate := func(ctx context.Context, w *world) (any, error) {
		total, migrated, err := w.victim.UpdateToLatestVersions(ctx, 0)
		return [2]int{total, migrated}, err
	}
	ifaceScope := func(w *world, s *snapshot) []string { // the victim's rows: default false
		var out []string
		for _, key := range s.named("conductor_hardware_interfaces", "conductor_id", 1) {
			if !recordOf[*pb.ConductorHardwareInterface](s, key).Default {
				out = append(out, key)
			}
		}
		return out
	}
	taken := []error{etcdstore.ErrConductorHardwareInterfacesAlreadyRegistered}
	return []raceCase{
		{name: "update_to_latest_versions, node updated meanwhile", setup: setupOldNode, call: migrate, scope: nodeBy("uuid"),
			rival: func(ctx context.Context, w *world) error {
				_, err := w.admin.UpdateNode(ctx, w.uuid["node"], etcdstore.Values{"power_state": "power on"})
				return err
			},
			check: func(w *world, r *runResult) []string {
				n := recordOf[*pb.Node](r.end, w.admin.Keys().Record("nodes", w.id["node"]))
				var out []string
				if r.fired && n.GetPowerState() != "power on" {
					out = append(out, "outcome: the concurrent update_node was lost")
				}
				if n.GetVersion() != latest {
					out = append(out, fmt.Sprintf("outcome: the node was left at version %q", n.GetVersion()))
				}
				if m := r.res.([2]int); r.err == nil && m != [2]int{1, 1} {
					out = append(out, fmt.Sprintf("outcome: returned %v, want (1, 1)", m))
				}
				return out
			}},
		{name: "update_to_latest_versions, node migrated meanwhile", setup: setupOldNode, call: migrate, scope: nodeBy("uuid"),
			rival: func(ctx context.Context, w *world) error {
				_, err := w.admin.UpdateNode(ctx, w.uuid["node"], etcdstore.Values{"version": latest, "power_state": "power on"})
				return err
			},
			check: func(w *world, r *runResult) []string {
				n := recordOf[*pb.Node](r.end, w.admin.Keys().Record("nodes", w.id["node"]))
				if n.GetVersion() != latest || r.fired && n.GetPowerState() != "power on" {
					return []string{fmt.Sprintf("outcome: node %v", n)}
				}
				return nil
			}},
		{name: "update_to_latest_versions, node destroyed meanwhile", setup: setupOldNode, call: migrate, scope: nodeBy("uuid"), rival: destroyNode},
		{name: "register_conductor_hardware_interfaces dicts in batches, a row registered meanwhile",
			opts: []etcdstore.Option{etcdstore.WithMaxTxnOps(16)}, // 5 rows per transaction
			setup: func(ctx context.Context, w *world) error {
				_, err := w.admin.RegisterConductor(ctx, etcdstore.Values{"hostname": "c", "id": 1}, false)
				return err
			},
			creates: true, partial: true, scope: ifaceScope, errs: taken,
			call: func(ctx context.Context, w *world) (any, error) {
				dicts := hwDicts("ht", "power", strings.Split("abcdefghijkl", "")...)
				for _, d := range dicts {
					d["default"] = false
				}
				return nil, w.victim.RegisterConductorHardwareInterfaceDicts(ctx, 1, dicts)
			},
			rival: func(ctx context.Context, w *world) error {
				return w.admin.RegisterConductorHardwareInterfaceDicts(ctx, 1, hwDicts("ht", "power", "l"))
			},
			check: func(w *world, r *runResult) []string {
				mine := len(ifaceScope(w, r.end))
				if r.err == nil && mine != 12 || r.err != nil && mine != 0 {
					return []string{fmt.Sprintf("outcome: %d of the call's rows left after %v", mine, r.err)}
				}
				return nil
			}},
		{name: "register_conductor, the hostname registered meanwhile", setup: func(context.Context, *world) error { return nil },
			creates: true, errs: []error{etcdstore.ErrConductorAlreadyRegistered},
			scope: func(w *world, s *snapshot) []string { return s.named("conductors", "hostname", "c1") },
			call: func(ctx context.Context, w *world) (any, error) {
				return w.victim.RegisterConductor(ctx, etcdstore.Values{"hostname": "c1", "conductor_group": "victim"}, false)
			},
			rival: func(ctx context.Context, w *world) error {
				_, err := w.admin.RegisterConductor(ctx, etcdstore.Values{"hostname": "C1", "conductor_group": "rival"}, false)
				return err
			},
			check: func(w *world, r *runResult) []string {
				if all := r.end.named("conductors", "conductor_group", "victim"); r.err == nil && len(all) != 1 || r.err != nil && len(all) != 0 {
					return []string{fmt.Sprintf("outcome: %v after %v", all, r.err)}
				}
				return nil
			}},
	}
}

func setupOldNode(ctx context.Context, w *world) error {
	return w.makeNode(ctx, "node", etcdstore.Values{"version": "1.21"})
}

// 16 conductors register one hostname, each through its own Store: one
// wins, the others are told it is registered.
func TestConcurrentRegisterConductor(t *testing.T) {
	f := newFixture(t)
	errs := make([]error, 16)
	var wg sync.WaitGroup
	for i := range errs {
		s := newFixture(t, etcdstore.WithPrefix(f.prefix))
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = s.RegisterConductor(f.ctx, etcdstore.Values{"hostname": "contested", "conductor_group": fmt.Sprint(i)}, false)
		}(i)
	}
	wg.Wait()
	exactlyOneWins(t, errs, etcdstore.ErrConductorAlreadyRegistered)
	if all, _ := f.GetConductorList(f.ctx); len(all) != 1 {
		t.Fatalf("records %v", all)
	}
}

// 16 writers register the same rows, in several transactions each: one
// wins, every other stores nothing.
func TestConcurrentRegisterHardwareInterfaceDicts(t *testing.T) {
	f := newFixture(t)
	errs := make([]error, 16)
	var wg sync.WaitGroup
	for i := range errs {
		s := newFixture(t, etcdstore.WithPrefix(f.prefix), etcdstore.WithMaxTxnOps(16))
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = s.RegisterConductorHardwareInterfaceDicts(f.ctx, 3, hwDicts("ht", "power", strings.Split("abcdefghijkl", "")...))
		}(i)
	}
	wg.Wait()
	exactlyOneWins(t, errs, etcdstore.ErrConductorHardwareInterfacesAlreadyRegistered)
	if rows, _ := f.ListConductorHardwareInterfaces(f.ctx, 3); len(rows) != 12 {
		t.Fatalf("rows %v", rows)
	}
}
