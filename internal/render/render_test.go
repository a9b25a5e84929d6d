package render

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

func sampleNode() *pb.Node {
	return &pb.Node{
		Id: 7, Uuid: "1be26c0b-03f2-4d2e-ae87-c02d7f33c123", Name: proto.String("n7"),
		Properties: []byte(`{"big":123456789012345678901,"u":"ü"}`), Extra: []byte("{}"),
		CreatedAt: timestamppb.New(time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)),
		Tags:      []*pb.NodeTag{{NodeId: 7, Tag: "a"}, {NodeId: 7, Tag: "b"}},
	}
}

func TestJSONRendersColumnsInline(t *testing.T) {
	out, err := JSON(sampleNode())
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, want := range []string{`"id": 7`, `"name": "n7"`, `"instance_uuid": null`, `"big": 123456789012345678901`,
		`"created_at": "2026-01-02T03:04:05.000006Z"`, `"maintenance": false`, `"tag": "b"`} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON lacks %s:\n%s", want, s)
		}
	}
	if strings.Index(s, `"id"`) > strings.Index(s, `"uuid"`) {
		t.Error("columns not in field order")
	}
	if !json.Valid(out) {
		t.Fatal("invalid JSON")
	}
}

func TestCells(t *testing.T) {
	n := sampleNode()
	for col, want := range map[string]string{"id": "7", "name": "n7", "driver": "-", "tags": "a,b",
		"created_at": "2026-01-02T03:04:05Z", "maintenance": "false", "nope": ""} {
		if got := Cell(n, col); got != want {
			t.Errorf("Cell(%s) = %q, want %q", col, got, want)
		}
	}
}

func TestDecodeAndGuess(t *testing.T) {
	port := &pb.Port{Id: 3, Uuid: "2be26c0b-03f2-4d2e-ae87-c02d7f33c123", Address: proto.String("52:54:00:00:00:01"),
		NodeId: proto.Int64(7), Extra: []byte("{}"), LocalLinkConnection: []byte("{}"), InternalInfo: []byte("{}"), PxeEnabled: true}
	for table, m := range map[string]proto.Message{"nodes": sampleNode(), "ports": port} {
		raw, _ := proto.Marshal(m)
		got, err := Decode(table, raw)
		if err != nil || !proto.Equal(got, m) {
			t.Fatalf("Decode(%s): %v %v", table, got, err)
		}
		guessed, gm, err := Guess(raw)
		if err != nil || guessed != table || !proto.Equal(gm, m) {
			t.Fatalf("Guess of a %s: %s %v", table, guessed, err)
		}
	}
	raw, _ := proto.Marshal(port)
	if _, err := Decode("nodes", raw); err == nil {
		t.Fatal("a port decoded cleanly as a node")
	}
	if _, err := Decode("bogus", raw); err == nil {
		t.Fatal("unknown table accepted")
	}
	if _, _, err := Guess([]byte("not protobuf \xff")); err == nil {
		t.Fatal("garbage guessed as a record")
	}
	if table, ok := TableOfKey("/ironic/", "/ironic/ports/0000000000000000003"); !ok || table != "ports" {
		t.Fatal(table, ok)
	}
	if _, ok := TableOfKey("/ironic/", "/ironic/index/nodes/name/x"); ok {
		t.Fatal("an index key taken for a record")
	}
}
