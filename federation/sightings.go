package federation

// Corroboration between networks: a tocsin:Sighting activity is one
// organisation's vote on an alert (confirmed, disputed, or seen here too),
// modelled on STIX 2.1 Sighting and MISP sighting types. It is sent from
// the voting organisation to the alert's author only; the origin keeps one
// vote per organisation in the alert's sightings collection and federates
// an Update of the alert whose status line counts the votes. FEDERATION.md
// ("Corroboration") documents the wire format.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	xhtml "golang.org/x/net/html"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/store"
)

// The Sighting vocabulary: a type and terms in ap.TocsinNS.
const (
	TypeSighting      = "Sighting"  // tocsin:Sighting, an activity
	termVerdict       = "verdict"   // string: confirmed, disputed, seen
	termSightingCount = "count"     // integer >= 1: how many times seen
	termFirstSeen     = "firstSeen" // RFC 3339 date-time
	termLastSeen      = "lastSeen"  // RFC 3339 date-time
	termWhere         = "where"     // array of ISO 3166-1 / 3166-2 codes
)

// Verdicts of a sighting.
const (
	VerdictConfirmed = "confirmed" // the voter verified the alert's facts
	VerdictDisputed  = "disputed"  // the voter believes it wrong (MISP: false positive)
	VerdictSeen      = "seen"      // the voter sees the same threat (MISP: sighting)
)

// Limits of a sighting.
const (
	MaxSightingComment = 500 // characters of text in the comment
	MaxSightingWhere   = 20  // codes in where
	maxSightingCount   = 999999999
)

// SightingInput is what a corroborating organisation says about an alert.
type SightingInput struct {
	Verdict   string
	Count     int       // 0: not given
	FirstSeen time.Time // zero: not given
	LastSeen  time.Time // zero: not given
	Where     []string  // ISO 3166-1 alpha-2 or ISO 3166-2 codes, exact case
	Comment   string    // plain text (local) or HTML (from a peer)
}

// Validate checks every field and returns a tocsin EINVALID error naming
// each one that is wrong. Codes are checked exactly as given ("ke" is
// refused) against the ISO 3166 tables of package alert.
func (in *SightingInput) Validate() error {
	var problems []tocsin.FieldError
	bad := func(field, format string, args ...any) {
		problems = append(problems, tocsin.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	switch in.Verdict {
	case VerdictConfirmed, VerdictDisputed, VerdictSeen:
	case "":
		bad("verdict", "is required: confirmed, disputed or seen")
	default:
		bad("verdict", "must be confirmed, disputed or seen, not %q", in.Verdict)
	}
	if in.Count < 0 || in.Count > maxSightingCount {
		bad("count", "must be from 1 to %d", maxSightingCount)
	}
	if !in.FirstSeen.IsZero() && !in.LastSeen.IsZero() && in.LastSeen.Before(in.FirstSeen) {
		bad("last_seen", "is before first_seen")
	}
	if len(in.Where) > MaxSightingWhere {
		bad("where", "lists %d places; at most %d", len(in.Where), MaxSightingWhere)
	}
	for i, code := range in.Where {
		if _, ok := alert.LookupCountry(code); ok {
			continue
		}
		if _, ok := alert.LookupSubdivision(code); ok {
			continue
		}
		bad(fmt.Sprintf("where[%d]", i), "%q is not an ISO 3166-1 alpha-2 or ISO 3166-2 code", code)
	}
	if n := utf8.RuneCountInString(textOf(in.Comment)); n > MaxSightingComment {
		bad("comment", "is %d characters; at most %d", n, MaxSightingComment)
	}
	if len(problems) > 0 {
		return tocsin.Invalid(problems...)
	}
	return nil
}

// textOf returns the text of an HTML fragment (a plain string is its own
// text).
func textOf(s string) string {
	var b strings.Builder
	z := xhtml.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case xhtml.ErrorToken:
			return strings.TrimSpace(b.String())
		case xhtml.TextToken:
			b.Write(z.Text())
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			if name, _ := z.TagName(); string(name) == "br" || string(name) == "p" {
				b.WriteByte(' ')
			}
		}
	}
}

// commentHTML is a comment as stored and sent: a peer's HTML reduced to p,
// br, a and span; local plain text escaped into one paragraph.
func commentHTML(comment string, fromPeer bool) string {
	comment = strings.TrimSpace(comment)
	if comment == "" {
		return ""
	}
	if fromPeer {
		return alert.FlattenHTML(comment)
	}
	paras := strings.Split(strings.ReplaceAll(comment, "\r\n", "\n"), "\n")
	for i, p := range paras {
		paras[i] = html.EscapeString(p)
	}
	return "<p>" + strings.Join(paras, "<br>") + "</p>"
}

