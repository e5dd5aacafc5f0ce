package web

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/clausewatch/clausewatch/store"
)

// Metrics are the Prometheus metrics of a daemon, in a registry of their
// own (no global registry): counters the daemon feeds as it works, and
// gauges read from the database at each scrape.
type Metrics struct {
	reg        *prometheus.Registry
	fetches    *prometheus.CounterVec
	changes    *prometheus.CounterVec
	deliveries *prometheus.CounterVec
	round      prometheus.Gauge
	roundSize  prometheus.Gauge
	roundEnd   prometheus.Gauge
	handler    http.Handler
}

// NewMetrics makes the metrics; the database gauges read db at each
// scrape (now is the clock for "due").
func NewMetrics(db store.Store, now func() time.Time) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		fetches: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "clausewatch_fetches_total",
			Help: "Fetches recorded since start, by outcome (new, changed, unchanged, not-modified, pending, flip, suspect, failed)."}, []string{"outcome"}),
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "clausewatch_changes_total",
			Help: "Changes recorded since start, by whether they call for re-vetting."}, []string{"revet"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "clausewatch_webhook_attempts_total",
			Help: "Webhook delivery attempts since start, by result (delivered, retry, failed)."}, []string{"result"}),
		round: prometheus.NewGauge(prometheus.GaugeOpts{Name: "clausewatch_last_round_duration_seconds",
			Help: "How long the last round of checks took (from work falling due to nothing running or due)."}),
		roundSize: prometheus.NewGauge(prometheus.GaugeOpts{Name: "clausewatch_last_round_checks",
			Help: "How many checks the last round ran."}),
		roundEnd: prometheus.NewGauge(prometheus.GaugeOpts{Name: "clausewatch_last_round_end_timestamp_seconds",
			Help: "When the last round ended (Unix time)."}),
	}
	for _, o := range []store.Outcome{store.OutcomeNew, store.OutcomeChanged, store.OutcomeUnchanged, store.OutcomeNotModified,
		store.OutcomePending, store.OutcomeFlip, store.OutcomeSuspect, store.OutcomeFailed} {
		m.fetches.WithLabelValues(string(o)) // zero series exist before the first fetch
	}
	m.changes.WithLabelValues("true")
	m.changes.WithLabelValues("false")
	m.reg.MustRegister(m.fetches, m.changes, m.deliveries, m.round, m.roundSize, m.roundEnd,
		&censusCollector{db: db, now: now},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorLog: nil})
	return m
}

// ServeHTTP serves the metrics in the Prometheus text format.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) { m.handler.ServeHTTP(w, r) }

// ObserveFetch counts a recorded fetch.
func (m *Metrics) ObserveFetch(o store.Outcome) { m.fetches.WithLabelValues(string(o)).Inc() }

// ObserveChange counts a recorded change.
func (m *Metrics) ObserveChange(revet bool) {
	v := "false"
	if revet {
		v = "true"
	}
	m.changes.WithLabelValues(v).Inc()
}

// ObserveRound records a finished round of checks.
func (m *Metrics) ObserveRound(start, end time.Time, checks int) {
	m.round.Set(end.Sub(start).Seconds())
	m.roundSize.Set(float64(checks))
	m.roundEnd.Set(float64(end.Unix()))
}

func (m *Metrics) observeDelivery(result string) { m.deliveries.WithLabelValues(result).Inc() }

// censusCollector reads the database's counts at scrape time.
type censusCollector struct {
	db  store.Store
	now func() time.Time
}

var (
	descSources = prometheus.NewDesc("clausewatch_sources", "Watched sources, by tracking health (paused sources under health=\"paused\").", []string{"health"}, nil)
	descQueue   = prometheus.NewDesc("clausewatch_queue_due", "Sources due for a check now (the scheduler's backlog).", nil, nil)
	descChanges = prometheus.NewDesc("clausewatch_changes_stored", "Changes in the database.", nil, nil)
	descUp      = prometheus.NewDesc("clausewatch_database_up", "1 when the database answered the scrape.", nil, nil)
)

func (c *censusCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descSources
	ch <- descQueue
	ch <- descChanges
	ch <- descUp
}

func (c *censusCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, err := c.db.Census(ctx, c.now())
	if err != nil {
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 1)
	for _, h := range []store.Health{store.HealthOK, store.HealthFailing, store.HealthBroken, store.HealthUnstable} {
		ch <- prometheus.MustNewConstMetric(descSources, prometheus.GaugeValue, float64(n.Health[h]), string(h))
	}
	ch <- prometheus.MustNewConstMetric(descSources, prometheus.GaugeValue, float64(n.Paused), "paused")
	ch <- prometheus.MustNewConstMetric(descQueue, prometheus.GaugeValue, float64(n.Due))
	ch <- prometheus.MustNewConstMetric(descChanges, prometheus.GaugeValue, float64(n.Changes))
}
