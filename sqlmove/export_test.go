package sqlmove

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// An unreachable server or a missing file: a clear error, nothing
// written, no file created.
func TestUnreachableDatabase(t *testing.T) {
	ctx := context.Background()
	missing := filepath.Join(t.TempDir(), "nothing.sqlite")
	for _, url := range []string{
		"mysql+pymysql://ironic:x@127.0.0.1:1/ironic",
		"postgresql+psycopg2://ironic:x@127.0.0.1:1/ironic",
		"sqlite:///" + missing,
	} {
		s := testStore(t)
		if _, err := Import(ctx, s, url, Options{}); !errors.Is(err, ErrUnreachable) || strings.Contains(err.Error(), ":x@") {
			t.Errorf("import from %s: %v", url, err)
		}
		storeEmpty(t, s)
		if _, err := Export(ctx, s, url, Options{}); !errors.Is(err, ErrUnreachable) {
			t.Errorf("export to %s: %v", url, err)
		}
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("the missing file was created: %v", err)
	}
}

func TestExportRefusesNonEmptyOrUnknownDatabase(t *testing.T) {
	ctx := context.Background()
	src, _ := sampleSQLite(t)
	s := testStore(t)
	if _, err := Import(ctx, s, src, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Export(ctx, s, src, Options{}); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("export into a database with rows: %v", err)
	}
	dst, path := freshSQLite(t)
	execSQLite(t, path, `UPDATE alembic_version SET version_num = 'c0455649680c'`)
	if _, err := Export(ctx, s, dst, Options{}); !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), "c0455649680c") {
		t.Fatalf("export into an older schema: %v", err)
	}
	if n := readSQLite(t, path)["nodes"]; len(n) != 0 {
		t.Fatalf("rows written: %d", len(n))
	}
}

// JSON documents keep numbers beyond 64 bits and 1.0 as written, in the
// store and back in SQL; timestamps keep their microseconds.
func TestJSONAndTimestampsKeptExactly(t *testing.T) {
	ctx := context.Background()
	src, _ := sampleSQLite(t)
	s := testStore(t)
	if _, err := Import(ctx, s, src, Options{}); err != nil {
		t.Fatal(err)
	}
	n, err := s.GetNodeByID(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(n.InstanceInfo); got != `{"image":"x","big":123456789012345678901234567890,"f":1.0}` {
		t.Fatalf("instance_info %s", got)
	}
	if got := n.CreatedAt.AsTime().Format("2006-01-02 15:04:05.000000"); got != "2026-01-02 03:04:05.654321" {
		t.Fatalf("created_at %s", got)
	}
	var inv *pb.NodeInventory
	if _, err := s.WalkRecords(ctx, "node_inventory", 0, func(m proto.Message) error {
		inv = m.(*pb.NodeInventory)
		return nil
	}); err != nil || inv == nil || string(inv.PluginData) != `{"x":1e400}` {
		t.Fatalf("inventory %v %v", inv, err)
	}
	dst, path := freshSQLite(t)
	if _, err := Export(ctx, s, dst, Options{}); err != nil {
		t.Fatal(err)
	}
	rows := readSQLite(t, path)["nodes"]
	nodes := TableByName("nodes")
	for i, c := range nodes.Columns {
		if c == "instance_info" && string(rows[0][i].(json.RawMessage)) != string(n.InstanceInfo) {
			t.Fatalf("exported instance_info %s", rows[0][i])
		}
	}
}
