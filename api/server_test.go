package api_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ironic-etcd/ironic-etcd/api"
)

func TestListenAddressNeedsTLSBeyondLoopback(t *testing.T) {
	for _, c := range []struct {
		sc api.ServerConfig
		ok bool
	}{
		{api.ServerConfig{ListenAddress: "127.0.0.1:6390"}, true},
		{api.ServerConfig{ListenAddress: "[::1]:6390"}, true},
		{api.ServerConfig{ListenAddress: "localhost:6390"}, true},
		{api.ServerConfig{ListenAddress: "0.0.0.0:6390"}, false},
		{api.ServerConfig{ListenAddress: ":6390"}, false},
		{api.ServerConfig{ListenAddress: "10.0.0.5:6390"}, false},
		{api.ServerConfig{ListenAddress: "10.0.0.5:6390", CertFile: "c", KeyFile: "k"}, false}, // TLS without client auth
		{api.ServerConfig{ListenAddress: "10.0.0.5:6390", CertFile: "c", KeyFile: "k", TrustedCAFile: "ca", ClientCertAuth: true}, true},
		{api.ServerConfig{ListenAddress: "0.0.0.0:6390", Insecure: true}, true},
		{api.ServerConfig{ListenAddress: "127.0.0.1:6390", ClientCertAuth: true}, false},
		{api.ServerConfig{ListenAddress: "nonsense"}, false},
	} {
		if err := c.sc.Check(); (err == nil) != c.ok {
			t.Errorf("%+v: %v", c.sc, err)
		}
	}
}

// TLS with client-certificate auth: a client without a certificate is
// refused at the handshake, one with a certificate of the CA is served.
// Serve drains on cancel: /readyz fails, then it returns.
func TestServeTLSClientAuthAndDrain(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := newCert(t, dir, "ca", nil, nil)
	newCert(t, dir, "server", ca, caKey)
	newCert(t, dir, "client", ca, caKey)
	h, err := api.New(api.Config{Client: client, Prefix: newPrefix(t), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- api.Serve(ctx, h, api.ServerConfig{ListenAddress: "127.0.0.1:0", CertFile: filepath.Join(dir, "server.pem"),
			KeyFile: filepath.Join(dir, "server.key"), TrustedCAFile: filepath.Join(dir, "ca.pem"), ClientCertAuth: true},
			func(addr string) { addrc <- addr })
	}()
	addr := <-addrc
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	noCert := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	if resp, err := noCert.Get("https://" + addr + "/healthz"); err == nil {
		resp.Body.Close()
		t.Fatal("served a client without a certificate")
	}
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key"))
	if err != nil {
		t.Fatal(err)
	}
	withCert := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}}}}
	resp, err := withCert.Post("https://"+addr+"/v1/create_node", "application/json", strings.NewReader(`{"values": {}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("create_node over TLS: %d", resp.StatusCode)
	}
	withCert.CloseIdleConnections()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	rec := &recorder{header: http.Header{}}
	h.ServeHTTP(rec, mustRequest(t, "GET", "/readyz"))
	if rec.status != http.StatusServiceUnavailable {
		t.Fatalf("readyz after drain: %d", rec.status)
	}
}

// /metrics counts calls per method and errors per type.
func TestMetrics(t *testing.T) {
	s := startAPI(t, api.Config{ReadCache: true})
	n := s.ok(t, "create_node", obj{"values": obj{}}).Obj(t)
	s.ok(t, "reserve_node", obj{"tag": "a", "node_id": n["id"]})
	s.call(t, "reserve_node", obj{"tag": "b", "node_id": n["id"]})
	s.call(t, "no_such_method", obj{})
	body := string(s.get(t, "/metrics").Body)
	for _, want := range []string{
		`ironic_etcd_api_requests_total{code="200",method="create_node"} 1`,
		`ironic_etcd_api_errors_total{method="reserve_node",type="NodeLocked"} 1`,
		`ironic_etcd_api_errors_total{method="unknown",type="UnknownMethod"} 1`,
		`ironic_etcd_api_request_duration_seconds_count{method="reserve_node"} 2`,
		`ironic_etcd_api_read_cache_lag_revisions `,
		`ironic_etcd_api_read_cache_resyncs_total 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if ready := s.get(t, "/readyz"); ready.Status != http.StatusOK {
		t.Errorf("readyz: %d %s", ready.Status, ready.Body)
	}
}

type recorder struct {
	header http.Header
	status int
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *recorder) WriteHeader(code int)        { r.status = code }

func mustRequest(t *testing.T, method, path string) *http.Request {
	req, err := http.NewRequest(method, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// newCert writes name.pem and name.key into dir: a CA when parent is nil,
// else a certificate for 127.0.0.1 signed by parent.
func newCert(t *testing.T, dir, name string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature}
	signer, signerKey := tmpl, key
	if parent == nil {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	} else {
		signer, signerKey = parent, parentKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	write := func(file, typ string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, file), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(name+".pem", "CERTIFICATE", der)
	write(name+".key", "EC PRIVATE KEY", keyDER)
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// The per-request timeout bounds each call: past it the call ends with
// 503 StoreUnavailable (a read: nothing written).
func TestRequestTimeout(t *testing.T) {
	s := startAPI(t, api.Config{RequestTimeout: time.Nanosecond})
	a := s.call(t, "get_node_list", obj{})
	if a.Status != http.StatusServiceUnavailable || a.ErrorType() != "StoreUnavailable" {
		t.Fatalf("%d %s", a.Status, a.Body)
	}
}
