package etcdstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Ironic provision states the database layer itself acts on.
const (
	StateEnroll        = "enroll"
	StateInspecting    = "inspecting"
	StateManageable    = "manageable"
	StateInspectFailed = "inspect failed"
	StateInspectWait   = "inspect wait" // Ironic 21.4
)

// CreateNode creates a node from values (Ironic column names).
//
// Defaults as the reference (21.4): a uuid is generated when absent (or
// null: see README), provision_state is "enroll" when absent,
// maintenance, console_enabled, protected and retired are false,
// conductor_group is "", created_at is now. A "tags" or "traits" key,
// even empty, is refused (InvalidParameterValue), as is NULL for a NOT
// NULL column (conductor_group, protected). Clashes are reported in the
// reference's order: DuplicateName, InstanceAssociated, NodeAlreadyExists
// (uuid or explicit id); a chassis_id must name an existing chassis
// (ChassisNotFound). A non-null "reservation" takes the node's lock in the
// same transaction.
//
// Round trips: one (plus one per 64 creates to take a block of ids).
func (s *Store) CreateNode(ctx context.Context, values Values) (*pb.Node, error) {
	for _, k := range []string{"tags", "traits"} {
		if _, ok := values[k]; ok {
			return nil, invalidParam("cannot create node with %s", k)
		}
	}
	node := &pb.Node{ProvisionState: proto.String(StateEnroll), Retired: proto.Bool(false)}
	rec, autoID, err := s.newRecord(node, values, "reservation")
	if err != nil {
		return nil, err
	}
	if err := setReservation(node, values["reservation"]); err != nil {
		return nil, err
	}
	var lockOps func(id int64) txnPart
	if holder := node.GetReservation(); holder != "" {
		lockOps = func(id int64) txnPart {
			// Bound to no lease: no marker (a stray one would name
			// another holder).
			return txnPart{ops: []clientv3.Op{clientv3.OpPut(s.keys.Reservation(id), holder), clientv3.OpDelete(s.keys.Holder(id))}}
		}
	}
	rev, err := s.create(ctx, nodesTable, rec, autoID, lockOps)
	if err != nil {
		return nil, err
	}
	if node.GetReservation() != "" {
		node.ReservationRevision = rev
	}
	return node, nil
}

// newRecord builds a record of msg's type from values with the defaults
// every table shares: a uuid generated when absent, null or empty (for
// every type, see README), created_at now, "{}" for JSON
// columns. Keys in skip are handled by the caller. autoID is true when
// values has no id.
func (s *Store) newRecord(msg proto.Message, values Values, skip ...string) (rec protoreflect.Message, autoID bool, err error) {
	rec = msg.ProtoReflect()
	for name, v := range values {
		if contains(skip, name) || (name == "id" || name == "uuid") && v == nil {
			continue // null id or uuid: generated, as when absent
		}
		if err := setValue(rec, name, v); err != nil {
			return nil, false, err
		}
	}
	if err := validateRecord(rec); err != nil {
		return nil, false, err
	}
	if fd := rec.Descriptor().Fields().ByName("uuid"); fd != nil {
		if u := rec.Get(fd).String(); u == "" {
			rec.Set(fd, protoreflect.ValueOfString(uuid.NewString()))
		}
	}
	if v, ok := values["created_at"]; !ok || v == nil {
		stamp(rec, "created_at", timestampOf(s.now()))
	}
	fillEmptyJSON(rec)
	return rec, values["id"] == nil, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// GetNodeByID returns the node with this id, with its tags and lock.
// NodeNotFound when there is none. One round trip.
func (s *Store) GetNodeByID(ctx context.Context, id int64) (*pb.Node, error) {
	st, found, err := s.getByID(ctx, nodesTable, id)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errNodeNotFound(strconv.FormatInt(id, 10))
	}
	return nodeOf(st.rec), nil
}

// GetNodeByUUID returns the node whose uuid is nodeUUID, in any spelling
// IsUUIDLike accepts (see CanonicalUUID). NodeNotFound when there is
// none. One round trip: the Store keeps a copy
// of the uuid index, fed by a watch, and reads the node guarded by a
// compare on its index entry. Two while the copy loads, for a node created
// elsewhere moments ago, and, for the other indexes (names, MACs), on the
// first lookup, which starts the copy of that index.
func (s *Store) GetNodeByUUID(ctx context.Context, nodeUUID string) (*pb.Node, error) {
	return s.nodeByUnique(ctx, "uuid", nodeUUID)
}

