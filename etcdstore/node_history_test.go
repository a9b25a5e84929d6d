package etcdstore_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// The cases of Ironic 21.4's tests/unit/db/test_node_history.py, and the
// purge of the conductor's periodic clean-up.

func (f *fixture) mustHistory(t *testing.T, values etcdstore.Values) *pb.NodeHistory {
	t.Helper()
	return mustCreate(t, f, f.CreateNodeHistory, etcdstore.Values{"conductor": "test-conductor", "user": "fake-user", "event": "Something bad happened but fear not",
		"severity": "ERROR", "event_type": "provisioning"}, values)
}

func TestNodeHistoryCreateReplacesUUID(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	h := f.mustHistory(t, etcdstore.Values{"node_id": n.Id, "uuid": uuidA})
	if h.Uuid == uuidA || h.Uuid == "" || h.GetNodeId() != n.Id || h.CreatedAt == nil {
		t.Fatalf("created %v", h)
	}
	// Even a uuid that is not one is replaced, not refused, as 21.4 does.
	h2 := f.mustHistory(t, etcdstore.Values{"node_id": n.Id, "uuid": "not a uuid"})
	if h2.Uuid == h.Uuid || !etcdstore.IsUUIDLike(h2.Uuid) {
		t.Fatal(h2)
	}
	_, err := f.CreateNodeHistory(f.ctx, etcdstore.Values{"id": h.Id, "event": "x"})
	wantErr(t, err, etcdstore.ErrNodeHistoryAlreadyExists)
	_, err = f.CreateNodeHistory(f.ctx, etcdstore.Values{"node_id": 4242, "event": "x"})
	wantErr(t, err, etcdstore.ErrNodeNotFound)
	orphan := f.mustHistory(t, nil) // node_id NULL is allowed
	if orphan.NodeId != nil {
		t.Fatal(orphan)
	}
}

func TestNodeHistoryDestroyByUUID(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	h := f.mustHistory(t, etcdstore.Values{"node_id": n.Id})
	if err := f.DestroyNodeHistoryByUUID(f.ctx, strings.ToUpper(h.Uuid)); err != nil {
		t.Fatal(err)
	}
	_, err := f.GetNodeHistoryByID(f.ctx, h.Id)
	wantErr(t, err, etcdstore.ErrNodeHistoryNotFound)
	_, err = f.GetNodeHistoryByUUID(f.ctx, h.Uuid)
	wantErr(t, err, etcdstore.ErrNodeHistoryNotFound)
	for _, u := range []string{h.Uuid, "wrong-uuid", "", "7"} {
		wantErr(t, f.DestroyNodeHistoryByUUID(f.ctx, u), etcdstore.ErrNodeHistoryNotFound)
	}
	if list, _ := f.GetNodeHistoryByNodeID(f.ctx, n.Id, etcdstore.ListOptions{}); len(list) != 0 {
		t.Fatal(list)
	}
}

func TestNodeHistoryGets(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	h := f.mustHistory(t, etcdstore.Values{"node_id": n.Id})
	got, err := f.GetNodeHistoryByID(f.ctx, h.Id)
	if err != nil || got.GetConductor() != "test-conductor" || got.GetUser() != "fake-user" || got.GetEvent() != h.GetEvent() {
		t.Fatal(got, err)
	}
	got, err = f.GetNodeHistoryByUUID(f.ctx, h.Uuid)
	if err != nil || got.Id != h.Id {
		t.Fatal(got, err)
	}
	_, err = f.GetNodeHistoryByID(f.ctx, -1)
	wantErr(t, err, etcdstore.ErrNodeHistoryNotFound)
	_, err = f.GetNodeHistoryByUUID(f.ctx, "wrong-uuid")
	wantErr(t, err, etcdstore.ErrNodeHistoryNotFound)
}

// _prepare_history_entries: six records, a second apart.
func (f *fixture) sixHistories(t *testing.T, nodeID int64) []string {
	var uuids []string
	for i := 0; i < 6; i++ {
		h := f.mustHistory(t, etcdstore.Values{"node_id": nodeID, "event": fmt.Sprint("Something bad happened but fear not ", i)})
		uuids = append(uuids, h.Uuid)
		f.clock.Advance(time.Second)
	}
	return uuids
}