// NewSighting builds a sighting activity (without @context: ap.Marshal adds
// ours) and its stored form. in must be valid; its comment is plain text.
func NewSighting(id, actor, alertIRI, alertAuthor string, in SightingInput, now time.Time) (map[string]any, *store.Sighting) {
	content := commentHTML(in.Comment, false)
	act := map[string]any{
		"id": id, "type": "tocsin:" + TypeSighting, "actor": actor, "object": alertIRI,
		"to": []string{alertAuthor}, "published": now.UTC().Format(time.RFC3339),
		"tocsin:" + termVerdict: in.Verdict,
	}
	if content != "" {
		act["content"] = content
	}
	if in.Count > 0 {
		act["tocsin:"+termSightingCount] = in.Count
	}
	if !in.FirstSeen.IsZero() {
		act["tocsin:"+termFirstSeen] = in.FirstSeen.UTC().Format(time.RFC3339)
	}
	if !in.LastSeen.IsZero() {
		act["tocsin:"+termLastSeen] = in.LastSeen.UTC().Format(time.RFC3339)
	}
	if len(in.Where) > 0 {
		act["tocsin:"+termWhere] = slices.Clone(in.Where)
	}
	raw, _ := json.Marshal(act) // a map of strings, ints and string slices
	return act, &store.Sighting{
		ID: id, Alert: alertIRI, Actor: actor, Verdict: in.Verdict, Count: in.Count,
		FirstSeen: in.FirstSeen.UTC(), LastSeen: in.LastSeen.UTC(), Where: slices.Clone(in.Where),
		Content: content, Raw: raw, ReceivedAt: now.UTC(),
	}
}

// IsTocsinType reports whether typ, as written in doc, is the tocsin: type
// name, whatever prefix (or plain term) doc's @context gives our namespace.
func IsTocsinType(doc *ap.Document, typ, name string) bool {
	return typ == "tocsin:"+name || doc.Expand(typ) == ap.TocsinNS+name
}

// tocsinTerms returns the members of m whose names expand, with doc's
// @context, into our namespace, keyed by term.
func tocsinTerms(doc *ap.Document, m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if local, ok := strings.CutPrefix(doc.Expand(k), ap.TocsinNS); ok && local != "" {
			out[local] = v
		} else if local, ok := strings.CutPrefix(k, "tocsin:"); ok {
			out[local] = v
		}
	}
	return out
}

// ParseSighting reads an inbound tocsin:Sighting. Its object must be an
// alert IRI; the fields are checked as SightingInput.Validate does, and the
// comment is sanitised.
func ParseSighting(doc *ap.Document) (*store.Sighting, SightingInput, error) {
	act := doc.Activity
	var in SightingInput
	if act == nil || act.ObjectIRI == "" {
		return nil, in, tocsin.Errorf(tocsin.EINVALID, "a sighting names the alert it is about as its object")
	}
	terms := tocsinTerms(doc, act.Raw)
	var problems []tocsin.FieldError
	in.Verdict, _ = terms[termVerdict].(string)
	if v, ok := terms[termSightingCount]; ok {
		f, isNum := v.(float64)
		if !isNum || f != float64(int(f)) || f < 1 {
			problems = append(problems, tocsin.FieldError{Field: "count", Message: "must be a whole number from 1"})
		} else {
			in.Count = int(f)
		}
	}
	readTime := func(term, field string) time.Time {
		v, ok := terms[term]
		if !ok {
			return time.Time{}
		}
		s, _ := v.(string)
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			problems = append(problems, tocsin.FieldError{Field: field, Message: "must be an RFC 3339 date-time"})
		}
		return t.UTC()
	}
	in.FirstSeen = readTime(termFirstSeen, "first_seen")
	in.LastSeen = readTime(termLastSeen, "last_seen")
	switch w := terms[termWhere].(type) {
	case nil:
	case string:
		in.Where = []string{w}
	case []any:
		for i, e := range w {
			s, ok := e.(string)
			if !ok {
				problems = append(problems, tocsin.FieldError{Field: fmt.Sprintf("where[%d]", i), Message: "must be a string"})
				continue
			}
			in.Where = append(in.Where, s)
		}
	default:
		problems = append(problems, tocsin.FieldError{Field: "where", Message: "must be an array of codes"})
	}
	in.Comment = act.Content
	if err := in.Validate(); err != nil {
		var te *tocsin.Error
		if errors.As(err, &te) {
			problems = append(problems, te.Fields...)
		}
	}
	if len(problems) > 0 {
		return nil, in, tocsin.Invalid(problems...)
	}
	// Stored (and served in the collection) with our prefix, whatever the
	// peer's @context called our namespace.
	raw := make(map[string]any, len(act.Raw))
	for k, v := range act.Raw {
		if k == "@context" {
			continue
		}
		if local, ok := strings.CutPrefix(doc.Expand(k), ap.TocsinNS); ok && local != "" {
			k = "tocsin:" + local
		}
		raw[k] = v
	}
	raw["type"] = "tocsin:" + TypeSighting
	b, err := json.Marshal(raw)
	if err != nil {
		return nil, in, fmt.Errorf("encode sighting %s: %w", act.ID, err)
	}
	return &store.Sighting{
		ID: act.ID, Alert: act.ObjectIRI, Actor: act.Actor, Verdict: in.Verdict, Count: in.Count,
		FirstSeen: in.FirstSeen, LastSeen: in.LastSeen, Where: in.Where,
		Content: commentHTML(in.Comment, true), Raw: b, ReceivedAt: time.Now().UTC(),
	}, in, nil
}

