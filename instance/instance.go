// Package instance wires one Tocsin instance together from its
// configuration: the store, the services, the HTTP routes and the admin
// socket. cmd/tocsin and the test harness both start instances through it,
// so tests run exactly what operators run.
package instance

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/acme/autocert"

	"github.com/tocsin-network/tocsin/account"
	"github.com/tocsin-network/tocsin/config"
	"github.com/tocsin-network/tocsin/control"
	"github.com/tocsin-network/tocsin/federation"
	"github.com/tocsin-network/tocsin/federation/delivery"
	"github.com/tocsin-network/tocsin/federation/signature"
	"github.com/tocsin-network/tocsin/handlers"
	"github.com/tocsin-network/tocsin/mastodon"
	"github.com/tocsin-network/tocsin/metrics"
	"github.com/tocsin-network/tocsin/moderation"
	"github.com/tocsin-network/tocsin/oauth"
	"github.com/tocsin-network/tocsin/publish"
	"github.com/tocsin-network/tocsin/social"
	"github.com/tocsin-network/tocsin/store"
	"github.com/tocsin-network/tocsin/stream"
)

// Options are wiring choices that are not configuration.
type Options struct {
	Logger *slog.Logger
	// HashCost overrides the bcrypt cost (tests use the minimum).
	HashCost int
	// LockTimeout bounds the wait for the database lock (default 1s).
	LockTimeout time.Duration
	// DeliveryBackoff overrides the delivery retry ladder (tests).
	DeliveryBackoff func(attempt int) time.Duration
	// Policy, when set, is the federation policy instead of the moderation
	// service (benchmarks compare federation.OpenPolicy with moderation).
	// Moderators' decisions then have no effect on federation.
	Policy federation.Policy
}

// Instance is one opened Tocsin instance.
type Instance struct {
	Config      *config.Config
	DB          *store.DB
	Accounts    *account.Service
	InstanceKey *store.InstanceKey
	Federation  *federation.Federation
	Publish     *publish.Service
	Social      *social.Service
	Moderation  *moderation.Service
	Stream      *stream.Hub // streaming API events: services publish after they commit
	Log         *slog.Logger
	HTTP        *handlers.Server
	Ops         *control.Ops
	// Metrics are always kept (the workers' heartbeats feed /readyz);
	// they are served only when [metrics] listen is set.
	Metrics     *metrics.Metrics
	metricsAddr atomic.Value // string: the metrics listener's address

	closeOnce sync.Once
	closeErr  error
}

