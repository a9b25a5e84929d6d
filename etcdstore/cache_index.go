package etcdstore

import (
	"slices"
	"strings"

	"github.com/ironic-etcd/ironic-etcd/keys"
)

// nodeIndex keeps, for the filters conductors poll most, the ids of the
// nodes with each value, so a filtered list costs time in the matches, not
// in the number of nodes. It is owned by the mirror and guarded by its
// lock.
type nodeIndex struct {
	byState    map[string]idSet // provision_state (NULL: not indexed)
	byDriver   map[string]idSet
	byClass    map[string]idSet // resource_class
	byAffinity map[int64]idSet  // conductor_affinity
	maint      idSet            // maintenance = true
	byHolder   map[string]idSet // reservation, from the lock keys
}

type idSet map[int64]struct{}

func newNodeIndex() *nodeIndex {
	return &nodeIndex{
		byState: map[string]idSet{}, byDriver: map[string]idSet{}, byClass: map[string]idSet{},
		byAffinity: map[int64]idSet{}, maint: idSet{}, byHolder: map[string]idSet{},
	}
}

func addTo[K comparable](m map[K]idSet, k K, id int64) {
	s := m[k]
	if s == nil {
		s = idSet{}
		m[k] = s
	}
	s[id] = struct{}{}
}

func removeFrom[K comparable](m map[K]idSet, k K, id int64) {
	if s := m[k]; s != nil {
		delete(s, id)
		if len(s) == 0 {
			delete(m, k)
		}
	}
}

// add indexes a mirrored node record or node lock.
func (x *nodeIndex) add(s *Store, e *entry) { x.update(s, e, true) }

// remove drops what add indexed for e.
func (x *nodeIndex) remove(s *Store, e *entry) { x.update(s, e, false) }

func (x *nodeIndex) update(s *Store, e *entry, add bool) {
	if strings.HasPrefix(e.key, s.keys.Reservations()) {
		id, err := keys.ParseID(e.key)
		if err != nil {
			return
		}
		if add {
			addTo(x.byHolder, e.value, id)
		} else {
			removeFrom(x.byHolder, e.value, id)
		}
		return
	}
	if e.t != nodesTable || e.rec == nil {
		return
	}
	n := nodeOf(e.rec)
	op := addTo[string]
	opInt := addTo[int64]
	if !add {
		op, opInt = removeFrom[string], removeFrom[int64]
	}
	if n.ProvisionState != nil {
		op(x.byState, n.GetProvisionState(), n.Id)
	}
	if n.Driver != nil {
		op(x.byDriver, n.GetDriver(), n.Id)
	}
	if n.ResourceClass != nil {
		op(x.byClass, n.GetResourceClass(), n.Id)
	}
	if n.ConductorAffinity != nil {
		opInt(x.byAffinity, n.GetConductorAffinity(), n.Id)
	}
	if n.Maintenance {
		if add {
			x.maint[n.Id] = struct{}{}
		} else {
			delete(x.maint, n.Id)
		}
	}
}

// candidates returns, in ascending order, the ids of the smallest index
// set that every node matching f must be in; ok is false when no index
// applies and the caller walks every node. The func itself is nil when f
// uses no indexed filter.
func (f NodeFilter) candidates() candidateFunc {
	if f.ProvisionState == nil && f.Driver == nil && f.ResourceClass == nil &&
		(f.Maintenance == nil || !*f.Maintenance) && (f.Reserved == nil || !*f.Reserved) && f.ReservedByAnyOf == nil {
		return nil
	}
	return func(x *nodeIndex) ([]int64, bool) {
		var sets [][]idSet
		if p := f.ProvisionState; p != nil && !p.Null {
			sets = append(sets, []idSet{x.byState[p.Value]})
		}
		if d := f.Driver; d != nil && !d.Null {
			sets = append(sets, []idSet{x.byDriver[d.Value]})
		}
		if c := f.ResourceClass; c != nil && !c.Null {
			sets = append(sets, []idSet{x.byClass[c.Value]})
		}
		if f.Maintenance != nil && *f.Maintenance {
			sets = append(sets, []idSet{x.maint})
		}
		if f.ReservedByAnyOf != nil {
			var u []idSet
			for _, h := range f.ReservedByAnyOf {
				u = append(u, x.byHolder[h])
			}
			sets = append(sets, u)
		} else if f.Reserved != nil && *f.Reserved {
			var u []idSet
			for _, s := range x.byHolder {
				u = append(u, s)
			}
			sets = append(sets, u)
		}
		if len(sets) == 0 { // only NULL-valued equality filters: walk all
			return nil, false
		}
		best, bestLen := sets[0], -1
		for _, union := range sets {
			n := 0
			for _, s := range union {
				n += len(s)
			}
			if bestLen < 0 || n < bestLen {
				best, bestLen = union, n
			}
		}
		ids := make([]int64, 0, bestLen)
		for _, s := range best {
			for id := range s {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
		return ids, true
	}
}
