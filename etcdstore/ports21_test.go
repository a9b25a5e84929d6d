package etcdstore_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Ironic 21.4's port columns and methods (test_ports.py, test_shard.py).

// paramOf is a parameter of a typed error.
func paramOf(t *testing.T, err error, name string) string {
	t.Helper()
	var e *etcdstore.Error
	if !errors.As(err, &e) {
		t.Fatalf("%v is not an *etcdstore.Error", err)
	}
	return e.Param(name)
}

func portIDs(ps []*pb.Port) []int64 {
	out := make([]int64, len(ps))
	for i, p := range ps {
		out[i] = p.Id
	}
	return out
}

func TestPort21Columns(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	p := f.mustPort(t, etcdstore.Values{"node_id": n.Id, "address": "52:54:00:00:00:01", "name": "Port-Name",
		"physical_network": "physnet1", "version": "1.11"})
	if p.IsSmartnic == nil || *p.IsSmartnic || p.GetName() != "Port-Name" || p.GetPhysicalNetwork() != "physnet1" || p.GetVersion() != "1.11" {
		t.Fatalf("21.4 columns not as created (is_smartnic false by default): %v", p)
	}
	if null := f.mustPort(t, etcdstore.Values{"node_id": n.Id, "address": "52:54:00:00:00:04", "is_smartnic": nil}); null.IsSmartnic == nil || null.GetIsSmartnic() {
		t.Fatalf("is_smartnic null is false, as 21.4 stores it: %v", null)
	}
	smart := f.mustPort(t, etcdstore.Values{"node_id": n.Id, "address": "52:54:00:00:00:02", "is_smartnic": true})
	if !smart.GetIsSmartnic() || smart.Name != nil {
		t.Fatalf("is_smartnic true or a NULL name not kept: %v", smart)
	}
	for _, name := range []string{"Port-Name", "port-name", "PORT-NAME"} { // any case, like every unique value
		got, err := f.GetPortByName(f.ctx, name)
		if err != nil || got.Id != p.Id {
			t.Fatalf("get_port_by_name(%q): %v %v", name, got, err)
		}
	}
	_, err := f.GetPortByName(f.ctx, "missing")
	wantErr(t, err, etcdstore.ErrPortNotFound)
	if paramOf(t, err, "port") != "missing" {
		t.Fatalf("PortNotFound does not name the port: %v", err)
	}
	got, err := f.UpdatePort(f.ctx, id(p.Id), etcdstore.Values{"name": "renamed", "is_smartnic": true, "physical_network": nil, "version": "1.12"})
	if err != nil || got.GetName() != "renamed" || !got.GetIsSmartnic() || got.PhysicalNetwork != nil || got.GetVersion() != "1.12" {
		t.Fatalf("update of 21.4 columns: %v %v", got, err)
	}
	_, err = f.GetPortByName(f.ctx, "Port-Name")
	wantErr(t, err, etcdstore.ErrPortNotFound) // the old name is free
	f.mustPort(t, etcdstore.Values{"node_id": n.Id, "address": "52:54:00:00:00:03", "name": "port-name"})
	if _, err := f.UpdatePort(f.ctx, id(p.Id), etcdstore.Values{"name": nil}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.GetPortByName(f.ctx, "renamed"); !errors.Is(err, etcdstore.ErrPortNotFound) {
		t.Fatalf("a name set to NULL still found: %v", err)
	}
	if err := f.DestroyPort(f.ctx, id(smart.Id)); err != nil {
		t.Fatal(err)
	}
}

// create_port names every clash but an address's PortAlreadyExists with
// the new port's uuid; update_port names a name before an address.
func TestPortNameClashes(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	p1 := f.mustPort(t, etcdstore.Values{"node_id": n.Id, "address": "52:54:00:00:00:01", "name": "n1"})
	p2 := f.mustPort(t, etcdstore.Values{"node_id": n.Id, "address": "52:54:00:00:00:02", "name": "n2"})
	before := f.keysUnder(t)
	const fresh = "7b3c6f2e-7e1a-4a51-9d57-0b1f1f2c3d4e"
	for _, c := range []struct {
		values etcdstore.Values
		want   error
		param  string
		value  string
	}{
		{etcdstore.Values{"name": "n1", "address": "52:54:00:00:00:09", "uuid": fresh}, etcdstore.ErrPortAlreadyExists, "uuid", fresh},
		{etcdstore.Values{"name": "N1", "address": "52:54:00:00:00:09", "uuid": fresh}, etcdstore.ErrPortAlreadyExists, "uuid", fresh},
		// name and address at once: as 21.4 on SQLite reports it.
		{etcdstore.Values{"name": "n1", "address": "52:54:00:00:00:01", "uuid": fresh}, etcdstore.ErrPortAlreadyExists, "uuid", fresh},
		{etcdstore.Values{"name": "n9", "address": "52:54:00:00:00:01", "uuid": p1.Uuid}, etcdstore.ErrMACAlreadyExists, "mac", "52:54:00:00:00:01"},
		{etcdstore.Values{"name": "n9", "address": "52:54:00:00:00:09", "uuid": p1.Uuid}, etcdstore.ErrPortAlreadyExists, "uuid", p1.Uuid},
	} {
		c.values["node_id"] = n.Id
		_, err := f.CreatePort(f.ctx, c.values)
		wantErr(t, err, c.want)
		if got := paramOf(t, err, c.param); got != c.value {
			t.Fatalf("create %v: %s=%q, want %q", c.values, c.param, got, c.value)
		}
	}
	// A duplicate name without a uuid: the uuid the create generated.
	_, err := f.CreatePort(f.ctx, etcdstore.Values{"node_id": n.Id, "address": "52:54:00:00:00:09", "name": "n1"})
	wantErr(t, err, etcdstore.ErrPortAlreadyExists)
	if u := paramOf(t, err, "uuid"); u == "" || u == p1.Uuid {
		t.Fatalf("PortAlreadyExists names %q, want the generated uuid", u)
	}
	for _, c := range []struct {
		values etcdstore.Values
		want   error
	}{
		{etcdstore.Values{"name": "n1"}, etcdstore.ErrPortDuplicateName},
		{etcdstore.Values{"name": "n1", "address": "52:54:00:00:00:01"}, etcdstore.ErrPortDuplicateName},
		{etcdstore.Values{"address": "52:54:00:00:00:01"}, etcdstore.ErrMACAlreadyExists},
	} {
		_, err := f.UpdatePort(f.ctx, p2.Uuid, c.values)
		wantErr(t, err, c.want)
		if c.want == etcdstore.ErrPortDuplicateName && paramOf(t, err, "name") != "n1" {
			t.Fatalf("PortDuplicateName does not name n1: %v", err)
		}
	}
	// The uuid is refused before the port is looked up, the port before
	// any clash.
	_, err = f.UpdatePort(f.ctx, "52:54:00:00:00:77", etcdstore.Values{"uuid": fresh, "name": "n1"})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	_, err = f.UpdatePort(f.ctx, "52:54:00:00:00:77", etcdstore.Values{"name": "n1"})
	wantErr(t, err, etcdstore.ErrPortNotFound)
	if after := f.keysUnder(t); !slices.Equal(before, after) {
		t.Fatalf("refused writes changed the key space:\n%v\n%v", before, after)
	}
	// Renaming to its own name in another case changes the record only.
	if got, err := f.UpdatePort(f.ctx, p1.Uuid, etcdstore.Values{"name": "N1"}); err != nil || got.GetName() != "N1" {
		t.Fatal(got, err)
	}
}

// 16 goroutines create ports with one name, 16 rename theirs to one name:
// exactly one wins each time.
func TestConcurrentPortName(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, nil)
	const writers = 16
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = f.CreatePort(f.ctx, etcdstore.Values{"node_id": n.Id, "address": macOf(i), "name": "contested"})
		}(i)
	}
	wg.Wait()
	exactlyOneWins(t, errs, etcdstore.ErrPortAlreadyExists)
	ports := make([]*pb.Port, writers)
	for i := range ports {
		ports[i] = f.mustPort(t, etcdstore.Values{"node_id": n.Id, "address": macOf(100 + i), "name": fmt.Sprint("own-", i)})
	}
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = f.UpdatePort(f.ctx, ports[i].Uuid, etcdstore.Values{"name": "renamed"})
		}(i)
	}
	wg.Wait()
	exactlyOneWins(t, errs, etcdstore.ErrPortDuplicateName)
	winner, err := f.GetPortByName(f.ctx, "renamed")
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range ports { // the losers keep their names
		if p.Id != winner.Id {
			if _, err := f.GetPortByName(f.ctx, fmt.Sprint("own-", i)); err != nil {
				t.Fatalf("loser %d lost its name: %v", i, err)
			}
		}
	}
	assertNoOrphans(t, f)
}

