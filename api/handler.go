package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
	"github.com/ironic-etcd/ironic-etcd/internal/jsontext"
)

// Config configures a Handler.
type Config struct {
	// Client is the etcd client; the Handler does not close it.
	Client *clientv3.Client
	// Prefix is the store's key prefix ("" : the store's default).
	Prefix string
	// ReadCache serves reads from the store's watch-fed copy.
	ReadCache bool
	// HeartbeatTimeout is Ironic's [conductor]heartbeat_timeout: the TTL
	// of each conductor's lease (default 60 s).
	HeartbeatTimeout time.Duration
	// RequestTimeout bounds each call (default 30 s).
	RequestTimeout time.Duration
	// MaxBodyBytes bounds a request body (default 4 MiB).
	MaxBodyBytes int64
	// Testing enables reset_for_tests and the X-Ironic-Etcd-Now header.
	Testing bool
	// Logger gets one structured line per request (default slog.Default()).
	Logger *slog.Logger
	// Registry collects the metrics served on /metrics (default: a new one).
	Registry *prometheus.Registry
	// StoreOptions are added to the store's options.
	StoreOptions []etcdstore.Option
}

// Handler serves the API. It owns the Store it creates.
type Handler struct {
	cfg      Config
	st       atomic.Pointer[etcdstore.Store]
	clock    testClock
	beat     testHeartbeat
	serial   sync.Mutex // testing mode: one call at a time, so "now" is per request
	metrics  *metrics
	draining atomic.Bool
	mux      *http.ServeMux
}

// New creates the store (loading its read cache when enabled) and the handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Client == nil {
		return nil, errors.New("api: no etcd client")
	}
	if cfg.HeartbeatTimeout <= 0 {
		cfg.HeartbeatTimeout = 60 * time.Second
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 30 * time.Second
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 4 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	h := &Handler{cfg: cfg}
	st, err := h.newStore()
	if err != nil {
		return nil, err
	}
	h.st.Store(st)
	if h.metrics, err = newMetrics(cfg.Registry); err == nil {
		err = cfg.Registry.Register(cacheCollector{h})
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	h.routes()
	return h, nil
}

func (h *Handler) newStore() (*etcdstore.Store, error) {
	opts := []etcdstore.Option{etcdstore.WithHeartbeatTimeout(h.cfg.HeartbeatTimeout), etcdstore.WithLogger(h.cfg.Logger)}
	if h.cfg.Prefix != "" {
		opts = append(opts, etcdstore.WithPrefix(h.cfg.Prefix))
	}
	if h.cfg.ReadCache {
		opts = append(opts, etcdstore.WithReadCache())
	}
	if h.cfg.Testing {
		opts = append(opts, etcdstore.WithClock(h.clock.now), etcdstore.WithHeartbeatTimeoutFunc(h.beat.get))
	}
	return etcdstore.New(h.cfg.Client, append(opts, h.cfg.StoreOptions...)...)
}

func (h *Handler) store() *etcdstore.Store { return h.st.Load() }

// store is the store a call runs against.
func (c *Call) store() *etcdstore.Store { return c.h.store() }

// Close stops the store's background work; it does not close the client.
func (h *Handler) Close() error { return h.store().Close() }

// Drain makes /readyz fail, so load balancers stop sending new requests
// while the server finishes the ones it has.
func (h *Handler) Drain() { h.draining.Store(true) }

func (h *Handler) routes() {
	h.mux = http.NewServeMux()
	h.mux.HandleFunc("GET /v1/{$}", h.serveList)
	h.mux.HandleFunc("GET /v1/openapi.json", h.serveOpenAPI)
	h.mux.HandleFunc("POST /v1/{method}", h.serveCall)
	h.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, map[string]string{"status": "ok"}) })
	h.mux.HandleFunc("GET /readyz", h.serveReady)
	h.mux.Handle("GET /metrics", h.metrics.handler(h.cfg.Registry))
}

// ServeHTTP logs each request and routes it.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	h.mux.ServeHTTP(rec, r)
	attrs := []any{"method", r.Method, "path", r.URL.Path, "status", rec.status,
		"duration_ms", float64(time.Since(start).Microseconds()) / 1000, "remote", r.RemoteAddr}
	if rec.errType != "" {
		attrs = append(attrs, "error", rec.errType)
	}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		attrs = append(attrs, "client", r.TLS.PeerCertificates[0].Subject.CommonName)
	}
	h.cfg.Logger.Info("request", attrs...)
}

