package gateway

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the node's Prometheus collectors. Build them once per registry
// with NewMetrics and share them with the store's and relay's hooks.
type Metrics struct {
	Requests        *prometheus.HistogramVec // by route template, method and status
	WebhookOutcomes *prometheus.CounterVec   // by source and outcome
	EventsEmitted   prometheus.Counter
	SocketsOpen     prometheus.Gauge
	SocketCloses    *prometheus.CounterVec // by close code
	CommitLatency   prometheus.Histogram
	CommitBatches   prometheus.Histogram
}

// NewMetrics registers Spine's collectors, plus the Go runtime and process
// collectors, on reg.
func NewMetrics(reg *prometheus.Registry) *Metrics {
	m := &Metrics{
		Requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "spine_http_request_duration_seconds", Help: "HTTP requests by route template, method and status.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method", "status"}),
		WebhookOutcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "spine_webhook_outcomes_total", Help: "Inbound webhooks by source and outcome.",
		}, []string{"source", "outcome"}),
		EventsEmitted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "spine_events_published_total", Help: "Committed events published to the bus.",
		}),
		SocketsOpen: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "spine_sockets_open", Help: "Open live event sockets on this node.",
		}),
		SocketCloses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "spine_socket_closes_total", Help: "Live event sockets closed, by close code.",
		}, []string{"code"}),
		CommitLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "spine_store_commit_duration_seconds", Help: "Duration of one group commit (write and fsync).",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}),
		CommitBatches: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "spine_store_commit_batches", Help: "Batches (actor commits) per group commit.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 12),
		}),
	}
	reg.MustRegister(m.Requests, m.WebhookOutcomes, m.EventsEmitted, m.SocketsOpen, m.SocketCloses,
		m.CommitLatency, m.CommitBatches,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveCommit is the store's commit hook.
func (m *Metrics) ObserveCommit(batches, _ int, took time.Duration) {
	m.CommitLatency.Observe(took.Seconds())
	m.CommitBatches.Observe(float64(batches))
}
