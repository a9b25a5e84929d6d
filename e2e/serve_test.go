package e2e

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// The key layout reads as documented through etcdctl, and decode and
// `node show` agree with what etcdctl shows.
func TestKeyLayoutThroughEtcdctl(t *testing.T) {
	m := &member{name: "solo"}
	startMember(t, m)
	ctx := testCtx(t, time.Minute)
	store, err := etcdstore.New(newClient(t, m.clientURL))
	if err != nil {
		t.Fatal(err)
	}
	node, err := store.CreateNode(ctx, etcdstore.Values{"name": "node-1", "driver": "ipmi",
		"properties": map[string]any{"cpus": 64, "big": json.Number("123456789012345678901")}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreatePort(ctx, etcdstore.Values{"node_id": node.Id, "address": "52:54:00:00:00:01"}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.SetNodeTags(ctx, node.Id, []string{"rack-1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.ReserveNode(ctx, "conductor-1", node.Uuid); err != nil {
		t.Fatal(err)
	}
	out, err := etcdctl(t, "--endpoints", m.clientURL, "get", "--prefix", "--keys-only", "/ironic/")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, l := range strings.Split(out, "\n") {
		if l != "" {
			keys = append(keys, l)
		}
	}
	want := []string{
		"/ironic/ids/nodes", "/ironic/ids/ports",
		"/ironic/index/nodes/name/node-1",
		"/ironic/index/nodes/uuid/" + node.Uuid,
		"/ironic/index/ports/address/52:54:00:00:00:01",
		"/ironic/index/ports/node_id/0000000000000000001/0000000000000000001",
		"/ironic/nodes/0000000000000000001",
		"/ironic/ports/0000000000000000001",
		"/ironic/reservations/0000000000000000001",
	}
	for _, w := range want {
		found := false
		for _, k := range keys {
			found = found || k == w
		}
		if !found {
			t.Errorf("etcdctl does not list %s; it lists %v", w, keys)
		}
	}
	if lock, _ := etcdctl(t, "--endpoints", m.clientURL, "get", "--print-value-only", "/ironic/reservations/0000000000000000001"); strings.TrimSpace(lock) != "conductor-1" {
		t.Fatalf("lock value %q", lock)
	}
	raw, err := etcdctl(t, "--endpoints", m.clientURL, "get", "--print-value-only", "/ironic/nodes/0000000000000000001")
	if err != nil {
		t.Fatal(err)
	}
	decoded, err := ironicEtcd(t, []byte(raw), "decode", "--key", "/ironic/nodes/0000000000000000001")
	if err != nil {
		t.Fatal(err)
	}
	guessed, err := ironicEtcd(t, []byte(raw), "decode")
	if err != nil {
		t.Fatal(err)
	}
	jsonOut, err := etcdctl(t, "--endpoints", m.clientURL, "get", "-w", "json", "/ironic/nodes/0000000000000000001")
	if err != nil {
		t.Fatal(err)
	}
	fromJSON, err := ironicEtcd(t, []byte(jsonOut), "decode")
	if err != nil {
		t.Fatal(err)
	}
	shown, err := ironicEtcd(t, nil, "--endpoints", m.clientURL, "node", "show", node.Uuid, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var dec, show map[string]any
	if err := json.Unmarshal([]byte(decoded), &dec); err != nil {
		t.Fatal(err, decoded)
	}
	if err := json.Unmarshal([]byte(shown), &show); err != nil {
		t.Fatal(err, shown)
	}
	if decoded != guessed || decoded != fromJSON {
		t.Fatalf("decode disagrees with itself:\n%s\n%s\n%s", decoded, guessed, fromJSON)
	}
	// The stored value holds no lock (that lives in its own key); show
	// merges it in. Everything else is equal.
	if show["reservation"] != "conductor-1" || dec["reservation"] != nil {
		t.Fatalf("reservation: show %v, decode %v", show["reservation"], dec["reservation"])
	}
	for _, k := range []string{"reservation", "reservation_revision"} {
		delete(show, k)
		delete(dec, k)
	}
	if fmt.Sprint(dec) != fmt.Sprint(show) {
		t.Fatalf("decode and node show disagree:\n%v\n%v", dec, show)
	}
	if !strings.Contains(decoded, `"big": 123456789012345678901`) {
		t.Fatalf("big integer not kept: %s", decoded)
	}
	table, err := ironicEtcd(t, nil, "--endpoints", m.clientURL, "node", "list")
	if err != nil || !strings.Contains(table, "node-1") || !strings.Contains(table, "conductor-1") {
		t.Fatalf("node list: %s %v", table, err)
	}
	ports, err := ironicEtcd(t, nil, "--endpoints", m.clientURL, "port", "list", "-o", "json")
	if err != nil || !strings.Contains(ports, "52:54:00:00:00:01") {
		t.Fatalf("port list: %s %v", ports, err)
	}
	// ETCDCTL_ENDPOINTS works as for etcdctl.
	cmd := exec.Command(binary, "chassis", "list")
	cmd.Env = append(cmd.Environ(), "ETCDCTL_ENDPOINTS="+m.clientURL)
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "UUID") {
		t.Fatalf("with ETCDCTL_ENDPOINTS: %s %v", out, err)
	}
	// SIGTERM stops the member cleanly.
	m.cmd.Process.Signal(syscall.SIGTERM)
	if err := m.cmd.Wait(); err != nil {
		t.Fatalf("serve exited with %v: %s", err, m.out.String())
	}
}

// The main job of the README: the demo runs and exits 0.
func TestDemoExitsZero(t *testing.T) {
	out, err := ironicEtcd(t, nil, "demo")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"killed conductor-3", "taken over by", "offline conductors: [conductor-3]", "done in"} {
		if !strings.Contains(out, want) {
			t.Fatalf("demo output lacks %q:\n%s", want, out)
		}
	}
}
