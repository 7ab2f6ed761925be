package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/federation/signature"
	"github.com/tocsin-network/tocsin/store"
)

// InboxError is a refused inbound request: the status to answer and a
// reason a peer's operator can act on.
type InboxError struct {
	Status int
	Reason string
	Err    error
}

func (e *InboxError) Error() string {
	if e.Err != nil {
		return e.Reason + ": " + e.Err.Error()
	}
	return e.Reason
}

func (e *InboxError) Unwrap() error { return e.Err }

func refuse(status int, reason string, err error) *InboxError {
	return &InboxError{Status: status, Reason: reason, Err: err}
}

// Policy decides, per remote origin, what federation may do. The moderation
// work fills it in; Open lets everything through as visible.
type Policy interface {
	// AllowInbound returns an error (the reason) when activities from host
	// must be refused at the door, before anything is stored.
	AllowInbound(ctx context.Context, host string) error
	// AllowOutbound returns an error when we must not deliver to host.
	AllowOutbound(ctx context.Context, host string) error
	// InboundState returns the moderation state of a new object from actor.
	InboundState(ctx context.Context, actor string, obj *ap.Object) string
}

// OpenPolicy refuses nothing and shows everything.
type OpenPolicy struct{}

// AllowInbound implements Policy.
func (OpenPolicy) AllowInbound(context.Context, string) error { return nil }

// AllowOutbound implements Policy.
func (OpenPolicy) AllowOutbound(context.Context, string) error { return nil }

// InboundState implements Policy.
func (OpenPolicy) InboundState(context.Context, string, *ap.Object) string { return store.ModVisible }

// Inbox takes inbound POSTs: it verifies them and appends them to the
// durable journal, and nothing more, so acknowledging stays fast; the
// Processor applies them afterwards.
type Inbox struct {
	db       *store.DB
	verifier *signature.Verifier
	remote   *Remote
	policy   Policy
	urls     URLs
	log      *slog.Logger
	kick     func()
	instr    Instruments // metrics
}

// NewInbox returns an Inbox. kick wakes the processor after an append.
func NewInbox(db *store.DB, urls URLs, remote *Remote, policy Policy, window time.Duration, log *slog.Logger, kick func()) *Inbox {
	return &Inbox{
		db:       db,
		verifier: &signature.Verifier{Keys: remote, Window: window},
		remote:   remote,
		policy:   policy,
		urls:     urls,
		log:      log,
		kick:     kick,
		instr:    noInstruments{},
	}
}

// envelope is the little of an activity the acknowledgement path reads;
// the full parse (~150 µs) happens in the processor.
type envelope struct {
	ID     string          `json:"id"`
	Type   json.RawMessage `json:"type"`
	Actor  idRef           `json:"actor"`
	Object idRef           `json:"object"`
}

// idRef is the id of a JSON value that is an IRI, an object with an id, or
// an array of those (the first with an id). It decodes by the value's first
// byte, so an embedded object is decoded once, as {"id": ...} only.
type idRef string

// UnmarshalJSON implements json.Unmarshaler. Values of other shapes (a
// number, null) have no id; that is not an error here.
func (r *idRef) UnmarshalJSON(b []byte) error {
	*r = ""
	switch b[0] {
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*r = idRef(s)
	case '{':
		var o struct {
			ID idRef `json:"id"`
		}
		if err := json.Unmarshal(b, &o); err != nil {
			return err
		}
		*r = o.ID
	case '[':
		var arr []idRef
		if err := json.Unmarshal(b, &arr); err != nil {
			return err
		}
		for _, id := range arr {
			if id != "" {
				*r = id
				break
			}
		}
	}
	return nil
}

