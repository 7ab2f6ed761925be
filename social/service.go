package social

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/federation"
	"github.com/tocsin-network/tocsin/mastodon"
	"github.com/tocsin-network/tocsin/store"
	"github.com/tocsin-network/tocsin/stream"
)

// streamPublisher is the streaming hub as this package needs it.
type streamPublisher interface {
	Publish(stream string, ev stream.Event)
}

// Service is the client API's business logic. It is safe for concurrent use.
type Service struct {
	db   *store.DB
	fed  *federation.Federation
	urls federation.URLs
	conv *mastodon.Converter
	log  *slog.Logger
	now  func() time.Time

	mu     sync.RWMutex
	stream streamPublisher

	idem sync.Mutex // serialises Idempotency-Key checks
}

// New returns the service and registers it with the federation core, so
// inbound objects, reactions and follows reach timelines and notifications.
func New(db *store.DB, fed *federation.Federation, conv *mastodon.Converter, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{db: db, fed: fed, urls: fed.URLs, conv: conv, log: log, now: time.Now}
	fed.Processor.AddHook(s)
	return s
}

// SetStream sets where events go after commit (nil: nowhere).
func (s *Service) SetStream(p interface {
	Publish(stream string, ev stream.Event)
}) {
	s.mu.Lock()
	s.stream = p
	s.mu.Unlock()
}

func (s *Service) publisher() streamPublisher {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.stream
}

// Viewer is who reads or acts: Person is the signed-in person (their role
// decides what TLP levels they may read), Actor the account the token acts
// as (the person, or the organisation they act for): its home timeline,
// notifications and reactions. A nil *Viewer is anyone not signed in.
type Viewer struct {
	Person *store.Account
	Actor  *store.Account
}

func (v *Viewer) signedIn() bool { return v != nil && v.Actor != nil }

func notFound() error { return tocsin.Errorf(tocsin.ENOTFOUND, "Record not found") }

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// event is a streaming event to publish after commit: a status (by IRI)
// or a notification, to streams.
type event struct {
	kind    string // update, status.update, delete, notification
	streams []string
	iri     string
	seq     string
	notif   *store.Notification
}

// emit publishes events after t commits, when a stream hub is wired.
func (s *Service) emit(t *store.Tx, evs []event) {
	if len(evs) == 0 || s.publisher() == nil {
		return
	}
	t.OnCommit(func() { s.publish(evs) })
}

func (s *Service) publish(evs []event) {
	p := s.publisher()
	if p == nil {
		return
	}
	ctx := context.Background()
	for _, ev := range evs {
		var payload string
		switch ev.kind {
		case "delete":
			payload = ev.seq
		case "notification":
			v, err := s.viewerOf(ctx, ev.notif.AccountID)
			if err != nil {
				continue
			}
			var n mastodon.Notification
			err = s.db.View(ctx, func(t *store.Tx) error {
				var ok bool
				var err error
				n, ok, err = s.notification(t, ev.notif, v, newCache())
				if err == nil && !ok {
					err = store.ErrNotFound
				}
				return err
			})
			if err != nil {
				continue
			}
			b, _ := json.Marshal(n)
			payload = string(b)
		default:
			var st mastodon.Status
			err := s.db.View(ctx, func(t *store.Tx) error {
				o, err := t.Object(ev.iri)
				if err != nil {
					return err
				}
				st, err = s.status(t, o, nil, newCache())
				return err
			})
			if err != nil {
				s.log.Debug("stream: render status", "status", ev.iri, "error", err)
				continue
			}
			b, _ := json.Marshal(st)
			payload = string(b)
		}
		for _, name := range ev.streams {
			p.Publish(name, stream.Event{Event: ev.kind, Payload: payload})
		}
	}
}

// viewerOf is the viewer a local account is, as itself.
func (s *Service) viewerOf(ctx context.Context, accountID string) (*Viewer, error) {
	a, err := s.db.AccountByID(ctx, accountID)
	if err != nil {
		return nil, err
	}
	return &Viewer{Person: a, Actor: a}, nil
}
