package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/goleak"

	"github.com/ironic-etcd/ironic-etcd/api"
	"github.com/ironic-etcd/ironic-etcd/internal/embedded"
)

// One embedded etcd member serves the package; every test gets its own
// prefix and its own API server on a real loopback listener.
var (
	server *embedded.Server
	client *clientv3.Client
	seq    atomic.Int64
)

func TestMain(m *testing.M) {
	code := func() int {
		var err error
		if server, err = embedded.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer server.Close()
		if client, err = server.Client(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer client.Close()
		return m.Run()
	}()
	if code == 0 {
		if err := goleak.Find(goleak.IgnoreTopFunction("go.opencensus.io/stats/view.(*worker).start"),
			goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
			goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
			goleak.IgnoreTopFunction("internal/poll.runtime_pollWait")); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// apiServer is one replica: a Handler behind a real HTTP server.
type apiServer struct {
	*api.Handler
	URL    string
	Prefix string
	http   *httptest.Server
	called sync.Map // method names called, for the coverage check
}

// newPrefix is a fresh key prefix for a test.
func newPrefix(t testing.TB) string {
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	return fmt.Sprintf("/apitest/%s-%d/", name, seq.Add(1))
}

// startAPI starts a replica on prefix (cfg.Client defaults to the
// package's client); stop it with its Kill, or at cleanup.
func startAPI(t testing.TB, cfg api.Config) *apiServer {
	t.Helper()
	if cfg.Client == nil {
		cfg.Client = client
	}
	if cfg.Prefix == "" {
		cfg.Prefix = newPrefix(t)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if os.Getenv("ETCDSTORE_READ_CACHE") == "1" {
		cfg.ReadCache = true
	}
	h, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := &apiServer{Handler: h, Prefix: cfg.Prefix, http: httptest.NewServer(h)}
	s.URL = s.http.URL
	t.Cleanup(s.Kill)
	return s
}

// Kill stops the replica at once, as a crash would (no drain).
func (s *apiServer) Kill() {
	s.http.CloseClientConnections()
	s.http.Close()
	s.Handler.Close()
}

// answer is one HTTP answer.
type answer struct {
	Status int
	Body   []byte
}

// JSON decodes the answer with exact numbers.
func (a answer) JSON(t testing.TB) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(a.Body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, a.Body)
	}
	return v
}

// Obj decodes an object answer.
func (a answer) Obj(t testing.TB) map[string]any {
	t.Helper()
	m, ok := a.JSON(t).(map[string]any)
	if !ok {
		t.Fatalf("answer is not an object: %s", a.Body)
	}
	return m
}

// ErrorType is the error's type ("" when the answer is not an error).
func (a answer) ErrorType() string {
	var e api.ErrorBody
	if json.Unmarshal(a.Body, &e) != nil {
		return ""
	}
	return e.Error.Type
}

// raw posts body as is to /v1/<method>.
func (s *apiServer) raw(t testing.TB, method string, body []byte, header ...string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+"/v1/"+method, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return do(t, req)
}

func do(t testing.TB, req *http.Request) answer {
	t.Helper()
	ctx, cancel := context.WithTimeout(req.Context(), 60*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{Status: resp.StatusCode, Body: body}
}

// call posts args (a JSON-marshalable value, or a string of JSON).
func (s *apiServer) call(t testing.TB, method string, args any, header ...string) answer {
	t.Helper()
	s.called.Store(method, true)
	body, ok := args.(string)
	if !ok {
		b, err := json.Marshal(args)
		if err != nil {
			t.Fatal(err)
		}
		body = string(b)
	}
	return s.raw(t, method, []byte(body), header...)
}

// ok calls and fails the test unless the answer is 200.
func (s *apiServer) ok(t testing.TB, method string, args any, header ...string) answer {
	t.Helper()
	a := s.call(t, method, args, header...)
	if a.Status != http.StatusOK {
		t.Fatalf("%s(%v): %d %s", method, args, a.Status, a.Body)
	}
	return a
}

// get fetches a GET path.
func (s *apiServer) get(t testing.TB, path string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

// keysUnder lists the keys of a prefix, to prove a refused call wrote nothing.
func keysUnder(t testing.TB, prefix string) []string {
	t.Helper()
	resp, err := client.Get(context.Background(), prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(resp.Kvs))
	for i, kv := range resp.Kvs {
		out[i] = string(kv.Key)
	}
	return out
}

type obj = map[string]any

var jsonMarshal = json.Marshal

func stringsReader(s string) io.Reader { return strings.NewReader(s) }
