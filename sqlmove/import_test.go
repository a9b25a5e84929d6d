package sqlmove

import (
	"context"
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/keys"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// storeEmpty fails t if s holds any record.
func storeEmpty(t *testing.T, s *etcdstore.Store) {
	t.Helper()
	counts, _, err := s.RecordCounts(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	for name, n := range counts {
		if n != 0 {
			t.Errorf("store table %s holds %d records", name, n)
		}
	}
}

func TestImportRefusesUnknownRevision(t *testing.T) {
	url, path := sampleSQLite(t)
	execSQLite(t, path, `UPDATE alembic_version SET version_num = 'b2ad35726bb0'`)
	s := testStore(t)
	_, err := Import(context.Background(), s, url, Options{})
	if !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), "b2ad35726bb0") || !strings.Contains(err.Error(), Head) {
		t.Fatalf("got %v", err)
	}
	storeEmpty(t, s)
}

func TestImportRefusesMissingTableOrColumn(t *testing.T) {
	for _, stmt := range []string{`DROP TABLE node_inventory`, `ALTER TABLE nodes DROP COLUMN retired_reason`, `ALTER TABLE ports ADD COLUMN color TEXT`} {
		url, path := sampleSQLite(t)
		execSQLite(t, path, stmt)
		s := testStore(t)
		_, err := Import(context.Background(), s, url, Options{})
		if !errors.Is(err, ErrSchema) {
			t.Fatalf("%s: got %v", stmt, err)
		}
		storeEmpty(t, s)
	}
}

// Every bad row is listed with its table, key and reason, and nothing is
// written.
func TestImportBadRowsWriteNothing(t *testing.T) {
	url, path := sampleSQLite(t)
	execSQLite(t, path,
		// a port whose node is missing
		`INSERT INTO ports (id, uuid, address, node_id, extra, local_link_connection, internal_info, pxe_enabled) VALUES
		 (33, '1c4d0e4a-5f6c-4a7b-8c1d-2e3f4a5b6c33', '52:54:00:aa:bb:09', 999, '{}', '{}', '{}', 1)`,
		// the MAC of port 31 in upper case (MySQL's collation: a duplicate)
		`INSERT INTO ports (id, uuid, address, node_id, extra, local_link_connection, internal_info, pxe_enabled) VALUES
		 (34, '2c4d0e4a-5f6c-4a7b-8c1d-2e3f4a5b6c34', '52:54:00:AA:BB:02', 8, '{}', '{}', '{}', 1)`,
		// a bad uuid
		`INSERT INTO chassis (id, uuid, extra) VALUES (5, 'not-a-uuid', '{}')`,
		// a tag of a missing node
		`INSERT INTO node_tags (node_id, tag) VALUES (998, 'x')`,
		// invalid JSON
		`INSERT INTO volume_connectors (id, uuid, node_id, type, connector_id, extra) VALUES
		 (42, '3c4d0e4a-5f6c-4a7b-8c1d-2e3f4a5b6c42', 8, 'iqn', 'iqn.x', '{"a": ')`,
	)
	s := testStore(t)
	rep, err := Import(context.Background(), s, url, Options{})
	if !errors.Is(err, ErrBadRows) {
		t.Fatalf("got %v", err)
	}
	want := map[string]string{
		"ports id=33":                 "node 999",
		"ports id=34":                 "52:54:00",
		"chassis id=5":                "UUID",
		"node_tags node_id=998,tag=x": "node 998",
		"volume_connectors id=42":     "JSON",
	}
	got := map[string]string{}
	for _, p := range rep.Problems {
		got[p.Table+" "+p.Key] = p.Reason
	}
	for k, reason := range want {
		if !strings.Contains(got[k], reason) {
			t.Errorf("%s: reason %q, want it to name %q (all: %v)", k, got[k], reason, rep.Problems)
		}
	}
	if len(got) != len(want) {
		t.Errorf("problems %v, want %d", rep.Problems, len(want))
	}
	storeEmpty(t, s)
}

