package etcdstore

import (
	"context"
	"fmt"
	"strconv"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Node tags: labels kept inside the node record (node_labels.go).

// maxTagsPerNode bounds a node's tags so the record stays small.
const maxTagsPerNode = 1000

var tagLabels = labelKind[*pb.NodeTag]{
	noun:  "tag",
	max:   maxTagsPerNode,
	list:  func(n *pb.Node) *[]*pb.NodeTag { return &n.Tags },
	label: func(t *pb.NodeTag) string { return t.Tag },
	tooMany: func(int64, int) error {
		return invalidParam("at most %d tags per node", maxTagsPerNode)
	},
	notFound: func(nodeID int64, tag string) error {
		id := strconv.FormatInt(nodeID, 10)
		return newError(ErrNodeTagNotFound, fmt.Sprintf("tag %s could not be found on node %s", tag, id), "node_id", id, "tag", tag)
	},
}

func (s *Store) newTag(nodeID int64, tag string) *pb.NodeTag {
	return &pb.NodeTag{NodeId: nodeID, Tag: tag, CreatedAt: timestampOf(s.now())}
}

// SetNodeTags replaces the tags of node nodeID with the distinct values of
// tags and returns them. NodeNotFound. Round trips: two.
func (s *Store) SetNodeTags(ctx context.Context, nodeID int64, tags []string) ([]*pb.NodeTag, error) {
	return setLabels(ctx, s, tagLabels, nodeID, tags, func(tag string, old *pb.NodeTag, had bool) *pb.NodeTag {
		if had {
			return old // unchanged tags keep their created_at
		}
		return s.newTag(nodeID, tag)
	})
}

// UnsetNodeTags removes every tag of node nodeID. NodeNotFound. Round
// trips: two.
func (s *Store) UnsetNodeTags(ctx context.Context, nodeID int64) error {
	return unsetLabels(ctx, s, tagLabels, nodeID)
}

// GetNodeTagsByNodeID returns the tags of node nodeID (maybe none).
// NodeNotFound. One round trip.
func (s *Store) GetNodeTagsByNodeID(ctx context.Context, nodeID int64) ([]*pb.NodeTag, error) {
	return labelsOf(ctx, s, tagLabels, nodeID)
}

// AddNodeTag adds tag to node nodeID; a tag the node already has is not an
// error (nothing is written). NodeNotFound. Round trips: two.
func (s *Store) AddNodeTag(ctx context.Context, nodeID int64, tag string) (*pb.NodeTag, error) {
	return addLabel(ctx, s, tagLabels, nodeID, tag, func() *pb.NodeTag { return s.newTag(nodeID, tag) })
}

// DeleteNodeTag removes tag from node nodeID. NodeNotFound first, then
// NodeTagNotFound when the node does not have the tag. Round trips: two.
func (s *Store) DeleteNodeTag(ctx context.Context, nodeID int64, tag string) error {
	return deleteLabel(ctx, s, tagLabels, nodeID, tag)
}

// NodeTagExists reports whether node nodeID has tag; a missing node has
// none (no error, as in the reference). One round trip.
func (s *Store) NodeTagExists(ctx context.Context, nodeID int64, tag string) (bool, error) {
	st, found, err := s.getByID(ctx, nodesTable, nodeID)
	if err != nil || !found {
		return false, err
	}
	return tagLabels.index(nodeOf(st.rec), tag) >= 0, nil
}

// NodeTagExists21 follows 21.4's node_tag_exists, which checks the node
// first: NodeNotFound for a missing node (the seed's NodeTagExists
// answers false), else whether it has tag. One round trip.
func (s *Store) NodeTagExists21(ctx context.Context, nodeID int64, tag string) (bool, error) {
	n, err := s.GetNodeByID(ctx, nodeID)
	if err != nil {
		return false, err
	}
	return tagLabels.index(n, tag) >= 0, nil
}
