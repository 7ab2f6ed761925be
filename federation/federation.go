package federation

import (
	"context"
	"crypto/rsa"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/federation/delivery"
	"github.com/tocsin-network/tocsin/federation/fetch"
	"github.com/tocsin-network/tocsin/federation/signature"
	"github.com/tocsin-network/tocsin/store"
)

// Options configure the federation core.
type Options struct {
	AllowPrivate    bool
	AllowHTTP       bool
	FetchTimeout    time.Duration
	MaxFetchBytes   int64
	SignatureWindow time.Duration
	DeliveryWorkers int
	// DeliveryBackoff overrides the retry ladder (tests use seconds).
	DeliveryBackoff func(attempt int) time.Duration
	Policy          Policy
	Logger          *slog.Logger
	// Instruments is told about inbound activities, signature failures,
	// fetch errors, deliveries and the workers' heartbeats. Nil: no one.
	Instruments Instruments
	// Resolver, when set, looks up host names for the guarded client
	// instead of the system resolver (tests of DNS rebinding).
	Resolver *net.Resolver
}

// Federation is one instance's federation core: inbox, processor, outbox,
// delivery workers, and the guarded client they share.
type Federation struct {
	DB        *store.DB
	URLs      URLs
	Fetch     *fetch.Client
	Remote    *Remote
	Inbox     *Inbox
	Outbox    *Outbox
	Processor *Processor
	Deliverer *delivery.Deliverer
	Verifier  *signature.Verifier
	log       *slog.Logger
	allowHTTP bool
	policy    Policy
}

// Policy returns the federation policy in force.
func (f *Federation) Policy() Policy { return f.policy }

// New wires the federation core. instanceKey signs fetches as the instance
// actor.
func New(db *store.DB, urls URLs, instanceKey *rsa.PrivateKey, opts Options) (*Federation, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	policy := opts.Policy
	if policy == nil {
		policy = OpenPolicy{}
	}
	client, err := fetch.New(fetch.Options{
		AllowPrivate: opts.AllowPrivate, AllowHTTP: opts.AllowHTTP,
		Timeout: opts.FetchTimeout, MaxBytes: opts.MaxFetchBytes,
		UserAgent: fmt.Sprintf("%s/%s (+%s/)", tocsin.Software, tocsin.Version, urls.Base),
		Resolver:  opts.Resolver,
	}, urls.KeyID(urls.InstanceActor()), instanceKey)
	if err != nil {
		return nil, fmt.Errorf("federation client: %w", err)
	}
	f := &Federation{DB: db, URLs: urls, Fetch: client, log: log, allowHTTP: opts.AllowHTTP, policy: policy}
	f.Remote = NewRemote(db, client, log)
	f.Verifier = &signature.Verifier{Keys: f.Remote, Window: opts.SignatureWindow}
	f.Deliverer = delivery.New(db, delivery.PosterFunc(client.PostStatus), &accountKeys{db: db, urls: urls, instance: instanceKey}, delivery.Options{
		Workers: opts.DeliveryWorkers, Backoff: opts.DeliveryBackoff, Logger: log,
		Permanent: fetch.Permanent, OnGone: f.removeGoneInbox,
		Observer: opts.Instruments, // metrics (nil stays nil)
	})
	f.Outbox = NewOutbox(db, urls, f.Remote, policy, log, f.Deliverer.Kick)
	f.Processor = NewProcessor(db, urls, f.Remote, f.Outbox, policy, 8, log)
	f.Inbox = NewInbox(db, urls, f.Remote, policy, opts.SignatureWindow, log, f.Processor.Kick)
	if opts.Instruments != nil { // metrics
		f.Remote.instr, f.Inbox.instr, f.Processor.instr = opts.Instruments, opts.Instruments, opts.Instruments
	}
	return f, nil
}

// Run runs the processor and the delivery workers until ctx is cancelled,
// then waits for both to stop.
func (f *Federation) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := f.Processor.Run(ctx); err != nil {
			f.log.Error("inbox processor stopped", "error", err)
		}
	}()
	go func() {
		defer wg.Done()
		if err := f.Deliverer.Run(ctx); err != nil {
			f.log.Error("delivery workers stopped", "error", err)
		}
	}()
	wg.Wait()
	f.Fetch.CloseIdleConnections()
}

// removeGoneInbox drops the follows reached through an inbox that answered
// 410 Gone.
func (f *Federation) removeGoneInbox(ctx context.Context, inbox string) {
	var n int
	err := f.DB.Update(ctx, func(t *store.Tx) error {
		var err error
		n, err = t.RemoveFollowsWithInbox(inbox)
		return err
	})
	if err != nil {
		f.log.ErrorContext(ctx, "remove followers of a gone inbox", "inbox", inbox, "error", err)
		return
	}
	f.log.InfoContext(ctx, "inbox gone: followers removed", "inbox", inbox, "removed", n)
}

// accountKeys gives the delivery workers the signing key of a local
// account (or the instance actor), parsed once.
type accountKeys struct {
	db       *store.DB
	urls     URLs
	instance *rsa.PrivateKey
	mu       sync.Mutex
	cache    map[string]*rsa.PrivateKey
}

func (k *accountKeys) SigningKey(ctx context.Context, signerID string) (string, *rsa.PrivateKey, error) {
	if signerID == "instance" {
		return k.urls.KeyID(k.urls.InstanceActor()), k.instance, nil
	}
	a, err := k.db.AccountByID(ctx, signerID)
	if err != nil {
		return "", nil, err
	}
	keyID := k.urls.KeyID(k.urls.Actor(a.Username))
	k.mu.Lock()
	defer k.mu.Unlock()
	if key, ok := k.cache[signerID]; ok {
		return keyID, key, nil
	}
	key, err := signature.ParsePrivateKeyPEM(a.PrivateKeyPEM)
	if err != nil {
		return "", nil, fmt.Errorf("key of %s: %w", a.Username, err)
	}
	if k.cache == nil {
		k.cache = map[string]*rsa.PrivateKey{}
	}
	k.cache[signerID] = key
	return keyID, key, nil
}
