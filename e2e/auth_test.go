package e2e

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/lease"
)

// conductorRole is the role the README documents: read and write on the
// store's prefix, nothing else.
var conductorRole = [][]string{
	{"role", "add", "ironic-conductor"},
	{"role", "grant-permission", "ironic-conductor", "--prefix=true", "readwrite", "/ironic/"},
	{"user", "add", "conductor-1:s3cret"},
	{"user", "grant-role", "conductor-1", "ironic-conductor"},
	{"user", "add", "intruder:letmein"},
}

// TLS with client certificates and etcd authentication end to end: the
// store works as a user with the conductor role, and is refused with a
// wrong password, as a user without the role, or outside its prefix.
func TestAuthAndTLSEndToEnd(t *testing.T) {
	p := newPKI(t)
	m := &member{name: "auth",
		clientURL: fmt.Sprintf("https://127.0.0.1:%d", freePort(t)),
		peerURL:   fmt.Sprintf("http://127.0.0.1:%d", freePort(t))}
	startMember(t, m, "--cert-file", p.serverCert, "--key-file", p.serverKey, "--trusted-ca-file", p.ca, "--client-cert-auth")
	tlsArgs := []string{"--endpoints", m.clientURL, "--cacert", p.ca, "--cert", p.clientCert, "--key", p.clientKey}
	admin := func(args ...string) {
		t.Helper()
		if _, err := etcdctl(t, append(append(tlsArgs, "--user", "root:rootpw"), args...)...); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := etcdctl(t, append(tlsArgs, "user", "add", "root:rootpw")...); err != nil {
		t.Fatal(err)
	}
	if _, err := etcdctl(t, append(tlsArgs, "user", "grant-role", "root", "root")...); err != nil {
		t.Fatal(err)
	}
	if _, err := etcdctl(t, append(tlsArgs, "auth", "enable")...); err != nil {
		t.Fatal(err)
	}
	for _, step := range conductorRole {
		admin(step...)
	}

	connect := func(user, password string) *etcdstore.Store {
		t.Helper()
		tlsCfg, err := transport.TLSInfo{CertFile: p.clientCert, KeyFile: p.clientKey, TrustedCAFile: p.ca}.ClientConfig()
		if err != nil {
			t.Fatal(err)
		}
		cli, err := clientv3.New(clientv3.Config{Endpoints: []string{m.clientURL}, TLS: tlsCfg, Username: user, Password: password,
			DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
		if err != nil {
			t.Logf("connect as %s: %v", user, err)
			return nil // refused at connect time (authentication)
		}
		t.Cleanup(func() { cli.Close() })
		s, err := etcdstore.New(cli)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	ctx := testCtx(t, time.Minute)

	good := connect("conductor-1", "s3cret")
	n, err := good.CreateNode(ctx, etcdstore.Values{"name": "n1"})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := lease.New(ctx, good.Client(), lease.WithTTL(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close(context.Background())
	if _, err := good.ReserveNode(ctx, "conductor-1", n.Uuid, etcdstore.WithLease(sess.Lease())); err != nil {
		t.Fatal(err)
	}
	if _, err := good.Client().Put(ctx, "/elsewhere", "x"); err == nil {
		t.Fatal("the conductor role wrote outside its prefix")
	}

	if bad := connect("conductor-1", "wrong"); bad != nil {
		if _, err := bad.GetNodeByID(ctx, n.Id); err == nil {
			t.Fatal("a wrong password was served")
		}
	}
	intruder := connect("intruder", "letmein")
	if intruder == nil {
		t.Fatal("intruder could not even connect")
	}
	_, err = intruder.GetNodeByID(ctx, n.Id)
	if err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("a user without the role: %v", err)
	}
	_, err = intruder.CreateNode(ctx, etcdstore.Values{"name": "evil"})
	if err == nil || errors.Is(err, etcdstore.ErrUnknownOutcome) {
		t.Fatalf("a refused write must be a definite error, got %v", err)
	}
	// The CLI authenticates the same way.
	out, err := ironicEtcd(t, nil, append(tlsArgs, "--user", "conductor-1:s3cret", "node", "list")...)
	if err != nil || !strings.Contains(out, "n1") {
		t.Fatalf("CLI as conductor-1: %s %v", out, err)
	}
	if _, err := ironicEtcd(t, nil, append(tlsArgs, "--user", "conductor-1:nope", "--dial-timeout", "2s", "node", "list")...); err == nil {
		t.Fatal("CLI with a wrong password was served")
	}
}
