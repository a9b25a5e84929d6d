package api

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
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

func (m *metrics) handler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}
