package etcdstore

import (
	"context"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// updateRules are where update_node of the seed and of Ironic 21.4 differ.
type updateRules struct {
	// refuseReassociation: NodeAssociated when values set a non-empty
	// instance_uuid on a node that has one (the seed; 21.4's conductor
	// checks this itself, under the node's lock).
	refuseReassociation bool
	// inspectWaitInspects: leaving "inspect wait" for manageable or
	// inspect failed ends an inspection as leaving "inspecting" does
	// (21.4).
	inspectWaitInspects bool
}

var (
	seedRules     = updateRules{refuseReassociation: true}
	ironic21Rules = updateRules{inspectWaitInspects: true}
)

// UpdateNode21 is update_node as Ironic 21.4.4's _do_update_node: as
// UpdateNode, with two differences. It sets instance_uuid whatever the
// node had (no NodeAssociated: 21.4's conductor makes that check under
// the node's lock); a clash with another node's instance_uuid is still
// InstanceAssociated. And a node leaving "inspect wait" for "manageable"
// gets inspection_finished_at = now and inspection_started_at cleared,
// for "inspect failed" inspection_started_at cleared, as leaving
// "inspecting" does. NULL for a NOT NULL column (conductor_group,
// protected) is InvalidParameterValue.
//
// Errors, in the reference's order: InvalidParameterValue ("uuid" in
// values), InvalidIdentity, NodeNotFound, then DuplicateName or
// InstanceAssociated on a clash. Round trips as UpdateNode.
func (s *Store) UpdateNode21(ctx context.Context, nodeID string, values Values, opts ...WriteOption) (*pb.Node, error) {
	return s.updateNode(ctx, nodeID, values, ironic21Rules, opts)
}
