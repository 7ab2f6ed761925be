package alert

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	tocsin "github.com/tocsin-network/tocsin"
)

// The lifecycle. A new alert is active. Editing an active or updated alert
// makes it updated. Resolving says the threat is over; a resolved alert can
// be reopened (it becomes updated again: the threat came back, and the same
// alert, with its followers' attention and replies, is the place to say so).
// Retracting withdraws an alert as wrong; it is final, because peers have
// been sent a Delete and hold a Tombstone. Expiry is not a status: see
// Expired.
//
//	active   -> updated, resolved, retracted
//	updated  -> updated, resolved, retracted
//	resolved -> updated (reopen), retracted
//	retracted   (final)
var transitions = map[Status][]Status{
	StatusActive:   {StatusUpdated, StatusResolved, StatusRetracted},
	StatusUpdated:  {StatusUpdated, StatusResolved, StatusRetracted},
	StatusResolved: {StatusUpdated, StatusRetracted},
}

// ErrTransition is wrapped by the error of a status change the lifecycle
// forbids. ErrNoChange is wrapped when ApplyUpdate is given no change.
var (
	ErrTransition = errors.New("status change not allowed")
	ErrNoChange   = errors.New("nothing changed")
)

// CanTransition reports whether an alert in status from may move to status to.
func CanTransition(from, to Status) bool {
	return slices.Contains(transitions[from], to)
}

// Transition moves a to status to and sets Updated to now. A forbidden change
// returns an ECONFLICT *tocsin.Error wrapping ErrTransition and leaves a as
// it was.
func (a *Alert) Transition(to Status, now time.Time) error {
	if !CanTransition(a.Status, to) {
		return transitionError(a.Status, to)
	}
	a.Status = to
	a.Updated = now.UTC()
	return nil
}

func transitionError(from, to Status) error {
	why := "not a step of the alert lifecycle"
	switch {
	case from == StatusRetracted:
		why = "a retraction is final; publish a new alert instead"
	case from == to:
		why = "it is " + string(from) + " already"
	case !to.Valid():
		why = fmt.Sprintf("want %s", orList(Statuses()))
	}
	return &tocsin.Error{
		Code:    tocsin.ECONFLICT,
		Message: fmt.Sprintf("cannot change an alert from %q to %q: %s", from, to, why),
		Err:     ErrTransition,
	}
}

// Resolve marks the threat as over.
func (a *Alert) Resolve(now time.Time) error { return a.Transition(StatusResolved, now) }

// Reopen makes a resolved alert current again (status updated).
func (a *Alert) Reopen(now time.Time) error {
	if a.Status != StatusResolved {
		return transitionError(a.Status, StatusUpdated)
	}
	return a.Transition(StatusUpdated, now)
}

// Retract withdraws the alert as wrong. It is final.
func (a *Alert) Retract(now time.Time) error { return a.Transition(StatusRetracted, now) }

// Expired reports whether the alert's expiry time has come. An alert without
// Expires never expires. Expiry does not change Status: an expired alert
// drops out of current lists but may still be resolved or retracted.
func (a *Alert) Expired(now time.Time) bool {
	return !a.Expires.IsZero() && !now.Before(a.Expires)
}

// Current reports whether the alert is still a live warning at now: active or
// updated, and not expired.
func (a *Alert) Current(now time.Time) bool {
	return (a.Status == StatusActive || a.Status == StatusUpdated) && !a.Expired(now)
}

// Revision records one edit of an alert, for its history and the audit log.
type Revision struct {
	At      time.Time `json:"at"`
	By      string    `json:"by"` // who made it: the acting local account
	Changes []Change  `json:"changes"`
}

