package alert

import (
	"errors"
	"strings"
	"testing"
	"time"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/tlp"
)

func TestTransitions(t *testing.T) {
	allowed := map[[2]Status]bool{
		{StatusActive, StatusUpdated}: true, {StatusActive, StatusResolved}: true, {StatusActive, StatusRetracted}: true,
		{StatusUpdated, StatusUpdated}: true, {StatusUpdated, StatusResolved}: true, {StatusUpdated, StatusRetracted}: true,
		{StatusResolved, StatusUpdated}: true, {StatusResolved, StatusRetracted}: true,
	}
	all := append(Statuses(), "", "bogus")
	for _, from := range all {
		for _, to := range all {
			want := allowed[[2]Status{from, to}]
			if got := CanTransition(from, to); got != want {
				t.Errorf("CanTransition(%q, %q) = %v, want %v", from, to, got, want)
			}
			a := validAlert()
			a.Status = from
			err := a.Transition(to, published.Add(time.Hour))
			if (err == nil) != want {
				t.Errorf("Transition(%q -> %q) = %v", from, to, err)
			}
			if err != nil && (!errors.Is(err, ErrTransition) || tocsin.ErrorCode(err) != tocsin.ECONFLICT || a.Status != from) {
				t.Errorf("Transition(%q -> %q): err %v, status %q", from, to, err, a.Status)
			}
		}
	}
}

func TestRetractionIsFinal(t *testing.T) {
	a := validAlert()
	now := published.Add(time.Hour)
	if err := a.Retract(now); err != nil {
		t.Fatal(err)
	}
	if a.Status != StatusRetracted || !a.Updated.Equal(now) {
		t.Fatalf("after Retract: %q %v", a.Status, a.Updated)
	}
	for name, step := range map[string]func() error{
		"resolve": func() error { return a.Resolve(now) },
		"reopen":  func() error { return a.Reopen(now) },
		"retract": func() error { return a.Retract(now) },
		"update":  func() error { _, err := a.ApplyUpdate(validAlert(), "amina", now); return err },
	} {
		if err := step(); !errors.Is(err, ErrTransition) || !strings.Contains(err.Error(), "final") {
			t.Errorf("%s a retracted alert: %v", name, err)
		}
	}
}

func TestResolveAndReopen(t *testing.T) {
	a := validAlert()
	now := published.Add(time.Hour)
	if err := a.Reopen(now); err == nil {
		t.Fatal("Reopen of an active alert: want error")
	}
	if err := a.Resolve(now); err != nil || a.Status != StatusResolved {
		t.Fatalf("Resolve: %v, %q", err, a.Status)
	}
	if err := a.Resolve(now); err == nil {
		t.Fatal("Resolve twice: want error")
	}
	if err := a.Reopen(now.Add(time.Hour)); err != nil || a.Status != StatusUpdated {
		t.Fatalf("Reopen: %v, %q", err, a.Status)
	}
}

func TestExpired(t *testing.T) {
	a := validAlert() // expires 2027-08-10T00:00Z
	tests := []struct {
		now     time.Time
		expired bool
	}{
		{a.Expires.Add(-time.Nanosecond), false},
		{a.Expires, true},
		{a.Expires.Add(time.Hour), true},
		{a.Expires.In(time.FixedZone("EAT", 3*3600)), true},
	}
	for _, tt := range tests {
		if got := a.Expired(tt.now); got != tt.expired {
			t.Errorf("Expired(%v) = %v", tt.now, got)
		}
		if got := a.Current(tt.now); got == tt.expired {
			t.Errorf("Current(%v) = %v", tt.now, got)
		}
	}
	a.Expires = time.Time{}
	if a.Expired(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Error("an alert without Expires expired")
	}
	a.Status = StatusResolved
	if a.Current(published) {
		t.Error("a resolved alert is not current")
	}
}

func TestApplyUpdate(t *testing.T) {
	a := validAlert()
	a.Normalize()
	edited := *a
	edited.Title = "Fake polling-station changes sent by SMS and WhatsApp"
	edited.Severity = "Extreme"
	edited.Subdivisions = []string{"KE-30", "KE-01"}
	edited.TLP = tlp.Clear
	edited.Status = StatusRetracted     // ignored: status moves by the lifecycle only
	edited.Published = time.Time{}      // ignored: not editable
	edited.URI = "https://evil.example" // ignored
	now := published.Add(2 * time.Hour)

	rev, err := a.ApplyUpdate(&edited, "amina", now)
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != StatusUpdated || !a.Updated.Equal(now) || !a.Published.Equal(published) || a.URI != validAlert().URI {
		t.Errorf("after update: status %q updated %v published %v uri %q", a.Status, a.Updated, a.Published, a.URI)
	}
	if a.Severity != SeverityExtreme || a.TLP != tlp.Clear || len(a.Subdivisions) != 2 {
		t.Errorf("edit not applied: %+v", a)
	}
	if rev.By != "amina" || !rev.At.Equal(now) {
		t.Errorf("revision %+v", rev)
	}
	for _, f := range []string{"title", "severity", "subdivisions", "tlp", "status"} {
		if !rev.Changed(f) {
			t.Errorf("revision does not record %q: %+v", f, rev.Changes)
		}
	}
	if rev.Changed("body") || len(rev.Changes) != 5 {
		t.Errorf("revision records too much: %+v", rev.Changes)
	}
	for _, c := range rev.Changes {
		if c.Field == "tlp" && (c.From != "GREEN" || c.To != "CLEAR") {
			t.Errorf("tlp change %+v", c)
		}
	}

	// Nothing changed.
	same := *a
	if _, err := a.ApplyUpdate(&same, "amina", now); !errors.Is(err, ErrNoChange) {
		t.Errorf("empty update: %v", err)
	}

	// An invalid edit leaves the alert as it was.
	before := *a
	bad := *a
	bad.Title, bad.Countries = "", []string{"XX"}
	if _, err := a.ApplyUpdate(&bad, "amina", now); problemsOf(t, err)["title"] == "" {
		t.Errorf("invalid update: %v", err)
	}
	if a.Title != before.Title || a.Countries[0] != "KE" {
		t.Error("a failed update changed the alert")
	}
}

func TestApplyUpdateKeepsAResolvedAlertResolved(t *testing.T) {
	a := validAlert()
	now := published.Add(time.Hour)
	if err := a.Resolve(now); err != nil {
		t.Fatal(err)
	}
	edited := *a
	edited.Body = a.Body + "\n\nCorrected figures."
	rev, err := a.ApplyUpdate(&edited, "amina", now.Add(time.Hour))
	if err != nil || a.Status != StatusResolved || rev.Changed("status") {
		t.Fatalf("update of a resolved alert: %v, status %q, %+v", err, a.Status, rev)
	}
	if !strings.Contains(a.BodyHTML, "Corrected figures") {
		t.Errorf("BodyHTML not re-rendered: %s", a.BodyHTML)
	}
}