// GetNodeByName returns the node with this logical name, compared
// without regard to case (keys.Fold): "NODE-1" finds the node stored as
// "node-1", returned with its name as stored. NodeNotFound when there is
// none. Round trips as GetNodeByUUID.
func (s *Store) GetNodeByName(ctx context.Context, name string) (*pb.Node, error) {
	return s.nodeByUnique(ctx, "name", name)
}

// GetNodeByInstance returns the node an instance is associated with, the
// instance uuid in any spelling. InvalidUUID when instance is not
// uuid-like, InstanceNotFound when no node has it. Round trips as
// GetNodeByUUID.
func (s *Store) GetNodeByInstance(ctx context.Context, instance string) (*pb.Node, error) {
	if !IsUUIDLike(instance) {
		return nil, newError(ErrInvalidUUID, fmt.Sprintf("expected a UUID but received %q", instance), "uuid", instance)
	}
	st, found, err := s.getByUnique(ctx, nodesTable, "instance_uuid", instance)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, newError(ErrInstanceNotFound, fmt.Sprintf("instance %s could not be found", instance), "instance", instance)
	}
	return nodeOf(st.rec), nil
}

func (s *Store) nodeByUnique(ctx context.Context, index, value string) (*pb.Node, error) {
	st, found, err := s.getByUnique(ctx, nodesTable, index, value)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errNodeNotFound(value)
	}
	return nodeOf(st.rec), nil
}

// loadByIdent reads the record an identity names: by id, uuid or MAC.
func (s *Store) loadByIdent(ctx context.Context, t *table, id ident) (stored, bool, error) {
	switch {
	case id.uuid != "":
		return s.getByUnique(ctx, t, "uuid", id.uuid)
	case id.mac != "":
		return s.getByUnique(ctx, t, "address", strings.ToLower(id.mac))
	}
	return s.getByID(ctx, t, id.id)
}

// loadNode resolves a node identity (InvalidIdentity) and loads the node
// for an update (NodeNotFound): the state this Store last wrote or locked
// when it has one, else a read.
func (s *Store) loadNode(ctx context.Context, nodeID string) (ident, stored, error) {
	id, err := resolveIdentity(nodeID)
	if err != nil {
		return ident{}, stored{}, err
	}
	st, found, err := s.loadForUpdate(ctx, nodesTable, id)
	if err != nil {
		return ident{}, stored{}, err
	}
	if !found {
		return ident{}, stored{}, errNodeNotFound(nodeID)
	}
	return id, st, nil
}

// UpdateNode changes the columns in values of the node nodeID (id or uuid).
//
// Checks in the reference's order: a "uuid" key is refused
// (InvalidParameterValue), then InvalidIdentity, NodeNotFound, and
// NodeAssociated when values sets a non-empty instance_uuid on a node that
// has one. Setting provision_state (even to its current value) stamps
// provision_updated_at and applies the inspection rules. "id" and "tags"
// are refused (see README). A "reservation" key takes, moves or drops the
// lock in the same transaction; a lock that changes holder gets a new
// token (ReservationRevision), bound to no lease. The read, the checks and
// the write are atomic: the write compares the node's revision and its
// lock as read and retries on a conflict with the fresh value, so the node
// returned shows the lock as of the write; a uuid is resolved again when
// the node read no longer has it. A change that changes nothing writes
// nothing.
//
// Round trips: one (the write) when this Store last wrote or reserved the
// node and nobody changed it since, else two (read, write); plus one per
// lost race.
func (s *Store) UpdateNode(ctx context.Context, nodeID string, values Values, opts ...WriteOption) (*pb.Node, error) {
	return s.updateNode(ctx, nodeID, values, seedRules, opts)
}

// updateNode is the body of UpdateNode and UpdateNode21.
func (s *Store) updateNode(ctx context.Context, nodeID string, values Values, rules updateRules, opts []WriteOption) (*pb.Node, error) {
	if _, ok := values["uuid"]; ok {
		return nil, invalidParam("cannot overwrite UUID for an existing node")
	}
	for _, k := range []string{"id", "tags"} {
		if _, ok := values[k]; ok {
			return nil, invalidParam("cannot update %q of a node", k)
		}
	}
	wo := writeOptions(opts)
	id, cur, err := s.loadNode(ctx, nodeID)
	if err != nil {
		return nil, err
	}
	_, keep := values["updated_at"]
	st, err := s.update(ctx, nodesTable, id, cur, keep, func() error { return errNodeNotFound(nodeID) },
		func(cur stored, next protoreflect.Message) (txnPart, error) {
			extra, err := wo.fence(s, cur)
			if err != nil {
				return txnPart{}, err
			}
			if err := s.applyNodeValues(cur, next, values, rules); err != nil {
				return txnPart{}, err
			}
			extra.add(s.lockChange(cur, next))
			return extra, nil
		})
	if isErr(err, ErrInstanceAssociated) {
		// The reference names the node as the caller did (§7.13).
		inst, _ := values["instance_uuid"].(string)
		return nil, errInstanceAssociated(inst, nodeID)
	}
	if err != nil {
		return nil, err
	}
	return nodeOf(st.rec), nil
}

