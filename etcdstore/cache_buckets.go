package etcdstore

// nodeBuckets keeps, for the filters conductors poll most, the ids of the
// nodes with each value, so a filtered list costs time in the matches, not
// in the number of nodes. It is owned by the mirror and guarded by its
// lock.
type nodeBuckets struct {
	byState    map[string]idSet // provision_state (NULL: not indexed)
	byDriver   map[string]idSet
	byClass    map[string]idSet // resource_class
	byAffinity map[int64]idSet  // conductor_affinity
	maint      idSet            // maintenance = true
	byHolder   map[string]idSet // reservation, live or stale, as merged into the node
}

type idSet map[int64]struct{}

func newNodeBuckets() *nodeBuckets {
	return &nodeBuckets{
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

// add indexes a mirrored node record, its lock and marker merged in.
func (x *nodeBuckets) add(e *entry) { x.update(e, true) }

// remove drops what add indexed for e.
func (x *nodeBuckets) remove(e *entry) { x.update(e, false) }

func (x *nodeBuckets) update(e *entry, add bool) {
	if e.t != nodesTable || e.rec == nil {
		return
	}
	n := nodeOf(e.rec)
	op := addTo[string]
	opInt := addTo[int64]
	if !add {
		op, opInt = removeFrom[string], removeFrom[int64]
	}
	if n.Reservation != nil {
		op(x.byHolder, n.GetReservation(), n.Id)
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
