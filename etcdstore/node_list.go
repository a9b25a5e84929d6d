package etcdstore

import (
	"context"
	"sort"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/pb"
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
			err = invalidParam("unknown node filter %q; known: %v", key, nodeFilterKeys)
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
	return func(m protoreflect.Message) bool {
		n := nodeOf(m)
		switch {
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
		f.ProvisionState == nil && f.ProvisionedBefore == nil && f.InspectionStartedBefore == nil
}

// listNodes is the shared body of GetNodeList and GetNodeinfoList.
func (s *Store) listNodes(ctx context.Context, f NodeFilter, opts ListOptions, shared bool) ([]stored, error) {
	ord, err := parseOrder(nodesTable, opts)
	if err != nil {
		return nil, err
	}
	ord.shared = shared
	if ord.key != nil && ord.key.Name() == "tags" {
		return nil, invalidParam("nodes cannot be sorted by tags")
	}
	var chassisID int64
	if f.ChassisUUID != nil {
		st, found, err := s.getByUnique(ctx, chassisTable, "uuid", *f.ChassisUUID)
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, chassisTable.notFound(*f.ChassisUUID)
		}
		chassisID = recordID(st.rec)
	}
	return s.listHinted(ctx, nodesTable, ord, f.matcher(chassisID, s.now()), f.candidates())
}

// GetNodeList returns the nodes that match f, with their tags and locks,
// paged and sorted by opts (§5). A chassis_uuid filter naming no chassis
// fails with ChassisNotFound.
//
// Round trips: one per 1,000 nodes scanned in id order, all at one
// revision (one in all for any other sort key), plus one or two to
// resolve a chassis_uuid.
func (s *Store) GetNodeList(ctx context.Context, f NodeFilter, opts ListOptions) ([]*pb.Node, error) {
	sts, err := s.listNodes(ctx, f, opts, false)
	if err != nil {
		return nil, err
	}
	return records[*pb.Node](sts), nil
}

// GetNodeinfoList returns, for each node that matches f, the values of
// columns in that order (nil: just "id"), as GetNodeList pages and sorts
// them. Values are Go values: nil for NULL, string, int64, bool,
// time.Time, json.RawMessage for JSON columns, []string for "tags". An
// unknown column is refused with InvalidParameterValue. Round trips as
// GetNodeList.
func (s *Store) GetNodeinfoList(ctx context.Context, columns []string, f NodeFilter, opts ListOptions) ([][]any, error) {
	if columns == nil {
		columns = []string{"id"}
	}
	sample := (&pb.Node{}).ProtoReflect()
	fds := make([]protoreflect.FieldDescriptor, len(columns))
	for i, c := range columns {
		fd := sample.Descriptor().Fields().ByName(protoreflect.Name(c))
		if fd == nil || c == "reservation_revision" {
			return nil, invalidParam("unknown node column %q", c)
		}
		fds[i] = fd
	}
	sts, err := s.listNodes(ctx, f, opts, true)
	if err != nil {
		return nil, err
	}
	rows := make([][]any, len(sts))
	cells := make([]any, len(sts)*len(fds)) // one allocation for every row
	for i, st := range sts {
		row := cells[i*len(fds) : (i+1)*len(fds) : (i+1)*len(fds)]
		n := nodeOf(st.rec)
		for j, fd := range fds {
			if i, ok := boxedOrder[fd.Name()]; ok && st.boxed != nil {
				row[j] = st.boxed[i]
				continue
			}
			if get := fastNodeColumns[fd.Name()]; get != nil {
				row[j] = get(n)
				continue
			}
			row[j] = getValue(st.rec, fd)
		}
		rows[i] = row
	}
	return rows, nil
}

func tagNames(n *pb.Node) []string {
	out := make([]string, len(n.Tags))
	for i, t := range n.Tags {
		out[i] = t.Tag
	}
	sort.Strings(out)
	return out
}

// fastNodeColumns read the columns periodic tasks ask for most without
// reflection; they return what getValue would. The read cache keeps these
// values boxed with each node (boxedColumns), so building a row of them
// allocates nothing.
var fastNodeColumns = map[protoreflect.Name]func(*pb.Node) any{
	"id":                 func(n *pb.Node) any { return n.Id },
	"uuid":               func(n *pb.Node) any { return n.Uuid },
	"name":               func(n *pb.Node) any { return optional(n.Name) },
	"driver":             func(n *pb.Node) any { return optional(n.Driver) },
	"reservation":        func(n *pb.Node) any { return optional(n.Reservation) },
	"provision_state":    func(n *pb.Node) any { return optional(n.ProvisionState) },
	"power_state":        func(n *pb.Node) any { return optional(n.PowerState) },
	"instance_uuid":      func(n *pb.Node) any { return optional(n.InstanceUuid) },
	"maintenance":        func(n *pb.Node) any { return n.Maintenance },
	"conductor_affinity": func(n *pb.Node) any { return optional(n.ConductorAffinity) },
	"tags":               func(n *pb.Node) any { return tagNames(n) },
}

// boxedOrder fixes the positions of fastNodeColumns in boxed column
// arrays.
var boxedOrder = func() map[protoreflect.Name]int {
	m := map[protoreflect.Name]int{}
	for name := range fastNodeColumns {
		if name != "tags" { // a fresh slice per row: callers may keep it
			m[name] = len(m)
		}
	}
	return m
}()

// boxedColumns computes the boxed fast columns of a node.
func boxedColumns(n *pb.Node) []any {
	out := make([]any, len(boxedOrder))
	for name, i := range boxedOrder {
		out[i] = fastNodeColumns[name](n)
	}
	return out
}

// optional is a nullable column's Go value: nil for NULL.
func optional[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
