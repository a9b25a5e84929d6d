package etcdstore_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// Hostile owner, project, shard and volume id values in the 21.4 reads:
// an answer or a typed error, nothing written; a node or port holding a
// hostile value is found by exactly that value.
func TestHostileProjectFilters(t *testing.T) {
	f := newFixture(t)
	portStored, targetStored := map[string]bool{}, map[string]bool{}
	for i, s := range hostileStrings {
		v := etcdstore.Values{"owner": s, "lessee": s, "shard": s}
		n, err := f.CreateNode(f.ctx, v)
		if err != nil {
			if !errors.Is(err, etcdstore.ErrInvalidParameterValue) {
				t.Fatalf("node with %.40q: %v", s, err)
			}
			continue
		}
		_, err = f.CreatePort(f.ctx, etcdstore.Values{"node_id": n.Id, "address": macOf(i), "name": s})
		if err != nil && !errors.Is(err, etcdstore.ErrInvalidParameterValue) { // names refuse '/' and control characters
			t.Fatalf("port named %.40q: %v", s, err)
		}
		portStored[s] = err == nil
		_, err = f.CreateVolumeTarget(f.ctx, etcdstore.Values{"node_id": n.Id, "volume_type": "iscsi", "boot_index": 0, "volume_id": s})
		if err != nil && !errors.Is(err, etcdstore.ErrInvalidParameterValue) {
			t.Fatalf("target of volume %.40q: %v", s, err)
		}
		targetStored[s] = err == nil
	}
	before := f.keysUnder(t)
	for _, s := range hostileStrings {
		pf, owner := etcdstore.ProjectFilter{Project: s}, etcdstore.ProjectFilter{Owner: s}
		checks := []func() (int, error){
			func() (int, error) {
				r, err := f.GetPortListForProject(f.ctx, etcdstore.ListOptions{}, owner)
				return len(r), err
			},
			func() (int, error) {
				r, err := f.GetPortListForProject(f.ctx, etcdstore.ListOptions{}, pf)
				return len(r), err
			},
			func() (int, error) {
				r, err := f.GetPortsByShards(f.ctx, []string{s}, etcdstore.ListOptions{})
				return len(r), err
			},
			func() (int, error) {
				r, err := f.GetPortgroupListForProject(f.ctx, etcdstore.ListOptions{}, pf)
				return len(r), err
			},
			func() (int, error) {
				r, err := f.GetVolumeTargetsByVolumeID(f.ctx, s, etcdstore.ListOptions{}, etcdstore.ProjectFilter{})
				return len(r), err
			},
			func() (int, error) {
				r, err := f.GetVolumeTargetListForProject(f.ctx, etcdstore.ListOptions{}, pf)
				return len(r), err
			},
		}
		one := func(held bool) int {
			if held {
				return 1
			}
			return 0
		}
		// What each check finds: the one record holding s ("" filters
		// nothing in the project and owner filters: skipped).
		want := []int{one(portStored[s]), one(portStored[s]), one(portStored[s]), 0, one(targetStored[s]), one(targetStored[s])}
		for i, check := range checks {
			n, err := check()
			if err != nil {
				t.Fatalf("check %d with %.40q: %v", i, s, err)
			}
			if noFilter := s == "" && i != 2 && i != 4; !noFilter && n != want[i] {
				t.Fatalf("check %d with %.40q: %d records, want %d", i, s, n, want[i])
			}
		}
		_, err := f.GetPortByAddressForProject(f.ctx, s, pf)
		if err != nil && !errors.Is(err, etcdstore.ErrPortNotFound) {
			t.Fatalf("get_port_by_address(%.40q): %v", s, err)
		}
		if _, err := f.GetPortgroupByAddressForProject(f.ctx, s, pf); err != nil && !errors.Is(err, etcdstore.ErrPortgroupNotFound) {
			t.Fatalf("get_portgroup_by_address(%.40q): %v", s, err)
		}
	}
	if after := f.keysUnder(t); !slices.Equal(before, after) {
		t.Fatal("reads changed the key space")
	}
}
