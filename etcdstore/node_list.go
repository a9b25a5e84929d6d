package etcdstore

import (
	"context"
	"sort"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

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
// time.Time, json.RawMessage for JSON columns, []string for "tags" and
// "traits" (names, sorted). Every 21.4 column may be asked (a 21.4
// conductor asks conductor_group). An unknown column is refused with
// InvalidParameterValue. Round trips as
// GetNodeList.
func (s *Store) GetNodeinfoList(ctx context.Context, columns []string, f NodeFilter, opts ListOptions) ([][]any, error) {
	if columns == nil {
		columns = []string{"id"}
	}
	fds, err := nodeColumns(columns, true)
	if err != nil {
		return nil, err
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

func traitNames(n *pb.Node) []string {
	out := make([]string, len(n.Traits))
	for i, t := range n.Traits {
		out[i] = t.Trait
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
	"traits":             func(n *pb.Node) any { return traitNames(n) },
}

// boxedOrder fixes the positions of fastNodeColumns in boxed column
// arrays.
var boxedOrder = func() map[protoreflect.Name]int {
	m := map[protoreflect.Name]int{}
	for name := range fastNodeColumns {
		if name != "tags" && name != "traits" { // a fresh slice per row: callers may keep it
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
