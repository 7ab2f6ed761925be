package delivery

import (
	"context"
	"crypto/rsa"
	"errors"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tocsin-network/tocsin/federation/signature"
	"github.com/tocsin-network/tocsin/store"
)

// Poster sends one signed POST. federation/fetch's guarded client is the
// production Poster (through a small adapter); tests use plain net/http.
type Poster interface {
	// Post sends body to inbox, signed by signer with a fresh Date and
	// signature (signer.Sign on the request it builds), reads and closes the
	// response, and returns its status and, when the response had a
	// Retry-After header, its delay. err != nil means there was no response:
	// connection refused, timeout, address refused by the SSRF guard...
	// Post must return when ctx is done.
	Post(ctx context.Context, inbox string, body []byte, signer *signature.Signer) (status int, retryAfter time.Duration, err error)
}

// PosterFunc adapts a function to Poster.
type PosterFunc func(ctx context.Context, inbox string, body []byte, signer *signature.Signer) (int, time.Duration, error)

// Post calls f.
func (f PosterFunc) Post(ctx context.Context, inbox string, body []byte, signer *signature.Signer) (int, time.Duration, error) {
	return f(ctx, inbox, body, signer)
}

// KeySource finds the key a job is signed with. It is called once per
// attempt, so it should cache parsed keys; returning the same *rsa.PrivateKey
// each time lets the Deliverer reuse its Signer. An error wrapping
// store.ErrNotFound (the account is gone) dead-letters the job; any other
// error retries it later.
type KeySource interface {
	SigningKey(ctx context.Context, signerID string) (keyID string, key *rsa.PrivateKey, err error)
}

// Defaults for the zero fields of Options.
const (
	DefaultWorkers          = 128
	DefaultPerHostLimit     = 8
	DefaultGiveUpAfter      = 5 * 24 * time.Hour
	DefaultBreakerThreshold = 5
	DefaultBreakerCooldown  = 5 * time.Minute
	DefaultAttemptTimeout   = time.Minute
	DefaultShutdownGrace    = 10 * time.Second
)

// pollInterval bounds the scheduler's sleep, so that jobs queued without a
// Kick (or by another path) are still picked up.
const pollInterval = 30 * time.Second

// Options tunes a Deliverer. The zero value of each field means its default.
type Options struct {
	// Workers is the number of POSTs in flight at most (default 128).
	Workers int
	// PerHostLimit is the number of POSTs in flight to one host at most
	// (default 8), so one slow peer cannot take all workers.
	PerHostLimit int
	// Backoff is the delay before the next attempt after the attempt-th
	// failed one (1, 2, ...). Default DefaultBackoff. A Retry-After longer
	// than it wins.
	Backoff func(attempt int) time.Duration
	// GiveUpAfter is how long after it was queued a job is still retried
	// (default five days); the last attempt is made at that age, and a job
	// still failing then is dead-lettered.
	GiveUpAfter time.Duration
	// BreakerThreshold is the number of consecutive failed attempts to a
	// host (no answer, 5xx, 408, 429) that pauses it (default 5).
	BreakerThreshold int
	// BreakerCooldown is how long a paused host's jobs wait (default 5m);
	// after it, one probe is sent: its success resumes the host, its failure
	// pauses it again.
	BreakerCooldown time.Duration
	// AttemptTimeout bounds one POST, whatever the Poster's own timeouts
	// (default 1m).
	AttemptTimeout time.Duration
	// ShutdownGrace is how long in-flight POSTs may run once Run's context
	// is cancelled (default 10s). POSTs cut off then are not recorded: their
	// jobs are due again at the next start.
	ShutdownGrace time.Duration
	// Permanent reports whether a Poster error (no response) will never
	// succeed on retry, e.g. fetch.Permanent. Nil: all are temporary.
	Permanent func(error) bool
	// OnGone is called after a job was dead-lettered because its inbox
	// answered 410 Gone: the caller removes the follows that use the inbox.
	OnGone func(ctx context.Context, inbox string)
	// Now is the clock (default time.Now): tests advance a fake one, then Kick.
	Now func() time.Time
	// Observer is told each attempt's outcome and the scheduler's
	// heartbeat (metrics, /readyz). Nil: no one.
	Observer Observer
	// Logger receives a line per dead letter and breaker change (Warn), per
	// retry and delivery (Debug). Nil discards.
	Logger *slog.Logger
}

func (o *Options) setDefaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.Workers, DefaultWorkers)
	def(&o.PerHostLimit, DefaultPerHostLimit)
	def(&o.BreakerThreshold, DefaultBreakerThreshold)
	defDur(&o.GiveUpAfter, DefaultGiveUpAfter)
	defDur(&o.BreakerCooldown, DefaultBreakerCooldown)
	defDur(&o.AttemptTimeout, DefaultAttemptTimeout)
	defDur(&o.ShutdownGrace, DefaultShutdownGrace)
	if o.Backoff == nil {
		o.Backoff = DefaultBackoff
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Observer == nil {
		o.Observer = noObserver{}
	}
}

// Deliverer runs the delivery workers over a store's queue. Kick, Idle,
// Settle and Paused are safe for concurrent use; Run runs once at a time.
type Deliverer struct {
	db     *store.DB
	poster Poster
	keys   KeySource
	opt    Options
	log    *slog.Logger

	running atomic.Bool
	kick    chan struct{} // capacity 1: a pending wake-up

	mu     sync.Mutex
	gen    uint64        // bumped by Kick: an idle verdict from an older scan is stale
	idle   bool          // the last scan found nothing due, and nothing is in flight
	idleCh chan struct{} // closed when idle becomes true
	paused map[string]time.Time

	signMu  sync.Mutex
	signers map[string]signerEntry

	bodies bodyCache
}

