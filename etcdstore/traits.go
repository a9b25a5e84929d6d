package etcdstore

import (
	"context"
	"fmt"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Node traits (Ironic 21.4's node_traits table): labels kept inside the
// node record like tags (node_labels.go), at most MaxTraitsPerNode per
// node, each row with the object version it was written with.

// MaxTraitsPerNode is 21.4's MAX_TRAITS_PER_NODE: placement's limit of
// traits per resource provider.
const MaxTraitsPerNode = 50

var traitLabels = labelKind[*pb.NodeTrait]{
	noun:  "trait",
	max:   MaxTraitsPerNode,
	list:  func(n *pb.Node) *[]*pb.NodeTrait { return &n.Traits },
	label: func(t *pb.NodeTrait) string { return t.Trait },
	tooMany: func(nodeID int64, count int) error {
		return invalidParam("could not modify traits for node %d as it would exceed the maximum number of traits per node (%d vs. %d)",
			nodeID, count, MaxTraitsPerNode)
	},
	notFound: func(nodeID int64, trait string) error {
		id := strconv.FormatInt(nodeID, 10)
		return newError(ErrNodeTraitNotFound, fmt.Sprintf("node %s doesn't have a trait '%s'", id, trait), "node_id", id, "trait", trait)
	},
}

// newTrait is a trait row written now with the object version version.
func (s *Store) newTrait(nodeID int64, trait, version string) *pb.NodeTrait {
	return &pb.NodeTrait{NodeId: nodeID, Trait: trait, CreatedAt: timestampOf(s.now()), Version: proto.String(version)}
}

// checkVersion refuses a version the reference's String(15) column
// cannot hold.
func checkVersion(version string) error {
	return setValue((&pb.NodeTrait{}).ProtoReflect(), "version", version)
}

// SetNodeTraits replaces the traits of node nodeID with the distinct
// values of traits, every row written anew with version (21.4's
// set_node_traits deletes and re-creates them), and returns them.
// InvalidParameterValue for more than MaxTraitsPerNode distinct traits
// (checked before the node, as the reference does) or a bad trait or
// version; NodeNotFound. Round trips: two (one when this Store wrote the
// node last).
func (s *Store) SetNodeTraits(ctx context.Context, nodeID int64, traits []string, version string) ([]*pb.NodeTrait, error) {
	if err := checkVersion(version); err != nil {
		return nil, err
	}
	return setLabels(ctx, s, traitLabels, nodeID, traits, func(trait string, _ *pb.NodeTrait, _ bool) *pb.NodeTrait {
		return s.newTrait(nodeID, trait, version)
	})
}

// UnsetNodeTraits removes every trait of node nodeID (21.4's
// unset_node_traits). NodeNotFound. Round trips: two (one when this Store
// wrote the node last).
func (s *Store) UnsetNodeTraits(ctx context.Context, nodeID int64) error {
	return unsetLabels(ctx, s, traitLabels, nodeID)
}

// GetNodeTraitsByNodeID returns the traits of node nodeID, maybe none
// (21.4's get_node_traits_by_node_id). NodeNotFound. One round trip.
func (s *Store) GetNodeTraitsByNodeID(ctx context.Context, nodeID int64) ([]*pb.NodeTrait, error) {
	return labelsOf(ctx, s, traitLabels, nodeID)
}

// AddNodeTrait adds trait to node nodeID with version and returns its row
// (21.4's add_node_trait). A trait the node has already is no error and
// writes nothing, even at the limit; its row is returned as stored.
// NodeNotFound first, then InvalidParameterValue when the node would have
// more than MaxTraitsPerNode traits. Round trips: two (one when this
// Store wrote the node last).
func (s *Store) AddNodeTrait(ctx context.Context, nodeID int64, trait, version string) (*pb.NodeTrait, error) {
	if err := checkVersion(version); err != nil {
		return nil, err
	}
	return addLabel(ctx, s, traitLabels, nodeID, trait, func() *pb.NodeTrait { return s.newTrait(nodeID, trait, version) })
}

// DeleteNodeTrait removes trait from node nodeID (21.4's
// delete_node_trait). NodeNotFound first, then NodeTraitNotFound. Round
// trips: two (one when this Store wrote the node last).
func (s *Store) DeleteNodeTrait(ctx context.Context, nodeID int64, trait string) error {
	return deleteLabel(ctx, s, traitLabels, nodeID, trait)
}

// NodeTraitExists reports whether node nodeID has trait (21.4's
// node_trait_exists). NodeNotFound for a missing node (21.4 checks it,
// unlike the seed's node_tag_exists). One round trip.
func (s *Store) NodeTraitExists(ctx context.Context, nodeID int64, trait string) (bool, error) {
	n, err := s.GetNodeByID(ctx, nodeID)
	if err != nil {
		return false, err
	}
	return traitLabels.index(n, trait) >= 0, nil
}
