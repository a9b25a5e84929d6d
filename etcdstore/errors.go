package etcdstore

import (
	"errors"
	"fmt"
)

// Error families, as Ironic maps its exceptions to HTTP codes. Every
// specific error below also matches its family with errors.Is.
var (
	ErrInvalid  = errors.New("invalid")   // 400
	ErrNotFound = errors.New("not found") // 404
	ErrConflict = errors.New("conflict")  // 409
	ErrInternal = errors.New("internal")  // 500
)

// One sentinel per Ironic exception the reference raises. Match them with
// errors.Is; read their parameters with errors.As into *Error.
var (
	ErrInvalidParameterValue = sentinel("InvalidParameterValue", ErrInvalid)
	ErrInvalidIdentity       = sentinel("InvalidIdentity", ErrInvalid)
	ErrInvalidUUID           = sentinel("InvalidUUID", ErrInvalid)
	ErrNodeNotLocked         = sentinel("NodeNotLocked", ErrInvalid)
	ErrPortgroupNotEmpty     = sentinel("PortgroupNotEmpty", ErrInvalid)
	ErrChassisNotEmpty       = sentinel("ChassisNotEmpty", ErrInvalid)

	ErrNodeNotFound            = sentinel("NodeNotFound", ErrNotFound)
	ErrPortNotFound            = sentinel("PortNotFound", ErrNotFound)
	ErrPortgroupNotFound       = sentinel("PortgroupNotFound", ErrNotFound)
	ErrChassisNotFound         = sentinel("ChassisNotFound", ErrNotFound)
	ErrVolumeConnectorNotFound = sentinel("VolumeConnectorNotFound", ErrNotFound)
	ErrVolumeTargetNotFound    = sentinel("VolumeTargetNotFound", ErrNotFound)
	ErrConductorNotFound       = sentinel("ConductorNotFound", ErrNotFound)
	ErrInstanceNotFound        = sentinel("InstanceNotFound", ErrNotFound)
	ErrDeployTemplateNotFound  = sentinel("DeployTemplateNotFound", ErrNotFound)
	ErrNodeHistoryNotFound     = sentinel("NodeHistoryNotFound", ErrNotFound)
	ErrNodeInventoryNotFound   = sentinel("NodeInventoryNotFound", ErrNotFound)
	ErrAllocationNotFound      = sentinel("AllocationNotFound", ErrNotFound)
	ErrNodeTraitNotFound       = sentinel("NodeTraitNotFound", ErrNotFound)
	ErrBIOSSettingNotFound     = sentinel("BIOSSettingNotFound", ErrNotFound)
	ErrBIOSSettingListNotFound = sentinel("BIOSSettingListNotFound", ErrNotFound)
	// ErrLeaseNotFound: a write bound to a lease (WithLease,
	// WithConductorLease) named one that expired or was revoked; nothing
	// was written. Not an Ironic exception: the session is gone.
	ErrLeaseNotFound = sentinel("LeaseNotFound", ErrNotFound)

	ErrNodeAlreadyExists                     = sentinel("NodeAlreadyExists", ErrConflict)
	ErrChassisAlreadyExists                  = sentinel("ChassisAlreadyExists", ErrConflict)
	ErrPortAlreadyExists                     = sentinel("PortAlreadyExists", ErrConflict)
	ErrPortgroupAlreadyExists                = sentinel("PortgroupAlreadyExists", ErrConflict)
	ErrVolumeConnectorAlreadyExists          = sentinel("VolumeConnectorAlreadyExists", ErrConflict)
	ErrVolumeTargetAlreadyExists             = sentinel("VolumeTargetAlreadyExists", ErrConflict)
	ErrDuplicateName                         = sentinel("DuplicateName", ErrConflict)
	ErrPortgroupDuplicateName                = sentinel("PortgroupDuplicateName", ErrConflict)
	ErrPortDuplicateName                     = sentinel("PortDuplicateName", ErrConflict)
	ErrMACAlreadyExists                      = sentinel("MACAlreadyExists", ErrConflict)
	ErrPortgroupMACAlreadyExists             = sentinel("PortgroupMACAlreadyExists", ErrConflict)
	ErrInstanceAssociated                    = sentinel("InstanceAssociated", ErrConflict)
	ErrVolumeConnectorTypeAndIdAlreadyExists = sentinel("VolumeConnectorTypeAndIdAlreadyExists", ErrConflict)
	ErrVolumeTargetBootIndexAlreadyExists    = sentinel("VolumeTargetBootIndexAlreadyExists", ErrConflict)
	ErrNodeLocked                            = sentinel("NodeLocked", ErrConflict)
	ErrNodeAssociated                        = sentinel("NodeAssociated", ErrConflict)
	ErrDeployTemplateAlreadyExists           = sentinel("DeployTemplateAlreadyExists", ErrConflict)
	ErrDeployTemplateDuplicateName           = sentinel("DeployTemplateDuplicateName", ErrConflict)
	ErrNodeInventoryAlreadyExists            = sentinel("NodeInventoryAlreadyExists", ErrConflict)
	// ErrNodeHistoryAlreadyExists: an explicit id already taken. 21.4's
	// create_node_history raises exception.NodeHistoryAlreadyExists, which
	// its exception module does not define (an AttributeError there).
	ErrNodeHistoryAlreadyExists = sentinel("NodeHistoryAlreadyExists", ErrConflict)
	ErrAllocationAlreadyExists  = sentinel("AllocationAlreadyExists", ErrConflict)
	ErrAllocationDuplicateName  = sentinel("AllocationDuplicateName", ErrConflict)
	ErrBIOSSettingAlreadyExists = sentinel("BIOSSettingAlreadyExists", ErrConflict)

	ErrConductorAlreadyRegistered                   = sentinel("ConductorAlreadyRegistered", ErrInternal)
	ErrConductorHardwareInterfacesAlreadyRegistered = sentinel("ConductorHardwareInterfacesAlreadyRegistered", ErrInternal)
	ErrNodeTagNotFound                              = sentinel("NodeTagNotFound", ErrInternal) // not a NotFound, as in Ironic
	// ErrCorruptRecord: a key under the store's prefix holds what the
	// store never writes (a record that does not decode or names another
	// id than its key, an index entry or id counter that is not an id, a
	// membership key without an id). Not the caller's fault, hence the
	// internal family; not an Ironic exception (its SQL schema rules this
	// out): ours. Param("key") is the etcd key.
	ErrCorruptRecord = sentinel("CorruptRecord", ErrInternal)

	// ErrUnknownOutcome wraps an etcd error after which a write may or may
	// not have been applied (a timeout or a lost connection mid-request).
	// Read the state back before assuming either.
	ErrUnknownOutcome = errors.New("outcome unknown: the write may have been applied")
)