// SightingHook decides on inbound votes: an ObjectHook that implements it
// is asked about every tocsin:Sighting on a local alert. Outside any
// transaction (it may fetch), it checks what it can and returns the work
// to do in the applying transaction: there it checks the voter against the
// alert's TLP audience, stores the vote and federates the alert's Update.
// An error with code EINVALID, EFORBIDDEN or ENOTFOUND (from either step)
// refuses the vote for good: it is logged and nothing is stored.
type SightingHook interface {
	InboundSighting(ctx context.Context, s *store.Sighting, voter *store.RemoteActor) (func(*store.Tx) error, error)
}

// refusal turns a domain refusal into a permanent error of the processor.
func refusal(err error) error {
	switch tocsin.ErrorCode(err) {
	case tocsin.EINVALID, tocsin.EFORBIDDEN, tocsin.ENOTFOUND:
		return permanentError{err}
	}
	return err
}

// applySighting applies an inbound tocsin:Sighting.
func (p *Processor) applySighting(ctx context.Context, e *store.JournalEntry, doc *ap.Document) error {
	s, _, err := ParseSighting(doc)
	if err != nil {
		return permanentError{fmt.Errorf("sighting %s refused: %w", doc.ID(), err)}
	}
	if hostOf(s.Alert) != p.urls.Host() {
		return permanentError{fmt.Errorf("sighting %s is about %s, not an alert of this instance", s.ID, s.Alert)}
	}
	var hook SightingHook
	for _, h := range p.Hooks {
		if sh, ok := h.(SightingHook); ok {
			hook = sh
			break
		}
	}
	if hook == nil {
		return p.skip(ctx, e)
	}
	voter, err := p.remote.Actor(ctx, s.Actor, false)
	if err != nil {
		return err
	}
	apply, err := hook.InboundSighting(ctx, s, voter)
	if err != nil {
		return refusal(fmt.Errorf("sighting %s by %s refused: %w", s.ID, s.Actor, err))
	}
	return p.commit(ctx, e, func(t *store.Tx) error {
		if err := apply(t); err != nil {
			return refusal(fmt.Errorf("sighting %s by %s refused: %w", s.ID, s.Actor, err))
		}
		return nil
	})
}

// SendSighting sends acct's vote on a peer's alert to the alert's author
// (fetched first when not cached), stored in acct's outbox and queued for
// delivery in one transaction. in must be valid.
func (o *Outbox) SendSighting(ctx context.Context, acct *store.Account, alertIRI, alertAuthor string, in SightingInput) (string, error) {
	inbox, err := o.inboxOf(ctx, alertAuthor)
	if err != nil {
		return "", err
	}
	if inbox == "" {
		return "", fmt.Errorf("send sighting: %s is a local actor", alertAuthor)
	}
	var id string
	err = o.db.Update(ctx, func(t *store.Tx) error {
		id = o.urls.Activity(acct.Username, t.NewID())
		act, _ := NewSighting(id, o.urls.Actor(acct.Username), alertIRI, alertAuthor, in, o.now())
		return o.send(ctx, t, acct, id, act, []string{inbox}, false, true)
	})
	if err != nil {
		return "", err
	}
	o.done()
	return id, nil
}

