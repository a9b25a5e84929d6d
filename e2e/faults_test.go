package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/internal/lockcheck"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// artifactDir keeps what a fault run leaves for people: the porcupine
// visualisation and the run's figures.
func artifactDir(t *testing.T) string {
	dir := os.Getenv("ARTIFACTS_DIR")
	if dir == "" {
		dir = "artifacts"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

const (
	faultNodes = 8
	faultTTL   = 2 * time.Second
)

// One run of the lock churn W5 by three conductor processes on a
// three-member cluster, with faults injected: SIGKILL a conductor, SIGSTOP
// another past its TTL, SIGKILL the etcd leader (and restart it). Every
// reserve, fenced write and release is recorded with its invoke and
// return times and checked with porcupine against a model of the node
// lock: no double hold, no stale write, no acknowledged write lost.
func TestFaultRunIsLinearizable(t *testing.T) {
	c := startCluster(t, false)
	cli := newClient(t, c.endpoints()...)
	store, err := etcdstore.New(cli)
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t, 3*time.Minute)
	for i := 0; i < faultNodes; i++ {
		if _, err := store.CreateNode(ctx, etcdstore.Values{"name": fmt.Sprintf("n%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	dir := t.TempDir()
	var conductors []*exec.Cmd
	for i := 1; i <= 3; i++ {
		cmd := exec.Command(binary, "conductor-sim", "--endpoints", joinComma(c.endpoints()),
			"--hostname", fmt.Sprintf("c%d", i), "--nodes", strconv.Itoa(faultNodes), "--ttl", faultTTL.String(),
			"--duration", "16s", "--command-timeout", "3s", "--history", filepath.Join(dir, fmt.Sprintf("c%d.jsonl", i)))
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Signal(syscall.SIGCONT); cmd.Process.Kill(); cmd.Wait() })
		conductors = append(conductors, cmd)
	}
	rec := lockcheck.NewRecorderAt(start.Add(-time.Minute))
	faults := 0

	// 1. SIGKILL conductor c1: within TTL + 1 s, with no one cleaning up,
	// it is offline and holds no lock.
	time.Sleep(2 * time.Second)
	conductors[0].Process.Kill()
	killed := time.Now()
	faults++
	var freedAfter time.Duration
	for {
		off, err := store.GetOfflineConductors(ctx)
		if err != nil {
			t.Fatal(err)
		}
		named, err := store.GetNodeList(ctx, etcdstore.NodeFilter{ReservedByAnyOf: []string{"c1"}}, etcdstore.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// Its nodes may still name it (a stale holder, token 0): a lock
		// it holds has a token.
		held := slices.DeleteFunc(named, func(n *pb.Node) bool { return n.ReservationRevision == 0 })
		if len(held) == 0 && slices.Contains(off, "c1") {
			freedAfter = time.Since(killed)
			break
		}
		if time.Since(killed) > faultTTL+time.Second {
			t.Fatalf("%v after SIGKILL: offline %v, c1 still holds %d nodes", time.Since(killed), off, len(held))
		}
		time.Sleep(20 * time.Millisecond)
	}

	// 2. SIGSTOP c2 past its TTL, then SIGCONT: its writes are fenced.
	time.Sleep(2 * time.Second)
	conductors[1].Process.Signal(syscall.SIGSTOP)
	stopped := time.Now()
	time.Sleep(faultTTL + 1500*time.Millisecond)
	conductors[1].Process.Signal(syscall.SIGCONT)
	resumed := time.Now()
	faults++

	// 3. SIGKILL the etcd leader; measure how far the failover extends a
	// lease; restart the member.
	time.Sleep(time.Second)
	probe, err := cli.Grant(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	ttlBefore, _ := cli.TimeToLive(ctx, probe.ID)
	beforeAt := time.Now()
	leader := c.leader(t, cli)
	c.members[leader].cmd.Process.Kill()
	c.members[leader].cmd.Wait()
	leaderKilled := time.Now()
	faults++
	var resumedAfter time.Duration
	for {
		wctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := cli.Put(wctx, "/fault-probe", "x")
		cancel()
		if err == nil {
			resumedAfter = time.Since(leaderKilled)
			break
		}
		if time.Since(leaderKilled) > 30*time.Second {
			t.Fatal("writes did not resume within 30 s of killing the leader")
		}
	}
	ttlAfter, err := cli.TimeToLive(ctx, probe.ID)
	if err != nil {
		t.Fatal(err)
	}
	extension := time.Duration(ttlAfter.TTL)*time.Second - (time.Duration(ttlBefore.TTL)*time.Second - time.Since(beforeAt))
	c.members[leader].run(t) // back, with its data
	for _, cmd := range conductors[1:] {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("conductor: %v", err)
		}
	}

	// Final reads, then the check.
	for id := int64(1); id <= faultNodes; id++ {
		call := time.Now()
		n, err := store.GetNodeByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		value := ""
		if v, err := etcdstore.DecodeJSON(n.Extra); err == nil {
			if m, ok := v.(map[string]any); ok && m["v"] != nil {
				value = m["v"].(string)
			}
		}
		holder := n.GetReservation()
		if n.ReservationRevision == 0 {
			holder = "" // no lock, or a stale holder's: the model's lock is free
		}
		rec.Add(99, lockcheck.Input{Kind: lockcheck.Read, Node: id}, lockcheck.Output{Result: lockcheck.OK, Holder: holder, Value: value}, call, time.Now())
	}
	ops := map[string]int{}
	for i := 1; i <= 3; i++ {
		data, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("c%d.jsonl", i)))
		if err != nil {
			t.Fatal(err)
		}
		entries, err := lockcheck.ReadEntries(data)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			rec.AddEntry(i, e)
			ops[e.Result.String()]++
		}
	}
	for id := int64(1); id <= faultNodes; id++ {
		rec.Expired(1, "c1", id, killed, time.Now())
		rec.Expired(2, "c2", id, stopped, resumed)
	}
	artifacts := artifactDir(t)
	verdict, err := rec.Check(2*time.Minute, filepath.Join(artifacts, "fault-run.html"))
	if err != nil {
		t.Fatal(err)
	}
	figures := map[string]any{
		"operations": verdict.Operations, "results": ops, "faults_injected": faults,
		"linearizable": verdict.Linearizable, "undecided": verdict.Undecided,
		"writes_resumed_after_leader_kill_ms":  resumedAfter.Milliseconds(),
		"killed_conductor_offline_and_free_ms": freedAfter.Milliseconds(),
		"lease_extended_by_failover_ms":        extension.Milliseconds(),
	}
	out, _ := json.MarshalIndent(figures, "", "  ")
	os.WriteFile(filepath.Join(artifacts, "fault-run.json"), out, 0o644)
	t.Logf("fault run: %s", out)
	if !verdict.Linearizable {
		t.Fatalf("history not linearizable (undecided: %v); see %s", verdict.Undecided, filepath.Join(artifacts, "fault-run.html"))
	}
	if ops["ok"] < 50 {
		t.Fatalf("only %d successful operations: the run did too little to prove anything", ops["ok"])
	}
}

func joinComma(xs []string) string {
	out := ""
	for i, x := range xs {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}
