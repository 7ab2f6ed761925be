package control

import (
	"context"
	"errors"
	"strings"
	"time"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/publish"
	"github.com/tocsin-network/tocsin/store"
	"github.com/tocsin-network/tocsin/tlp"
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

// AlertArgs is an alert as the command line gives it: text that is parsed
// here, so the socket and in-process paths report the same problems.
type AlertArgs struct {
	As           string         `json:"as"`           // organisation account
	By           string         `json:"by,omitempty"` // person acting for it ("" = the local administrator)
	IRI          string         `json:"iri,omitempty"`
	Title        string         `json:"title"`
	Body         string         `json:"body"`
	Severity     string         `json:"severity"`
	Confidence   string         `json:"confidence"`
	Category     string         `json:"category"`
	Countries    []string       `json:"countries"`
	Subdivisions []string       `json:"subdivisions,omitempty"`
	ElectionName string         `json:"election_name,omitempty"`
	ElectionDate string         `json:"election_date,omitempty"`
	TLP          string         `json:"tlp"`
	Circle       string         `json:"circle,omitempty"`
	Recipients   []string       `json:"recipients,omitempty"`
	Expires      string         `json:"expires,omitempty"` // RFC 3339
	Sources      []alert.Source `json:"sources,omitempty"`
	Language     string         `json:"language,omitempty"`
	Supersedes   string         `json:"supersedes,omitempty"`
}

// toAlert parses the text fields; problems are returned as field errors
// together with the alert's own validation, all at once.
func (in *AlertArgs) toAlert(defaultLang string) (alert.Alert, []tocsin.FieldError) {
	var problems []tocsin.FieldError
	a := alert.Alert{
		Title: in.Title, Body: in.Body, Severity: alert.Severity(in.Severity),
		Confidence: alert.Confidence(in.Confidence), Category: alert.Category(in.Category),
		Countries: splitList(in.Countries), Subdivisions: splitList(in.Subdivisions),
		Circle: in.Circle, Recipients: in.Recipients, Sources: in.Sources,
		Language: in.Language, Supersedes: in.Supersedes,
	}
	if a.Confidence == "" {
		a.Confidence = alert.Confidence("likely")
	}
	if a.Language == "" {
		a.Language = defaultLang
	}
	a.Election.Name = in.ElectionName
	if in.ElectionDate != "" {
		d, err := alert.ParseDate(in.ElectionDate)
		if err != nil {
			problems = append(problems, tocsin.FieldError{Field: "election.date", Message: "must be a date like 2027-08-09"})
		}
		a.Election.Date = d
	}
	if in.TLP != "" {
		l, err := tlp.Parse(in.TLP)
		if err != nil {
			problems = append(problems, tocsin.FieldError{Field: "tlp", Message: "must be CLEAR, GREEN, AMBER, AMBER+STRICT or RED"})
		}
		a.TLP = l
	}
	if in.Expires != "" {
		t, err := time.Parse(time.RFC3339, in.Expires)
		if err != nil {
			problems = append(problems, tocsin.FieldError{Field: "expires", Message: "must be an RFC 3339 time like 2027-08-10T18:00:00Z"})
		}
		a.Expires = t
	}
	return a, problems
}

// splitList accepts repeated values and comma-separated ones.
func splitList(in []string) []string {
	var out []string
	for _, v := range in {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// invalidWith merges parse problems into a validation error.
func invalidWith(problems []tocsin.FieldError, err error) error {
	if len(problems) == 0 {
		return err
	}
	var te *tocsin.Error
	if err != nil && errors.As(err, &te) && te.Code == tocsin.EINVALID {
		seen := map[string]bool{}
		for _, p := range problems {
			seen[p.Field] = true
		}
		for _, f := range te.Fields {
			if !seen[f.Field] {
				problems = append(problems, f)
			}
		}
	}
	return tocsin.Invalid(problems...)
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
type AlertFilterArgs struct {
	Countries  []string `json:"countries,omitempty"`
	Categories []string `json:"categories,omitempty"`
	Severities []string `json:"severities,omitempty"`
	Statuses   []string `json:"statuses,omitempty"`
	TLPs       []string `json:"tlps,omitempty"`
	Origin     string   `json:"origin,omitempty"`
	Since      string   `json:"since,omitempty"`
	Until      string   `json:"until,omitempty"`
	Limit      int      `json:"limit,omitempty"`
	MaxID      string   `json:"max_id,omitempty"`
}

// AlertPage is one page of alerts; Next is the cursor of the next page.
type AlertPage struct {
	Alerts []*store.AlertRecord `json:"alerts"`
	Next   string               `json:"next,omitempty"`
}

func (in *AlertFilterArgs) filter() (store.AlertFilter, error) {
	f := store.AlertFilter{
		Countries: upper(splitList(in.Countries)), Categories: splitList(in.Categories),
		Severities: splitList(in.Severities), Statuses: splitList(in.Statuses),
		Origin: in.Origin, Limit: in.Limit, MaxSeq: in.MaxID,
	}
	var problems []tocsin.FieldError
	for i, c := range f.Categories {
		cat, err := alert.ParseCategory(c)
		if err != nil {
			problems = append(problems, tocsin.FieldError{Field: "category", Message: err.Error()})
		}
		f.Categories[i] = string(cat)
	}
	for i, v := range f.Severities {
		sev, err := alert.ParseSeverity(v)
		if err != nil {
			problems = append(problems, tocsin.FieldError{Field: "severity", Message: err.Error()})
		}
		f.Severities[i] = string(sev)
	}
	for i, v := range f.Statuses {
		st, err := alert.ParseStatus(v)
		if err != nil {
			problems = append(problems, tocsin.FieldError{Field: "status", Message: err.Error()})
		}
		f.Statuses[i] = string(st)
	}
	for _, v := range splitList(in.TLPs) {
		l, err := tlp.Parse(v)
		if err != nil {
			problems = append(problems, tocsin.FieldError{Field: "tlp", Message: err.Error()})
		}
		f.TLPs = append(f.TLPs, l)
	}
	switch in.Origin {
	case "", store.OriginLocal, store.OriginPeer:
	default:
		problems = append(problems, tocsin.FieldError{Field: "origin", Message: `must be "local" or "peer"`})
	}
	for _, tt := range []struct {
		field, v string
		dst      *time.Time
	}{{"since", in.Since, &f.Since}, {"until", in.Until, &f.Until}} {
		if tt.v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, tt.v)
		if err != nil {
			problems = append(problems, tocsin.FieldError{Field: tt.field, Message: "must be an RFC 3339 time"})
		}
		*tt.dst = t
	}
	if len(problems) > 0 {
		return f, tocsin.Invalid(problems...)
	}
	return f, nil
}

func upper(in []string) []string {
	for i := range in {
		in[i] = strings.ToUpper(in[i])
	}
	return in
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
		a, problems := in.toAlert(o.defaultLanguage())
		if len(problems) > 0 {
			// Report the parse problems with every other field's, and
			// publish nothing.
			a.Published, a.Author = time.Now(), "https://invalid.example/"
			a.Normalize()
			return nil, true, invalidWith(problems, a.Validate())
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
		f, err := in.filter()
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
			Topics: splitList(in.Topics), Countries: upper(splitList(in.Countries)), Language: lang,
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
		c, err := o.Publish.SetCircle(ctx, in.Name, splitList(in.Members))
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
