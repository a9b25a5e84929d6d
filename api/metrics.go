package api

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// metrics are what /metrics serves, per method (unknown methods share
// one label so a scanner cannot blow up the series count).
type metrics struct {
	requests *prometheus.CounterVec   // method, code
	latency  *prometheus.HistogramVec // method
	errors   *prometheus.CounterVec   // method, type (NodeLocked counts lock conflicts)
	inFlight prometheus.Gauge
	leases   *prometheus.CounterVec // event: granted, renewed, regranted, revoked
}

func newMetrics(reg *prometheus.Registry) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "ironic_etcd", Subsystem: "api",
			Name: "requests_total", Help: "Calls by method and HTTP status."}, []string{"method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "ironic_etcd", Subsystem: "api",
			Name: "request_duration_seconds", Help: "Call latency by method.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2.5, 14)}, []string{"method"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "ironic_etcd", Subsystem: "api",
			Name: "errors_total", Help: "Failed calls by method and error type (NodeLocked: lock conflicts)."}, []string{"method", "type"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "ironic_etcd", Subsystem: "api",
			Name: "in_flight_requests", Help: "Calls being served."}),
		leases: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "ironic_etcd", Subsystem: "api",
			Name: "conductor_lease_events_total", Help: "Conductor lease grants, renewals, re-grants after expiry, revokes."}, []string{"event"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.errors, m.inFlight, m.leases} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	// Process and Go runtime figures, unless the caller's registry has them.
	for _, c := range []prometheus.Collector{collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		if err := reg.Register(c); err != nil {
			if _, dup := err.(prometheus.AlreadyRegisteredError); !dup {
				return nil, err
			}
		}
	}
	return m, nil
}

// cacheCollector reports the read cache at each scrape: its lag behind
// the cluster (one serializable read of the member's revision) and its
// resyncs, mismatches and fallbacks.
type cacheCollector struct{ h *Handler }

var (
	cacheLagDesc = prometheus.NewDesc("ironic_etcd_api_read_cache_lag_revisions",
		"Revisions the read cache is behind its etcd member at scrape time.", nil, nil)
	cacheResyncsDesc = prometheus.NewDesc("ironic_etcd_api_read_cache_resyncs_total",
		"Full reloads of the read cache.", nil, nil)
	cacheMismatchesDesc = prometheus.NewDesc("ironic_etcd_api_read_cache_mismatches_total",
		"Self-checks that found the read cache differing from etcd.", nil, nil)
	cacheFallbacksDesc = prometheus.NewDesc("ironic_etcd_api_read_cache_fallbacks_total",
		"Reads sent to etcd because the cache was not ready or behind.", nil, nil)
)

func (c cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{cacheLagDesc, cacheResyncsDesc, cacheMismatchesDesc, cacheFallbacksDesc} {
		ch <- d
	}
}

func (c cacheCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.h.store()
	before, ok := st.CacheStats()
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if resp, err := c.h.cfg.Client.Get(ctx, st.Keys().Prefix(), clientv3.WithSerializable(), clientv3.WithCountOnly()); err == nil {
		after, _ := st.CacheStats()
		// The cache's revision read after the member's: a lag of 0 means caught up.
		ch <- prometheus.MustNewConstMetric(cacheLagDesc, prometheus.GaugeValue, float64(max(0, resp.Header.Revision-after.Revision)))
	}
	ch <- prometheus.MustNewConstMetric(cacheResyncsDesc, prometheus.CounterValue, float64(before.Resyncs))
	ch <- prometheus.MustNewConstMetric(cacheMismatchesDesc, prometheus.CounterValue, float64(before.Mismatches))
	ch <- prometheus.MustNewConstMetric(cacheFallbacksDesc, prometheus.CounterValue, float64(before.Fallbacks))
}

func (m *metrics) handler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}