// test_ports.py's owner and project cases.
func TestPortProjectFilters(t *testing.T) {
	f := newFixture(t)
	node := f.mustNode(t, etcdstore.Values{"owner": "12345", "lessee": "54321"})
	other := f.mustNode(t, nil)
	leased := f.mustNode(t, etcdstore.Values{"lessee": "12345"})
	pg, err := f.CreatePortgroup(f.ctx, etcdstore.Values{"node_id": node.Id, "address": "52:54:00:00:01:00"})
	if err != nil {
		t.Fatal(err)
	}
	port := f.mustPort(t, etcdstore.Values{"node_id": node.Id, "portgroup_id": pg.Id, "address": "52:54:00:cf:2d:31", "name": "port-name"})
	var own, lessee, others []int64
	for i := 1; i <= 2; i++ {
		others = append(others, f.mustPort(t, etcdstore.Values{"node_id": other.Id, "address": fmt.Sprintf("52:54:00:cf:2d:4%d", i)}).Id)
		lessee = append(lessee, f.mustPort(t, etcdstore.Values{"node_id": leased.Id, "address": fmt.Sprintf("52:54:00:cf:2d:5%d", i)}).Id)
		own = append(own, f.mustPort(t, etcdstore.Values{"node_id": node.Id, "address": fmt.Sprintf("52:54:00:cf:2d:6%d", i)}).Id)
	}
	f.mustPort(t, etcdstore.Values{"address": "52:54:00:cf:2d:71"}) // no node: never passes a filter
	own = append([]int64{port.Id}, own...)

	byAddress := func(addr string, pf etcdstore.ProjectFilter) (*pb.Port, error) {
		return f.GetPortByAddressForProject(f.ctx, addr, pf)
	}
	for _, pf := range []etcdstore.ProjectFilter{{}, {Owner: "12345"}, {Project: "54321"}, {Project: "12345"}, {Owner: "12345", Project: "nobody"}} {
		if got, err := byAddress("52:54:00:CF:2D:31", pf); err != nil || got.Id != port.Id {
			t.Fatalf("get_port_by_address %+v: %v %v", pf, got, err)
		}
	}
	for _, pf := range []etcdstore.ProjectFilter{{Owner: "54321"}, {Project: "55555"}, {Owner: "54321", Project: "12345"}} {
		_, err := byAddress("52:54:00:cf:2d:31", pf)
		wantErr(t, err, etcdstore.ErrPortNotFound)
		if paramOf(t, err, "port") != "52:54:00:cf:2d:31" {
			t.Fatalf("PortNotFound does not name the address: %v", err)
		}
	}
	_, err = byAddress("52:54:00:cf:2d:71", etcdstore.ProjectFilter{Project: "12345"})
	wantErr(t, err, etcdstore.ErrPortNotFound)
	_, err = byAddress("52:54:00:00:99:99", etcdstore.ProjectFilter{Project: "12345"})
	wantErr(t, err, etcdstore.ErrPortNotFound)

	total := len(own) + len(lessee) + len(others) + 1
	for _, c := range []struct {
		pf   etcdstore.ProjectFilter
		want []int64
	}{
		{etcdstore.ProjectFilter{Owner: "12345"}, own},
		{etcdstore.ProjectFilter{Project: "12345"}, append(slices.Clone(own), lessee...)},
		{etcdstore.ProjectFilter{Project: "54321"}, own},
		{etcdstore.ProjectFilter{Owner: "nobody"}, nil},
	} {
		got, err := f.GetPortListForProject(f.ctx, etcdstore.ListOptions{}, c.pf)
		want := slices.Clone(c.want)
		slices.Sort(want)
		if err != nil || !slices.Equal(portIDs(got), want) {
			t.Fatalf("get_port_list %+v: %v %v, want %v", c.pf, portIDs(got), err, want)
		}
	}
	if got, _ := f.GetPortListForProject(f.ctx, etcdstore.ListOptions{}, etcdstore.ProjectFilter{}); len(got) != total {
		t.Fatalf("no filter: %d ports, want %d", len(got), total)
	}
	// Paging applies after the filter: limit, marker and sort key.
	page, err := f.GetPortListForProject(f.ctx, etcdstore.ListOptions{Limit: etcdstore.Limit(2), SortKey: "address", SortDir: "desc"}, etcdstore.ProjectFilter{Project: "12345"})
	if err != nil || len(page) != 2 || page[0].GetAddress() != "52:54:00:cf:2d:62" || page[1].GetAddress() != "52:54:00:cf:2d:61" {
		t.Fatalf("a sorted page: %v %v", page, err)
	}
	next, err := f.GetPortListForProject(f.ctx, etcdstore.ListOptions{Limit: etcdstore.Limit(2), Marker: page[1], SortKey: "address", SortDir: "desc"}, etcdstore.ProjectFilter{Project: "12345"})
	if err != nil || len(next) != 2 || next[0].GetAddress() != "52:54:00:cf:2d:52" {
		t.Fatalf("the next page: %v %v", next, err)
	}
	byID, err := f.GetPortListForProject(f.ctx, etcdstore.ListOptions{Limit: etcdstore.Limit(1), Marker: &pb.Port{Id: own[0]}}, etcdstore.ProjectFilter{Owner: "12345"})
	if err != nil || !slices.Equal(portIDs(byID), own[1:2]) {
		t.Fatalf("a page in id order after a marker: %v %v", portIDs(byID), err)
	}
	_, err = f.GetPortListForProject(f.ctx, etcdstore.ListOptions{SortKey: "foo"}, etcdstore.ProjectFilter{Owner: "12345"})
	wantErr(t, err, etcdstore.ErrInvalidParameterValue)

	for _, c := range []struct {
		pf   etcdstore.ProjectFilter
		want int
	}{{etcdstore.ProjectFilter{}, 3}, {etcdstore.ProjectFilter{Owner: "12345"}, 3}, {etcdstore.ProjectFilter{Project: "54321"}, 3},
		{etcdstore.ProjectFilter{Owner: "54321"}, 0}, {etcdstore.ProjectFilter{Project: "11111"}, 0}} {
		got, err := f.GetPortsByNodeIDForProject(f.ctx, node.Id, etcdstore.ListOptions{}, c.pf)
		if err != nil || len(got) != c.want {
			t.Fatalf("get_ports_by_node_id %+v: %d %v, want %d", c.pf, len(got), err, c.want)
		}
		got, err = f.GetPortsByPortgroupIDForProject(f.ctx, pg.Id, etcdstore.ListOptions{}, c.pf)
		if want := min(c.want, 1); err != nil || len(got) != want || want == 1 && got[0].Id != port.Id {
			t.Fatalf("get_ports_by_portgroup_id %+v: %v %v", c.pf, got, err)
		}
	}
	if got, err := f.GetPortsByNodeIDForProject(f.ctx, 99, etcdstore.ListOptions{}, etcdstore.ProjectFilter{Owner: "12345"}); err != nil || len(got) != 0 {
		t.Fatalf("an unknown node: %v %v", got, err)
	}
	if got, err := f.GetPortsByPortgroupIDForProject(f.ctx, 99, etcdstore.ListOptions{}, etcdstore.ProjectFilter{Owner: "12345"}); err != nil || len(got) != 0 {
		t.Fatalf("an unknown portgroup: %v %v", got, err)
	}
	if got, err := f.GetPortsByNodeIDForProject(f.ctx, node.Id, etcdstore.ListOptions{Limit: etcdstore.Limit(0)}, etcdstore.ProjectFilter{Owner: "12345"}); err != nil || len(got) != 0 {
		t.Fatalf("limit 0: %v %v", got, err)
	}
}