// Open opens the store (creating the data directory and database on first
// use), makes sure the instance actor has its key pair, and builds the
// services and routes. It serves nothing yet: see Serve.
func Open(ctx context.Context, cfg *config.Config, opts Options) (*Instance, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", cfg.DataDir, err)
	}
	lockTimeout := opts.LockTimeout
	if lockTimeout == 0 {
		lockTimeout = time.Second
	}
	if err := checkMetricsListen(cfg); err != nil {
		return nil, err
	}
	if _, err := handlers.ParseTrustedProxies(cfg.HTTP.TrustedProxies); err != nil {
		return nil, &config.Error{Key: "http.trusted_proxies", Msg: err.Error()}
	}
	db, err := store.Open(ctx, cfg.DatabasePath(), store.Options{LockTimeout: lockTimeout, Logger: log})
	if err != nil {
		return nil, err
	}
	met := metrics.New(metrics.Options{DB: db, Logger: log})
	key, err := ensureInstanceKey(ctx, db, log)
	if err != nil {
		db.Close()
		return nil, err
	}
	var accOpts []account.Option
	if opts.HashCost != 0 {
		accOpts = append(accOpts, account.WithHashCost(opts.HashCost))
	}
	accounts := account.NewService(db, log, accOpts...)
	if _, err := accounts.EnsureSigningKeys(ctx); err != nil { // accounts older than integrity proofs
		db.Close()
		return nil, err
	}
	privKey, err := signature.ParsePrivateKeyPEM(key.PrivateKeyPEM)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("instance key: %w", err)
	}
	mod := moderation.New(db, cfg.Federation.Mode, cfg.Domain, log)
	var policy federation.Policy = mod
	if opts.Policy != nil {
		policy = opts.Policy
	}
	fed, err := federation.New(db, federation.URLs{Base: cfg.BaseURL()}, privKey, federation.Options{
		Policy:          policy,
		AllowPrivate:    cfg.AllowPrivateAddresses,
		AllowHTTP:       cfg.AllowHTTP,
		FetchTimeout:    cfg.Federation.FetchTimeout,
		MaxFetchBytes:   cfg.Federation.MaxFetchBytes,
		SignatureWindow: cfg.Federation.SignatureWindow,
		DeliveryWorkers: cfg.Federation.DeliveryWorkers,
		DeliveryBackoff: opts.DeliveryBackoff,
		Logger:          log,
		Instruments:     met,
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	mod.OnBlock = fed.RemoveDomain
	mod.Hooks = moderation.Hooks{
		Forward:    fed.Outbox.Flag,
		TrustLists: fed,
		SuspendLocal: func(ctx context.Context, actor string) error {
			name, ok := fed.URLs.LocalUsername(actor)
			if !ok {
				return fmt.Errorf("%s is not a local account", actor)
			}
			_, err := accounts.SetDisabled(ctx, name, true)
			return err
		},
	}
	pub := publish.New(db, fed, log)
	// After publish: its hook makes the alert records the timelines read.
	lang := "en"
	if l := cfg.Instance.Languages; len(l) > 0 {
		lang = l[0]
	}
	soc := social.New(db, fed, &mastodon.Converter{URLs: fed.URLs, Language: lang}, log)
	pub.OnLocalObject = soc.LocalObject
	mod.Hooks.Released = soc.Released
	in := &Instance{
		Config:      cfg,
		DB:          db,
		Accounts:    accounts,
		InstanceKey: key,
		Federation:  fed,
		Log:         log,
		Publish:     pub,
		Social:      soc,
		Moderation:  mod,
		Stream:      stream.NewHub(0),
		Ops: &control.Ops{Moderation: mod, Accounts: accounts, DB: db, Federation: fed, DefaultOrg: cfg.Instance.ContactAccount,
			Publish: pub, Languages: cfg.Instance.Languages, Log: log},
	}
	soc.SetStream(in.Stream)
	in.HTTP = handlers.New(handlers.Deps{
		OAuth: oauth.NewService(db, accounts, oauth.Options{Logger: log, Audit: func(ctx context.Context, e oauth.AuditEvent) {
			details := e.Grant
			if e.ActAsUsername != "" {
				details += " as " + e.ActAsUsername
			}
			if err := mod.Audit(ctx, store.AuditEntry{At: e.At, Actor: e.Username, Action: "oauth." + e.Action, Target: e.AppName, Details: details}); err != nil {
				log.ErrorContext(ctx, "audit log", "error", err)
			}
		}}),
		Publish:     pub,
		Moderation:  mod,
		Social:      soc,
		Stream:      in.Stream,
		Config:      cfg,
		Accounts:    accounts,
		InstanceKey: key,
		Federation:  fed,
		Ready:       in.ready,
		Logger:      log,
	})
	in.Metrics = met
	in.HTTP.UseMetrics(met)
	if err := in.HTTP.UseRateLimits(met.RateLimited); err != nil {
		db.Close()
		return nil, err
	}
	return in, nil
}

func ensureInstanceKey(ctx context.Context, db *store.DB, log *slog.Logger) (*store.InstanceKey, error) {
	k, err := db.InstanceKey(ctx)
	if err == nil {
		return k, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("read instance key: %w", err)
	}
	_, priv, pub, err := signature.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("generate instance key: %w", err)
	}
	k, created, err := db.EnsureInstanceKey(ctx, &store.InstanceKey{PrivateKeyPEM: priv, PublicKeyPEM: pub, CreatedAt: time.Now().UTC()})
	if err != nil {
		return nil, fmt.Errorf("store instance key: %w", err)
	}
	if created {
		log.InfoContext(ctx, "instance actor key generated")
	}
	return k, nil
}

// workerStaleAfter is how long a background worker may go without a
// heartbeat before /readyz calls it stuck. The delivery scheduler beats at
// least every 30s; the inbox processor every second when idle, and after
// each batch of up to 512 activities when busy.
const workerStaleAfter = 5 * time.Minute

// ready is /readyz's check: the store answers a read within ctx's
// deadline, and the background workers (inbox processor, delivery
// scheduler) run and beat.
func (in *Instance) ready(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- in.DB.Ping(ctx) }()
	select {
	case err := <-errc:
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
	case <-ctx.Done():
		return errors.New("store: no answer in time")
	}
	if err := in.DB.CheckSpace(ctx); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := in.Metrics.Health().Check(time.Now(), workerStaleAfter); err != nil {
		return fmt.Errorf("workers: %w", err)
	}
	return nil
}

// MetricsAddr returns the metrics listener's address while Serve runs
// with [metrics] listen set, else "".
func (in *Instance) MetricsAddr() string {
	a, _ := in.metricsAddr.Load().(string)
	return a
}

// checkMetricsListen checks [metrics] listen: empty, or a host:port other
// than the public listen address.
func checkMetricsListen(cfg *config.Config) error {
	l := cfg.Metrics.Listen
	if l == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(l)
	if err != nil || port == "" {
		return &config.Error{Key: "metrics.listen", Msg: fmt.Sprintf(`must be empty or host:port like "127.0.0.1:9090", got %q`, l)}
	}
	if l == cfg.Listen || (port != "0" && host == "" && strings.HasSuffix(cfg.Listen, ":"+port)) {
		return &config.Error{Key: "metrics.listen", Msg: fmt.Sprintf("must differ from listen (%s): metrics are never served on the public listener", cfg.Listen)}
	}
	return nil
}

