package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/internal/embedded"
)

func TestDatasetFollowsWorkloads(t *testing.T) {
	d := NewDataset(10000, 1)
	states := map[string]int{}
	maint, gpu := 0, 0
	for i, n := range d.Nodes {
		states[n.Values["provision_state"].(string)]++
		if n.Values["maintenance"].(bool) {
			maint++
		}
		if n.Values["resource_class"] == "gpu" {
			gpu++
		}
		if _, has := n.Values["instance_uuid"]; has != (n.Values["provision_state"] == "active") {
			t.Fatalf("node %d: instance_uuid iff active", i)
		}
		if n.Values["driver"] != drivers[i%3] || n.Name != "node-"+pad6(i) {
			t.Fatalf("node %d: %v %s", i, n.Values["driver"], n.Name)
		}
	}
	near := func(got, wantPct int) bool { return got > (wantPct-2)*100 && got < (wantPct+2)*100 }
	if !near(states["available"], 60) || !near(states["active"], 30) || !near(states["manageable"], 8) ||
		!near(states["wait call-back"], 2) || !near(maint, 5) || !near(gpu, 20) {
		t.Fatalf("distribution: %v maintenance %d gpu %d", states, maint, gpu)
	}
	if d.Nodes[1].MACs != [2]string{"52:54:00:00:00:02", "52:54:00:00:00:03"} {
		t.Fatalf("MACs %v", d.Nodes[1].MACs)
	}
	info, _ := json.Marshal(d.Nodes[0].Values["driver_info"])
	props, _ := json.Marshal(d.Nodes[0].Values["properties"])
	if size := len(info) + len(props); size < 900 || size > 1200 {
		t.Fatalf("about 1 KiB of JSON per node, got %d", size)
	}
	if NewDataset(5, 1).Nodes[3].UUID != NewDataset(5, 1).Nodes[3].UUID {
		t.Fatal("not deterministic")
	}
}

// startMember starts an embedded member for one test and a client of it;
// both end with the test.
func startMember(t *testing.T) (*clientv3.Client, context.Context) {
	member, err := embedded.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(member.Close)
	cli, err := member.Client()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return cli, ctx
}

func pad6(i int) string { return fmt.Sprintf("%06d", i) }

// Every workload runs at a tiny scale and reports sane figures; W5 checks
// its invariant itself.
func TestRunAllWorkloads(t *testing.T) {
	cli, ctx := startMember(t)
	var log bytes.Buffer
	results, err := Run(ctx, cli, Config{N: 120, Seed: 1, Duration: 300 * time.Millisecond, Repeat: 1, Ks: []int{1, 4}, Prefix: "/bench-test/", Log: &log})
	if err != nil {
		t.Fatal(err, log.String())
	}
	seen := map[string]bool{}
	for _, r := range results {
		seen[r.Workload] = true
		if r.Value <= 0 {
			t.Errorf("%s %s: value %v", r.Workload, r.Figure, r.Value)
		}
		if r.Floor > 0 && r.Ratio <= 0 {
			t.Errorf("%s %s: floor without ratio", r.Workload, r.Figure)
		}
	}
	for _, w := range []string{"W1", "W2", "W3", "W4", "W5", "W6", "cache"} {
		if !seen[w] {
			t.Errorf("no figure for %s", w)
		}
	}
	var table, js bytes.Buffer
	if err := PrintTable(&table, results); err != nil || !strings.Contains(table.String(), "lock churn K=4") {
		t.Fatal(err, table.String())
	}
	if err := PrintJSON(&js, results); err != nil || !json.Valid(js.Bytes()) {
		t.Fatal(err)
	}
}

// --via-api runs W2, W4 and W5 through the HTTP API beside the in-process store.
func TestRunViaAPI(t *testing.T) {
	cli, ctx := startMember(t)
	var log bytes.Buffer
	results, err := RunViaAPI(ctx, cli, Config{N: 120, Seed: 1, Duration: 300 * time.Millisecond, Repeat: 1, Ks: []int{1, 4}, Prefix: "/bench-api-test/", Log: &log})
	if err != nil {
		t.Fatal(err, log.String())
	}
	want := map[string]bool{"periodic filter p50 via API": false, "enroll, 8 writers via API": false, "full walk, limit 1000 via API": false, "point lookups via API": false,
		"added latency per call (p50)": false, "lock churn K=4 via API": false, "offline after, x heartbeat timeout, via API": false}
	for _, r := range results {
		if _, ok := want[r.Figure]; ok {
			want[r.Figure] = true
			if r.Workload != "W6" && r.Figure != "added latency per call (p50)" && (r.Value <= 0 || r.Floor <= 0 || r.Ratio <= 0) {
				t.Errorf("%s: %+v", r.Figure, r)
			}
		}
	}
	for fig, seen := range want {
		if !seen {
			t.Errorf("no figure %q:\n%s", fig, log.String())
		}
	}
}

// The 21.4 shape loads nodes and ports with the columns a 21.4 conductor
// writes; an unknown shape is refused before anything is written.
func TestShape214Loads(t *testing.T) {
	cli, ctx := startMember(t)
	cfg := Config{N: 20, Seed: 1, Duration: 100 * time.Millisecond, Repeat: 1, Workloads: []string{"W1"}, Prefix: "/bench-shape/", Shape: Shape214}
	if _, err := Run(ctx, cli, cfg); err != nil {
		t.Fatal(err)
	}
	s, err := etcdstore.New(cli, etcdstore.WithPrefix(cfg.Prefix))
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.GetNodeByName(ctx, "node-000003")
	if err != nil || n.GetOwner() != "project-03" || n.GetVersion() != "1.37" || n.GetRescueInterface() != "no-rescue" ||
		len(n.Traits) != 2 || n.Traits[0].Trait != "CUSTOM_RACK_3" {
		t.Fatalf("%v %v", n, err)
	}
	ports, err := s.GetPortsByNodeID(ctx, n.Id, etcdstore.ListOptions{})
	if err != nil || len(ports) != 2 || ports[0].GetPhysicalNetwork() != "physnet1" || ports[0].GetVersion() != "1.11" {
		t.Fatalf("%v %v", ports, err)
	}
	cfg.Shape, cfg.Prefix = "20.1", "/bench-shape-bad/"
	if _, err := Run(ctx, cli, cfg); err == nil || !strings.Contains(err.Error(), "unknown node shape") {
		t.Fatalf("unknown shape: %v", err)
	}
}
