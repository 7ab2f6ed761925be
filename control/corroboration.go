package control

import (
	"context"

	"github.com/tocsin-network/tocsin/federation"
	"github.com/tocsin-network/tocsin/publish"
	"github.com/tocsin-network/tocsin/store"
)

// Corroboration and translation operations.
const (
	OpAlertCorroborate  = "alert.corroborate"
	OpAlertSightings    = "alert.sightings"
	OpAlertTranslate    = "alert.translate"
	OpAlertTranslations = "alert.translations"
	OpTranslationDecide = "alert.translation.decide"
)

// TranslationArgs is a translation to offer, a listing, or a decision
// (ID and Accept) from the command line.
type TranslationArgs struct {
	As       string `json:"as"`
	By       string `json:"by,omitempty"`
	IRI      string `json:"iri,omitempty"` // the alert
	ID       string `json:"id,omitempty"`  // the translation's local id
	Accept   bool   `json:"accept,omitempty"`
	Language string `json:"language,omitempty"`
	Title    string `json:"title,omitempty"`
	Content  string `json:"content,omitempty"` // Markdown
}

// CorroborateArgs is an organisation's vote on an alert from the command
// line. Dates are RFC 3339.
type CorroborateArgs struct {
	As        string   `json:"as"`
	By        string   `json:"by,omitempty"`
	IRI       string   `json:"iri"`
	Verdict   string   `json:"verdict"`
	Count     int      `json:"count,omitempty"`
	FirstSeen string   `json:"first_seen,omitempty"`
	LastSeen  string   `json:"last_seen,omitempty"`
	Where     []string `json:"where,omitempty"`
	Comment   string   `json:"comment,omitempty"`
}

func (a CorroborateArgs) input() (federation.SightingInput, error) {
	return publish.SightingForm{Verdict: a.Verdict, Count: a.Count, FirstSeen: a.FirstSeen, LastSeen: a.LastSeen, Where: a.Where, Comment: a.Comment}.Input()
}

// doCorroboration runs the corroboration operations; ok=false when op is
// not one of them.
func (o *Ops) doCorroboration(ctx context.Context, op string, args []byte) (any, bool, error) {
	switch op {
	case OpAlertCorroborate:
		var in CorroborateArgs
		if err := decode(args, &in); err != nil {
			return nil, true, err
		}
		au, err := o.author(ctx, in.As, in.By)
		if err != nil {
			return nil, true, err
		}
		vote, err := in.input()
		if err != nil {
			return nil, true, err
		}
		res, err := o.Publish.Corroborate(ctx, au, in.IRI, vote)
		return res, true, err
	case OpAlertSightings:
		var in CorroborateArgs
		if err := decode(args, &in); err != nil {
			return nil, true, err
		}
		rec, err := o.Publish.GetAlert(ctx, in.IRI)
		if err != nil {
			return nil, true, err
		}
		votes, err := o.Publish.Sightings(ctx, rec)
		if votes == nil {
			votes = []*store.Sighting{}
		}
		return votes, true, err
	case OpAlertTranslate, OpAlertTranslations, OpTranslationDecide:
		var in TranslationArgs
		if err := decode(args, &in); err != nil {
			return nil, true, err
		}
		au, err := o.author(ctx, in.As, in.By)
		if err != nil {
			return nil, true, err
		}
		switch op {
		case OpAlertTranslate:
			id, err := o.Publish.OfferTranslation(ctx, au, in.IRI, federation.TranslationInput{Language: in.Language, Name: in.Title, Content: in.Content})
			return map[string]string{"offer": id}, true, err
		case OpAlertTranslations:
			trs, err := o.Publish.Translations(ctx, au, in.IRI)
			if trs == nil {
				trs = []*store.Translation{}
			}
			return trs, true, err
		}
		tr, err := o.Publish.DecideTranslation(ctx, au, in.ID, in.Accept)
		return tr, true, err
	}
	return nil, false, nil
}
