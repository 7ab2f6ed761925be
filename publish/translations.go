package publish

// Signed translations: a peer organisation offers a translation of one of
// our alerts (an Offer of a tocsin:Translation signed with its FEP-8b32
// proof); it waits, pending, until a publisher of the alert's organisation
// accepts it (the alert gains the language in contentMap and nameMap, with
// the translator credited, and its Update is federated; the translator
// receives an Accept) or rejects it (the translator receives a Reject).

import (
	"context"

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