type statusRecorder struct {
	http.ResponseWriter
	status  int
	errType string
}

func (s *statusRecorder) WriteHeader(code int) { s.status = code; s.ResponseWriter.WriteHeader(code) }

func (h *Handler) serveList(w http.ResponseWriter, _ *http.Request) {
	type entry struct {
		Name string   `json:"name"`
		Doc  string   `json:"doc"`
		Args []string `json:"args"`
	}
	out := []entry{}
	for _, r := range Routes() {
		if r.TestingOnly && !h.cfg.Testing {
			continue
		}
		names := []string{}
		for _, a := range r.Args {
			names = append(names, a.Name)
		}
		out = append(out, entry{r.Name, r.Doc, names})
	}
	writeJSON(w, http.StatusOK, map[string]any{"methods": out})
}

func (h *Handler) serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, OpenAPI())
}

func (h *Handler) serveReady(w http.ResponseWriter, r *http.Request) {
	if h.draining.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "draining"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	// A linearizable read: the cluster has a leader and a quorum answers.
	if _, err := h.cfg.Client.Get(ctx, h.store().Keys().Prefix(), clientv3.WithCountOnly()); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "etcd unreachable", "error": err.Error()})
		return
	}
	cache := "off"
	if h.cfg.ReadCache {
		cache = "synced" // New returns only once the cache is loaded; it stays fed by its watch
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "etcd": "ok", "read_cache": cache})
}

// serveCall runs one method: POST /v1/<method> with its keyword arguments.
func (h *Handler) serveCall(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	name := r.PathValue("method")
	route, known := Lookup(name)
	label := name
	if !known {
		label = "unknown"
	}
	h.metrics.inFlight.Inc()
	defer h.metrics.inFlight.Dec()
	result, err := h.call(r, route, known, name)
	status := http.StatusOK
	var body []byte
	if err == nil {
		body, err = encodeResult(result)
	}
	if err != nil {
		var detail ErrorDetail
		status, detail = errorAnswer(err)
		body, _ = json.Marshal(ErrorBody{Error: detail})
		h.metrics.errors.WithLabelValues(label, detail.Type).Inc()
		if rec, ok := w.(*statusRecorder); ok {
			rec.errType = detail.Type
		}
	}
	h.metrics.requests.WithLabelValues(label, fmt.Sprint(status)).Inc()
	h.metrics.latency.WithLabelValues(label).Observe(time.Since(start).Seconds())
	writeRaw(w, status, body)
}

// call decodes the request and runs the route.
func (h *Handler) call(r *http.Request, route *Route, known bool, name string) (any, error) {
	if !known {
		return nil, badRequest(errUnknownMethod, map[string]any{"method": name}, "no method %q; GET /v1/ lists them", name)
	}
	if route.TestingOnly && !h.cfg.Testing {
		return nil, testingOnly("method " + name)
	}
	now, err := h.requestNow(r)
	if err != nil {
		return nil, err
	}
	beat, err := h.requestHeartbeat(r)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, h.cfg.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, badRequest(errTooLarge, map[string]any{"limit": tooBig.Limit},
				"the body exceeds %d bytes", tooBig.Limit)
		}
		return nil, badRequest(errMalformed, nil, "reading the body: %v", err)
	}
	if !utf8.Valid(body) {
		return nil, badRequest(errMalformed, nil, "the body is not valid UTF-8")
	}
	obj, err := decodeBody(body)
	if err != nil {
		return nil, err
	}
	// encoding/json decoded a lone surrogate escape as U+FFFD: refuse
	// the body instead of storing a character nobody sent.
	if err := jsontext.Check(body, 0); err != nil {
		return nil, badRequest(errMalformed, nil, "the body is not valid UTF-8: %v", err)
	}
	args, err := route.bind(obj)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.RequestTimeout)
	defer cancel()
	if h.cfg.Testing {
		h.serial.Lock()
		defer h.serial.Unlock()
		h.clock.set(now)
		defer h.clock.set(time.Time{})
		h.beat.set(beat)
		defer h.beat.set(0)
	}
	return route.Call(ctx, &Call{h: h, args: args})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":{"type":"InternalError","message":"encoding","params":{}}}`)
	}
	writeRaw(w, status, body)
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
	w.Write([]byte("\n"))
}
