package alert

import (
	"strings"
	"testing"
	"time"

	"github.com/tocsin-network/tocsin/tlp"
)

func TestHeadline(t *testing.T) {
	tests := []struct {
		fix  func(a *Alert)
		want string
	}{
		{func(a *Alert) {}, "SEVERE · Disinformation · Kenya: Fake polling-station changes sent by SMS"},
		{func(a *Alert) { a.Severity, a.Category = SeverityMinor, CategoryCyberIncident }, "MINOR · Cyber incident · Kenya: Fake polling-station changes sent by SMS"},
		{func(a *Alert) { a.Countries = []string{"CD", "KE"} }, "SEVERE · Disinformation · Democratic Republic of the Congo, Kenya: Fake polling-station changes sent by SMS"},
		{func(a *Alert) { a.Countries = []string{"KE", "UG", "TZ", "RW", "BI"} }, "SEVERE · Disinformation · Kenya, Uganda, Tanzania +2: Fake polling-station changes sent by SMS"},
		{func(a *Alert) { a.Title = "<b>x</b>" }, "SEVERE · Disinformation · Kenya: <b>x</b>"}, // plain text; callers escape
	}
	for _, tt := range tests {
		a := validAlert()
		tt.fix(a)
		if got := a.Headline(); got != tt.want {
			t.Errorf("Headline() = %q\nwant        %q", got, tt.want)
		}
	}
}

func TestStatusLineStartsWithTheTLPLabel(t *testing.T) {
	tests := []struct {
		fix  func(a *Alert)
		want string
	}{
		{func(a *Alert) {}, "TLP:GREEN · Status: active · Expires 2027-08-10"},
		{func(a *Alert) { a.TLP, a.Status = tlp.AmberStrict, StatusResolved }, "TLP:AMBER+STRICT · Status: resolved · Expires 2027-08-10"},
		{func(a *Alert) { a.Expires = time.Date(2027, 8, 10, 21, 0, 0, 0, time.FixedZone("EAT", 3*3600)) }, "TLP:GREEN · Status: active · Expires 2027-08-10 18:00 UTC"},
		{func(a *Alert) { a.TLP, a.Expires = tlp.Clear, time.Time{} }, "TLP:CLEAR · Status: active"},
	}
	for _, tt := range tests {
		a := validAlert()
		tt.fix(a)
		if got := a.StatusLine(); got != tt.want {
			t.Errorf("StatusLine() = %q, want %q", got, tt.want)
		}
	}
}

func TestContentHTMLSaysEverythingInTheFederationSubset(t *testing.T) {
	a := validAlert()
	a.Body += "\n\n<script>alert(1)</script>\n\n- item"
	a.Supersedes = "https://tocsin.example/users/elog/statuses/01J9Z0"
	out := a.ContentHTML()
	for _, want := range []string{
		"<p>TLP:GREEN · Status: active · Expires 2027-08-10</p><p>SEVERE · Disinformation · Kenya: Fake polling-station",
		"Confidence: observed · Election: Kenya general election, 2027-08-09 · Areas: Nairobi City (KE-30)",
		`Replaces <a href="https://tocsin.example/users/elog/statuses/01J9Z0" rel="nofollow noopener noreferrer">an earlier alert</a>`,
		`Voters in Nairobi receive SMS`,
		"• item",
		`<p>Sources:<br><a href="https://news.example/sms" rel="nofollow noopener noreferrer">Report</a></p>`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("content lacks %q:\n%s", want, out)
		}
	}
	if !strings.HasPrefix(out, "<p>TLP:GREEN") {
		t.Errorf("the TLP label must come first: %s", out)
	}
	for tag := range tagsOf(t, out) {
		if tag != "p" && tag != "br" && tag != "a" && tag != "span" {
			t.Errorf("content keeps <%s>", tag)
		}
	}
	a.Title = `<img src=x onerror=alert(1)>`
	if out := a.ContentHTML(); strings.Contains(out, "<img") || !strings.Contains(out, "&lt;img") {
		t.Errorf("title not escaped: %s", out)
	}
}
