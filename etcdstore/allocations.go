package etcdstore

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Allocations (Ironic 21.4's allocations table). Unique on name and uuid;
// an allocation's node_id must name an existing node. The association of
// an allocation with its node is update_allocation's (allocation_update.go).

// AllocationStateAllocating is the state create_allocation fills in.
const AllocationStateAllocating = "allocating"

// CreateAllocation follows create_allocation: a uuid is generated when
// absent, null or empty, state is "allocating" when absent, null or
// empty, traits and candidate_nodes default to [] and extra to {}.
// AllocationDuplicateName, then AllocationAlreadyExists (uuid or explicit
// id); NodeNotFound for a node_id that names no node (21.4 leaves that to
// the foreign key). The node is not touched. One round trip (plus one per
// block of ids).
func (s *Store) CreateAllocation(ctx context.Context, values Values) (*pb.Allocation, error) {
	vals := make(Values, len(values)+1)
	for k, v := range values {
		vals[k] = v
	}
	if st, ok := vals["state"]; !ok || st == nil || st == "" {
		vals["state"] = AllocationStateAllocating
	}
	return as[*pb.Allocation](s.createRecord(ctx, allocationsTable, &pb.Allocation{}, vals, nil))
}

// GetAllocationByID follows get_allocation_by_id: AllocationNotFound. One
// round trip.
func (s *Store) GetAllocationByID(ctx context.Context, id int64) (*pb.Allocation, error) {
	return as[*pb.Allocation](s.getRecord(ctx, allocationsTable, id))
}

// GetAllocationByUUID follows get_allocation_by_uuid (any spelling of the
// uuid): AllocationNotFound. Round trips as GetNodeByUUID.
func (s *Store) GetAllocationByUUID(ctx context.Context, allocationUUID string) (*pb.Allocation, error) {
	return as[*pb.Allocation](s.getRecordBy(ctx, allocationsTable, "uuid", allocationUUID))
}

// GetAllocationByName follows get_allocation_by_name; names compare
// without regard to case, as node names. AllocationNotFound. Round trips
// as GetNodeByUUID.
func (s *Store) GetAllocationByName(ctx context.Context, name string) (*pb.Allocation, error) {
	return as[*pb.Allocation](s.getRecordBy(ctx, allocationsTable, "name", name))
}

// TakeOverAllocation follows take_over_allocation: it moves the
// allocation's conductor_affinity from oldConductorID to newConductorID
// and returns true, or returns false and writes nothing when the affinity
// is not oldConductorID (NULL included): another conductor took it over.
// The write compares the allocation's revision, so of two conductors
// taking over the same allocation from the same old one exactly one gets
// true. InvalidIdentity, AllocationNotFound. Round trips: two (read,
// write), plus one per lost race.
func (s *Store) TakeOverAllocation(ctx context.Context, allocationID string, oldConductorID, newConductorID int64) (bool, error) {
	id, err := resolveIdentity(allocationID)
	if err != nil {
		return false, err
	}
	cur, found, err := s.loadByIdent(ctx, allocationsTable, id)
	if err != nil {
		return false, err
	}
	notFound := func() error { return allocationsTable.notFound(allocationID) }
	if !found {
		return false, notFound()
	}
	_, err = s.update(ctx, allocationsTable, id, cur, false, notFound, func(_ stored, next protoreflect.Message) (txnPart, error) {
		a := next.Interface().(*pb.Allocation)
		if a.ConductorAffinity == nil || a.GetConductorAffinity() != oldConductorID {
			return txnPart{}, errTakenOver
		}
		a.ConductorAffinity = &newConductorID
		return txnPart{}, nil
	})
	if errors.Is(err, errTakenOver) {
		return false, nil
	}
	return err == nil, err
}

// errTakenOver marks, inside TakeOverAllocation, an affinity that moved.
var errTakenOver = errors.New("etcdstore: the allocation's conductor affinity moved")

// GetAllocationList follows get_allocation_list: the allocations f keeps,
// sorted and paged (§5). InvalidParameterValue for an unknown sort key.
// A node_uuid that names no node, or a conductor hostname that names no
// conductor, keeps nothing. Round trips: with NodeUUID, one or two to
// resolve a uuid, then two (the node's allocations); else one per 1,000
// allocations in id order, one in all for another sort key; plus one or
// two to resolve a conductor hostname.
func (s *Store) GetAllocationList(ctx context.Context, f AllocationFilter, opts ListOptions) ([]*pb.Allocation, error) {
	ord, err := parseOrder(allocationsTable, opts)
	if err != nil {
		return nil, err
	}
	keep, nodeID, none, err := s.allocationMatcher(ctx, f)
	if err != nil || none || ord.limit == 0 {
		return nil, err
	}
	var sts []stored
	if f.NodeUUID != nil {
		sts, err = s.members(ctx, allocationsTable, s.keys.Members(allocationsTable.name, "node_id", nodeID))
		if err != nil {
			return nil, err
		}
		kept := sts[:0]
		for _, st := range sts {
			if keep(st.rec) {
				kept = append(kept, st)
			}
		}
		sts = ord.page(kept)
	} else if sts, err = s.list(ctx, allocationsTable, ord, keep); err != nil {
		return nil, err
	}
	return records[*pb.Allocation](sts), nil
}

// allocationMatcher resolves f's node and conductor references and
// compiles it. nodeID is the node f.NodeUUID names; none reports a
// reference that names nothing, so nothing matches.
func (s *Store) allocationMatcher(ctx context.Context, f AllocationFilter) (keep func(protoreflect.Message) bool, nodeID int64, none bool, err error) {
	var conductorID int64
	if f.NodeUUID != nil {
		if nodeID, none, err = s.resolveRef(ctx, nodesTable, "uuid", *f.NodeUUID); err != nil || none {
			return nil, 0, none, err
		}
	}
	if f.ConductorAffinity != nil {
		if conductorID, none, err = s.resolveRef(ctx, conductorsTable, "hostname", *f.ConductorAffinity); err != nil || none {
			return nil, 0, none, err
		}
	}
	keep = func(rec protoreflect.Message) bool {
		a := rec.Interface().(*pb.Allocation)
		return (f.NodeUUID == nil || a.NodeId != nil && a.GetNodeId() == nodeID) &&
			(f.ConductorAffinity == nil || a.ConductorAffinity != nil && a.GetConductorAffinity() == conductorID) &&
			f.State.matches(&a.State) && f.ResourceClass.matches(a.ResourceClass) && f.Owner.matches(a.Owner)
	}
	return keep, nodeID, false, nil
}

// resolveRef is the id a filter's reference names: the value itself when
// it is int-like (strutils.is_int_like), else the record of t holding it
// in the unique index (none: no such record).
func (s *Store) resolveRef(ctx context.Context, t *table, index, value string) (id int64, none bool, err error) {
	if n, ok := parseIntLike(value); ok {
		return n, false, nil
	}
	st, found, err := s.getByUnique(ctx, t, index, value)
	if err != nil || !found {
		return 0, !found, err
	}
	return recordID(st.rec), false, nil
}

// AllocationFilter is the parsed form of get_allocation_list's filters;
// every field set is ANDed. Build it with ParseAllocationFilters from the
// reference's map, or fill it directly.
type AllocationFilter struct {
	State, ResourceClass, Owner *NullableString
	// NodeUUID is the node's id when int-like, else its uuid
	// (add_allocation_filter_by_node).
	NodeUUID *string
	// ConductorAffinity is the conductor's id when int-like, else its
	// hostname (add_allocation_filter_by_conductor).
	ConductorAffinity *string
}

// allocationFilterKeys are the filter names 21.4 knows.
var allocationFilterKeys = []string{"state", "resource_class", "node_uuid", "conductor_affinity", "owner"}

// ParseAllocationFilters reads the reference's filters map. An unknown key
// is refused with InvalidParameterValue (21.4 raises ValueError), as is a
// value of the wrong type; node_uuid and conductor_affinity take an
// integer id or a string.
func ParseAllocationFilters(filters map[string]any) (AllocationFilter, error) {
	var f AllocationFilter
	for key, v := range filters {
		var err error
		switch key {
		case "state":
			f.State, err = filterNullable(key, v)
		case "resource_class":
			f.ResourceClass, err = filterNullable(key, v)
		case "owner":
			f.Owner, err = filterNullable(key, v)
		case "node_uuid":
			f.NodeUUID, err = filterRef(key, v)
		case "conductor_affinity":
			f.ConductorAffinity, err = filterRef(key, v)
		default:
			err = invalidParam("SqlAlchemy API does not support filtering by %s; known: %v", key, allocationFilterKeys).withReference(ReferenceValueError)
		}
		if err != nil {
			return AllocationFilter{}, err
		}
	}
	return f, nil
}

// filterRef reads an id-or-name filter value: integers become their
// decimal form.
func filterRef(key string, v any) (*string, error) {
	switch v.(type) {
	case string:
		return filterString(key, v)
	case int, int32, int64, uint32, json.Number, float64:
		n, err := toInt64(v)
		if err != nil {
			return nil, invalidParam("filter %q: %v", key, err)
		}
		s := strconv.FormatInt(n, 10)
		return &s, nil
	}
	return nil, invalidParam("filter %q wants an id or a string, got %T", key, v)
}

// matches reports whether a nullable column (nil: NULL) passes the filter
// (nil: no filter).
func (f *NullableString) matches(col *string) bool {
	switch {
	case f == nil:
		return true
	case f.Null:
		return col == nil
	}
	return col != nil && *col == f.Value
}

// DestroyAllocation follows destroy_allocation: it deletes the allocation
// allocationID (id or uuid) and, in the same transaction, clears
// allocation_id and instance_uuid of every node whose allocation_id names
// it (instance_info keeps its traits, as 21.4). The transaction compares
// the allocation's and each such node's revision and that no node came to
// point at the allocation since they were read; a lost race reads again.
// InvalidIdentity, AllocationNotFound. Round trips: four (read the
// allocation, read its nodes' membership keys, read those nodes, delete;
// three when no node points at it), plus as many per lost race.
func (s *Store) DestroyAllocation(ctx context.Context, allocationID string) error {
	id, err := resolveIdentity(allocationID)
	if err != nil {
		return err
	}
	cur, found, err := s.loadByIdent(ctx, allocationsTable, id)
	for {
		if err != nil {
			return err
		}
		if !found {
			return allocationsTable.notFound(allocationID)
		}
		var part txnPart
		part, err = s.orphanNodesOf(ctx, recordID(cur.rec))
		if err != nil {
			return err
		}
		var done bool
		var fresh stored
		done, fresh, found, err = s.remove(ctx, allocationsTable, cur, part)
		if err != nil || done {
			return err
		}
		if found && fresh.modRev == cur.modRev {
			fresh, found, err = s.loadByIdent(ctx, allocationsTable, id) // a node moved: read again
		} else if err == nil {
			fresh, found, err = s.renamed(ctx, allocationsTable, id, fresh, found)
		}
		cur = fresh
		if err == nil {
			err = ctx.Err()
		}
	}
}
