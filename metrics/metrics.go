package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tocsin-network/tocsin/federation"
	"github.com/tocsin-network/tocsin/federation/delivery"
	"github.com/tocsin-network/tocsin/store"
)

// DefaultHostLabels is how many delivery hosts get their own label.
const DefaultHostLabels = 50

// journalCountLimit bounds the scrape's count of the inbox journal.
const journalCountLimit = 100_000

// Options configure New.
type Options struct {
	// DB is read on each scrape (queue depths, bbolt stats). Nil leaves
	// out the store metrics.
	DB *store.DB
	// HostLabels is how many delivery hosts get their own label; the rest
	// are "other" (default DefaultHostLabels). The busiest peers in the
	// store's delivery health records are admitted first.
	HostLabels int
	Logger     *slog.Logger
}

// Metrics holds one instance's metrics. It implements
// federation.Instruments. All methods are safe for concurrent use.
type Metrics struct {
	reg    *prometheus.Registry
	health *Health
	log    *slog.Logger

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	rateLimited  *prometheus.CounterVec
	inbound      *prometheus.CounterVec
	sigFailures  *prometheus.CounterVec
	fetchErrors  *prometheus.CounterVec
	deliveries   *prometheus.CounterVec

	routes sync.Map // routeKey -> *routeMetrics
	hosts  hostLabels
}

var _ federation.Instruments = (*Metrics)(nil)

// New builds the registry with every Tocsin metric, the Go runtime and
// process collectors, and (with opts.DB) the store collector.
func New(opts Options) *Metrics {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{
		reg:    prometheus.NewRegistry(),
		health: NewHealth(federation.ProcessorWorker, delivery.WorkerName),
		log:    log,
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tocsin_http_requests_total",
			Help: "HTTP requests served, by route template, method and status class.",
		}, []string{"route", "method", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tocsin_http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by route template (websocket upgrades excluded).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tocsin_http_rate_limited_total",
			Help: "Requests refused with 429, by limit.",
		}, []string{"limit"}),
		inbound: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tocsin_inbound_activities_total",
			Help: "Inbox POSTs by activity type and outcome (accepted, duplicate, ignored, refused:<class>).",
		}, []string{"type", "outcome"}),
		sigFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tocsin_signature_failures_total",
			Help: "Inbound HTTP signatures refused, by reason class.",
		}, []string{"reason"}),
		fetchErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tocsin_fetch_errors_total",
			Help: "Failed fetches from remote servers (actors, keys, objects), by class.",
		}, []string{"reason"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tocsin_deliveries_total",
			Help: "Outbound delivery attempts by peer host (busiest hosts, else \"other\") and outcome (delivered, retry, dead).",
		}, []string{"host", "outcome"}),
	}
	m.hosts.max = opts.HostLabels
	if m.hosts.max <= 0 {
		m.hosts.max = DefaultHostLabels
	}
	m.reg.MustRegister(m.httpRequests, m.httpDuration, m.rateLimited, m.inbound, m.sigFailures,
		m.fetchErrors, m.deliveries,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&workerCollector{h: m.health})
	if opts.DB != nil {
		m.reg.MustRegister(newStoreCollector(opts.DB))
		m.seedHosts(opts.DB)
	}
	return m
}

// Registry returns the registry (tests gather from it).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Health returns the workers' heartbeat tracker.
func (m *Metrics) Health() *Health { return m.health }

// Handler serves the metrics in the Prometheus text format at /metrics
// and 404 elsewhere.
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(m.log.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError,
		Timeout:       10 * time.Second,
	}))
	return mux
}

// --- HTTP ---

type routeKey struct{ route, method string }

// routeMetrics are one route's series, resolved once.
type routeMetrics struct {
	status   [6]prometheus.Counter // 1xx..5xx, [0] other
	duration prometheus.Observer
}

var methods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// ObserveHTTP records one request: route is echo's route template ("" when
// no route matched), status the response status, d its duration.
func (m *Metrics) ObserveHTTP(route, method string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	if !slices.Contains(methods, method) {
		method = "other"
	}
	k := routeKey{route, method}
	v, ok := m.routes.Load(k)
	if !ok {
		rm := &routeMetrics{duration: m.httpDuration.WithLabelValues(route)}
		for i, c := range []string{"other", "1xx", "2xx", "3xx", "4xx", "5xx"} {
			rm.status[i] = m.httpRequests.WithLabelValues(route, method, c)
		}
		v, _ = m.routes.LoadOrStore(k, rm)
	}
	rm := v.(*routeMetrics)
	class := status / 100
	if class < 1 || class > 5 {
		class = 0
	}
	rm.status[class].Inc()
	if status != http.StatusSwitchingProtocols {
		rm.duration.Observe(d.Seconds())
	}
}

// RateLimited counts a request refused by the named limit.
func (m *Metrics) RateLimited(limit string) { m.rateLimited.WithLabelValues(limit).Inc() }

// --- federation.Instruments ---

// InboundActivity implements federation.Instruments.
func (m *Metrics) InboundActivity(activityType, outcome string) {
	m.inbound.WithLabelValues(ActivityTypeLabel(activityType), outcome).Inc()
}

// SignatureFailure implements federation.Instruments.
func (m *Metrics) SignatureFailure(reason string) {
	m.sigFailures.WithLabelValues(SignatureReasonClass(reason)).Inc()
}

// FetchError implements federation.Instruments.
func (m *Metrics) FetchError(err error) {
	m.fetchErrors.WithLabelValues(FetchErrorClass(err)).Inc()
}

// Delivery implements delivery.Observer.
func (m *Metrics) Delivery(host, outcome string) {
	m.deliveries.WithLabelValues(m.hosts.label(host), outcome).Inc()
}

// Beat implements delivery.Observer.
func (m *Metrics) Beat(worker string) { m.health.Beat(worker) }

// Stopped implements delivery.Observer.
func (m *Metrics) Stopped(worker string) { m.health.Stopped(worker) }

// --- bounded host labels ---

// hostLabels admits up to max hosts as label values, first come (after
// the seed), and maps every other host to "other". Admission is for the
// process's life, so each series stays a true counter.
type hostLabels struct {
	mu    sync.RWMutex
	known map[string]struct{}
	max   int
}

func (h *hostLabels) label(host string) string {
	h.mu.RLock()
	_, ok := h.known[host]
	h.mu.RUnlock()
	if ok {
		return host
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.known == nil {
		h.known = map[string]struct{}{}
	}
	if _, ok := h.known[host]; ok {
		return host
	}
	if len(h.known) >= h.max || host == "" || host == "other" {
		return "other"
	}
	h.known[host] = struct{}{}
	return host
}

// seedHosts admits the busiest peers first, by delivery attempts recorded.
func (m *Metrics) seedHosts(db *store.DB) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	peers, err := db.PeerHealth(ctx)
	if err != nil {
		m.log.Warn("metrics: read peer health", "error", err)
		return
	}
	slices.SortFunc(peers, func(a, b store.PeerHealth) int {
		return int(min(max((b.Delivered+b.Failed)-(a.Delivered+a.Failed), -1), 1))
	})
	for _, p := range peers[:min(len(peers), m.hosts.max)] {
		m.hosts.label(p.Host)
	}
}
