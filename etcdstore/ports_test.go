package etcdstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// mustNode creates a node or fails the test.
// mustCreate creates a record from defaults overridden by values, as
// Ironic's db_utils.create_test_* do, and fails t on an error.
func mustCreate[T any](t *testing.T, f *fixture, create func(context.Context, etcdstore.Values) (T, error), defaults, values etcdstore.Values) T {
	t.Helper()
	v := copyValues(defaults)
	for k, x := range values {
		v[k] = x
	}
	rec, err := create(f.ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func (f *fixture) mustNode(t *testing.T, values etcdstore.Values) *pb.Node {
	t.Helper()
	n, err := f.CreateNode(f.ctx, values)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *fixture) mustPort(t *testing.T, values etcdstore.Values) *pb.Port {
	t.Helper()
	p, err := f.CreatePort(f.ctx, values)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// wantErr fails unless err matches want.
func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got error %v, want %v", err, want)
	}
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

func TestCreatePortDefaultsAndLookups(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	p := f.mustPort(t, etcdstore.Values{"node_id": n.Id, "address": "52:54:00:AA:BB:01", "extra": nil})
	if p.Uuid == "" || !p.PxeEnabled || string(p.Extra) != "{}" || p.GetAddress() != "52:54:00:aa:bb:01" || p.CreatedAt == nil || p.UpdatedAt != nil {
		t.Fatalf("defaults not applied: %v", p)
	}
	p2 := f.mustPort(t, etcdstore.Values{"node_id": n.Id, "address": "52:54:00:aa:bb:02", "pxe_enabled": false, "uuid": ""})
	if p2.PxeEnabled || p2.Uuid == "" {
		t.Fatalf("pxe_enabled false or empty uuid not honoured: %v", p2)
	}
	for name, get := range map[string]func() (*pb.Port, error){
		"id":      func() (*pb.Port, error) { return f.GetPortByID(f.ctx, p.Id) },
		"uuid":    func() (*pb.Port, error) { return f.GetPortByUUID(f.ctx, p.Uuid) },
		"address": func() (*pb.Port, error) { return f.GetPortByAddress(f.ctx, "52:54:00:aa:BB:01") },
	} {
		got, err := get()
		if err != nil || got.Id != p.Id {
			t.Fatalf("by %s: %v %v", name, got, err)
		}
	}
	_, err := f.GetPortByID(f.ctx, 999)
	wantErr(t, err, etcdstore.ErrPortNotFound)
	_, err = f.GetPortByUUID(f.ctx, "1be26c0b-03f2-4d2e-ae87-c02d7f33c123")
	wantErr(t, err, etcdstore.ErrPortNotFound)
	_, err = f.GetPortByAddress(f.ctx, "52:54:00:00:00:99")
	wantErr(t, err, etcdstore.ErrPortNotFound)
}

func TestCreatePortClashes(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	p := f.mustPort(t, etcdstore.Values{"node_id": n.Id, "address": "52:54:00:00:00:01"})
	before := f.keysUnder(t)
	_, err := f.CreatePort(f.ctx, etcdstore.Values{"node_id": n.Id, "address": "52:54:00:00:00:01", "uuid": p.Uuid})
	wantErr(t, err, etcdstore.ErrMACAlreadyExists) // address is reported before uuid
	var e *etcdstore.Error
	if !errors.As(err, &e) || e.Param("mac") != "52:54:00:00:00:01" {
		t.Fatalf("MACAlreadyExists without the mac: %v", err)
	}
	_, err = f.CreatePort(f.ctx, etcdstore.Values{"node_id": n.Id, "address": "52:54:00:00:00:02", "uuid": p.Uuid})
	wantErr(t, err, etcdstore.ErrPortAlreadyExists)
	_, err = f.CreatePort(f.ctx, etcdstore.Values{"node_id": n.Id, "address": "52:54:00:00:00:03", "id": p.Id})
	wantErr(t, err, etcdstore.ErrPortAlreadyExists)
	_, err = f.CreatePort(f.ctx, etcdstore.Values{"node_id": 12345, "address": "52:54:00:00:00:04"})
	wantErr(t, err, etcdstore.ErrNodeNotFound)
	_, err = f.CreatePort(f.ctx, etcdstore.Values{"node_id": n.Id, "portgroup_id": 777, "address": "52:54:00:00:00:05"})
	wantErr(t, err, etcdstore.ErrPortgroupNotFound)
	for _, bad := range []etcdstore.Values{
		{"address": "52-54-00-00-00-06"}, {"address": "not a mac"}, {"uuid": "nope"},
		{"bogus": 1}, {"extra": "not a dict"}, {"pxe_enabled": "yes"}, {"node_id": "1"},
	} {
		_, err := f.CreatePort(f.ctx, bad)
		if !errors.Is(err, etcdstore.ErrInvalid) {
			t.Errorf("%v: got %v, want an Invalid error", bad, err)
		}
	}
	if after := f.keysUnder(t); !slices.Equal(before, after) {
		t.Fatalf("failed creates changed the key space:\n%v\n%v", before, after)
	}
}

func TestUpdatePort(t *testing.T) {
	f := newFixture(t)
	n1, n2 := f.mustNode(t, nil), f.mustNode(t, nil)
	p := f.mustPort(t, etcdstore.Values{"node_id": n1.Id, "address": "52:54:00:00:00:01"})
	other := f.mustPort(t, etcdstore.Values{"node_id": n1.Id, "address": "52:54:00:00:00:02"})
	f.clock.Advance(1e9)
	// By MAC, id and uuid; moving to another node moves its membership.
	got, err := f.UpdatePort(f.ctx, "52:54:00:00:00:01", etcdstore.Values{"node_id": n2.Id, "extra": map[string]any{"a": 1}})
	if err != nil || got.GetNodeId() != n2.Id || string(got.Extra) != `{"a":1}` || !got.UpdatedAt.AsTime().Equal(epoch.Add(1e9)) {
		t.Fatal(got, err)
	}
	if _, err := f.UpdatePort(f.ctx, id(p.Id), etcdstore.Values{"address": "52:54:00:00:00:03"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.UpdatePort(f.ctx, p.Uuid, etcdstore.Values{"pxe_enabled": false}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.GetPortByAddress(f.ctx, "52:54:00:00:00:01"); !errors.Is(err, etcdstore.ErrPortNotFound) {
		t.Fatalf("old address still indexed: %v", err)
	}
	ports, _ := f.GetPortsByNodeID(f.ctx, n2.Id, etcdstore.ListOptions{})
	if len(ports) != 1 || ports[0].Id != p.Id {
		t.Fatalf("ports of node 2: %v", ports)
	}
	ports, _ = f.GetPortsByNodeID(f.ctx, n1.Id, etcdstore.ListOptions{})
	if len(ports) != 1 || ports[0].Id != other.Id {
		t.Fatalf("ports of node 1: %v", ports)
	}
	before := f.keysUnder(t)
	_, err = f.UpdatePort(f.ctx, p.Uuid, etcdstore.Values{"uuid": p.Uuid})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	_, err = f.UpdatePort(f.ctx, p.Uuid, etcdstore.Values{"address": "52:54:00:00:00:02"})
	wantErr(t, err, etcdstore.ErrMACAlreadyExists)
	_, err = f.UpdatePort(f.ctx, "52:54:00:00:00:99", etcdstore.Values{"extra": nil})
	wantErr(t, err, etcdstore.ErrPortNotFound)
	_, err = f.UpdatePort(f.ctx, "not-an-identity", etcdstore.Values{})
	wantErr(t, err, etcdstore.ErrInvalidIdentity)
	_, err = f.UpdatePort(f.ctx, p.Uuid, etcdstore.Values{"node_id": 4242})
	wantErr(t, err, etcdstore.ErrNodeNotFound)
	_, err = f.UpdatePort(f.ctx, p.Uuid, etcdstore.Values{"id": 5})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	if after := f.keysUnder(t); !slices.Equal(before, after) {
		t.Fatalf("failed updates changed the key space")
	}
}

func TestDestroyPort(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	before := f.keysUnder(t)
	for i, ident := range []func(p *pb.Port) string{
		func(p *pb.Port) string { return p.GetAddress() },
		func(p *pb.Port) string { return id(p.Id) },
		func(p *pb.Port) string { return p.Uuid },
	} {
		p := f.mustPort(t, etcdstore.Values{"node_id": n.Id, "address": fmt.Sprintf("52:54:00:00:00:%02x", i)})
		if err := f.DestroyPort(f.ctx, ident(p)); err != nil {
			t.Fatal(err)
		}
		wantErr(t, f.DestroyPort(f.ctx, ident(p)), etcdstore.ErrPortNotFound)
	}
	after := f.keysUnder(t)
	after = slices.DeleteFunc(after, func(k string) bool { return strings.HasPrefix(k, "ids/") })
	before = slices.DeleteFunc(before, func(k string) bool { return strings.HasPrefix(k, "ids/") })
	if !slices.Equal(before, after) {
		t.Fatalf("destroyed ports left keys behind:\n%v\n%v", before, after)
	}
	wantErr(t, f.DestroyPort(f.ctx, "node-name"), etcdstore.ErrInvalidIdentity)
}

func TestPortListsPageAndSort(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	var all []*pb.Port
	for i := 0; i < 7; i++ {
		all = append(all, f.mustPort(t, etcdstore.Values{"node_id": n.Id, "address": fmt.Sprintf("52:54:00:00:01:%02x", 6-i)}))
	}
	list, err := f.GetPortList(f.ctx, etcdstore.ListOptions{Limit: etcdstore.Limit(3)})
	if err != nil || len(list) != 3 || list[0].Id != all[0].Id {
		t.Fatal(list, err)
	}
	next, _ := f.GetPortList(f.ctx, etcdstore.ListOptions{Limit: etcdstore.Limit(3), Marker: list[2]})
	if len(next) != 3 || next[0].Id != all[3].Id {
		t.Fatalf("second page: %v", next)
	}
	byAddr, _ := f.GetPortsByNodeID(f.ctx, n.Id, etcdstore.ListOptions{SortKey: "address"})
	if byAddr[0].Id != all[6].Id {
		t.Fatalf("sorted by address: first %v", byAddr[0])
	}
	desc, _ := f.GetPortsByNodeID(f.ctx, n.Id, etcdstore.ListOptions{SortKey: "address", SortDir: "desc", Limit: etcdstore.Limit(2), Marker: byAddr[5]})
	if len(desc) != 2 || desc[0].Id != byAddr[4].Id {
		t.Fatalf("descending after a marker: %v", desc)
	}
	_, err = f.GetPortList(f.ctx, etcdstore.ListOptions{SortKey: "foo"})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	_, err = f.GetPortsByNodeID(f.ctx, n.Id, etcdstore.ListOptions{SortKey: "foo"})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	if none, err := f.GetPortsByNodeID(f.ctx, 98765, etcdstore.ListOptions{}); err != nil || len(none) != 0 {
		t.Fatal(none, err)
	}
	if none, err := f.GetPortsByPortgroupID(f.ctx, 98765, etcdstore.ListOptions{}); err != nil || len(none) != 0 {
		t.Fatal(none, err)
	}
}

func TestGetNodeByPortAddresses(t *testing.T) {
	f := newFixture(t)
	n1, n2 := f.mustNode(t, nil), f.mustNode(t, nil)
	f.mustPort(t, etcdstore.Values{"node_id": n1.Id, "address": "52:54:00:00:00:01"})
	f.mustPort(t, etcdstore.Values{"node_id": n1.Id, "address": "52:54:00:00:00:02"})
	f.mustPort(t, etcdstore.Values{"node_id": n2.Id, "address": "52:54:00:00:00:03"})
	f.mustPort(t, etcdstore.Values{"address": "52:54:00:00:00:04"}) // no node
	got, err := f.GetNodeByPortAddresses(f.ctx, []string{"52:54:00:00:00:01", "52:54:00:00:00:02", "ff:ff:ff:ff:ff:ff"})
	if err != nil || got.Id != n1.Id {
		t.Fatal(got, err)
	}
	for _, addrs := range [][]string{{}, {"ff:ff:ff:ff:ff:ff"}, {"52:54:00:00:00:04"}} {
		_, err := f.GetNodeByPortAddresses(f.ctx, addrs)
		wantErr(t, err, etcdstore.ErrNodeNotFound)
		if !strings.Contains(err.Error(), "was not found") {
			t.Fatalf("%v: message %q", addrs, err)
		}
	}
	_, err = f.GetNodeByPortAddresses(f.ctx, []string{"52:54:00:00:00:01", "52:54:00:00:00:03"})
	wantErr(t, err, etcdstore.ErrNodeNotFound)
	if !strings.Contains(err.Error(), "Multiple nodes") {
		t.Fatalf("message %q", err)
	}
}

// 16 goroutines create ports with one MAC: exactly one wins.
func TestConcurrentPortMAC(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = f.CreatePort(f.ctx, etcdstore.Values{"node_id": n.Id, "address": "52:54:00:12:34:56"})
		}(i)
	}
	wg.Wait()
	exactlyOneWins(t, errs, etcdstore.ErrMACAlreadyExists)
}

// exactlyOneWins checks a race's outcome: one success, the rest lose with
// loser.
func exactlyOneWins(t *testing.T, errs []error, loser error) {
	t.Helper()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, loser):
			t.Fatalf("unexpected error %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d of %d won, want exactly 1", wins, len(errs))
	}
}
