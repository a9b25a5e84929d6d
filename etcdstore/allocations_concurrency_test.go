package etcdstore_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// 16 concurrent writers, each through a Store of its own, for each unique
// index of allocations, for the association of one node and for the take
// over of one allocation: exactly one wins.

const writers = 16

// concurrently runs fn(i, store) for i < writers, each on its own Store
// over f's prefix, and returns their errors.
func (f *fixture) concurrently(t *testing.T, fn func(i int, s *etcdstore.Store) error) []error {
	t.Helper()
	stores := make([]*etcdstore.Store, writers)
	for i := range stores {
		stores[i] = newFixture(t, etcdstore.WithPrefix(f.prefix)).Store
	}
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = fn(i, stores[i])
		}(i)
	}
	wg.Wait()
	return errs
}

func TestAllocationConcurrentCreateSameName(t *testing.T) {
	f := newFixture(t)
	errs := f.concurrently(t, func(i int, s *etcdstore.Store) error {
		_, err := s.CreateAllocation(f.ctx, etcdstore.Values{"name": "contested"})
		return err
	})
	exactlyOneWins(t, errs, etcdstore.ErrAllocationDuplicateName)
}

func TestAllocationConcurrentCreateSameUUID(t *testing.T) {
	f := newFixture(t)
	u := uuid.NewString()
	errs := f.concurrently(t, func(i int, s *etcdstore.Store) error {
		_, err := s.CreateAllocation(f.ctx, etcdstore.Values{"uuid": u, "name": fmt.Sprint("a", i)})
		return err
	})
	exactlyOneWins(t, errs, etcdstore.ErrAllocationAlreadyExists)
}

func TestAllocationConcurrentRenameToSameName(t *testing.T) {
	f := newFixture(t)
	var ids []int64
	for i := 0; i < writers; i++ {
		ids = append(ids, f.mustAllocation(t, etcdstore.Values{"name": fmt.Sprint("a", i)}).Id)
	}
	errs := f.concurrently(t, func(i int, s *etcdstore.Store) error {
		_, err := s.UpdateAllocation(f.ctx, id(ids[i]), etcdstore.Values{"name": "contested"}, true)
		return err
	})
	exactlyOneWins(t, errs, etcdstore.ErrAllocationDuplicateName)
}

// 16 allocations associate one node: one wins, the others get
// NodeAssociated, and the node and the winner agree.
func TestAllocationConcurrentAssociation(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	var uuids []string
	for i := 0; i < writers; i++ {
		uuids = append(uuids, f.mustAllocation(t, etcdstore.Values{"traits": []any{fmt.Sprint("CUSTOM_", i)}}).Uuid)
	}
	errs := f.concurrently(t, func(i int, s *etcdstore.Store) error {
		_, err := s.UpdateAllocation(f.ctx, uuids[i], etcdstore.Values{"node_id": n.Id, "state": "active"}, true)
		return err
	})
	exactlyOneWins(t, errs, etcdstore.ErrNodeAssociated)
	got, err := f.GetNodeByID(f.ctx, n.Id)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range errs {
		a, err := f.GetAllocationByUUID(f.ctx, uuids[i])
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case e == nil && (got.GetAllocationId() != a.Id || got.GetInstanceUuid() != a.Uuid ||
			string(got.InstanceInfo) != fmt.Sprintf(`{"traits":["CUSTOM_%d"]}`, i) || a.GetNodeId() != n.Id):
			t.Fatalf("the winner %d and the node disagree: %v / %v", i, a, got)
		case e != nil && (a.NodeId != nil || a.State != "allocating"):
			t.Fatalf("loser %d was written: %v", i, a)
		}
	}
}

// 16 conductors take over one allocation from conductor 1: exactly one
// gets true, and the affinity is the winner's.
func TestAllocationConcurrentTakeOver(t *testing.T) {
	f := newFixture(t)
	a := f.mustAllocation(t, etcdstore.Values{"conductor_affinity": 1})
	won := make([]bool, writers)
	errs := f.concurrently(t, func(i int, s *etcdstore.Store) error {
		var err error
		won[i], err = s.TakeOverAllocation(f.ctx, a.Uuid, 1, int64(100+i))
		return err
	})
	winner := -1
	for i := range won {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if won[i] {
			if winner >= 0 {
				t.Fatalf("both %d and %d took over", winner, i)
			}
			winner = i
		}
	}
	got, _ := f.GetAllocationByID(f.ctx, a.Id)
	if winner < 0 || got.GetConductorAffinity() != int64(100+winner) {
		t.Fatalf("winner %d, affinity %d", winner, got.GetConductorAffinity())
	}
}

// The round trips the allocation methods' doc comments promise.
func TestAllocationRoundTrips(t *testing.T) {
	choosesReadMode(t) // countingStore reads etcd directly
	f := newFixture(t)
	n := f.mustNode(t, nil)
	a := f.mustAllocation(t, etcdstore.Values{"conductor_affinity": 1}) // created elsewhere: nothing remembered
	s, calls := countingStore(t, f)
	measure := roundTripsOf(t, calls)
	aid := id(a.Id)
	measure("GetAllocationByID", 1, func() error { _, err := s.GetAllocationByID(f.ctx, a.Id); return err })
	measure("UpdateAllocation without a node", 2, func() error {
		_, err := s.UpdateAllocation(f.ctx, aid, etcdstore.Values{"name": "x"}, true)
		return err
	})
	measure("UpdateAllocation associating", 3, func() error {
		_, err := s.UpdateAllocation(f.ctx, aid, etcdstore.Values{"node_id": n.Id}, true)
		return err
	})
	measure("GetAllocationList by node id", 2, func() error {
		l, err := s.GetAllocationList(f.ctx, filters(t, map[string]any{"node_uuid": n.Id}), etcdstore.ListOptions{})
		if len(l) != 1 {
			return fmt.Errorf("%d allocations", len(l))
		}
		return err
	})
	measure("GetAllocationList", 1, func() error {
		_, err := s.GetAllocationList(f.ctx, etcdstore.AllocationFilter{}, etcdstore.ListOptions{})
		return err
	})
	measure("TakeOverAllocation", 2, func() error { _, err := s.TakeOverAllocation(f.ctx, aid, 1, 2); return err })
	measure("DestroyAllocation of an associated node", 4, func() error { return s.DestroyAllocation(f.ctx, aid) })
	b := f.mustAllocation(t, nil)
	measure("DestroyAllocation", 3, func() error { return s.DestroyAllocation(f.ctx, id(b.Id)) })
}
