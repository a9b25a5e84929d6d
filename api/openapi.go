package api

import (
	"maps"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// The OpenAPI 3.1 document, generated from the route table and the record
// types, so it describes exactly what is routed.

func schemaRef(m proto.Message) string {
	return "#/components/schemas/" + string(m.ProtoReflect().Descriptor().Name())
}

// recordTypes are the records results and arguments refer to.
var recordTypes = []func() proto.Message{newNode, newPort, newPortgroup, newChassis, newConductor,
	newConnector, newTarget, newTag, newHWIface, newDeployTemplate, newTemplateStep, newNodeHistory, newNodeInventory,
	newTrait, newBIOSSetting}

// OpenAPI returns the document served on GET /v1/openapi.json.
func OpenAPI() map[string]any {
	paths := map[string]any{}
	for _, r := range Routes() {
		paths["/v1/"+r.Name] = map[string]any{"post": operation(r)}
	}
	schemas := map[string]any{"Error": errorSchema}
	for _, newMsg := range recordTypes {
		m := newMsg()
		schemas[string(m.ProtoReflect().Descriptor().Name())] = recordSchema(m.ProtoReflect().Descriptor())
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "ironic-etcd", "version": "1",
			"description": "Ironic's database API (Connection) over HTTP: POST /v1/<method> with the keyword arguments as a JSON object."},
		"paths": paths,
		"components": map[string]any{"schemas": schemas, "responses": map[string]any{"Error": map[string]any{
			"description": "The call failed: type is the Ironic exception or a request error (see README, error table).",
			"content":     map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}}},
	}
}

func operation(r *Route) map[string]any {
	props := map[string]any{}
	required := []string{}
	for _, a := range r.Args {
		s := maps.Clone(a.Type.Schema)
		if a.Default != nil {
			s["default"] = a.Default
		}
		props[a.Name] = s
		if a.Required {
			required = append(required, a.Name)
		}
	}
	op := map[string]any{
		"operationId": r.Name,
		"summary":     r.Doc,
		"requestBody": map[string]any{"required": len(required) > 0, "content": map[string]any{"application/json": map[string]any{
			"schema": map[string]any{"type": "object", "additionalProperties": false, "properties": props, "required": required}}}},
		"responses": map[string]any{
			"200": map[string]any{"description": r.Result.Doc,
				"content": map[string]any{"application/json": map[string]any{"schema": r.Result.Schema}}},
			"default": map[string]any{"$ref": "#/components/responses/Error"},
		},
	}
	if r.TestingOnly {
		op["description"] = "Served only by a server started with --testing."
	}
	return op
}

var errorSchema = map[string]any{"type": "object", "required": []string{"error"}, "properties": map[string]any{
	"error": map[string]any{"type": "object", "required": []string{"type", "message", "params"}, "properties": map[string]any{
		"type":    map[string]any{"type": "string"},
		"message": map[string]any{"type": "string"},
		"params":  map[string]any{"type": "object"},
	}}}}

// recordSchema describes a record as the API writes it.
func recordSchema(d protoreflect.MessageDescriptor) map[string]any {
	props := map[string]any{}
	for i := 0; i < d.Fields().Len(); i++ {
		fd := d.Fields().Get(i)
		if storeOnly[string(d.Name())] == string(fd.Name()) {
			continue
		}
		props[string(fd.Name())] = columnSchema(fd)
	}
	if nodeUUIDTypes[string(d.Name())] {
		props[nodeUUIDColumn] = nodeUUIDSchema
	}
	return map[string]any{"type": "object", "properties": props}
}

func columnSchema(fd protoreflect.FieldDescriptor) map[string]any {
	var s map[string]any
	switch {
	case fd.IsList():
		return map[string]any{"type": "array", "items": map[string]any{"$ref": "#/components/schemas/" + string(fd.Message().Name())}}
	case isTimestamp(fd):
		s = map[string]any{"type": "string", "format": "date-time"}
	case fd.Kind() == protoreflect.StringKind:
		s = map[string]any{"type": "string"}
	case fd.Kind() == protoreflect.Int64Kind:
		s = map[string]any{"type": "integer", "format": "int64"}
	case fd.Kind() == protoreflect.BoolKind:
		s = map[string]any{"type": "boolean"}
	case fd.Kind() == protoreflect.BytesKind:
		if proto.GetExtension(fd.Options(), pb.E_Json).(pb.JSONKind) == pb.JSONKind_JSON_LIST {
			return map[string]any{"type": "array"}
		}
		return map[string]any{"type": "object"}
	default:
		s = map[string]any{}
	}
	if fd.HasPresence() {
		s["type"] = []any{s["type"], "null"}
	}
	return s
}
