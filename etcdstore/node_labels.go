package etcdstore

import (
	"context"
	"slices"
	"strconv"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// A node's labels, its tags (the seed) and its traits (21.4), live inside
// the node record (pb.Node.Tags, pb.Node.Traits), so every node read
// returns them without another round trip and destroy_node needs nothing
// extra to remove them. Their methods take the node's integer id, as the
// reference's do; changing labels does not touch the node's updated_at
// (the reference keeps them in tables of their own). Every change is one
// update of the node record: a compare-and-swap on the record as read and
// on its lock as read, retried on a lost race like any node update.

// labelKind is one kind of label: how to find the node's list of them,
// its rows' label, its bound and its errors.
type labelKind[L proto.Message] struct {
	noun  string // "tag", "trait": for messages
	max   int    // per node
	list  func(n *pb.Node) *[]L
	label func(row L) string
	// tooMany is the error for a node that would hold count labels.
	tooMany func(nodeID int64, count int) error
	// notFound is the error for a label the node does not have.
	notFound func(nodeID int64, label string) error
}

// validate refuses what no label may be: empty, invalid UTF-8, longer
// than the reference's 255-character column, or with control characters.
func (k labelKind[L]) validate(label string) error {
	if label == "" || !utf8.ValidString(label) || utf8.RuneCountInString(label) > 255 {
		return invalidParam("a %s must be a non-empty UTF-8 string of at most 255 characters, not %q", k.noun, label)
	}
	for _, r := range label {
		if r < 0x20 || r == 0x7f {
			return invalidParam("%s %q may not contain control characters", k.noun, label)
		}
	}
	return nil
}

// distinct validates labels and drops repeats, keeping the first's place;
// more than k.max distinct ones is tooMany.
func (k labelKind[L]) distinct(nodeID int64, labels []string) ([]string, error) {
	var out []string
	for _, l := range labels {
		if err := k.validate(l); err != nil {
			return nil, err
		}
		if !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	if len(out) > k.max {
		return nil, k.tooMany(nodeID, len(out))
	}
	return out, nil
}

// index is where label is among the node's rows, -1 if absent.
func (k labelKind[L]) index(n *pb.Node, label string) int {
	return slices.IndexFunc(*k.list(n), func(row L) bool { return k.label(row) == label })
}

// updateLabels applies change to node nodeID's record. Round trips: one
// when this Store wrote the node last, else two.
func (s *Store) updateLabels(ctx context.Context, nodeID int64, change func(n *pb.Node) error) (*pb.Node, error) {
	notFound := func() error { return errNodeNotFound(strconv.FormatInt(nodeID, 10)) }
	id := ident{id: nodeID}
	cur, found, err := s.loadForUpdate(ctx, nodesTable, id)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, notFound()
	}
	st, err := s.update(ctx, nodesTable, id, cur, true, notFound,
		func(_ stored, next protoreflect.Message) (txnPart, error) {
			return txnPart{}, change(nodeOf(next))
		})
	if err != nil {
		return nil, err
	}
	return nodeOf(st.rec), nil
}

// setLabels replaces node nodeID's labels of kind k with the distinct
// values of labels and returns the new rows; row makes the row of a
// label, given the node's current row for it if it had one. The bound is
// checked before the node is read, as the reference does. Round trips as
// updateLabels.
func setLabels[L proto.Message](ctx context.Context, s *Store, k labelKind[L], nodeID int64, labels []string, row func(label string, old L, had bool) L) ([]L, error) {
	distinct, err := k.distinct(nodeID, labels)
	if err != nil {
		return nil, err
	}
	n, err := s.updateLabels(ctx, nodeID, func(n *pb.Node) error {
		list := k.list(n)
		old := *list
		*list = nil
		for _, l := range distinct {
			var prev L
			i := slices.IndexFunc(old, func(o L) bool { return k.label(o) == l })
			if i >= 0 {
				prev = old[i]
			}
			*list = append(*list, row(l, prev, i >= 0))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return nonNil(*k.list(n)), nil
}

// unsetLabels removes every label of kind k from node nodeID. Round trips
// as updateLabels.
func unsetLabels[L proto.Message](ctx context.Context, s *Store, k labelKind[L], nodeID int64) error {
	_, err := s.updateLabels(ctx, nodeID, func(n *pb.Node) error {
		*k.list(n) = nil
		return nil
	})
	return err
}

// addLabel adds label (row made by newRow) to node nodeID unless it has
// it already, which is no error and writes nothing (even at the bound),
// and returns the node's row for it. NodeNotFound first, then the bound.
// Round trips as updateLabels.
func addLabel[L proto.Message](ctx context.Context, s *Store, k labelKind[L], nodeID int64, label string, newRow func() L) (L, error) {
	var zero L
	if err := k.validate(label); err != nil {
		return zero, err
	}
	n, err := s.updateLabels(ctx, nodeID, func(n *pb.Node) error {
		if k.index(n, label) >= 0 {
			return nil
		}
		list := k.list(n)
		if len(*list) >= k.max {
			return k.tooMany(nodeID, len(*list)+1)
		}
		*list = append(*list, newRow())
		return nil
	})
	if err != nil {
		return zero, err
	}
	return proto.Clone((*k.list(n))[k.index(n, label)]).(L), nil
}

// deleteLabel removes label from node nodeID: NodeNotFound first, then
// k.notFound when the node does not have it. Round trips as updateLabels.
func deleteLabel[L proto.Message](ctx context.Context, s *Store, k labelKind[L], nodeID int64, label string) error {
	_, err := s.updateLabels(ctx, nodeID, func(n *pb.Node) error {
		i := k.index(n, label)
		if i < 0 {
			return k.notFound(nodeID, label)
		}
		*k.list(n) = slices.Delete(*k.list(n), i, i+1)
		return nil
	})
	return err
}

// labelsOf returns node nodeID's labels of kind k (maybe none, never
// nil). NodeNotFound. One round trip.
func labelsOf[L proto.Message](ctx context.Context, s *Store, k labelKind[L], nodeID int64) ([]L, error) {
	n, err := s.GetNodeByID(ctx, nodeID)
	if err != nil {
		return nil, err
	}
	return nonNil(*k.list(n)), nil
}

func nonNil[L any](rows []L) []L {
	if rows == nil {
		return []L{}
	}
	return rows
}
