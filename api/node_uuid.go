package api

import (
	"context"
	"reflect"

	"google.golang.org/protobuf/proto"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/internal/render"
)

// 21.4's node_uuid of ports and portgroups: no stored column but a
// read-only association proxy (the uuid of the node whose id is node_id),
// which Ironic's objects read on every port and portgroup they load. Each
// route answering port or portgroup records wraps its call in
// withNodeUUID, and the records get the column right after node_id.

// nodeUUIDColumn is the column's name and its schema in the Port and
// Portgroup records of the OpenAPI document.
const nodeUUIDColumn = "node_uuid"

var nodeUUIDSchema = map[string]any{"type": []any{"string", "null"}, "readOnly": true,
	"description": "the uuid of the node whose id is node_id (null: no node); read with the record, at its revision, never written"}

// nodeUUIDTypes are the records that carry node_uuid.
var nodeUUIDTypes = map[string]bool{"Port": true, "Portgroup": true}

// withNodeUUID runs call under etcdstore.WithNodeUUIDs, so the store
// reads each returned record's node at the record's revision (round trips:
// WithNodeUUIDs'), and answers its record, or records, with node_uuid.
func withNodeUUID(call func(ctx context.Context, c *Call) (any, error)) func(ctx context.Context, c *Call) (any, error) {
	return func(ctx context.Context, c *Call) (any, error) {
		ctx, uuids := etcdstore.WithNodeUUIDs(ctx)
		v, err := call(ctx, c)
		if err != nil {
			return nil, err
		}
		if m, ok := v.(proto.Message); ok {
			return recordWithNodeUUID(m, uuids), nil
		}
		list := reflect.ValueOf(v) // a []*pb.Port or []*pb.Portgroup
		out := make([]record, list.Len())
		for i := range out {
			out[i] = recordWithNodeUUID(list.Index(i).Interface().(proto.Message), uuids)
		}
		return out, nil
	}
}

// recordWithNodeUUID is m's columns with node_uuid after node_id.
func recordWithNodeUUID(m proto.Message, uuids *etcdstore.NodeUUIDs) record {
	r := ironicColumns(render.Of(m))
	cols := make([]render.Column, 0, len(r.Columns)+1)
	for _, c := range r.Columns {
		cols = append(cols, c)
		if c.Name != "node_id" {
			continue
		}
		var uuid any // null without node
		if id, ok := c.Value.(int64); ok {
			if u := uuids.Of(&id); u != nil {
				uuid = *u
			}
		}
		cols = append(cols, render.Column{Name: nodeUUIDColumn, Value: uuid})
	}
	r.Columns = cols
	return r
}