// test_ports.py's get_ports_by_shards cases, and what a shard list means.
func TestGetPortsByShards(t *testing.T) {
	f := newFixture(t)
	if got, err := f.GetPortsByShards(f.ctx, []string{"shard1", "shard2"}, etcdstore.ListOptions{}); err != nil || len(got) != 0 {
		t.Fatalf("no match: %v %v", got, err)
	}
	withShard := func(shard string, mac string) *pb.Port {
		v := etcdstore.Values{"owner": "12345", "lessee": "54321"}
		if shard != "" {
			v["shard"] = shard
		}
		n := f.mustNode(t, v)
		pg, err := f.CreatePortgroup(f.ctx, etcdstore.Values{"name": "pg-" + shard, "node_id": n.Id, "address": mac})
		if err != nil {
			t.Fatal(err)
		}
		return f.mustPort(t, etcdstore.Values{"name": "port-" + shard, "node_id": n.Id, "address": mac, "portgroup_id": pg.Id})
	}
	p1 := withShard("shard1", "aa:bb:cc:dd:ee:ff")
	got, err := f.GetPortsByShards(f.ctx, []string{"shard1"}, etcdstore.ListOptions{})
	if err != nil || len(got) != 1 || got[0].GetName() != "port-shard1" {
		t.Fatalf("single: %v %v", got, err)
	}
	p2 := withShard("shard2", "ab:bb:cc:dd:ee:ff")
	withShard("shard3", "ac:bb:cc:dd:ee:ff")
	withShard("", "ad:bb:cc:dd:ee:ff")                              // a node without a shard is in none
	f.mustPort(t, etcdstore.Values{"address": "ae:bb:cc:dd:ee:ff"}) // nor is a port without a node
	got, err = f.GetPortsByShards(f.ctx, []string{"shard1", "shard2"}, etcdstore.ListOptions{})
	if err != nil || !slices.Equal(portIDs(got), []int64{p1.Id, p2.Id}) {
		t.Fatalf("multi: %v %v", got, err)
	}
	for _, shards := range [][]string{nil, {}, {""}, {"SHARD1"}} { // shard names match exactly
		if got, err := f.GetPortsByShards(f.ctx, shards, etcdstore.ListOptions{}); err != nil || len(got) != 0 {
			t.Fatalf("%q: %v %v", shards, got, err)
		}
	}
	got, err = f.GetPortsByShards(f.ctx, []string{"shard1", "shard2", "shard3"}, etcdstore.ListOptions{SortKey: "name", SortDir: "desc", Limit: etcdstore.Limit(2)})
	if err != nil || len(got) != 2 || got[0].GetName() != "port-shard3" || got[1].GetName() != "port-shard2" {
		t.Fatalf("sorted page: %v %v", got, err)
	}
	got, err = f.GetPortsByShards(f.ctx, []string{"shard1", "shard2", "shard3"}, etcdstore.ListOptions{Marker: p1})
	if err != nil || len(got) != 2 || got[0].Id != p2.Id {
		t.Fatalf("after a marker: %v %v", got, err)
	}
	for _, shards := range [][]string{{"shard1"}, nil} {
		_, err = f.GetPortsByShards(f.ctx, shards, etcdstore.ListOptions{SortKey: "foo"})
		wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	}
}