// applyNodeValues is update_node's check-and-apply step on a fresh read.
func (s *Store) applyNodeValues(cur stored, next protoreflect.Message, values Values, rules updateRules) error {
	old := nodeOf(cur.rec)
	node := nodeOf(next)
	if v, ok := values["instance_uuid"]; ok && rules.refuseReassociation {
		if inst, _ := v.(string); inst != "" && old.GetInstanceUuid() != "" {
			return newError(ErrNodeAssociated, fmt.Sprintf("node %s is associated with instance %s", old.Uuid, old.GetInstanceUuid()),
				"node", old.Uuid, "instance", old.GetInstanceUuid())
		}
	}
	for name, v := range values {
		if name == "reservation" {
			if err := setReservation(node, v); err != nil {
				return err
			}
			continue
		}
		if err := setValue(next, name, v); err != nil {
			return err
		}
	}
	if err := validateRecord(next); err != nil {
		return err
	}
	if _, ok := values["provision_state"]; ok {
		now := timestampOf(s.now())
		node.ProvisionUpdatedAt = now
		inspecting := old.GetProvisionState() == StateInspecting ||
			rules.inspectWaitInspects && old.GetProvisionState() == StateInspectWait
		switch newState := node.GetProvisionState(); {
		case newState == StateInspecting:
			node.InspectionStartedAt, node.InspectionFinishedAt = now, nil
		case inspecting && newState == StateManageable:
			node.InspectionFinishedAt, node.InspectionStartedAt = now, nil
		case inspecting && newState == StateInspectFailed:
			node.InspectionStartedAt = nil
		}
	}
	return nil
}

// TouchNodeProvisioning sets provision_updated_at (and updated_at) to now.
// InvalidIdentity, NodeNotFound. Round trips: two.
func (s *Store) TouchNodeProvisioning(ctx context.Context, nodeID string, opts ...WriteOption) error {
	wo := writeOptions(opts)
	id, cur, err := s.loadNode(ctx, nodeID)
	if err != nil {
		return err
	}
	_, err = s.update(ctx, nodesTable, id, cur, false, func() error { return errNodeNotFound(nodeID) },
		func(cur stored, next protoreflect.Message) (txnPart, error) {
			nodeOf(next).ProvisionUpdatedAt = timestampOf(s.now())
			return wo.fence(s, cur)
		})
	return err
}

// validateRecord applies the checks that go beyond column types: uuids
// are uuid-like, names and hostnames carry no '/' or control characters,
// MAC addresses are MAC-like, and stored in lower case (uuids were made
// canonical by setValue).
func validateRecord(rec protoreflect.Message) error {
	fields := rec.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if fd.Kind() != protoreflect.StringKind || (fd.HasPresence() && !rec.Has(fd)) {
			continue
		}
		v := rec.Get(fd).String()
		switch name := string(fd.Name()); {
		case uuidColumn(name):
			if v != "" && !IsUUIDLike(v) {
				return newError(ErrInvalidUUID, fmt.Sprintf("%s: expected a UUID but received %q", name, v), "uuid", v)
			}
		case name == "address" && fd.ContainingMessage().Name() != "Conductor":
			if !IsMACLike(v) {
				return newError(ErrInvalidParameterValue, fmt.Sprintf("%q is not a valid MAC address", v), "err", "invalid MAC "+v)
			}
			rec.Set(fd, protoreflect.ValueOfString(strings.ToLower(v)))
		case name == "name" || name == "hostname":
			if err := validateName(name, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// validateName refuses names that are empty-looking or could confuse a
// reader of keys or logs: '/', control characters.
func validateName(column, v string) error {
	if column == "hostname" && v == "" {
		return invalidParam("hostname may not be empty")
	}
	for _, r := range v {
		if r == '/' || r < 0x20 || r == 0x7f {
			return invalidParam("%s %q may not contain '/' or control characters", column, v)
		}
	}
	return nil
}
