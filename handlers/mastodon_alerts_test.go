package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/internal/cluster"
	"github.com/tocsin-network/tocsin/publish"
	"github.com/tocsin-network/tocsin/tlp"
)

// TestLocalAlertsReachTimelinesAsTheirTLPAllows publishes alerts with the
// publishing service (as the CLI and the alert API do) and reads them with
// a member's Mastodon client.
func TestLocalAlertsReachTimelinesAsTheirTLPAllows(t *testing.T) {
	w := newOAuthWorld(t)
	ctx := context.Background()
	s := w.srv
	org := s.CreateAccount(t, "observers", "organization", "publisher")
	s.CreateAccount(t, "member", "person", "member")
	app := w.registerApp("read write follow", "urn:ietf:wg:oauth:2.0:oob")
	member, memberTok := w.statusClient(app, "member")
	acct, err := member.AccountLookup(ctx, "observers")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := member.AccountFollow(ctx, acct.ID); err != nil {
		t.Fatal(err)
	}
	// Organisations approve their followers.
	if err := s.Federation.Outbox.ApproveFollower(ctx, org, s.URL+"/users/member", true); err != nil {
		t.Fatal(err)
	}
	publishAlert := func(l tlp.Level) string {
		rec, err := s.Publish.CreateAlert(ctx, publish.Author{Org: org}, alert.Alert{
			Title: "Kenya: " + l.Label(), Body: "Details.", Severity: "severe", Confidence: "likely",
			Category: "disinformation", Countries: []string{"KE"}, TLP: l, Language: "en",
		})
		if err != nil {
			t.Fatal(err)
		}
		return rec.Seq
	}
	clear, green := publishAlert(tlp.Clear), publishAlert(tlp.Green)
	cluster.Settle(t, s)

	var home []struct {
		ID         string `json:"id"`
		Visibility string `json:"visibility"`
		Tocsin     *struct {
			TLP      string `json:"tlp"`
			Severity string `json:"severity"`
		} `json:"tocsin"`
	}
	r := w.getWithToken(s.URL, "/api/v1/timelines/home?limit=40", memberTok)
	if err := json.Unmarshal([]byte(r.body), &home); err != nil {
		t.Fatalf("home: %d %s", r.status, r.body)
	}
	vis := map[string]string{}
	for _, st := range home {
		if st.Tocsin == nil {
			t.Errorf("status %s in home has no tocsin field", st.ID)
			continue
		}
		vis[st.ID] = st.Visibility + "/" + st.Tocsin.TLP
	}
	if vis[clear] != "public/CLEAR" || vis[green] != "private/GREEN" {
		t.Errorf("home timeline shows %v; want the CLEAR alert public and the GREEN one private", vis)
	}
	r = w.getWithToken(s.URL, "/api/v1/timelines/public", "")
	var public []struct{ ID string }
	_ = json.Unmarshal([]byte(r.body), &public)
	var ids []string
	for _, p := range public {
		ids = append(ids, p.ID)
	}
	if !slices.Contains(ids, clear) || slices.Contains(ids, green) {
		t.Errorf("public timeline %v: want the CLEAR alert and never the GREEN one", ids)
	}
	if r := w.getWithToken(s.URL, "/api/v1/statuses/"+green, ""); r.status != http.StatusNotFound {
		t.Errorf("anonymous GET of the GREEN alert's status: %d", r.status)
	}
}
