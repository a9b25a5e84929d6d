package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// `serve --api-listen-address` gives one host a working backend; a second
// `ironic-etcd api` process over the same member serves the same data;
// both drain and exit 0 on SIGTERM; a non-loopback address without TLS
// is refused.
func TestAPIProcesses(t *testing.T) {
	inProcess := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	m := &member{name: "api"}
	startMember(t, m, "--api-listen-address", inProcess)
	waitReady(t, "http://"+inProcess)
	post(t, "http://"+inProcess, "create_node", `{"values": {"name": "n1", "properties": {"big": 123456789012345678901}}}`, 200)
	post(t, "http://"+inProcess, "reserve_node", `{"tag": "c1", "node_id": 1}`, 200)

	replica := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cmd, out := startAPIProcess(t, "--endpoints", m.clientURL, "api", "--listen-address", replica)
	body := post(t, "http://"+replica, "get_node_by_id", `{"node_id": 1}`, 200)
	if !strings.Contains(body, `"big":123456789012345678901`) || !strings.Contains(body, `"reservation":"c1"`) {
		t.Fatalf("replica answer: %s", body)
	}
	post(t, "http://"+replica, "reserve_node", `{"tag": "c2", "node_id": 1}`, 409)

	if got, err := ironicEtcd(t, nil, "--endpoints", m.clientURL, "api", "--listen-address", "0.0.0.0:0"); err == nil ||
		!strings.Contains(err.Error(), "refusing to listen") {
		t.Fatalf("non-loopback without TLS: %s %v", got, err)
	}

	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil || !strings.Contains(out.String(), "drained") {
		t.Fatalf("api exited with %v: %s", err, out.String())
	}
	m.cmd.Process.Signal(syscall.SIGTERM)
	if err := m.cmd.Wait(); err != nil {
		t.Fatalf("serve exited with %v: %s", err, m.out.String())
	}
	if !strings.Contains(m.out.String(), "API drained and stopped") {
		t.Fatalf("in-process API not drained: %s", m.out.String())
	}
}

// startAPIProcess runs the binary until it says the API serves.
func startAPIProcess(t *testing.T, args ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd, out := exec.Command(binary, args...), &syncBuffer{}
	pr, pw, _ := os.Pipe()
	cmd.Stdout, cmd.Stderr = pw, io.Discard // stderr: the access log
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
	ready := make(chan struct{}, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			fmt.Fprintln(out, sc.Text())
			if strings.Contains(sc.Text(), "API serving on") {
				ready <- struct{}{}
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(60 * time.Second):
		t.Fatalf("api not serving after 60 s: %s", out.String())
	}
	return cmd, out
}

func waitReady(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s not ready", url)
}

func post(t *testing.T, url, method, body string, status int) string {
	t.Helper()
	resp, err := http.Post(url+"/v1/"+method, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("%s: %d %s, want %d", method, resp.StatusCode, b, status)
	}
	return string(b)
}