func TestImportRefusesNonEmptyStoreUnlessMerge(t *testing.T) {
	ctx := context.Background()
	url, _ := sampleSQLite(t)
	s := testStore(t)
	own, err := s.CreateNode(ctx, etcdstore.Values{"name": "already-here", "driver": "fake-hardware"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Import(ctx, s, url, Options{}); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("got %v", err)
	}
	rep, err := Import(ctx, s, url, Options{Merge: true, Verify: true})
	if err != nil {
		t.Fatalf("merge: %v %v", err, rep.Verification)
	}
	if _, err := s.GetNodeByID(ctx, own.Id); err != nil {
		t.Fatalf("the store's own node: %v", err)
	}
	if n, err := s.GetNodeByName(ctx, "node-7"); err != nil || n.Id != 7 {
		t.Fatalf("imported node: %v %v", n, err)
	}
}

// --merge replaces a record whose row changed, moving its index keys.
func TestMergeReplacesChangedRecord(t *testing.T) {
	ctx := context.Background()
	url, path := sampleSQLite(t)
	s := testStore(t)
	if _, err := Import(ctx, s, url, Options{}); err != nil {
		t.Fatal(err)
	}
	execSQLite(t, path, `UPDATE nodes SET name = 'renamed', reservation = NULL WHERE id = 7`)
	if _, err := Import(ctx, s, url, Options{}); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("a changed row without --merge: %v", err)
	}
	rep, err := Import(ctx, s, url, Options{Merge: true, Verify: true})
	if err != nil || rep.Replaced != 1 || rep.Written != 0 {
		t.Fatalf("merge: %v %+v", err, rep)
	}
	if n, err := s.GetNodeByName(ctx, "renamed"); err != nil || n.Id != 7 || n.Reservation != nil {
		t.Fatalf("renamed: %v %v", n, err)
	}
	if _, err := s.GetNodeByName(ctx, "node-7"); !errors.Is(err, etcdstore.ErrNodeNotFound) {
		t.Fatalf("old name still indexed: %v", err)
	}
}

// An import interrupted after k batches finishes with a plain re-run,
// without duplicates.
func TestInterruptedImportResumes(t *testing.T) {
	url, _ := sampleSQLite(t)
	s := testStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	batches := 0
	_, err := Import(ctx, s, url, Options{Batch: 1, Progress: func(Step) {
		if batches++; batches == 5 {
			cancel()
		}
	}})
	if err == nil || !strings.Contains(err.Error(), "run it again") {
		t.Fatalf("interrupted import: %v", err)
	}
	counts, _, _ := s.RecordCounts(context.Background(), 0)
	total := int64(0)
	for _, n := range counts {
		total += n
	}
	if total != 5 {
		t.Fatalf("%d records after 5 batches: %v", total, counts)
	}
	rep, err := Import(context.Background(), s, url, Options{Verify: true})
	if err != nil {
		t.Fatalf("re-run: %v", err)
	}
	if rep.Unchanged != 5 || rep.Written != 17-5 {
		t.Fatalf("re-run wrote %d, found %d", rep.Written, rep.Unchanged)
	}
}

// The store's id counters are past the imported ids: a create after the
// import, by this Store or a new one, gets a higher id.
func TestCountersPastImportedIDs(t *testing.T) {
	ctx := context.Background()
	url, _ := sampleSQLite(t)
	s := testStore(t)
	if _, err := Import(ctx, s, url, Options{}); err != nil {
		t.Fatal(err)
	}
	n, err := s.CreateNode(ctx, etcdstore.Values{"driver": "fake-hardware"})
	if err != nil || n.Id <= 8 {
		t.Fatalf("node id %v %v", n, err)
	}
	p, err := s.CreatePort(ctx, etcdstore.Values{"address": "52:54:00:cc:cc:01", "node_id": n.Id})
	if err != nil || p.Id <= 32 {
		t.Fatalf("port %v %v", p, err)
	}
	dt, err := s.CreateDeployTemplate(ctx, etcdstore.Values{"name": "CUSTOM_X", "steps": []any{
		map[string]any{"interface": "bios", "step": "apply_configuration", "args": map[string]any{}, "priority": 10}}})
	if err != nil || dt.Id <= 61 || dt.Steps[0].Id <= 72 {
		t.Fatalf("template %v %v", dt, err)
	}
}

// A held reservation stays held, bound to no lease; an imported conductor
// has no lease and keeps online and updated_at as found.
func TestReservationAndConductorsAsFound(t *testing.T) {
	ctx := context.Background()
	url, _ := sampleSQLite(t)
	s, prefix := testStorePrefix(t)
	if _, err := Import(ctx, s, url, Options{}); err != nil {
		t.Fatal(err)
	}
	n, err := s.GetNodeByID(ctx, 7)
	if err != nil || n.GetReservation() != "cond-a" {
		t.Fatalf("node 7 %v %v", n, err)
	}
	if _, err := s.ReserveNode(ctx, "cond-b", "7"); !errors.Is(err, etcdstore.ErrNodeLocked) {
		t.Fatalf("reserve by another: %v", err)
	}
	resp, err := client.Get(ctx, keys.MustNew(prefix).Reservation(7))
	if err != nil || len(resp.Kvs) != 1 || resp.Kvs[0].Lease != 0 {
		t.Fatalf("lock key %v %v", resp, err)
	}
	if err := s.ReleaseNode(ctx, "cond-a", "7"); err != nil {
		t.Fatalf("release: %v", err)
	}
	online := map[string]bool{}
	if _, err := s.WalkRecords(ctx, "conductors", 0, func(m proto.Message) error {
		c := m.(*pb.Conductor)
		if c.Lease != 0 {
			t.Errorf("conductor %s has lease %d", c.Hostname, c.Lease)
		}
		online[c.Hostname] = c.Online
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !online["cond-a"] || online["cond-b"] {
		t.Fatalf("online as found: %v", online)
	}
}
