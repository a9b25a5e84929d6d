// Package e2e tests the ironic-etcd binary as operators use it: real
// `ironic-etcd serve` processes, the real etcdctl, TLS.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

var binary string // the ironic-etcd binary built for this run

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ironic-etcd-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "ironic-etcd")
	build := exec.Command("go", "build", "-o", binary, "../cmd/ironic-etcd")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build:", err)
		os.Exit(1)
	}
	if _, err := exec.LookPath("etcdctl"); err != nil {
		fmt.Fprintln(os.Stderr, "etcdctl not found: run `make deps` (Debian's etcd-client)")
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var portMu sync.Mutex

// freePort returns a loopback port nobody listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	portMu.Lock()
	defer portMu.Unlock()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// member is one `ironic-etcd serve` process.
type member struct {
	name               string
	cmd                *exec.Cmd
	clientURL, peerURL string
	dataDir            string
	out                *syncBuffer
	args               []string
}

// syncBuffer collects a process's output from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startMember starts `ironic-etcd serve` and waits until it says it
// serves. extra are more serve flags.
func startMember(t *testing.T, m *member, extra ...string) {
	t.Helper()
	if m.dataDir == "" {
		m.dataDir = filepath.Join(t.TempDir(), m.name)
	}
	if m.clientURL == "" {
		m.clientURL = fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
		m.peerURL = fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	}
	m.args = append([]string{"serve", "--name", m.name, "--data-dir", m.dataDir,
		"--listen-client-urls", m.clientURL, "--listen-peer-urls", m.peerURL,
		"--election-timeout", "500", "--heartbeat-interval", "50"}, extra...)
	m.run(t)
}

func (m *member) run(t *testing.T) {
	t.Helper()
	cmd, out := exec.Command(binary, m.args...), &syncBuffer{} // this run's, even after a restart
	m.cmd, m.out = cmd, out
	pr, pw, _ := os.Pipe()
	cmd.Stdout, cmd.Stderr = pw, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "serving clients") {
				ready <- sc.Text()
			}
			fmt.Fprintln(out, sc.Text())
		}
	}()
	select {
	case <-ready:
	case <-time.After(60 * time.Second):
		t.Fatalf("member %s not serving after 60 s: %s", m.name, out.String())
	}
}

// etcdctl runs the real etcdctl (API v3) and returns its stdout.
func etcdctl(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("etcdctl", args...)
	cmd.Env = append(os.Environ(), "ETCDCTL_API=3")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("etcdctl %v: %v: %s", args, err, errb.String())
	}
	return out.String(), nil
}

// ironicEtcd runs the binary and returns its stdout.
func ironicEtcd(t *testing.T, stdin []byte, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(stdin), &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("ironic-etcd %v: %v: %s", args, err, errb.String())
	}
	return out.String(), nil
}

func newClient(t *testing.T, endpoints ...string) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
