package control

import (
	"context"

	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/publish"
	"github.com/tocsin-network/tocsin/store"
)

// Alert and note operations.
const (
	OpAlertCreate  = "alert.create"
	OpAlertUpdate  = "alert.update"
	OpAlertResolve = "alert.resolve"
	OpAlertRetract = "alert.retract"
	OpAlertGet     = "alert.get"
	OpAlertList    = "alert.list"
	OpNoteCreate   = "note.create"
	OpNoteList     = "note.list"
	OpCircleSet    = "circle.set"
	OpCircleList   = "circle.list"
	OpCircleDelete = "circle.delete"
)

// AlertArgs is an alert from the command line: who publishes, which
// alert (for updates), and the alert as typed.
type AlertArgs struct {
	As  string `json:"as"`           // organisation account
	By  string `json:"by,omitempty"` // person acting for it ("" = the local administrator)
	IRI string `json:"iri,omitempty"`
	publish.AlertInput
}

// author resolves --as and --by.
func (o *Ops) author(ctx context.Context, as, by string) (publish.Author, error) {
	org, err := o.organization(ctx, as)
	if err != nil {
		return publish.Author{}, err
	}
	au := publish.Author{Org: org}
	if by != "" {
		p, err := o.Accounts.Get(ctx, by)
		if err != nil {
			return publish.Author{}, err
		}
		au.Person = p
	}
	return au, nil
}

func (o *Ops) defaultLanguage() string {
	if len(o.Languages) > 0 {
		return o.Languages[0]
	}
	return "en"
}

// AlertFilterArgs are `tocsin alert list`'s filters.
type AlertFilterArgs = publish.FilterInput

// AlertPage is one page of alerts; Next is the cursor of the next page.
type AlertPage struct {
	Alerts []*store.AlertRecord `json:"alerts"`
	Next   string               `json:"next,omitempty"`
}

// NoteArgs is a good-practice note from the command line.
type NoteArgs struct {
	As        string   `json:"as"`
	By        string   `json:"by,omitempty"`
	Title     string   `json:"title"`
	Summary   string   `json:"summary,omitempty"`
	Body      string   `json:"body"`
	Topics    []string `json:"topics,omitempty"`
	Countries []string `json:"countries,omitempty"`
	Language  string   `json:"language,omitempty"`
}

// CircleArgs sets a circle.
type CircleArgs struct {
	Name    string   `json:"name"`
	Members []string `json:"members,omitempty"`
}

// doAlerts runs the alert, note and circle operations; ok=false when op is
// not one of them.
func (o *Ops) doAlerts(ctx context.Context, op string, args []byte) (any, bool, error) {
	switch op {
	case OpAlertCreate, OpAlertUpdate:
		var in AlertArgs
		if err := decode(args, &in); err != nil {
			return nil, true, err
		}
		au, err := o.author(ctx, in.As, in.By)
		if err != nil {
			return nil, true, err
		}
		a, problems := in.Alert(o.defaultLanguage())
		if len(problems) > 0 {
			return nil, true, publish.InvalidInput(a, problems)
		}
		var rec *store.AlertRecord
		if op == OpAlertCreate {
			rec, err = o.Publish.CreateAlert(ctx, au, a)
		} else {
			rec, err = o.Publish.UpdateAlert(ctx, au, in.IRI, a)
		}
		return rec, true, err
	case OpAlertResolve, OpAlertRetract:
		var in AlertArgs
		if err := decode(args, &in); err != nil {
			return nil, true, err
		}
		au, err := o.author(ctx, in.As, in.By)
		if err != nil {
			return nil, true, err
		}
		if op == OpAlertResolve {
			rec, err := o.Publish.ResolveAlert(ctx, au, in.IRI)
			return rec, true, err
		}
		rec, err := o.Publish.RetractAlert(ctx, au, in.IRI)
		return rec, true, err
	case OpAlertGet:
		var in AlertArgs
		if err := decode(args, &in); err != nil {
			return nil, true, err
		}
		rec, err := o.Publish.GetAlert(ctx, in.IRI)
		return rec, true, err
	case OpAlertList:
		var in AlertFilterArgs
		if err := decode(args, &in); err != nil {
			return nil, true, err
		}
		f, err := in.Filter()
		if err != nil {
			return nil, true, err
		}
		recs, next, err := o.Publish.ListAlerts(ctx, f)
		if recs == nil {
			recs = []*store.AlertRecord{}
		}
		return AlertPage{Alerts: recs, Next: next}, true, err
	case OpNoteCreate:
		var in NoteArgs
		if err := decode(args, &in); err != nil {
			return nil, true, err
		}
		au, err := o.author(ctx, in.As, in.By)
		if err != nil {
			return nil, true, err
		}
		lang := in.Language
		if lang == "" {
			lang = o.defaultLanguage()
		}
		rec, err := o.Publish.CreateNote(ctx, au, alert.PracticeNote{
			Title: in.Title, Summary: in.Summary, Body: in.Body,
			Topics: publish.SplitList(in.Topics), Countries: publish.UpperAll(publish.SplitList(in.Countries)), Language: lang,
		})
		return rec, true, err
	case OpNoteList:
		recs, _, err := o.Publish.ListNotes(ctx, store.NoteFilter{Limit: store.MaxListLimit})
		if recs == nil {
			recs = []*store.NoteRecord{}
		}
		return recs, true, err
	case OpCircleSet:
		var in CircleArgs
		if err := decode(args, &in); err != nil {
			return nil, true, err
		}
		c, err := o.Publish.SetCircle(ctx, in.Name, publish.SplitList(in.Members))
		return c, true, err
	case OpCircleList:
		cs, err := o.Publish.Circles(ctx)
		if cs == nil {
			cs = []*store.Circle{}
		}
		return cs, true, err
	case OpCircleDelete:
		var in CircleArgs
		if err := decode(args, &in); err != nil {
			return nil, true, err
		}
		return in, true, o.Publish.DeleteCircle(ctx, in.Name)
	}
	return nil, false, nil
}
