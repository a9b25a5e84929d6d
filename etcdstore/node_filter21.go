package etcdstore

import (
	"strings"

	"github.com/ironic-etcd/ironic-etcd/keys"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// NodeFilter21 holds the node filters Ironic 21.4 added to the seed's
// (Connection._NODE_FILTERS of ironic/db/sqlalchemy/api.py 21.4.4). It is
// embedded in NodeFilter, so its fields read as NodeFilter's own. A nil
// field does not filter.
type NodeFilter21 struct {
	// Equality on a column (_NODE_QUERY_FIELDS); a Null value matches
	// NULL, as SQLAlchemy's filter_by(column=None).
	ID             *int64
	UUID           *string // any spelling IsUUIDLike accepts
	InstanceUUID   *NullableString
	Retired        *NullableBool
	Fault          *NullableString
	ConductorGroup *NullableString
	Owner          *NullableString
	Lessee         *NullableString
	// Membership (_NODE_IN_QUERY_FIELDS, SQL IN): a NULL column never
	// matches; a non-nil empty list matches nothing.
	UUIDIn           []string
	ProvisionStateIn []string
	ShardIn          []string
	// Column is (not) NULL (_NODE_NON_NULL_FILTERS; associated and
	// reserved are the seed's).
	WithPowerState *bool // power_state
	Sharded        *bool // shard
	// DescriptionContains keeps nodes whose description contains it,
	// compared without regard to case (keys.Fold), '%' and '_' taken
	// literally (see README); NULL descriptions never match.
	DescriptionContains *string
	// Project keeps nodes it owns or leases (owner = project OR lessee =
	// project); Null matches a NULL owner or lessee, as the reference.
	Project *NullableString
}

// NullableBool is an equality filter value on a nullable boolean column;
// Null matches NULL.
type NullableBool struct {
	Value bool
	Null  bool
}

// nodeFilter21Keys are the filter names 21.4 adds.
var nodeFilter21Keys = []string{"id", "uuid", "instance_uuid", "retired", "fault", "conductor_group",
	"owner", "lessee", "uuid_in", "provision_state_in", "shard_in", "with_power_state", "sharded",
	"description_contains", "project"}

// parse reads one 21.4 filter; known is false for a name 21.4 does not
// have either.
func (f *NodeFilter21) parse(key string, v any) (known bool, err error) {
	switch key {
	case "id":
		var n int64
		if n, err = toInt64(v); err != nil {
			return true, invalidParam("filter %q: %v", key, err)
		}
		f.ID = &n
	case "uuid":
		f.UUID, err = filterString(key, v)
	case "instance_uuid":
		f.InstanceUUID, err = filterNullable(key, v)
	case "retired":
		f.Retired, err = filterNullableBool(key, v)
	case "fault":
		f.Fault, err = filterNullable(key, v)
	case "conductor_group":
		f.ConductorGroup, err = filterNullable(key, v)
	case "owner":
		f.Owner, err = filterNullable(key, v)
	case "lessee":
		f.Lessee, err = filterNullable(key, v)
	case "uuid_in":
		f.UUIDIn, err = filterStrings(key, v)
	case "provision_state_in":
		f.ProvisionStateIn, err = filterStrings(key, v)
	case "shard_in":
		f.ShardIn, err = filterStrings(key, v)
	case "with_power_state":
		f.WithPowerState, err = filterBool(key, v)
	case "sharded":
		f.Sharded, err = filterBool(key, v)
	case "description_contains":
		if v != nil { // the reference ignores a None keyword
			f.DescriptionContains, err = filterString(key, v)
		}
	case "project":
		f.Project, err = filterNullable(key, v)
	default:
		return false, nil
	}
	return true, err
}

func filterNullableBool(key string, v any) (*NullableBool, error) {
	if v == nil {
		return &NullableBool{Null: true}, nil
	}
	b, err := filterBool(key, v)
	if err != nil {
		return nil, err
	}
	return &NullableBool{Value: *b}, nil
}

// isEmpty reports a filter that keeps every node.
func (f NodeFilter21) isEmpty() bool {
	return f.ID == nil && f.UUID == nil && f.InstanceUUID == nil && f.Retired == nil && f.Fault == nil &&
		f.ConductorGroup == nil && f.Owner == nil && f.Lessee == nil && f.UUIDIn == nil &&
		f.ProvisionStateIn == nil && f.ShardIn == nil && f.WithPowerState == nil && f.Sharded == nil &&
		f.DescriptionContains == nil && f.Project == nil
}

// matcher compiles the 21.4 filters; nil when there are none.
func (f NodeFilter21) matcher() func(n *pb.Node) bool {
	if f.isEmpty() {
		return nil
	}
	var uuid string
	if f.UUID != nil {
		uuid = CanonicalUUID(*f.UUID)
	}
	instance := f.InstanceUUID
	if instance != nil && !instance.Null {
		instance = &NullableString{Value: CanonicalUUID(instance.Value)}
	}
	uuidIn := setOf(f.UUIDIn, CanonicalUUID)
	stateIn, shardIn := setOf(f.ProvisionStateIn, nil), setOf(f.ShardIn, nil)
	var needle string
	if f.DescriptionContains != nil {
		needle = keys.Fold(*f.DescriptionContains)
	}
	notNull := func(want *bool, has bool) bool { return want == nil || *want == has }
	in := func(set map[string]bool, p *string) bool { return set == nil || (p != nil && set[*p]) }
	return func(n *pb.Node) bool {
		switch {
		case f.ID != nil && n.Id != *f.ID,
			f.UUID != nil && n.Uuid != uuid,
			!nullableEq(instance, n.InstanceUuid),
			f.Retired != nil && (f.Retired.Null != (n.Retired == nil) || n.GetRetired() != f.Retired.Value),
			!nullableEq(f.Fault, n.Fault),
			f.ConductorGroup != nil && (f.ConductorGroup.Null || n.ConductorGroup != f.ConductorGroup.Value),
			!nullableEq(f.Owner, n.Owner),
			!nullableEq(f.Lessee, n.Lessee),
			uuidIn != nil && !uuidIn[n.Uuid],
			!in(stateIn, n.ProvisionState),
			!in(shardIn, n.Shard),
			!notNull(f.WithPowerState, n.PowerState != nil),
			!notNull(f.Sharded, n.Shard != nil),
			f.DescriptionContains != nil && (n.Description == nil || !strings.Contains(keys.Fold(n.GetDescription()), needle)),
			f.Project != nil && !nullableEq(f.Project, n.Owner) && !nullableEq(f.Project, n.Lessee):
			return false
		}
		return true
	}
}

// nullableEq is SQL's column = value, or column IS NULL for a Null value;
// a nil want matches everything.
func nullableEq(want *NullableString, got *string) bool {
	switch {
	case want == nil:
		return true
	case want.Null:
		return got == nil
	}
	return got != nil && *got == want.Value
}

// setOf is a list as a set, each value mapped by canon when not nil; nil
// for a nil list (no filter), empty for an empty one (matches nothing).
func setOf(list []string, canon func(string) string) map[string]bool {
	if list == nil {
		return nil
	}
	out := make(map[string]bool, len(list))
	for _, v := range list {
		if canon != nil {
			v = canon(v)
		}
		out[v] = true
	}
	return out
}

// candidateSets adds the read cache's index sets every node matching the
// 21.4 filters is in: provision_state_in is a union of state buckets.
func (f NodeFilter21) candidateSets(x *nodeBuckets, sets [][]idSet) [][]idSet {
	if f.ProvisionStateIn != nil {
		u := []idSet{}
		for _, st := range f.ProvisionStateIn {
			u = append(u, x.byState[st])
		}
		sets = append(sets, u)
	}
	return sets
}

// NodeFilterNames lists every filter ParseNodeFilters knows: the seed's
// and 21.4's.
func NodeFilterNames() []string {
	return append(append([]string{}, nodeFilterKeys...), nodeFilter21Keys...)
}
