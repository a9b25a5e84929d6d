package etcdstore

import (
	"slices"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// NodeFilter is the parsed form of the filters of get_nodeinfo_list and
// get_node_list (BEHAVIOUR.md §6). Build it with ParseNodeFilters from the
// reference's map, or fill it directly. Every field set is ANDed.
type NodeFilter struct {
	ChassisUUID *string
	Associated  *bool // instance_uuid is (not) null
	Reserved    *bool // reservation is (not) null
	// ReservedByAnyOf keeps nodes reserved by one of these hosts; a
	// non-nil empty list matches nothing.
	ReservedByAnyOf []string
	Maintenance     *bool
	ConsoleEnabled  *bool
	Driver          *NullableString
	ResourceClass   *NullableString
	ProvisionState  *NullableString
	// ProvisionedBefore keeps nodes whose provision_updated_at is older
	// than now minus this; NULL never matches.
	ProvisionedBefore *time.Duration
	// InspectionStartedBefore does the same for inspection_started_at.
	InspectionStartedBefore *time.Duration
	// The filters Ironic 21.4 added (node_filter21.go).
	NodeFilter21
}

// NullableString is an equality filter value; Null matches NULL columns.
type NullableString struct {
	Value string
	Null  bool
}

// nodeFilterKeys are the filter names the reference knows.
var nodeFilterKeys = []string{"chassis_uuid", "associated", "reserved", "reserved_by_any_of",
	"maintenance", "console_enabled", "driver", "resource_class", "provision_state",
	"provisioned_before", "inspection_started_before"}

// ParseNodeFilters reads the reference's filters map. Unlike the
// reference, which ignores unknown keys, an unknown key or a value of the
// wrong type is refused with InvalidParameterValue (see README).
func ParseNodeFilters(filters map[string]any) (NodeFilter, error) {
	var f NodeFilter
	for key, v := range filters {
		var err error
		switch key {
		case "chassis_uuid":
			f.ChassisUUID, err = filterString(key, v)
		case "associated":
			f.Associated, err = filterBool(key, v)
		case "reserved":
			f.Reserved, err = filterBool(key, v)
		case "maintenance":
			f.Maintenance, err = filterBool(key, v)
		case "console_enabled":
			f.ConsoleEnabled, err = filterBool(key, v)
		case "reserved_by_any_of":
			f.ReservedByAnyOf, err = filterStrings(key, v)
		case "driver":
			f.Driver, err = filterNullable(key, v)
		case "resource_class":
			f.ResourceClass, err = filterNullable(key, v)
		case "provision_state":
			f.ProvisionState, err = filterNullable(key, v)
		case "provisioned_before":
			f.ProvisionedBefore, err = filterSeconds(key, v)
		case "inspection_started_before":
			f.InspectionStartedBefore, err = filterSeconds(key, v)
		default:
			var known bool
			if known, err = f.NodeFilter21.parse(key, v); !known {
				err = invalidParam("unknown node filter %q; known: %v", key, NodeFilterNames()).withReference(ReferenceValueError)
			}
		}
		if err != nil {
			return NodeFilter{}, err
		}
	}
	return f, nil
}

func filterBool(key string, v any) (*bool, error) {
	b, ok := v.(bool)
	if !ok {
		return nil, invalidParam("filter %q wants a bool, got %T", key, v)
	}
	return &b, nil
}

func filterString(key string, v any) (*string, error) {
	s, ok := v.(string)
	if !ok {
		return nil, invalidParam("filter %q wants a string, got %T", key, v)
	}
	return &s, nil
}

func filterNullable(key string, v any) (*NullableString, error) {
	if v == nil {
		return &NullableString{Null: true}, nil
	}
	s, err := filterString(key, v)
	if err != nil {
		return nil, err
	}
	return &NullableString{Value: *s}, nil
}

func filterStrings(key string, v any) ([]string, error) {
	switch x := v.(type) {
	case []string:
		return append([]string{}, x...), nil
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, invalidParam("filter %q wants a list of strings", key)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, invalidParam("filter %q wants a list of strings, got %T", key, v)
}

func filterSeconds(key string, v any) (*time.Duration, error) {
	var secs float64
	switch x := v.(type) {
	case int:
		secs = float64(x)
	case int64:
		secs = float64(x)
	case float64:
		secs = x
	default:
		return nil, invalidParam("filter %q wants a number of seconds, got %T", key, v)
	}
	if secs < 0 || secs > 1e12 {
		return nil, invalidParam("filter %q: %v seconds is out of range", key, v)
	}
	d := time.Duration(secs * float64(time.Second))
	return &d, nil
}

// matcher compiles a filter against a resolved chassis id and a clock.
func (f NodeFilter) matcher(chassisID int64, now time.Time) func(protoreflect.Message) bool {
	if f.isEmpty() {
		return nil
	}
	var hosts map[string]bool
	if f.ReservedByAnyOf != nil {
		hosts = make(map[string]bool, len(f.ReservedByAnyOf))
		for _, h := range f.ReservedByAnyOf {
			hosts[h] = true
		}
	}
	eq := func(want *NullableString, has bool, got string) bool {
		if want == nil {
			return true
		}
		if want.Null {
			return !has
		}
		return has && got == want.Value
	}
	before := func(d *time.Duration, t interface{ AsTime() time.Time }, isNil bool) bool {
		return d == nil || (!isNil && t.AsTime().Before(now.Add(-*d)))
	}
	keep21 := f.NodeFilter21.matcher()
	return func(m protoreflect.Message) bool {
		n := nodeOf(m)
		switch {
		case keep21 != nil && !keep21(n):
			return false
		case f.ChassisUUID != nil && n.GetChassisId() != chassisID,
			f.ChassisUUID != nil && n.ChassisId == nil,
			f.Associated != nil && *f.Associated != (n.InstanceUuid != nil),
			f.Reserved != nil && *f.Reserved != (n.Reservation != nil),
			hosts != nil && (n.Reservation == nil || !hosts[n.GetReservation()]),
			f.Maintenance != nil && *f.Maintenance != n.Maintenance,
			f.ConsoleEnabled != nil && *f.ConsoleEnabled != n.ConsoleEnabled,
			!eq(f.Driver, n.Driver != nil, n.GetDriver()),
			!eq(f.ResourceClass, n.ResourceClass != nil, n.GetResourceClass()),
			!eq(f.ProvisionState, n.ProvisionState != nil, n.GetProvisionState()),
			!before(f.ProvisionedBefore, n.ProvisionUpdatedAt, n.ProvisionUpdatedAt == nil),
			!before(f.InspectionStartedBefore, n.InspectionStartedAt, n.InspectionStartedAt == nil):
			return false
		}
		return true
	}
}

// isEmpty reports a filter that keeps every node.
func (f NodeFilter) isEmpty() bool {
	return f.ChassisUUID == nil && f.Associated == nil && f.Reserved == nil && f.ReservedByAnyOf == nil &&
		f.Maintenance == nil && f.ConsoleEnabled == nil && f.Driver == nil && f.ResourceClass == nil &&
		f.ProvisionState == nil && f.ProvisionedBefore == nil && f.InspectionStartedBefore == nil &&
		f.NodeFilter21.isEmpty()
}

// candidates returns, in ascending order, the ids of the smallest index
// set that every node matching f must be in; ok is false when no index
// applies and the caller walks every node. The func itself is nil when f
// uses no indexed filter.
func (f NodeFilter) candidates() candidateFunc {
	if f.ProvisionState == nil && f.Driver == nil && f.ResourceClass == nil &&
		(f.Maintenance == nil || !*f.Maintenance) && (f.Reserved == nil || !*f.Reserved) && f.ReservedByAnyOf == nil &&
		f.ProvisionStateIn == nil {
		return nil
	}
	return func(x *nodeBuckets) ([]int64, bool) {
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
		sets = f.NodeFilter21.candidateSets(x, sets)
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
