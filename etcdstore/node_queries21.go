package etcdstore

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/keys"
)

// CountNodesInProvisionState is Ironic 21.4's
// count_nodes_in_provision_state: how many nodes are in one of states
// (the reference takes one state or a list). No states counts none.
//
// Round trips: one per 1,000 nodes, as a node list in id order; from the
// read cache, one (its freshness check), walking only the nodes in those
// states.
func (s *Store) CountNodesInProvisionState(ctx context.Context, states ...string) (int, error) {
	f := NodeFilter{NodeFilter21: NodeFilter21{ProvisionStateIn: append([]string{}, states...)}}
	sts, err := s.listNodes(ctx, f, ListOptions{}, true)
	return len(sts), err
}

// ShardCount is one row of get_shard_list.
type ShardCount struct {
	// Name is the shard, "None" for the nodes without one (the
	// reference's str(None)).
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// GetShardList is Ironic 21.4's get_shard_list: the number of nodes per
// shard, most nodes first; equal counts in the order of SQL's GROUP BY
// (nodes without a shard first, then by name, byte order), as the
// reference's stable sort leaves them on SQLite. No nodes: an empty list.
//
// Round trips: one per 1,000 nodes, all at one revision; one from the read
// cache.
func (s *Store) GetShardList(ctx context.Context) ([]ShardCount, error) {
	sts, err := s.listNodes(ctx, NodeFilter{}, ListOptions{}, true)
	if err != nil {
		return nil, err
	}
	type group struct {
		shard *string
		count int
	}
	var unsharded group
	byName := map[string]*group{}
	for _, st := range sts {
		n := nodeOf(st.rec)
		g := &unsharded
		if n.Shard != nil {
			if g = byName[n.GetShard()]; g == nil {
				g = &group{shard: n.Shard}
				byName[n.GetShard()] = g
			}
		}
		g.count++
	}
	var groups []group
	if unsharded.count > 0 {
		groups = append(groups, unsharded)
	}
	names := make([]string, 0, len(byName))
	for name := range byName {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		groups = append(groups, *byName[name])
	}
	slices.SortStableFunc(groups, func(a, b group) int { return cmp.Compare(b.count, a.count) })
	out := make([]ShardCount, len(groups))
	for i, g := range groups {
		out[i] = ShardCount{Name: "None", Count: g.count}
		if g.shard != nil {
			out[i].Name = *g.shard
		}
	}
	return out, nil
}

// logicalName is Ironic's utils.is_valid_logical_name: RFC 3986
// unreserved characters, at most 255.
var logicalName = regexp.MustCompile(`^[A-Za-z0-9\-._~]+$`)

// CheckNodeList is Ironic 21.4's check_node_list: it maps each of idents
// (node uuids, in any spelling, or names, compared without regard to case)
// to the uuid of the node it names, keeping only nodes that project owns
// or leases when project is not "". No idents: an empty map.
//
// NodeNotFound ("Nodes cannot be found: ...", Param("node") the list)
// names, in the order given, first every ident that can be neither a
// uuid nor a logical name (before any read), then every ident no node
// (of project) answers to.
//
// Round trips: one per 1,000 nodes, all at one revision; one from the read
// cache.
func (s *Store) CheckNodeList(ctx context.Context, idents []string, project string) (map[string]string, error) {
	mapping := map[string]string{}
	if len(idents) == 0 {
		return mapping, nil
	}
	byUUID, byName := map[string][]string{}, map[string][]string{}
	var impossible []string
	for _, id := range idents {
		switch {
		case IsUUIDLike(id):
			byUUID[CanonicalUUID(id)] = append(byUUID[CanonicalUUID(id)], id)
		case utf8.RuneCountInString(id) <= 255 && logicalName.MatchString(id):
			byName[keys.Fold(id)] = append(byName[keys.Fold(id)], id)
		default:
			impossible = append(impossible, id)
		}
	}
	if len(impossible) > 0 {
		return nil, errNodesNotFound(impossible)
	}
	ord, err := parseOrder(nodesTable, ListOptions{})
	if err != nil {
		return nil, err
	}
	ord.shared = true
	sts, err := s.listHinted(ctx, nodesTable, ord, func(m protoreflect.Message) bool {
		n := nodeOf(m)
		if project != "" && n.GetOwner() != project && n.GetLessee() != project {
			return false
		}
		return byUUID[n.Uuid] != nil || n.Name != nil && byName[keys.Fold(n.GetName())] != nil
	}, nil)
	if err != nil {
		return nil, err
	}
	for _, st := range sts {
		n := nodeOf(st.rec)
		for _, id := range byUUID[n.Uuid] {
			mapping[id] = n.Uuid
		}
		if n.Name != nil {
			for _, id := range byName[keys.Fold(n.GetName())] {
				mapping[id] = n.Uuid
			}
		}
	}
	var missing []string
	for _, id := range idents {
		if _, ok := mapping[id]; !ok && !slices.Contains(missing, id) {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return nil, errNodesNotFound(missing)
	}
	return mapping, nil
}

func errNodesNotFound(idents []string) error {
	list := strings.Join(idents, ", ")
	msg := fmt.Sprintf("Nodes cannot be found: %s", list)
	return newError(ErrNodeNotFound, msg, "node", list, ParamMessage, msg)
}