// Resolved is an audience whose named remote actors were fetched (outside
// any transaction), ready for UpdateObjectTx.
type Resolved struct {
	aud   Audience
	named map[string]*store.RemoteActor
}

// ResolveAudience fetches the named remote actors of aud (cached ones are
// not fetched again), so that UpdateObjectTx needs no network I/O.
func (o *Outbox) ResolveAudience(ctx context.Context, aud Audience) (Resolved, error) {
	named, err := o.resolveNamed(ctx, aud)
	if err != nil {
		return Resolved{}, &tocsin.Error{Code: tocsin.EUNAVAILABLE, Message: err.Error(), Err: err}
	}
	return Resolved{aud: aud, named: named}, nil
}

// UpdateObjectTx is UpdateObject inside the caller's transaction t: it
// replaces acct's local object with obj (same "id") and queues its Update
// to the resolved audience. The caller wakes the delivery workers after
// the commit (Kick), or leaves that to the inbox processor, which does it.
func (o *Outbox) UpdateObjectTx(ctx context.Context, t *store.Tx, acct *store.Account, obj map[string]any, r Resolved) (*store.Object, error) {
	iri, _ := obj["id"].(string)
	prev, err := t.Object(iri)
	if err != nil {
		return nil, fmt.Errorf("update %s: %w", iri, err)
	}
	if prev.AccountID != acct.ID || !prev.Deleted.IsZero() {
		return nil, tocsin.Errorf(tocsin.EFORBIDDEN, "%s is not a live object of %s", iri, acct.Username)
	}
	now := o.now().UTC().Truncate(time.Second)
	if !now.After(prev.Updated) {
		// Peers ignore an Update that is not newer than the one they hold
		// (a late edit), and times have whole seconds: votes arriving in
		// one second still make distinct, ordered edits.
		now = prev.Updated.Add(time.Second)
	}
	obj["updated"] = now.Format(time.RFC3339)
	// A fresh proof for the new state, on the object and its Update, as
	// UpdateObject does (signing is local: no I/O in the transaction).
	raw, to, cc, err := o.encodeSigned(acct, obj)
	if err != nil {
		return nil, err
	}
	id := o.urls.Activity(acct.Username, t.NewID())
	body, err := o.signedActivity(acct, ap.NewUpdate(id, o.urls.Actor(acct.Username), obj, to, cc, now), raw)
	if err != nil {
		return nil, err
	}
	rec := *prev
	rec.Raw, rec.Updated, rec.Public = raw, now, r.aud.Public
	if _, err := t.PutObject(&rec); err != nil {
		return nil, err
	}
	inboxes, err := o.inboxes(ctx, t, acct, r.aud, r.named)
	if err != nil {
		return nil, err
	}
	if err := o.sendBody(ctx, t, acct, id, "Update", body, inboxes, rec.Public, true); err != nil {
		return nil, err
	}
	return &rec, nil
}

// Kick wakes the delivery workers after a transaction that queued
// deliveries (UpdateObjectTx) has committed.
func (o *Outbox) Kick() { o.done() }

// Sightings returns the IRI of an alert's sightings collection.
func (u URLs) Sightings(alertIRI string) string { return alertIRI + "/sightings" }

// SightingsCollection returns the sightings collection of a local alert
// (page 0), or its page n (from 1), each vote as the voter sent it, by
// voter. Whether the reader may see it at all is the caller's decision
// (the alert's TLP).
func (f *Federation) SightingsCollection(ctx context.Context, alertIRI string, page int) (map[string]any, error) {
	votes, err := f.DB.Sightings(ctx, alertIRI)
	if err != nil {
		return nil, err
	}
	id := f.URLs.Sightings(alertIRI)
	if page <= 0 {
		return ap.OrderedCollection(id, len(votes), id+"?page=1"), nil
	}
	start := (page - 1) * pageSize
	var items []any
	for i := start; i < len(votes) && i < start+pageSize; i++ {
		var m map[string]any
		if err := json.Unmarshal(votes[i].Raw, &m); err != nil {
			return nil, fmt.Errorf("sighting %s: %w", votes[i].ID, err)
		}
		delete(m, "@context")
		items = append(items, m)
	}
	next, prev := "", ""
	if start+pageSize < len(votes) {
		next = id + "?page=" + itoa(page+1)
	}
	if page > 1 {
		prev = id + "?page=" + itoa(page-1)
	}
	return ap.OrderedCollectionPage(id+"?page="+itoa(page), id, next, prev, items), nil
}