type signerEntry struct {
	keyID  string
	key    *rsa.PrivateKey
	signer *signature.Signer
}

// New returns a Deliverer for db's queue. Nothing runs until Run.
func New(db *store.DB, poster Poster, keys KeySource, opts Options) *Deliverer {
	opts.setDefaults()
	return &Deliverer{
		db: db, poster: poster, keys: keys, opt: opts, log: opts.Logger,
		kick:    make(chan struct{}, 1),
		idleCh:  make(chan struct{}),
		paused:  map[string]time.Time{},
		signers: map[string]signerEntry{},
		bodies:  bodyCache{m: map[string][]byte{}},
	}
}

// Kick tells the scheduler that jobs were queued (or the clock moved): it
// scans for due jobs at once. It never blocks. Until that scan, Idle is false.
func (d *Deliverer) Kick() {
	d.mu.Lock()
	d.gen++
	d.idle = false
	d.mu.Unlock()
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// Idle reports whether, as of the scheduler's last scan, no job was due and
// none is in flight (jobs due later do not count).
func (d *Deliverer) Idle() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.idle
}

// Settle waits until Idle (for tests and orderly handovers): call Kick
// first if jobs were just queued. It returns ctx's error if ctx ends first.
func (d *Deliverer) Settle(ctx context.Context) error {
	for {
		d.mu.Lock()
		idle, ch := d.idle, d.idleCh
		d.mu.Unlock()
		if idle {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Paused returns the hosts whose circuit breaker is open, with the time
// their probe is due.
func (d *Deliverer) Paused() map[string]time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return maps.Clone(d.paused)
}

func (d *Deliverer) publishIdle(idle bool, gen uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	idle = idle && gen == d.gen
	if idle == d.idle {
		return
	}
	d.idle = idle
	if idle {
		close(d.idleCh)
		d.idleCh = make(chan struct{})
	}
}

func (d *Deliverer) kickGen() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.gen
}

func (d *Deliverer) setPaused(host string, until time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if until.IsZero() {
		delete(d.paused, host)
	} else {
		d.paused[host] = until
	}
}

// Run delivers until ctx is cancelled. Then it stops taking jobs, lets the
// POSTs in flight finish for up to ShutdownGrace (cutting off the rest, whose
// jobs stay due), waits for every goroutine it started, and returns nil.
// Store errors are logged and retried, not returned. Run returns an error
// only if called while another Run is running.
func (d *Deliverer) Run(ctx context.Context) error {
	if !d.running.CompareAndSwap(false, true) {
		return errors.New("delivery: Run is already running")
	}
	defer d.running.Store(false)
	defer d.opt.Observer.Stopped(WorkerName) // metrics: heartbeat
	d.mu.Lock()
	clear(d.paused) // breakers start closed: their state lives in one Run
	d.mu.Unlock()

	// POSTs outlive ctx by up to ShutdownGrace; recording their outcome
	// (in attempt) uses a context that is never cancelled.
	postCtx, cancelPosts := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelPosts()
	work := make(chan *store.Delivery, d.opt.Workers)
	// Each dispatched job sends exactly one result and at most Workers are
	// dispatched, so workers never block sending.
	done := make(chan result, d.opt.Workers)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range d.opt.Workers {
		wg.Go(func() {
			for j := range work {
				select {
				case <-stop:
					done <- result{job: j, aborted: true}
					continue
				default:
				}
				done <- d.attempt(postCtx, j)
			}
		})
	}

	s := newScheduler(d, work)
	s.loop(ctx, done)

	close(stop)
	close(work)
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	grace := time.NewTimer(d.opt.ShutdownGrace)
	defer grace.Stop()
	select {
	case <-finished:
	case <-grace.C:
		cancelPosts()
		<-finished
	}
	d.publishIdle(false, d.kickGen())
	return nil
}

// bodyCache keeps the few bodies being delivered now: a fan-out posts one
// body thousands of times. Bodies are immutable, so a cached one is never
// stale; a body the store has deleted is simply never asked for again.
type bodyCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

const bodyCacheSize = 16

func (c *bodyCache) get(ctx context.Context, db *store.DB, id string) ([]byte, error) {
	c.mu.Lock()
	b, ok := c.m[id]
	c.mu.Unlock()
	if ok {
		return b, nil
	}
	b, err := db.DeliveryBody(ctx, id)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.m) >= bodyCacheSize {
		for k := range c.m { // evict any one
			delete(c.m, k)
			break
		}
	}
	c.m[id] = b
	c.mu.Unlock()
	return b, nil
}

// signer returns the Signer for signerID's current key. Signers are kept
// per signer and replaced when the KeySource returns another key.
func (d *Deliverer) signer(ctx context.Context, signerID string) (*signature.Signer, error) {
	keyID, key, err := d.keys.SigningKey(ctx, signerID)
	if err != nil {
		return nil, err
	}
	d.signMu.Lock()
	defer d.signMu.Unlock()
	if e, ok := d.signers[signerID]; ok && e.keyID == keyID && e.key == key {
		return e.signer, nil
	}
	// Under signMu: NewSigner precomputes the key, which must not race.
	s, err := signature.NewSigner(keyID, key)
	if err != nil {
		return nil, err
	}
	d.signers[signerID] = signerEntry{keyID: keyID, key: key, signer: s}
	return s, nil
}
