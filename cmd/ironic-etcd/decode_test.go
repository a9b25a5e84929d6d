package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

func TestEtcdctlValue(t *testing.T) {
	raw := []byte("\x08\x07value")
	if v, k := etcdctlValue(append(raw, '\n')); !bytes.Equal(v, raw) || k != "" {
		t.Fatalf("print-value-only: %q %q", v, k)
	}
	js := fmt.Sprintf(`{"header":{},"kvs":[{"key":%q,"value":%q}],"count":1}`,
		base64.StdEncoding.EncodeToString([]byte("/ironic/nodes/0000000000000000007")), base64.StdEncoding.EncodeToString(raw))
	if v, k := etcdctlValue([]byte(js)); !bytes.Equal(v, raw) || k != "/ironic/nodes/0000000000000000007" {
		t.Fatalf("-w json: %q %q", v, k)
	}
}

func TestDecodeCommand(t *testing.T) {
	raw, _ := proto.Marshal(&pb.Chassis{Id: 2, Uuid: "1be26c0b-03f2-4d2e-ae87-c02d7f33c123", Extra: []byte(`{"a":1}`)})
	for _, args := range [][]string{{"decode", "--type", "chassis"}, {"decode", "--key", "/ironic/chassis/0000000000000000002"}} {
		root := newRootCmd()
		var out bytes.Buffer
		root.SetArgs(args)
		root.SetIn(bytes.NewReader(raw))
		root.SetOut(&out)
		if err := root.Execute(); err != nil {
			t.Fatal(args, err)
		}
		if !strings.Contains(out.String(), `"extra": {`) || !strings.Contains(out.String(), `"a": 1`) {
			t.Fatalf("%v: %s", args, out.String())
		}
	}
	root := newRootCmd()
	root.SetArgs([]string{"decode", "--key", "/other/x"})
	root.SetIn(bytes.NewReader(raw))
	if err := root.Execute(); err == nil {
		t.Fatal("a key outside the prefix accepted")
	}
	root = newRootCmd()
	root.SetArgs([]string{"node", "list", "-o", "yaml"})
	if err := root.Execute(); err == nil || !strings.Contains(err.Error(), "--output") {
		t.Fatalf("bad output format: %v", err)
	}
}
