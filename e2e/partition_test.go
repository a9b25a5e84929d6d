package e2e

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// A member cut off from its peers (its inbound peer traffic blocked at a
// proxy) never serves a stale read as current: a client that talks only
// to it gets an error or the latest value, and after the cut heals it
// serves the latest value.
func TestCutOffMemberServesNoStaleRead(t *testing.T) {
	c := startCluster(t, true)
	ctx := testCtx(t, 2*time.Minute)
	// Cut off a follower: the majority keeps its leader, so its writes
	// need no election to go on.
	k := (c.leader(t, newClient(t, c.endpoints()...)) + 1) % 3
	var others []string
	for i, m := range c.members {
		if i != k {
			others = append(others, m.clientURL)
		}
	}
	writer, err := etcdstore.New(newClient(t, others...))
	if err != nil {
		t.Fatal(err)
	}
	cutCli := newClient(t, c.members[k].clientURL)
	cut, err := etcdstore.New(cutCli)
	if err != nil {
		t.Fatal(err)
	}
	n, err := writer.CreateNode(ctx, etcdstore.Values{"name": "n", "power_state": "v0"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := cut.GetNodeByID(ctx, n.Id); err != nil || got.GetPowerState() != "v0" {
		t.Fatalf("before the cut: %v %v", got, err)
	}
	// Cut it off: nothing reaches it through its own peer URL, and its own
	// connections to the others (which carry their messages back) are cut
	// at their proxies.
	members, err := cutCli.MemberList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var from string
	for _, m := range members.Members {
		if m.Name == c.members[k].name {
			from = fmt.Sprintf("X-Server-From: %x", m.ID)
		}
	}
	for i, p := range c.proxies {
		if i == k {
			p.Block()
		} else {
			p.BlockFrom(from)
		}
	}
	errorsSeen, fresh := 0, 0
	for i := 1; i <= 5; i++ {
		want := fmt.Sprintf("v%d", i)
		if _, err := writer.UpdateNode(ctx, "1", etcdstore.Values{"power_state": want}); err != nil {
			t.Fatalf("the majority refused a write: %v", err)
		}
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		got, err := cut.GetNodeByID(rctx, n.Id)
		cancel()
		switch {
		case err != nil:
			errorsSeen++
		case got.GetPowerState() != want:
			t.Fatalf("the cut-off member served %q as current after %q was acknowledged", got.GetPowerState(), want)
		default:
			fresh++
		}
	}
	t.Logf("reads through the cut-off member: %d errors, %d fresh, 0 stale", errorsSeen, fresh)
	if errorsSeen == 0 {
		t.Fatal("every read through the cut-off member succeeded: it was not cut off")
	}
	for _, p := range c.proxies {
		p.Unblock()
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		got, err := cut.GetNodeByID(rctx, n.Id)
		cancel()
		if err == nil {
			if got.GetPowerState() != "v5" {
				t.Fatalf("after healing: %q", got.GetPowerState())
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the member did not rejoin within 30 s: %v", err)
		}
	}
}

// Stopping and restarting every member keeps every record: count and
// content checksum equal before and after.
func TestRestartAllMembersKeepsEverything(t *testing.T) {
	c := startCluster(t, false)
	ctx := testCtx(t, 2*time.Minute)
	cli := newClient(t, c.endpoints()...)
	store, err := etcdstore.New(cli)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		n, err := store.CreateNode(ctx, etcdstore.Values{"name": fmt.Sprintf("n%03d", i), "properties": map[string]any{"i": i}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.CreatePort(ctx, etcdstore.Values{"node_id": n.Id, "address": fmt.Sprintf("52:54:00:00:00:%02x", i)}); err != nil {
			t.Fatal(err)
		}
		if _, err := store.SetNodeTags(ctx, n.Id, []string{"t"}); err != nil {
			t.Fatal(err)
		}
	}
	sumBefore, countBefore := checksum(t, cli, "/ironic/")
	for _, m := range c.members {
		m.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, m := range c.members {
		if err := m.cmd.Wait(); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
	}
	done := make(chan struct{}, 3)
	for _, m := range c.members {
		go func(m *member) { m.run(t); done <- struct{}{} }(m)
	}
	for range c.members {
		<-done
	}
	cli2 := newClient(t, c.endpoints()...)
	var sumAfter string
	var countAfter int
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := cli2.Get(rctx, "/ironic/ids/nodes")
		cancel()
		if err == nil {
			sumAfter, countAfter = checksum(t, cli2, "/ironic/")
			break
		}
		if time.Now().After(deadline) || !strings.Contains(err.Error(), "") {
			t.Fatalf("cluster not serving after restart: %v", err)
		}
	}
	if sumBefore != sumAfter || countBefore != countAfter {
		t.Fatalf("records changed across a full restart: %d keys %s, then %d keys %s", countBefore, sumBefore, countAfter, sumAfter)
	}
	t.Logf("%d keys intact across a restart of all members (sha256 %s…)", countAfter, sumAfter[:12])
}
