package api

import (
	"google.golang.org/protobuf/proto"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Shorthands that keep each route one row.

func req(name string, t ArgType) Arg          { return Arg{Name: name, Type: t, Required: true} }
func opt(name string, t ArgType, def any) Arg { return Arg{Name: name, Type: t, Default: def} }

// args concatenates argument lists.
func args(groups ...[]Arg) []Arg {
	var out []Arg
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// Record factories, one per table.
var (
	newNode      = func() proto.Message { return &pb.Node{} }
	newPort      = func() proto.Message { return &pb.Port{} }
	newPortgroup = func() proto.Message { return &pb.Portgroup{} }
	newChassis   = func() proto.Message { return &pb.Chassis{} }
	newConductor = func() proto.Message { return &pb.Conductor{} }
	newConnector = func() proto.Message { return &pb.VolumeConnector{} }
	newTarget    = func() proto.Message { return &pb.VolumeTarget{} }
	newTag       = func() proto.Message { return &pb.NodeTag{} }
	newHWIface   = func() proto.Message { return &pb.ConductorHardwareInterface{} }
)

// Results.

func rRecord(newMsg func() proto.Message) Result {
	return Result{Doc: "the record", Schema: map[string]any{"$ref": schemaRef(newMsg())}}
}

func rRecords(newMsg func() proto.Message) Result {
	return Result{Doc: "the records", Schema: map[string]any{"type": "array", "items": map[string]any{"$ref": schemaRef(newMsg())}}}
}

var (
	rNone    = Result{Doc: "null", Schema: map[string]any{"type": "null"}}
	rBool    = Result{Doc: "a boolean", Schema: map[string]any{"type": "boolean"}}
	rStrings = Result{Doc: "a list of strings", Schema: map[string]any{"type": "array", "items": map[string]any{"type": "string"}}}
	rAnyList = Result{Doc: "a list of column values", Schema: map[string]any{"type": "array"}}
	rRows    = Result{Doc: "one array of the asked columns' values per node",
		Schema: map[string]any{"type": "array", "items": map[string]any{"type": "array"}}}
	rHostsByKey = Result{Doc: "each key to the hostnames (a set, as an array) of the active conductors having it",
		Schema: map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "array", "items": map[string]any{"type": "string"}}}}
	rDriverDict = Result{Doc: "driver name to the hostnames (a set, as an array) of the active conductors having it",
		Schema: map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "array", "items": map[string]any{"type": "string"}}}}
)

// ret adapts a store call's (value, error) to a route's.
func ret[T any](v T, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return v, nil
}

// none adapts a store call that returns only an error.
func none(err error) (any, error) { return nil, err }
