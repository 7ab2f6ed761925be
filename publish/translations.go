package publish

import (
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