// More distinct nodes than one transaction holds: the nodes are read by
// range at the ports' revision, and a filtered page in id order still
// stops at its limit and honours its marker, in both directions.
func TestProjectFilterOverManyNodes(t *testing.T) {
	f := newFixture(t, etcdstore.WithMaxTxnOps(16))
	var mine []int64
	for i := range 20 {
		owner := "theirs"
		if i%3 != 1 {
			owner = "mine"
		}
		n := f.mustNode(t, etcdstore.Values{"owner": owner, "shard": owner})
		p := f.mustPort(t, etcdstore.Values{"node_id": n.Id, "address": macOf(i)})
		if owner == "mine" {
			mine = append(mine, p.Id)
		}
	}
	mineF := etcdstore.ProjectFilter{Project: "mine"}
	all, err := f.GetPortListForProject(f.ctx, etcdstore.ListOptions{}, mineF)
	if err != nil || !slices.Equal(portIDs(all), mine) {
		t.Fatalf("all of mine: %v %v, want %v", portIDs(all), err, mine)
	}
	if got, err := f.GetPortsByShards(f.ctx, []string{"mine"}, etcdstore.ListOptions{}); err != nil || !slices.Equal(portIDs(got), mine) {
		t.Fatalf("by shard: %v %v", portIDs(got), err)
	}
	page, err := f.GetPortListForProject(f.ctx, etcdstore.ListOptions{Limit: etcdstore.Limit(3), Marker: &pb.Port{Id: mine[1]}}, mineF)
	if err != nil || !slices.Equal(portIDs(page), mine[2:5]) {
		t.Fatalf("a page after a marker: %v %v, want %v", portIDs(page), err, mine[2:5])
	}
	desc, err := f.GetPortListForProject(f.ctx, etcdstore.ListOptions{Limit: etcdstore.Limit(2), SortDir: "desc", Marker: &pb.Port{Id: mine[4]}}, mineF)
	if err != nil || !slices.Equal(portIDs(desc), []int64{mine[3], mine[2]}) {
		t.Fatalf("a descending page: %v %v", portIDs(desc), err)
	}
}

