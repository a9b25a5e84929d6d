package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pki is a throwaway CA with a server and a client certificate.
type pki struct {
	ca, serverCert, serverKey, clientCert, clientKey string
}

func newPKI(t *testing.T) pki {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ironic-etcd test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	write := func(name, kind string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	issue := func(name string, serial int64, usage x509.ExtKeyUsage) (string, string) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		keyDER, _ := x509.MarshalECPrivateKey(key)
		return write(name+".crt", "CERTIFICATE", der), write(name+".key", "EC PRIVATE KEY", keyDER)
	}
	p := pki{ca: write("ca.crt", "CERTIFICATE", caDER)}
	p.serverCert, p.serverKey = issue("server", 2, x509.ExtKeyUsageServerAuth)
	p.clientCert, p.clientKey = issue("client", 3, x509.ExtKeyUsageClientAuth)
	return p
}

// A TLS member with client-certificate auth refuses a client without a
// certificate and serves one with it — etcdctl and the store alike.
func TestTLSServeRequiresClientCertificate(t *testing.T) {
	p := newPKI(t)
	m := &member{name: "tls",
		clientURL: fmt.Sprintf("https://127.0.0.1:%d", freePort(t)),
		peerURL:   fmt.Sprintf("http://127.0.0.1:%d", freePort(t))}
	startMember(t, m, "--cert-file", p.serverCert, "--key-file", p.serverKey,
		"--trusted-ca-file", p.ca, "--client-cert-auth")
	if _, err := etcdctl(t, "--endpoints", m.clientURL, "--cacert", p.ca, "--dial-timeout", "2s",
		"--command-timeout", "3s", "put", "/x", "y"); err == nil {
		t.Fatal("etcdctl without a client certificate was served")
	}
	if _, err := etcdctl(t, "--endpoints", m.clientURL, "--cacert", p.ca, "--cert", p.clientCert, "--key", p.clientKey,
		"put", "/x", "y"); err != nil {
		t.Fatal(err)
	}
	if _, err := ironicEtcd(t, nil, "--endpoints", m.clientURL, "--cacert", p.ca, "--dial-timeout", "2s",
		"--command-timeout", "3s", "node", "list"); err == nil {
		t.Fatal("ironic-etcd without a client certificate was served")
	}
	out, err := ironicEtcd(t, nil, "--endpoints", strings.TrimPrefix(m.clientURL, "https://"), "--cacert", p.ca,
		"--cert", p.clientCert, "--key", p.clientKey, "node", "list")
	if err != nil || !strings.Contains(out, "UUID") {
		t.Fatalf("with a certificate: %s %v", out, err)
	}
}