func TestNodeHistoryList(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	uuids := f.sixHistories(t, n.Id)
	list, err := f.GetNodeHistoryList(f.ctx, etcdstore.ListOptions{})
	if err != nil || len(list) != 6 {
		t.Fatal(list, err)
	}
	desc, err := f.GetNodeHistoryList(f.ctx, etcdstore.ListOptions{SortKey: "created_at", SortDir: "desc"})
	if err != nil || len(desc) != 6 || !strings.Contains(desc[0].GetEvent(), "fear not 5") || desc[5].Uuid != uuids[0] {
		t.Fatal(desc, err)
	}
	// The default order is created_at, ascending; "desc" alone sorts by it too.
	byDefault, _ := f.GetNodeHistoryList(f.ctx, etcdstore.ListOptions{SortDir: "desc"})
	if byDefault[0].Uuid != uuids[5] || list[0].Uuid != uuids[0] {
		t.Fatalf("default order: %v", byDefault)
	}
	_, err = f.GetNodeHistoryList(f.ctx, etcdstore.ListOptions{SortKey: "foo"})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	page, err := f.GetNodeHistoryList(f.ctx, etcdstore.ListOptions{Limit: etcdstore.Limit(2), Marker: list[1]})
	if err != nil || len(page) != 2 || page[0].Uuid != uuids[2] {
		t.Fatal(page, err)
	}
}

func TestNodeHistoryByNodeID(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	other := f.mustNode(t, nil)
	h := f.mustHistory(t, etcdstore.Values{"node_id": n.Id})
	f.mustHistory(t, etcdstore.Values{"node_id": other.Id})
	list, err := f.GetNodeHistoryByNodeID(f.ctx, 10, etcdstore.ListOptions{})
	if err != nil || len(list) != 0 {
		t.Fatal(list, err)
	}
	list, err = f.GetNodeHistoryByNodeID(f.ctx, n.Id, etcdstore.ListOptions{})
	if err != nil || len(list) != 1 || list[0].Uuid != h.Uuid || list[0].GetSeverity() != "ERROR" ||
		list[0].GetEventType() != "provisioning" || list[0].GetUser() != "fake-user" {
		t.Fatal(list, err)
	}
}

// query_node_history_records_for_purge: per node of the conductor's
// affinity, the oldest records beyond max_entries.
func TestNodeHistoryQueryForPurge(t *testing.T) {
	f := newFixture(t)
	mine := f.mustNode(t, etcdstore.Values{"conductor_affinity": 7})
	few := f.mustNode(t, etcdstore.Values{"conductor_affinity": 7})
	theirs := f.mustNode(t, etcdstore.Values{"conductor_affinity": 8})
	var ids []int64
	for i := 0; i < 5; i++ {
		ids = append(ids, f.mustHistory(t, etcdstore.Values{"node_id": mine.Id}).Id)
		f.mustHistory(t, etcdstore.Values{"node_id": theirs.Id})
		f.clock.Advance(24 * time.Hour)
	}
	f.mustHistory(t, etcdstore.Values{"node_id": few.Id})
	got, err := f.QueryNodeHistoryRecordsForPurge(f.ctx, 7, etcdstore.HistoryPurgeLimits{MaxEntries: 2})
	if err != nil || len(got) != 1 || !slices.Equal(got[mine.Id], ids[:3]) {
		t.Fatalf("max 2: %v %v", got, err)
	}
	def, err := f.QueryNodeHistoryRecordsForPurge(f.ctx, 7, etcdstore.DefaultHistoryPurgeLimits)
	if err != nil || len(def) != 0 {
		t.Fatalf("21.4's defaults: %v %v", def, err)
	}
	// Records younger than MinimumDays are neither purged nor counted:
	// now is 5 days after the first; 3 are older than 2 days.
	young, err := f.QueryNodeHistoryRecordsForPurge(f.ctx, 7, etcdstore.HistoryPurgeLimits{MaxEntries: 1, MinimumDays: 2})
	if err != nil || !slices.Equal(young[mine.Id], ids[:2]) {
		t.Fatalf("minimum days: %v %v", young, err)
	}
	all, err := f.QueryNodeHistoryRecordsForPurge(f.ctx, 7, etcdstore.HistoryPurgeLimits{})
	if err != nil || len(all[mine.Id]) != 5 || len(all[few.Id]) != 1 {
		t.Fatalf("max 0: %v %v", all, err)
	}
	none, err := f.QueryNodeHistoryRecordsForPurge(f.ctx, 99, etcdstore.HistoryPurgeLimits{})
	if err != nil || len(none) != 0 {
		t.Fatal(none, err)
	}
	_, err = f.QueryNodeHistoryRecordsForPurge(f.ctx, 7, etcdstore.HistoryPurgeLimits{MaxEntries: -1})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
}