// Serve serves HTTP on ln and the admin socket until ctx is cancelled, then
// shuts down in this order: close the streaming hub (so streaming
// connections end at once instead of holding the drain), stop accepting
// and drain in-flight requests (up to http.shutdown_timeout), wait for the
// hijacked websockets to finish closing, stop background workers, close
// the admin socket, close the database. It returns after the database is
// closed.
func (in *Instance) Serve(ctx context.Context, ln net.Listener) error {
	cfg := in.Config
	if cfg.TLS.Mode == "autocert" {
		ln = tls.NewListener(ln, in.autocertManager().TLSConfig())
	}
	srv := &http.Server{
		Handler:           in.HTTP.Handler(),
		ReadTimeout:       cfg.HTTP.ReadTimeout,
		ReadHeaderTimeout: min(cfg.HTTP.ReadTimeout, 10*time.Second),
		WriteTimeout:      cfg.HTTP.WriteTimeout,
		IdleTimeout:       cfg.HTTP.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(in.Log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	adminLn, err := control.Listen(cfg.AdminSocketPath())
	if err != nil {
		ln.Close()
		return err
	}
	in.Ops.Server = true
	admin := &http.Server{Handler: control.Handler(in.Ops), ReadHeaderTimeout: 5 * time.Second}
	var metricsSrv *http.Server
	if cfg.Metrics.Listen != "" {
		mln, err := net.Listen("tcp", cfg.Metrics.Listen)
		if err != nil {
			ln.Close()
			adminLn.Close()
			return fmt.Errorf("metrics listener: %w", err)
		}
		metricsSrv = &http.Server{Handler: in.Metrics.Handler(), ReadHeaderTimeout: 5 * time.Second}
		in.metricsAddr.Store(mln.Addr().String())
		go func() {
			if err := metricsSrv.Serve(mln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				in.Log.Error("metrics listener stopped", "error", err)
			}
		}()
		in.Log.InfoContext(ctx, "serving metrics", "listen", mln.Addr().String())
	}

	// Background workers get their own context, cancelled only after the
	// HTTP server has drained, so nothing acknowledged is left half-done.
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	workDone := make(chan struct{})
	in.Metrics.Health().Starting(federation.ProcessorWorker, delivery.WorkerName)
	go func() {
		defer close(workDone)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			in.Publish.RunExpiry(workCtx, time.Minute)
		}()
		wg.Add(1)
		go func() {
			defer wg.Done()
			in.Publish.RunCorroborationUpdates(workCtx)
		}()
		wg.Add(1)
		go func() {
			defer wg.Done()
			in.Moderation.RunTrustListRefresh(workCtx, cfg.Federation.TrustListRefresh)
		}()
		in.Federation.Run(workCtx)
		wg.Wait()
	}()

	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	go func() { errc <- admin.Serve(adminLn) }()
	in.Log.InfoContext(ctx, "serving", "url", cfg.BaseURL(), "listen", ln.Addr().String(), "admin_socket", cfg.AdminSocketPath())

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
		if errors.Is(serveErr, http.ErrServerClosed) {
			serveErr = nil
		}
	}
	in.Log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), cfg.HTTP.ShutdownTimeout)
	defer cancel()
	in.Stream.Close()
	if err := srv.Shutdown(shutCtx); err != nil {
		in.Log.Warn("HTTP shutdown incomplete", "error", err)
	}
	// Shutdown does not track hijacked connections: websockets.
	if err := in.Stream.Wait(shutCtx); err != nil {
		in.Log.Warn("streaming connections did not close in time", "error", err)
	}
	stopWork()
	select {
	case <-workDone:
	case <-shutCtx.Done():
		in.Log.Warn("background workers did not stop in time")
	}
	if err := admin.Shutdown(shutCtx); err != nil {
		in.Log.Warn("admin socket shutdown incomplete", "error", err)
	}
	if metricsSrv != nil {
		_ = metricsSrv.Close() // scrapes are short and read-only
	}
	if err := in.Close(); err != nil {
		return errors.Join(serveErr, err)
	}
	in.Log.Info("stopped")
	return serveErr
}

// Close closes the streaming hub and the database. Serve calls it on
// shutdown; it is safe to call more than once.
func (in *Instance) Close() error {
	in.closeOnce.Do(func() {
		in.Stream.Close()
		in.closeErr = in.DB.Close()
	})
	return in.closeErr
}

func (in *Instance) autocertManager() *autocert.Manager {
	cfg := in.Config
	host := cfg.Domain
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	cache := cfg.AutocertCacheDir()
	return &autocert.Manager{
		Prompt:     autocert.AcceptTOS,
		HostPolicy: autocert.HostWhitelist(host),
		Cache:      autocert.DirCache(cache),
		Email:      cfg.TLS.Email,
	}
}

// NewLogger builds the process logger from the [log] section.
func NewLogger(cfg config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	switch strings.ToLower(cfg.Level) {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