// Change is one field's value before and after an edit, as text: lists are
// joined with ", ", times are RFC 3339, the body is its Markdown source.
type Change struct {
	Field string `json:"field"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// Changed reports whether the revision changed the named field ("tlp").
func (r Revision) Changed(field string) bool {
	return slices.ContainsFunc(r.Changes, func(c Change) bool { return c.Field == field })
}

// ApplyUpdate applies an edit to a published alert. edited holds the new
// values of the editable fields: Title, Body, Severity, Confidence, Category,
// Countries, Subdivisions, Election, TLP, Circle, Recipients, Expires,
// Sources and Language. Everything else (ID, URI, Author, Published,
// Supersedes, Status) is kept from a.
//
// The result is normalised and validated as a whole; on any error a is left
// unchanged. An active or updated alert becomes updated; a resolved alert
// stays resolved (an edit corrects the record; Reopen makes it current). A
// retracted alert cannot be edited (ErrTransition). An edit that changes
// nothing returns an EINVALID error wrapping ErrNoChange.
//
// A TLP change is allowed and recorded; note that making a published alert
// stricter cannot recall copies already delivered to the wider audience.
func (a *Alert) ApplyUpdate(edited *Alert, by string, now time.Time) (Revision, error) {
	if a.Status == StatusRetracted {
		return Revision{}, transitionError(a.Status, StatusUpdated)
	}
	next := *a
	next.Title, next.Body = edited.Title, edited.Body
	next.Severity, next.Confidence, next.Category = edited.Severity, edited.Confidence, edited.Category
	next.Countries = slices.Clone(edited.Countries)
	next.Subdivisions = slices.Clone(edited.Subdivisions)
	next.Election = edited.Election
	next.TLP, next.Circle, next.Recipients = edited.TLP, edited.Circle, slices.Clone(edited.Recipients)
	next.Expires = edited.Expires
	next.Sources = slices.Clone(edited.Sources)
	next.Language = edited.Language
	next.Normalize()

	changes := diff(a, &next)
	if len(changes) == 0 {
		return Revision{}, &tocsin.Error{Code: tocsin.EINVALID, Message: "nothing changed", Err: ErrNoChange}
	}
	if next.Status == StatusActive {
		next.Status = StatusUpdated
		changes = append(changes, Change{Field: "status", From: string(a.Status), To: string(next.Status)})
	}
	next.Updated = now.UTC()
	if err := next.Validate(); err != nil {
		return Revision{}, err
	}
	*a = next
	return Revision{At: now.UTC(), By: by, Changes: changes}, nil
}

// diff lists the editable fields whose text differs between a and b.
func diff(a, b *Alert) []Change {
	fields := []struct {
		name string
		text func(*Alert) string
	}{
		{"title", func(x *Alert) string { return x.Title }},
		{"body", func(x *Alert) string { return x.Body }},
		{"severity", func(x *Alert) string { return string(x.Severity) }},
		{"confidence", func(x *Alert) string { return string(x.Confidence) }},
		{"category", func(x *Alert) string { return string(x.Category) }},
		{"countries", func(x *Alert) string { return strings.Join(x.Countries, ", ") }},
		{"subdivisions", func(x *Alert) string { return strings.Join(x.Subdivisions, ", ") }},
		{"election.name", func(x *Alert) string { return x.Election.Name }},
		{"election.date", func(x *Alert) string { return x.Election.Date.String() }},
		{"tlp", func(x *Alert) string { return x.TLP.String() }},
		{"circle", func(x *Alert) string { return x.Circle }},
		{"recipients", func(x *Alert) string { return strings.Join(x.Recipients, ", ") }},
		{"expires", func(x *Alert) string { return timeText(x.Expires) }},
		{"sources", func(x *Alert) string { return sourcesText(x.Sources) }},
		{"language", func(x *Alert) string { return x.Language }},
	}
	var out []Change
	for _, f := range fields {
		if from, to := f.text(a), f.text(b); from != to {
			out = append(out, Change{Field: f.name, From: from, To: to})
		}
	}
	return out
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func sourcesText(ss []Source) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = s.URL
		if s.Title != "" {
			parts[i] = s.Title + " <" + s.URL + ">"
		}
	}
	return strings.Join(parts, ", ")
}
