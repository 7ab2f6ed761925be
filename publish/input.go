package publish

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/store"
	"github.com/tocsin-network/tocsin/tlp"
)

// AlertInput is an alert as people type it (command line, API, form):
// text that is parsed here, so every interface reports the same problems.
type AlertInput struct {
	Title        string         `json:"title" form:"title"`
	Body         string         `json:"body" form:"body"`
	Severity     string         `json:"severity" form:"severity"`
	Confidence   string         `json:"confidence,omitempty" form:"confidence"`
	Category     string         `json:"category" form:"category"`
	Countries    []string       `json:"countries" form:"countries"`
	Subdivisions []string       `json:"subdivisions,omitempty" form:"subdivisions"`
	ElectionName string         `json:"election_name,omitempty" form:"election_name"`
	ElectionDate string         `json:"election_date,omitempty" form:"election_date"`
	TLP          string         `json:"tlp" form:"tlp"`
	Circle       string         `json:"circle,omitempty" form:"circle"`
	Recipients   []string       `json:"recipients,omitempty" form:"recipients"`
	Expires      string         `json:"expires,omitempty" form:"expires"` // RFC 3339
	Sources      []alert.Source `json:"sources,omitempty"`
	Language     string         `json:"language,omitempty" form:"language"`
	Supersedes   string         `json:"supersedes,omitempty" form:"supersedes"`
}

// Alert parses the input; problems with the text forms are returned as
// field errors (and then nothing must be published).
func (in *AlertInput) Alert(defaultLang string) (alert.Alert, []tocsin.FieldError) {
	var problems []tocsin.FieldError
	a := alert.Alert{
		Title: in.Title, Body: in.Body, Severity: alert.Severity(in.Severity),
		Confidence: alert.Confidence(in.Confidence), Category: alert.Category(in.Category),
		Countries: SplitList(in.Countries), Subdivisions: SplitList(in.Subdivisions),
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

// InvalidInput reports parse problems together with every other field's,
// without publishing anything.
func InvalidInput(a alert.Alert, problems []tocsin.FieldError) error {
	a.Published, a.Author = time.Now(), "https://invalid.example/"
	a.Normalize()
	err := a.Validate()
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

// SplitList accepts repeated values and comma-separated ones.
func SplitList(in []string) []string {
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

// FilterInput is a listing filter as people type it.
type FilterInput struct {
	Countries  []string `json:"countries,omitempty" query:"country"`
	Categories []string `json:"categories,omitempty" query:"category"`
	Severities []string `json:"severities,omitempty" query:"severity"`
	Statuses   []string `json:"statuses,omitempty" query:"status"`
	TLPs       []string `json:"tlps,omitempty" query:"tlp"`
	Origin     string   `json:"origin,omitempty" query:"origin"`
	Since      string   `json:"since,omitempty" query:"since"`
	Until      string   `json:"until,omitempty" query:"until"`
	Limit      int      `json:"limit,omitempty" query:"limit"`
	MaxID      string   `json:"max_id,omitempty" query:"max_id"`
}

// Filter parses the input into a store filter, reporting every problem.
func (in *FilterInput) Filter() (store.AlertFilter, error) {
	f := store.AlertFilter{
		Countries: UpperAll(SplitList(in.Countries)), Categories: SplitList(in.Categories),
		Severities: SplitList(in.Severities), Statuses: SplitList(in.Statuses),
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
	for _, v := range SplitList(in.TLPs) {
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
	if in.Limit < 0 || in.Limit > store.MaxListLimit {
		problems = append(problems, tocsin.FieldError{Field: "limit", Message: "must be from 1 to 200"})
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

// UpperAll upper-cases every value (country codes).
func UpperAll(in []string) []string {
	for i := range in {
		in[i] = strings.ToUpper(in[i])
	}
	return in
}

// ListVisible lists alerts the viewer may read: the filter's TLP levels are
// narrowed to the viewer's, and each record is checked with CanRead. The
// cursor is the store's.
func (s *Service) ListVisible(ctx context.Context, v *Viewer, f store.AlertFilter) ([]*store.AlertRecord, string, error) {
	allowed := ReadableLevels(v)
	if len(f.TLPs) == 0 {
		f.TLPs = allowed
	} else {
		f.TLPs = slices.DeleteFunc(f.TLPs, func(l tlp.Level) bool { return !slices.Contains(allowed, l) })
		if len(f.TLPs) == 0 {
			return []*store.AlertRecord{}, "", nil
		}
	}
	if v.staff() && len(f.Moderation) == 0 {
		f.Moderation = []string{store.ModVisible, store.ModLimited}
	}
	recs, next, err := s.db.ListAlerts(ctx, f)
	if err != nil {
		return nil, "", err
	}
	out := recs[:0]
	for _, r := range recs {
		if CanRead(v, r) {
			out = append(out, r)
		}
	}
	return out, next, nil
}