func TestNodeHistoryBulkDelete(t *testing.T) {
	f := newFixture(t, etcdstore.WithMaxTxnOps(16)) // batches of 5
	n := f.mustNode(t, nil)
	var ids []int64
	for i := 0; i < 7; i++ {
		ids = append(ids, f.mustHistory(t, etcdstore.Values{"node_id": n.Id}).Id)
	}
	kept := f.mustHistory(t, etcdstore.Values{"node_id": n.Id})
	gone := append(slices.Clone(ids), 4242, ids[0]) // unknown and repeated ids are ignored
	if err := f.BulkDeleteNodeHistoryRecords(f.ctx, gone); err != nil {
		t.Fatal(err)
	}
	list, err := f.GetNodeHistoryByNodeID(f.ctx, n.Id, etcdstore.ListOptions{})
	if err != nil || len(list) != 1 || list[0].Id != kept.Id {
		t.Fatal(list, err)
	}
	if err := f.BulkDeleteNodeHistoryRecords(f.ctx, nil); err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, k := range f.keysUnder(t) {
		if strings.Contains(k, "node_history") && !strings.HasPrefix(k, "ids/") {
			left = append(left, k)
		}
	}
	if len(left) != 3 { // kept's record, uuid index and membership key
		t.Fatalf("keys of history: %v", left)
	}
}

// A purge and its bulk delete as 21.4's conductor runs them.
func TestNodeHistoryPurgeThenDelete(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, etcdstore.Values{"conductor_affinity": 1})
	for i := 0; i < 4; i++ {
		f.mustHistory(t, etcdstore.Values{"node_id": n.Id})
		f.clock.Advance(time.Minute)
	}
	purge, err := f.QueryNodeHistoryRecordsForPurge(f.ctx, 1, etcdstore.HistoryPurgeLimits{MaxEntries: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.BulkDeleteNodeHistoryRecords(f.ctx, purge[n.Id]); err != nil {
		t.Fatal(err)
	}
	again, err := f.QueryNodeHistoryRecordsForPurge(f.ctx, 1, etcdstore.HistoryPurgeLimits{MaxEntries: 1})
	if err != nil || len(again) != 0 {
		t.Fatal(again, err)
	}
}

// 16 writers of one explicit id, for history and for inventory: one wins.
func TestConcurrentHistoryAndInventoryID(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	for _, c := range []struct {
		create func(s *etcdstore.Store) error
		loser  error
	}{
		{func(s *etcdstore.Store) error {
			_, err := s.CreateNodeHistory(f.ctx, etcdstore.Values{"id": 99, "node_id": n.Id})
			return err
		}, etcdstore.ErrNodeHistoryAlreadyExists},
		{func(s *etcdstore.Store) error {
			_, err := s.CreateNodeInventory(f.ctx, etcdstore.Values{"id": 99, "node_id": n.Id})
			return err
		}, etcdstore.ErrNodeInventoryAlreadyExists},
	} {
		errs := f.concurrently(t, func(_ int, s *etcdstore.Store) error { return c.create(s) })
		exactlyOneWins(t, errs, c.loser)
	}
}