// kindError is a sentinel that also matches its family.
type kindError struct {
	name   string
	family error
}

func sentinel(name string, family error) error { return &kindError{name: name, family: family} }

func (k *kindError) Error() string        { return k.name }
func (k *kindError) Is(target error) bool { return target == k.family }

// Error is the error the store returns for a reference exception: Kind is
// the sentinel (ErrNodeNotFound, ...), Params the exception's parameters
// (node, host, name, mac, ...), and the message names them.
type Error struct {
	Kind   error
	Params map[string]string
	msg    string
}

func (e *Error) Error() string { return e.msg }

// Unwrap makes errors.Is(err, ErrNodeLocked) and errors.Is(err, ErrConflict) work.
func (e *Error) Unwrap() error { return e.Kind }

// Param returns one parameter ("" when absent).
func (e *Error) Param(name string) string { return e.Params[name] }

// newError builds an *Error; kv are parameter name/value pairs.
func newError(kind error, msg string, kv ...string) *Error {
	p := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		p[kv[i]] = kv[i+1]
	}
	return &Error{Kind: kind, Params: p, msg: kind.Error() + ": " + msg}
}

// invalidParam is the common InvalidParameterValue.
func invalidParam(format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return newError(ErrInvalidParameterValue, msg, "err", msg)
}

// errCorrupt is the CorruptRecord of the etcd key key.
func errCorrupt(key []byte, format string, args ...any) *Error {
	return newError(ErrCorruptRecord, fmt.Sprintf("%q: ", key)+fmt.Sprintf(format, args...), "key", string(key))
}

// NodeLockedHolder returns the holder of a NodeLocked error, if err is one.
func NodeLockedHolder(err error) (holder string, ok bool) {
	var e *Error
	if errors.As(err, &e) && errors.Is(e.Kind, ErrNodeLocked) {
		return e.Params["host"], true
	}
	return "", false
}

func errNodeNotFound(node string) error {
	return newError(ErrNodeNotFound, fmt.Sprintf("node %s could not be found", node), "node", node)
}

func errNodeLocked(node, host string) error {
	return newError(ErrNodeLocked, fmt.Sprintf("node %s is locked by host %s, please retry after the current operation is completed", node, host), "node", node, "host", host)
}

func errInstanceAssociated(inst, node string) error {
	return newError(ErrInstanceAssociated, fmt.Sprintf("instance %s is already associated with a node, it cannot be associated with this other node %s", inst, node), "instance_uuid", inst, "node", node)
}

func errInvalidIdentity(ident string) error {
	return newError(ErrInvalidIdentity, fmt.Sprintf("expected a UUID or int but received %q", ident), "identity", ident)
}

func errNotFound(kind error, noun, param, value string) error {
	return newError(kind, fmt.Sprintf("%s %s could not be found", noun, value), param, value)
}

func errAlreadyExists(kind error, noun, uuid string) error {
	return newError(kind, fmt.Sprintf("%s with UUID %s already exists", noun, uuid), "uuid", uuid)
}

func isErr(err, target error) bool { return errors.Is(err, target) }

// errExtraCompare: a write's transaction failed on a compare its caller
// added (update and create return it). A marker between the store's own
// functions, not an answer: the callers that add compares match it with
// isErr and translate it; no caller of the store ever sees it.
var errExtraCompare = errors.New("etcdstore: a compare the caller added failed")

// Errors of Ironic 21.4's methods.
var (
	// ErrUnknownModel: get_not_versions named no model of the schema. The
	// reference raises its base IronicException (a 500); here it is the
	// caller's error.
	ErrUnknownModel = sentinel("IronicException", ErrInvalid)
)
