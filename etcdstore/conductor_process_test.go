package etcdstore_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/lease"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// A conductor in a separate process: the test binary re-executed with
// childConductorEnv set. It registers with a 1 s session, reserves the
// nodes it is given with that lease, prints "ready <fencing token>", and
// then, for each "write <value>" line on stdin, tries a fenced update of
// its first node and prints "result ok" or "result <error kind>".
const childConductorEnv = "IRONIC_ETCD_TEST_CONDUCTOR"

func runChildConductor() int {
	ctx := context.Background()
	host := os.Getenv(childConductorEnv)
	cli, err := clientv3.New(clientv3.Config{Endpoints: strings.Split(os.Getenv("CHILD_ENDPOINTS"), ","), DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	store, err := etcdstore.New(cli, etcdstore.WithPrefix(os.Getenv("CHILD_PREFIX")))
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	sess, err := lease.New(ctx, cli, lease.WithTTL(time.Second))
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	if _, err := store.RegisterConductor(ctx, etcdstore.Values{"hostname": host, "drivers": []string{"ipmi"}}, true,
		etcdstore.WithConductorLease(sess.Lease())); err != nil {
		fmt.Println("error", err)
		return 1
	}
	nodes := strings.Split(os.Getenv("CHILD_NODES"), ",")
	var token int64
	for i, id := range nodes {
		n, err := store.ReserveNode(ctx, host, id, etcdstore.WithLease(sess.Lease()))
		if err != nil {
			fmt.Println("error", err)
			return 1
		}
		if i == 0 {
			token = n.ReservationRevision
		}
	}
	fmt.Println("ready", token)
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		value, ok := strings.CutPrefix(in.Text(), "write ")
		if !ok {
			continue
		}
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := store.UpdateNode(wctx, nodes[0], etcdstore.Values{"power_state": value}, etcdstore.WithFence(host, token))
		cancel()
		switch {
		case err == nil:
			fmt.Println("result ok")
		case errors.Is(err, etcdstore.ErrNodeLocked):
			fmt.Println("result NodeLocked")
		case errors.Is(err, etcdstore.ErrNodeNotLocked):
			fmt.Println("result NodeNotLocked")
		default:
			fmt.Println("result", strings.ReplaceAll(err.Error(), "\n", " "))
		}
	}
	return 0
}

// child is a running conductor process.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines *bufio.Scanner
}

func startChild(t *testing.T, f *fixture, host string, nodeIDs ...int64) (*child, int64) {
	t.Helper()
	var ids []string
	for _, id := range nodeIDs {
		ids = append(ids, strconv.FormatInt(id, 10))
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childConductorEnv+"="+host, "CHILD_ENDPOINTS="+strings.Join(server.Endpoints, ","),
		"CHILD_PREFIX="+f.prefix, "CHILD_NODES="+strings.Join(ids, ","))
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGCONT)
		cmd.Process.Kill()
		cmd.Wait()
	})
	c := &child{cmd: cmd, stdin: stdin, lines: bufio.NewScanner(stdout)}
	line := c.next(t)
	token, ok := strings.CutPrefix(line, "ready ")
	if !ok {
		t.Fatalf("conductor process: %q", line)
	}
	n, _ := strconv.ParseInt(token, 10, 64)
	return c, n
}

func (c *child) next(t *testing.T) string {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		if c.lines.Scan() {
			got <- c.lines.Text()
		} else {
			got <- "EOF"
		}
	}()
	select {
	case l := <-got:
		return l
	case <-time.After(30 * time.Second):
		t.Fatal("conductor process silent for 30 s")
	}
	return ""
}

// SIGKILL a conductor: with no one cleaning up, it is reported offline and
// its node locks are gone within TTL + 1 s (its nodes still name it, a
// stale holder, for Ironic's orphan task), and another conductor takes
// its nodes.
func TestKilledConductorProcessReleasesNodes(t *testing.T) {
	f := newFixture(t)
	a, b := f.mustNode(t, nil), f.mustNode(t, nil)
	c, _ := startChild(t, f, "doomed", a.Id, b.Id)
	if got, _ := f.GetNodeByID(f.ctx, a.Id); got.GetReservation() != "doomed" {
		t.Fatalf("child did not reserve: %v", got)
	}
	if err := c.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	deadline := killed.Add(time.Second + time.Second) // TTL + 1 s
	for {
		off, _ := f.GetOfflineConductors(f.ctx)
		orphans, _ := f.GetNodeList(f.ctx, etcdstore.NodeFilter{ReservedByAnyOf: off}, etcdstore.ListOptions{})
		free := slices.DeleteFunc(orphans, func(n *pb.Node) bool { return n.ReservationRevision != 0 })
		if slices.Equal(off, []string{"doomed"}) && len(free) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v after SIGKILL: offline %v, free nodes %d", time.Since(killed), off, len(free))
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("offline and nodes free %v after SIGKILL (TTL 1 s)", time.Since(killed).Round(time.Millisecond))
	if _, err := f.ReserveNode(f.ctx, "survivor", a.Uuid); err != nil {
		t.Fatal(err)
	}
}

// SIGSTOP a conductor past its TTL, let another take its node, SIGCONT:
// its fenced write is refused and nothing of it lands.
func TestPausedConductorProcessIsFenced(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, etcdstore.Values{"power_state": "power off"})
	c, _ := startChild(t, f, "paused", n.Id)
	fmt.Fprintln(c.stdin, "write power on")
	if r := c.next(t); r != "result ok" {
		t.Fatalf("write while holding: %q", r)
	}
	if err := c.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	for deadline := time.Now().Add(5 * time.Second); ; {
		if _, err := f.ReserveNode(f.ctx, "successor", n.Uuid); err == nil {
			t.Logf("node taken over %v after SIGSTOP (TTL 1 s)", time.Since(stopped).Round(time.Millisecond))
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the paused conductor's lock did not expire")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := f.UpdateNode(f.ctx, n.Uuid, etcdstore.Values{"power_state": "rebooting"}); err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		fmt.Fprintln(c.stdin, "write power off")
		if r := c.next(t); r != "result NodeLocked" {
			t.Fatalf("stale write after resuming: %q", r)
		}
	}
	got, _ := f.GetNodeByID(f.ctx, n.Id)
	if got.GetPowerState() != "rebooting" || got.GetReservation() != "successor" {
		t.Fatalf("a stale write landed: %v", got)
	}
}

func boolp(b bool) *bool { return &b }