// Receive verifies one inbound POST to username's inbox ("" for the shared
// inbox) and journals it. A nil error means the activity is durably stored
// (or was a duplicate): answer 202. Otherwise the error is an *InboxError.
func (in *Inbox) Receive(ctx context.Context, r *http.Request, body []byte, username string) (err error) {
	var typ, outcome string // metrics: counted once, however Receive ends
	defer func() {
		var ie *InboxError
		switch {
		case errors.As(err, &ie):
			outcome = "refused:" + refusalClass(ie.Status)
		case err == nil && outcome == "":
			outcome = "accepted"
		}
		in.instr.InboundActivity(typ, outcome)
	}()
	if err := ap.CheckDepth(body); err != nil {
		return refuse(http.StatusBadRequest, "malformed activity", err)
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return refuse(http.StatusBadRequest, "malformed JSON", err)
	}
	if json.Unmarshal(env.Type, &typ) != nil || typ == "" {
		return refuse(http.StatusBadRequest, "activity has no type", nil)
	}
	if env.ID == "" {
		return refuse(http.StatusBadRequest, "activity has no id", nil)
	}
	actor := string(env.Actor)
	if actor == "" {
		return refuse(http.StatusBadRequest, "activity has no actor", nil)
	}
	host := hostOf(actor)
	if host == "" {
		return refuse(http.StatusBadRequest, "actor is not a URL", nil)
	}
	if host == in.urls.Host() {
		return refuse(http.StatusForbidden, "activities of local actors are not accepted from the network", nil)
	}
	if err := in.policy.AllowInbound(ctx, host); err != nil {
		return refuse(http.StatusForbidden, "refused by this instance's federation policy", err)
	}
	res, err := in.verifier.Verify(ctx, r, body)
	if err != nil {
		if typ == "Delete" && string(env.Object) == actor && in.unknownActor(ctx, actor) {
			// A deleted actor's key is gone with it, and we never knew
			// them: there is nothing to delete. Acknowledge so the sender
			// stops retrying; nothing is stored.
			in.log.DebugContext(ctx, "ignored Delete of unknown actor", "actor", actor)
			outcome = "ignored" // metrics
			return nil
		}
		var se *signature.Error
		if errors.As(err, &se) {
			in.instr.SignatureFailure(se.Reason) // metrics
			return refuse(se.Status, se.Reason, se.Err)
		}
		in.instr.SignatureFailure("signature could not be verified") // metrics
		return refuse(http.StatusUnauthorized, "signature could not be verified", err)
	}
	if err := signature.CheckOwner(res, actor); err != nil {
		in.instr.SignatureFailure("key belongs to another actor") // metrics
		return refuse(http.StatusUnauthorized, fmt.Sprintf("signed by %s, but the activity's actor is %s", res.Owner, actor), nil)
	}
	if !sameHost(env.ID, actor) {
		return refuse(http.StatusBadRequest, "activity id is not on its actor's host", nil)
	}
	if typ == "Create" || typ == "Update" {
		// Nobody creates or edits objects on another server: such a claim
		// is a forgery (Announce is how others' objects travel).
		if obj := string(env.Object); obj != "" && obj != actor && !sameHost(obj, actor) {
			return refuse(http.StatusBadRequest, "object is not on its actor's host", nil)
		}
	}
	if seen, err := in.db.SeenAtInbox(ctx, env.ID, username); errors.Is(err, store.ErrNotFound) {
		return refuse(http.StatusNotFound, "no such inbox", err)
	} else if err != nil {
		return refuse(http.StatusServiceUnavailable, "store unavailable", err)
	} else if seen {
		outcome = "duplicate" // metrics
		return nil
	}
	_, err = in.db.AppendJournal(ctx, &store.JournalEntry{
		ActivityID: env.ID, Actor: actor, KeyID: res.KeyID, Inbox: username,
		Body: body, ReceivedAt: time.Now().UTC(),
	})
	if err != nil {
		if errors.Is(err, store.ErrDiskFull) {
			return refuse(http.StatusServiceUnavailable, "disk full on this instance: the activity was not stored; retry later", err)
		}
		return refuse(http.StatusServiceUnavailable, "could not store the activity; retry later", err)
	}
	if in.kick != nil {
		in.kick()
	}
	return nil
}

func (in *Inbox) unknownActor(ctx context.Context, actor string) bool {
	_, err := in.db.RemoteActor(ctx, actor)
	return errors.Is(err, store.ErrNotFound)
}

// AllowHost applies the inbound policy to the host of an actor IRI (used by
// authorized fetch).
func (in *Inbox) AllowHost(ctx context.Context, actor string) error {
	return in.policy.AllowInbound(ctx, hostOf(actor))
}
