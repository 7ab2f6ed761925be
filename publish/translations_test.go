package publish_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-network/tocsin/federation"
	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/internal/cluster"
	"github.com/tocsin-network/tocsin/publish"
	"github.com/tocsin-network/tocsin/store"
	"github.com/tocsin-network/tocsin/tlp"
)

// objectOn returns the alert object s stores for iri, parsed.
func objectOn(t *testing.T, s *cluster.Server, iri string) *ap.Object {
	t.Helper()
	o, err := s.DB.Object(context.Background(), iri)
	if err != nil {
		t.Fatalf("%s: %v", s.Domain, err)
	}
	doc, err := ap.Parse(o.Raw)
	if err != nil {
		t.Fatal(err)
	}
	return doc.Object
}

// answers returns the activities of type typ that acct sent (its outbox).
func answers(t *testing.T, s *cluster.Server, acct *store.Account, typ string) []*store.Activity {
	t.Helper()
	var out []*store.Activity
	err := s.DB.View(context.Background(), func(tx *store.Tx) error {
		iris, _, err := tx.OutboxPage(acct.ID, "", 200)
		if err != nil {
			return err
		}
		for _, iri := range iris {
			a, err := tx.Activity(iri)
			if err != nil {
				return err
			}
			if a.Type == typ {
				out = append(out, a)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestASignedTranslationFromAPeerIsShownOnceAccepted(t *testing.T) {
	ctx := context.Background()
	f := startCorroborationFleet(t)
	rec, err := f.a.Publish.CreateAlert(ctx, publish.Author{Org: f.orgA}, sampleAlert("Kenya: pre-marked ballots", tlp.Clear))
	if err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, f.all()...)

	fr := federation.TranslationInput{Language: "fr", Name: "Kenya : bulletins pré-remplis",
		Content: "Des observateurs à **Nakuru** signalent des bulletins pré-remplis."}
	if _, err := f.b.Publish.OfferTranslation(ctx, publish.Author{Org: f.orgB}, rec.IRI, fr); err != nil {
		t.Fatal(err)
	}
	// Refused before anything is sent: the alert's own language, a bad
	// tag, an empty text.
	for _, bad := range []federation.TranslationInput{
		{Language: "en", Content: "Same language."}, {Language: "french", Content: "x"}, {Language: "sw"},
	} {
		if _, err := f.b.Publish.OfferTranslation(ctx, publish.Author{Org: f.orgB}, rec.IRI, bad); err == nil {
			t.Errorf("offer %+v was sent", bad)
		}
	}
	cluster.Settle(t, f.all()...)

	pending, err := f.a.Publish.Translations(ctx, publish.Author{Org: f.orgA}, rec.IRI)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 || pending[0].State != store.TranslationPending || pending[0].Translator != f.b.URL+"/users/org" ||
		pending[0].Language != "fr" || !strings.Contains(pending[0].Content, "<strong>Nakuru</strong>") && !strings.Contains(pending[0].Content, "Nakuru") {
		t.Fatalf("A holds %+v", pending)
	}
	// Pending: not shown yet.
	if obj := objectOn(t, f.a, rec.IRI); obj.ContentMap["fr"] != "" {
		t.Error("a pending translation is already in the alert")
	}
	// Only A's publishers decide.
	if _, err := f.a.Publish.DecideTranslation(ctx, publish.Author{Org: f.a.CreateAccount(t, "other", "organization", "publisher")}, pending[0].Seq, true); err == nil {
		t.Error("another organisation accepted A's translation")
	}
	tr, err := f.a.Publish.DecideTranslation(ctx, publish.Author{Org: f.orgA}, pending[0].Seq, true)
	if err != nil {
		t.Fatal(err)
	}
	if tr.State != store.TranslationAccepted {
		t.Errorf("decided: %+v", tr)
	}
	if _, err := f.a.Publish.DecideTranslation(ctx, publish.Author{Org: f.orgA}, pending[0].Seq, false); err == nil {
		t.Error("a translation was decided twice")
	}
	cluster.Settle(t, f.all()...)

	// A's alert carries the language, credited to B; its own language
	// stays the content; the followers (B, C) received the Update.
	for _, s := range []*cluster.Server{f.a, f.b, f.c} {
		obj := objectOn(t, s, rec.IRI)
		if !strings.Contains(obj.ContentMap["fr"], "Nakuru") || obj.NameMap["fr"] != "Kenya : bulletins pré-remplis" ||
			!strings.HasPrefix(obj.Content, "<p>TLP:CLEAR") || obj.ContentMap["en"] != obj.Content {
			t.Errorf("%s holds contentMap %v nameMap %v", s.Domain, obj.ContentMap, obj.NameMap)
		}
		credits := string(obj.Extensions["tocsin:translations"])
		if !strings.Contains(credits, `"attributedTo":"`+f.b.URL+`/users/org"`) || !strings.Contains(credits, `"language":"fr"`) {
			t.Errorf("%s: credits %s", s.Domain, credits)
		}
	}
	shown, err := f.a.Publish.AcceptedTranslations(ctx, alertRecord(t, f.a, rec.IRI))
	if err != nil || len(shown) != 1 || shown[0].AttributedTo != f.b.URL+"/users/org" {
		t.Errorf("A shows %+v (%v)", shown, err)
	}
	// B was answered: A sent an Accept, and B applied it.
	accepts := answers(t, f.a, f.orgA, "Accept")
	var acceptIRI string
	for _, a := range accepts {
		if bytes.Contains(a.Raw, []byte(`"type":"Offer"`)) {
			acceptIRI = a.IRI
		}
	}
	if acceptIRI == "" {
		t.Fatal("A sent no Accept of the Offer")
	}
	if seen, err := f.b.DB.Seen(ctx, acceptIRI); err != nil || !seen {
		t.Errorf("B did not apply A's Accept: %v %v", seen, err)
	}

	// A tampered proof is refused: B signs, then the text changes.
	raw, err := ap.Marshal(map[string]any{
		"id": f.b.URL + "/users/org/translations/tampered", "type": "tocsin:Translation",
		"attributedTo": f.b.URL + "/users/org", "tocsin:translationOf": rec.IRI,
		"contentMap": map[string]any{"sw": "<p>Wapiga kura wanapokea ujumbe.</p>"},
		"published":  time.Now().UTC().Format(time.RFC3339),
	})
	if err != nil {
		t.Fatal(err)
	}
	signed, err := f.b.Federation.SignDocument(f.orgB, raw)
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Replace(signed, []byte("Wapiga kura"), []byte("Hakuna kura"), 1)
	if bytes.Equal(tampered, signed) {
		t.Fatal("the test did not tamper with the document")
	}
	if _, err := f.b.Federation.SendSignedTranslation(ctx, f.orgB, rec.IRI, f.a.URL+"/users/org", tampered); err != nil {
		t.Fatal(err)
	}
	// A translation from outside the alert's audience (D is no peer and
	// no follower) is refused too, though its proof is good.
	if _, err := f.d.Federation.OfferTranslation(ctx, f.orgD, rec.IRI, f.a.URL+"/users/org",
		federation.TranslationInput{Language: "de", Content: "Wähler erhalten SMS."}, time.Now()); err != nil {
		t.Fatal(err)
	}
	// The untampered document, sent as is, is accepted as pending: the
	// refusal above was the tampering, not the shape.
	if _, err := f.b.Federation.SendSignedTranslation(ctx, f.orgB, rec.IRI, f.a.URL+"/users/org", signed); err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, f.all()...)
	all, err := f.a.DB.Translations(ctx, rec.IRI)
	if err != nil {
		t.Fatal(err)
	}
	var langs []string
	for _, tr := range all {
		langs = append(langs, tr.Language+":"+tr.State)
		if strings.Contains(tr.Content, "Hakuna") {
			t.Error("the tampered translation was stored")
		}
	}
	if strings.Join(langs, ",") != "fr:accepted,sw:pending" {
		t.Errorf("A holds translations %v; want the accepted fr and the genuine sw only", langs)
	}
}