// A filtered list in id order longer than one page of 1,000 ports: the
// pages follow each other at one revision and the limit cuts the second.
func TestProjectFilterAcrossPages(t *testing.T) {
	f := newFixture(t)
	mineNode := f.mustNode(t, etcdstore.Values{"owner": "mine"})
	theirs := f.mustNode(t, etcdstore.Values{"owner": "theirs"})
	var mine []int64
	for i := range 1050 {
		n := theirs
		if i%10 != 0 {
			n = mineNode
		}
		p := f.mustPort(t, etcdstore.Values{"node_id": n.Id, "address": macOf(i)})
		if n == mineNode {
			mine = append(mine, p.Id)
		}
	}
	mineF := etcdstore.ProjectFilter{Owner: "mine"}
	got, err := f.GetPortListForProject(f.ctx, etcdstore.ListOptions{Limit: etcdstore.Limit(920)}, mineF) // 900 in the first page
	if err != nil || !slices.Equal(portIDs(got), mine[:920]) {
		t.Fatalf("920 of mine: %d %v", len(got), err)
	}
	got, err = f.GetPortListForProject(f.ctx, etcdstore.ListOptions{Marker: got[len(got)-1]}, mineF)
	if err != nil || !slices.Equal(portIDs(got), mine[920:]) {
		t.Fatalf("the rest: %d %v, want %d", len(got), err, len(mine)-920)
	}
}
