package api

import (
	"encoding/json"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// The hand-written encoder writes valid JSON that reads back as stored:
// strings needing escapes, big numbers in JSON columns, microseconds.
func TestEncodeRecords(t *testing.T) {
	name := "a\"b\\c<d>&e\u00e9\u2028\x01"
	n := &pb.Node{Id: 7, Uuid: "u", Name: proto.String(name), Properties: []byte(`{"big":123456789012345678901234567890,"f":1.0}`),
		Extra: []byte("{}"), CreatedAt: timestamppb.New(time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)),
		Tags: []*pb.NodeTag{{NodeId: 7, Tag: "t"}}}
	c := &pb.Conductor{Id: 1, Hostname: "h", Drivers: []byte(`["x"]`), Lease: 99}
	out, err := encodeResult([]any{n, c, [][]any{{int64(1), nil, true, []string{"a"}}}, map[string][]string{"d": {"h"}}})
	if err != nil || !json.Valid(out) {
		t.Fatalf("%v: %s", err, out)
	}
	var back []json.RawMessage
	json.Unmarshal(out, &back)
	var node map[string]json.RawMessage
	json.Unmarshal(back[0], &node)
	var gotName string
	json.Unmarshal(node["name"], &gotName)
	if gotName != name || string(node["properties"]) != `{"big":123456789012345678901234567890,"f":1.0}` ||
		string(node["created_at"]) != `"2026-01-02T03:04:05.000006+00:00"` || string(node["instance_uuid"]) != "null" {
		t.Fatalf("node: %s", back[0])
	}
	if string(back[1]) != `{"id":1,"hostname":"h","drivers":["x"],"online":false,"created_at":null,"updated_at":null,"version":null,"conductor_group":""}` {
		t.Fatalf("conductor: %s", back[1])
	}
	if string(back[2]) != `[[1,null,true,["a"]]]` || string(back[3]) != `{"d":["h"]}` {
		t.Fatalf("rows, dict: %s %s", back[2], back[3])
	}
}
