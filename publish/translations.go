package publish

// Signed translations: a peer organisation offers a translation of one of
// our alerts (an Offer of a tocsin:Translation signed with its FEP-8b32
// proof); it waits, pending, until a publisher of the alert's organisation
// accepts it (the alert gains the language in contentMap and nameMap, with
// the translator credited, and its Update is federated; the translator
// receives an Accept) or rejects it (the translator receives a Reject).

import (
	"context"
	"errors"
	"fmt"
	"time"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/federation"
	"github.com/tocsin-network/tocsin/federation/profile"
	"github.com/tocsin-network/tocsin/store"
)

// accepted returns the accepted translations of an alert, the latest per
// language, ready for profile.Translate.
func accepted(trs []*store.Translation) []profile.Translated {
	latest := map[string]int{}
	var out []profile.Translated
	for _, tr := range trs {
		if tr.State != store.TranslationAccepted {
			continue
		}
		t := profile.Translated{
			TranslationCredit: profile.TranslationCredit{Language: tr.Language, AttributedTo: tr.Translator, ID: tr.ID},
			Name:              tr.Name, Summary: tr.Summary, Content: tr.Content,
		}
		if i, ok := latest[tr.Language]; ok {
			out[i] = t
			continue
		}
		latest[tr.Language] = len(out)
		out = append(out, t)
	}
	return out
}

// AcceptedTranslations returns the translations a local alert carries, the
// latest accepted per language (none for a peer's alert: its origin
// decides).
func (s *Service) AcceptedTranslations(ctx context.Context, rec *store.AlertRecord) ([]profile.Translated, error) {
	if !rec.Local {
		return nil, nil
	}
	trs, err := s.db.Translations(ctx, rec.IRI)
	if err != nil {
		return nil, err
	}
	return accepted(trs), nil
}

// InboundTranslation implements federation.TranslationHook: a peer
// organisation offers a translation of one of our alerts. The translator
// must be in the alert's TLP audience (as for corroboration) and the
// language another than the alert's; the translation is stored pending.
func (s *Service) InboundTranslation(ctx context.Context, tr *store.Translation, translator *store.RemoteActor) (func(*store.Tx) error, error) {
	if translator.Type != "Organization" {
		return nil, tocsin.Errorf(tocsin.EFORBIDDEN, "only organisations translate alerts; %s is a %s", translator.IRI, translator.Type)
	}
	rec, err := s.GetAlert(ctx, tr.Alert)
	if err != nil {
		return nil, err
	}
	if !rec.Local {
		return nil, tocsin.Errorf(tocsin.ENOTFOUND, "%s is not an alert of this instance", tr.Alert)
	}
	if tr.Language == rec.Alert.Language {
		return nil, tocsin.Errorf(tocsin.EINVALID, "the alert is already in %s", tr.Language)
	}
	return func(t *store.Tx) error {
		rec, err := t.Alert(tr.Alert)
		if err != nil {
			return err
		}
		if err := s.mayCorroborateRemote(t, rec, translator.IRI); err != nil {
			return err
		}
		tr.State, tr.ReceivedAt = store.TranslationPending, s.now().UTC()
		if err := t.PutTranslation(tr); err != nil {
			return err
		}
		s.log.InfoContext(ctx, "translation offered", "alert", rec.IRI, "translator", translator.IRI, "language", tr.Language)
		return nil
	}, nil
}

// Translations lists the translations offered for one of the author
// organisation's alerts, oldest first.
func (s *Service) Translations(ctx context.Context, au Author, alertIRI string) ([]*store.Translation, error) {
	rec, err := s.ownAlert(ctx, au, alertIRI)
	if err != nil {
		return nil, err
	}
	return s.db.Translations(ctx, rec.IRI)
}

// DecideTranslation accepts or rejects a pending translation of one of the
// author organisation's alerts. Accepting renders the alert again with the
// translation and federates its Update; either way the translator gets an
// Accept or a Reject of its Offer. All of it commits in one transaction.
func (s *Service) DecideTranslation(ctx context.Context, au Author, seq string, accept bool) (*store.Translation, error) {
	tr, err := s.db.Translation(ctx, seq)
	if errors.Is(err, store.ErrNotFound) {
		return nil, tocsin.Errorf(tocsin.ENOTFOUND, "translation %s not found", seq)
	}
	if err != nil {
		return nil, err
	}
	rec, err := s.ownAlert(ctx, au, tr.Alert)
	if err != nil {
		return nil, err
	}
	if tr.State != store.TranslationPending {
		return nil, tocsin.Errorf(tocsin.ECONFLICT, "translation %s was %s already", seq, tr.State)
	}
	aud, err := s.audience(ctx, &rec.Alert)
	if err != nil {
		return nil, err
	}
	resolved, err := s.fed.Outbox.ResolveAudience(ctx, aud)
	if err != nil {
		return nil, err
	}
	translator, err := s.fed.Outbox.ResolveAudience(ctx, federation.Audience{Actors: []string{tr.Translator}})
	if err != nil {
		return nil, err
	}
	err = s.db.Update(ctx, func(t *store.Tx) error {
		cur, err := t.Translation(seq)
		if err != nil {
			return err
		}
		if cur.State != store.TranslationPending {
			return tocsin.Errorf(tocsin.ECONFLICT, "translation %s was %s already", seq, cur.State)
		}
		tr = cur
		tr.State, tr.DecidedAt, tr.DecidedBy = store.TranslationRejected, s.now().UTC(), au.by()
		if accept {
			tr.State = store.TranslationAccepted
		}
		if err := t.PutTranslation(tr); err != nil {
			return err
		}
		if accept {
			rec, err := t.Alert(tr.Alert)
			if err != nil {
				return err
			}
			if err := s.rerender(ctx, t, au.Org, rec, aud, resolved); err != nil {
				return err
			}
		}
		return s.fed.Outbox.AnswerOfferTx(ctx, t, au.Org, tr.Offer, tr.Translator, accept, translator)
	})
	if err != nil {
		return nil, err
	}
	s.fed.Outbox.Kick()
	s.log.InfoContext(ctx, "translation decided", "alert", tr.Alert, "translation", tr.ID, "state", tr.State, "by", au.by())
	return tr, nil
}

// OfferTranslation sends the author organisation's translation of a peer's
// alert (which this instance holds) to the alert's origin: an Offer of a
// tocsin:Translation signed by the organisation.
func (s *Service) OfferTranslation(ctx context.Context, au Author, alertIRI string, in federation.TranslationInput) (string, error) {
	if err := au.check(); err != nil {
		return "", err
	}
	if err := in.Validate(); err != nil {
		return "", err
	}
	rec, err := s.GetAlert(ctx, alertIRI)
	if err != nil {
		return "", err
	}
	if rec.Local {
		return "", tocsin.Errorf(tocsin.EINVALID, "%s is an alert of this instance: edit it instead", alertIRI)
	}
	if !au.mayRead(s.urls, rec) {
		return "", tocsin.Errorf(tocsin.ENOTFOUND, "alert %s not found", alertIRI)
	}
	if in.Language == rec.Alert.Language {
		return "", tocsin.Invalid(tocsin.FieldError{Field: "language", Message: fmt.Sprintf("the alert is in %s already", in.Language)})
	}
	id, err := s.fed.OfferTranslation(ctx, au.Org, rec.IRI, rec.Alert.Author, in, s.now().UTC().Truncate(time.Second))
	if err != nil {
		return "", err
	}
	s.log.InfoContext(ctx, "translation offered to origin", "alert", rec.IRI, "org", au.Org.Username, "by", au.by(), "language", in.Language)
	return id, nil
}
