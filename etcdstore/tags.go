package etcdstore

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Node tags live inside the node record (pb.Node.Tags), so every node read
// returns them without another round trip and destroy_node needs nothing
// extra to remove them. Tag methods take the node's integer id, as the
// reference's do; changing tags does not touch the node's updated_at (the
// reference keeps tags in their own table).

// maxTagsPerNode bounds a node's tags so the record stays small.
const maxTagsPerNode = 1000

func validateTag(tag string) error {
	if tag == "" || !utf8.ValidString(tag) || utf8.RuneCountInString(tag) > 255 {
		return invalidParam("a tag must be a non-empty UTF-8 string of at most 255 characters, not %q", tag)
	}
	for _, r := range tag {
		if r < 0x20 || r == 0x7f {
			return invalidParam("tag %q may not contain control characters", tag)
		}
	}
	return nil
}

// updateTags applies change to the tags of node nodeID. Round trips:
// one when this Store wrote the node last, else two.
func (s *Store) updateTags(ctx context.Context, nodeID int64, change func(n *pb.Node) error) (*pb.Node, error) {
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

func (s *Store) newTag(nodeID int64, tag string) *pb.NodeTag {
	return &pb.NodeTag{NodeId: nodeID, Tag: tag, CreatedAt: timestampOf(s.now())}
}

// SetNodeTags replaces the tags of node nodeID with the distinct values of
// tags and returns them. NodeNotFound. Round trips: two.
func (s *Store) SetNodeTags(ctx context.Context, nodeID int64, tags []string) ([]*pb.NodeTag, error) {
	var distinct []string
	for _, t := range tags {
		if err := validateTag(t); err != nil {
			return nil, err
		}
		if !slices.Contains(distinct, t) {
			distinct = append(distinct, t)
		}
	}
	if len(distinct) > maxTagsPerNode {
		return nil, invalidParam("at most %d tags per node", maxTagsPerNode)
	}
	n, err := s.updateTags(ctx, nodeID, func(n *pb.Node) error {
		old := n.Tags
		n.Tags = nil
		for _, t := range distinct {
			if i := slices.IndexFunc(old, func(o *pb.NodeTag) bool { return o.Tag == t }); i >= 0 {
				n.Tags = append(n.Tags, old[i]) // unchanged tags keep their created_at
				continue
			}
			n.Tags = append(n.Tags, s.newTag(nodeID, t))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return n.Tags, nil
}

// UnsetNodeTags removes every tag of node nodeID. NodeNotFound. Round
// trips: two.
func (s *Store) UnsetNodeTags(ctx context.Context, nodeID int64) error {
	_, err := s.updateTags(ctx, nodeID, func(n *pb.Node) error {
		n.Tags = nil
		return nil
	})
	return err
}

// GetNodeTagsByNodeID returns the tags of node nodeID (maybe none).
// NodeNotFound. One round trip.
func (s *Store) GetNodeTagsByNodeID(ctx context.Context, nodeID int64) ([]*pb.NodeTag, error) {
	n, err := s.GetNodeByID(ctx, nodeID)
	if err != nil {
		return nil, err
	}
	if n.Tags == nil {
		return []*pb.NodeTag{}, nil
	}
	return n.Tags, nil
}

// AddNodeTag adds tag to node nodeID; a tag the node already has is not an
// error (nothing is written). NodeNotFound. Round trips: two.
func (s *Store) AddNodeTag(ctx context.Context, nodeID int64, tag string) (*pb.NodeTag, error) {
	if err := validateTag(tag); err != nil {
		return nil, err
	}
	n, err := s.updateTags(ctx, nodeID, func(n *pb.Node) error {
		if slices.ContainsFunc(n.Tags, func(t *pb.NodeTag) bool { return t.Tag == tag }) {
			return nil
		}
		if len(n.Tags) >= maxTagsPerNode {
			return invalidParam("at most %d tags per node", maxTagsPerNode)
		}
		n.Tags = append(n.Tags, s.newTag(nodeID, tag))
		return nil
	})
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(n.Tags, func(t *pb.NodeTag) bool { return t.Tag == tag })
	return proto.Clone(n.Tags[i]).(*pb.NodeTag), nil
}

// DeleteNodeTag removes tag from node nodeID. NodeNotFound first, then
// NodeTagNotFound when the node does not have the tag. Round trips: two.
func (s *Store) DeleteNodeTag(ctx context.Context, nodeID int64, tag string) error {
	_, err := s.updateTags(ctx, nodeID, func(n *pb.Node) error {
		i := slices.IndexFunc(n.Tags, func(t *pb.NodeTag) bool { return t.Tag == tag })
		if i < 0 {
			id := strconv.FormatInt(nodeID, 10)
			return newError(ErrNodeTagNotFound, fmt.Sprintf("tag %s could not be found on node %s", tag, id), "node_id", id, "tag", tag)
		}
		n.Tags = slices.Delete(n.Tags, i, i+1)
		return nil
	})
	return err
}

// NodeTagExists reports whether node nodeID has tag; a missing node has
// none (no error, as in the reference). One round trip.
func (s *Store) NodeTagExists(ctx context.Context, nodeID int64, tag string) (bool, error) {
	st, found, err := s.getByID(ctx, nodesTable, nodeID)
	if err != nil || !found {
		return false, err
	}
	return slices.ContainsFunc(nodeOf(st.rec).Tags, func(t *pb.NodeTag) bool { return t.Tag == tag }), nil
}
