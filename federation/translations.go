package federation

// Signed translations: an organisation offers the origin of an alert a
// translation into one language, as an Offer whose object is a
// tocsin:Translation signed by the organisation with an FEP-8b32 proof, so
// that the origin (and anyone the origin later shows it to) can check who
// wrote it. The origin holds it pending until a publisher accepts it, then
// answers the Offer with Accept or Reject. FEDERATION.md ("Signed
// translations") documents the wire format.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/language"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/store"
)

// The translation vocabulary.
const (
	TypeTranslation    = "Translation"   // tocsin:Translation, an object
	termTranslationOf  = "translationOf" // IRI: the translated alert
	maxTranslationText = 20000           // characters of content text
	maxTranslationName = 300             // characters of the title
)

// TranslationInput is a translation an organisation writes.
type TranslationInput struct {
	Language string // BCP 47
	Name     string // the alert's title, translated
	Content  string // the alert's text, translated: Markdown
}

// Validate checks every field and returns a tocsin EINVALID error naming
// each one that is wrong.
func (in *TranslationInput) Validate() error {
	var problems []tocsin.FieldError
	bad := func(field, format string, args ...any) {
		problems = append(problems, tocsin.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if in.Language == "" {
		bad("language", "is required (BCP 47, e.g. fr or sw)")
	} else if tag, err := language.Parse(in.Language); err != nil || tag.String() != in.Language {
		bad("language", "%q is not a canonical BCP 47 tag", in.Language)
	}
	if strings.TrimSpace(in.Content) == "" {
		bad("content", "is required")
	} else if n := utf8.RuneCountInString(in.Content); n > maxTranslationText {
		bad("content", "is %d characters; at most %d", n, maxTranslationText)
	}
	if n := utf8.RuneCountInString(in.Name); n > maxTranslationName {
		bad("name", "is %d characters; at most %d", n, maxTranslationName)
	}
	if len(problems) > 0 {
		return tocsin.Invalid(problems...)
	}
	return nil
}

// Translations returns the IRI of a local organisation's translation.
func (u URLs) Translation(username, id string) string {
	return u.Actor(username) + "/translations/" + id
}

// OfferTranslation signs acct's translation of a peer's alert with acct's
// proof key and sends it, as an Offer, to the alert's author: stored in
// acct's outbox and queued in one transaction. It returns the Offer's IRI.
func (f *Federation) OfferTranslation(ctx context.Context, acct *store.Account, alertIRI, alertAuthor string, in TranslationInput, now time.Time) (string, error) {
	seq := f.DB.NewID()
	me := f.URLs.Actor(acct.Username)
	obj := map[string]any{
		"id": f.URLs.Translation(acct.Username, seq), "type": "tocsin:" + TypeTranslation,
		"attributedTo": me, "tocsin:" + termTranslationOf: alertIRI,
		"contentMap": map[string]any{in.Language: alert.RenderMarkdownFlat(in.Content)},
		"published":  now.UTC().Format(time.RFC3339), "to": []string{alertAuthor},
	}
	if name := strings.Join(strings.Fields(in.Name), " "); name != "" {
		obj["nameMap"] = map[string]any{in.Language: name}
	}
	raw, err := ap.Marshal(obj)
	if err != nil {
		return "", err
	}
	signed, err := f.SignDocument(acct, raw)
	if err != nil {
		return "", fmt.Errorf("sign translation: %w", err)
	}
	return f.SendSignedTranslation(ctx, acct, alertIRI, alertAuthor, signed)
}

// SendSignedTranslation offers a translation object that acct has signed
// (SignDocument) to the alert's author, as an Offer stored in acct's
// outbox and queued in one transaction. It returns the Offer's IRI.
func (f *Federation) SendSignedTranslation(ctx context.Context, acct *store.Account, alertIRI, alertAuthor string, signed []byte) (string, error) {
	inbox, err := f.Outbox.inboxOf(ctx, alertAuthor)
	if err != nil {
		return "", err
	}
	if inbox == "" {
		return "", fmt.Errorf("offer translation: %s is a local actor", alertAuthor)
	}
	// The Offer of translation .../translations/X is .../activities/X, so
	// that the translation is served at its id (TranslationDocument).
	seq := ""
	var head struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(signed, &head) == nil {
		if rest, ok := strings.CutPrefix(head.ID, f.URLs.Translation(acct.Username, "")); ok && rest != "" && !strings.ContainsAny(rest, "/?#") {
			seq = rest
		}
	}
	var id string
	err = f.DB.Update(ctx, func(t *store.Tx) error {
		id = f.URLs.Activity(acct.Username, seq)
		if _, err := t.Activity(id); seq == "" || err == nil {
			id = f.URLs.Activity(acct.Username, t.NewID()) // offered before: a new Offer
		}
		offer := map[string]any{
			"id": id, "type": "Offer", "actor": f.URLs.Actor(acct.Username), "object": json.RawMessage(signed),
			"target": alertIRI, "to": []string{alertAuthor}, "published": f.Outbox.now().UTC().Format(time.RFC3339),
		}
		return f.Outbox.send(ctx, t, acct, id, offer, []string{inbox}, false, true)
	})
	if err != nil {
		return "", err
	}
	f.Outbox.done()
	return id, nil
}

// TranslationDocument returns the signed translation a local organisation
// offered as .../translations/id (from its Offer, as sent) and the alert
// it translates; ENOTFOUND when there is none. Whether the reader may see
// it (the alert's TLP) is the caller's decision.
func (f *Federation) TranslationDocument(ctx context.Context, username, id string) (raw []byte, alertIRI string, err error) {
	notFound := tocsin.Errorf(tocsin.ENOTFOUND, "no such translation")
	act, err := f.DB.Activity(ctx, f.URLs.Activity(username, id))
	if err != nil || act.Type != "Offer" {
		return nil, "", notFound
	}
	var offer struct {
		Object json.RawMessage `json:"object"`
	}
	if err := json.Unmarshal(act.Raw, &offer); err != nil {
		return nil, "", fmt.Errorf("offer %s: %w", act.IRI, err)
	}
	doc, err := ap.Parse(offer.Object)
	if err != nil || doc.Object == nil || doc.Object.ID != f.URLs.Translation(username, id) {
		return nil, "", notFound
	}
	alertIRI, _ = tocsinTerms(doc, doc.Object.Raw)[termTranslationOf].(string)
	return offer.Object, alertIRI, nil
}

// TranslationHook decides on offered translations: an ObjectHook that
// implements it is asked about every verified tocsin:Translation of a local
// alert, as SightingHook is about votes.
type TranslationHook interface {
	InboundTranslation(ctx context.Context, tr *store.Translation, translator *store.RemoteActor) (func(*store.Tx) error, error)
}

// ParseTranslation reads the tocsin:Translation an Offer embeds (raw, as
// signed). It needs one language in contentMap (and nameMap, if any, in
// the same one), a translationOf IRI, an attributedTo equal to the
// Offer's actor and an id on its host. The content is sanitised.
func ParseTranslation(offer *ap.Activity, raw []byte) (*store.Translation, error) {
	doc, err := ap.Parse(raw)
	if err != nil {
		return nil, tocsin.Errorf(tocsin.EINVALID, "translation: %v", err)
	}
	o := doc.Object
	if o == nil || !IsTocsinType(doc, o.Type, TypeTranslation) {
		return nil, tocsin.Errorf(tocsin.EINVALID, "an Offer's object must be a tocsin:Translation, not a %s", doc.Type())
	}
	var problems []tocsin.FieldError
	bad := func(field, format string, args ...any) {
		problems = append(problems, tocsin.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if o.ID == "" || !sameHost(o.ID, offer.Actor) {
		bad("id", "must be on the translator's host")
	}
	if o.AttributedTo != offer.Actor {
		bad("attributedTo", "must be the Offer's actor %s", offer.Actor)
	}
	of, _ := tocsinTerms(doc, o.Raw)[termTranslationOf].(string)
	if of == "" {
		bad("translationOf", "is required: the translated alert's IRI")
	}
	if len(o.ContentMap) != 1 {
		bad("contentMap", "must hold exactly one language, not %d", len(o.ContentMap))
	}
	tr := &store.Translation{ID: o.ID, Offer: offer.ID, Alert: of, Translator: offer.Actor}
	for lang, content := range o.ContentMap {
		tr.Language, tr.Content = lang, alert.FlattenHTML(content)
		in := TranslationInput{Language: lang, Content: textOf(content), Name: o.NameMap[lang]}
		if err := in.Validate(); err != nil {
			if te, ok := err.(*tocsin.Error); ok {
				problems = append(problems, te.Fields...)
			}
		}
	}
	for lang, name := range o.NameMap {
		if lang != tr.Language {
			bad("nameMap", "has %s, but contentMap has %s", lang, tr.Language)
		}
		tr.Name = strings.Join(strings.Fields(name), " ")
	}
	if len(problems) > 0 {
		return nil, tocsin.Invalid(problems...)
	}
	tr.Raw = raw
	return tr, nil
}

// applyOffer applies an inbound Offer: of a tocsin:Translation, whose
// proof must verify as the Offer's actor's; other offers are ignored.
func (p *Processor) applyOffer(ctx context.Context, e *store.JournalEntry, act *ap.Activity) error {
	m, ok := act.Raw["object"].(map[string]any)
	if !ok {
		return p.skip(ctx, e)
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return permanentError{err}
	}
	if _, err := p.remote.VerifyProof(ctx, raw, act.Actor); err != nil {
		return permanentError{fmt.Errorf("translation offered by %s refused: its proof does not verify: %w", act.Actor, err)}
	}
	tr, err := ParseTranslation(act, raw)
	if err != nil {
		return permanentError{fmt.Errorf("translation offered by %s refused: %w", act.Actor, err)}
	}
	if hostOf(tr.Alert) != p.urls.Host() {
		return permanentError{fmt.Errorf("translation %s is of %s, not an alert of this instance", tr.ID, tr.Alert)}
	}
	var hook TranslationHook
	for _, h := range p.Hooks {
		if th, ok := h.(TranslationHook); ok {
			hook = th
			break
		}
	}
	if hook == nil {
		return p.skip(ctx, e)
	}
	translator, err := p.remote.Actor(ctx, act.Actor, false)
	if err != nil {
		return err
	}
	apply, err := hook.InboundTranslation(ctx, tr, translator)
	if err != nil {
		return refusal(fmt.Errorf("translation %s by %s refused: %w", tr.ID, act.Actor, err))
	}
	return p.commit(ctx, e, func(t *store.Tx) error {
		if err := apply(t); err != nil {
			return refusal(fmt.Errorf("translation %s by %s refused: %w", tr.ID, act.Actor, err))
		}
		return nil
	})
}

// applyOfferAnswer takes note of the origin's Accept or Reject of one of
// our Offers: logged for the translating organisation's staff.
func (p *Processor) applyOfferAnswer(ctx context.Context, e *store.JournalEntry, act *ap.Activity) error {
	offer := act.ObjectActivity
	if offer.Actor != "" {
		if _, local := p.urls.LocalUsername(offer.Actor); !local {
			return permanentError{fmt.Errorf("%s answers an Offer of %s, not ours", act.Actor, offer.Actor)}
		}
	}
	p.log.InfoContext(ctx, "translation offer answered", "offer", offer.ID, "answer", act.Type, "by", act.Actor)
	return p.skip(ctx, e)
}

// AnswerOfferTx queues acct's Accept or Reject of a translator's Offer,
// inside t; r holds the translator, resolved.
func (o *Outbox) AnswerOfferTx(ctx context.Context, t *store.Tx, acct *store.Account, offer, translator string, accept bool, r Resolved) error {
	me := o.urls.Actor(acct.Username)
	id := o.urls.Activity(acct.Username, t.NewID())
	inner := map[string]any{"id": offer, "type": "Offer", "actor": translator}
	act := ap.NewReject(id, me, inner)
	if accept {
		act = ap.NewAccept(id, me, inner)
	}
	act["to"] = []string{translator}
	inboxes, err := o.inboxes(ctx, t, acct, Audience{}, r.named)
	if err != nil {
		return err
	}
	return o.send(ctx, t, acct, id, act, inboxes, false, true)
}
