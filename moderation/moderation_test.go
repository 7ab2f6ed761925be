package moderation_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/federation"
	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/federation/signature"
	"github.com/tocsin-network/tocsin/internal/cluster"
	"github.com/tocsin-network/tocsin/publish"
	"github.com/tocsin-network/tocsin/store"
	"github.com/tocsin-network/tocsin/tlp"
)

func note(text string) federation.NoteInput {
	return federation.NoteInput{Content: "<p>" + text + "</p>", Language: "en", Audience: federation.Audience{Public: true}}
}

func object(t *testing.T, s *cluster.Server, iri string) *store.Object {
	t.Helper()
	o, err := s.DB.Object(context.Background(), iri)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func audited(t *testing.T, s *cluster.Server, action, target string) *store.AuditEntry {
	t.Helper()
	entries, err := s.DB.AuditLog(context.Background(), store.AuditFilter{Action: action, Target: target, Limit: 10})
	if err != nil || len(entries) == 0 {
		t.Errorf("no %s of %s in the audit log (%v)", action, target, err)
		return nil
	}
	return entries[0]
}

func TestTrustedReviewedAndBlockedOrigins(t *testing.T) {
	ctx := context.Background()
	start := func(i int) (*cluster.Server, *store.Account) {
		s := cluster.Start(t, i, func(c *cluster.Config) { c.Instance.ContactAccount = "org" })
		return s, s.CreateAccount(t, "org", "organization", "publisher")
	}
	a, orgA := start(0)
	b, orgB := start(1)
	c, orgC := start(2)
	// A trusts B (a peer) and has no decision about C: C's posts are reviewed.
	if _, err := a.Federation.AddPeer(ctx, orgA, "org@"+b.Domain); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Federation.AddPeer(ctx, orgB, "org@"+a.Domain); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Federation.Outbox.Follow(ctx, orgA, c.URL+"/users/org"); err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, a, b, c)
	if err := c.Federation.Outbox.ApproveFollower(ctx, orgC, a.URL+"/users/org", true); err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, a, b, c)

	fromB, err := b.Publish.CreateAlert(ctx, publish.Author{Org: orgB}, alert.Alert{
		Title: "Uganda: polling station moved", Body: "Moved overnight.", Severity: "moderate", Confidence: "observed",
		Category: "administration-failure", Countries: []string{"UG"}, TLP: tlp.Clear, Language: "en",
	})
	if err != nil {
		t.Fatal(err)
	}
	held, err := c.Federation.Outbox.Publish(ctx, orgC, note("C's first post"))
	if err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, a, b, c)
	if o := object(t, a, fromB.IRI); o == nil || o.Moderation != store.ModVisible {
		t.Fatalf("B's alert on A: %+v", o)
	}
	if rec, err := a.Publish.GetAlert(ctx, fromB.IRI); err != nil || rec.Moderation != store.ModVisible {
		t.Errorf("B's alert record on A: %+v %v", rec, err)
	}
	if o := object(t, a, held.IRI); o == nil || o.Moderation != store.ModPending {
		t.Fatalf("C's post on A should wait for review: %+v", o)
	}
	queue, err := a.DB.ReviewQueue(ctx, "", 10)
	if err != nil || len(queue) != 1 || queue[0].IRI != held.IRI {
		t.Fatalf("review queue: %v %v", queue, err)
	}

	if _, err := a.Moderation.Approve(ctx, "moderator1", held.IRI); err != nil {
		t.Fatal(err)
	}
	if o := object(t, a, held.IRI); o.Moderation != store.ModVisible {
		t.Errorf("approved post: %s", o.Moderation)
	}
	audited(t, a, "review.approve", held.IRI)

	second, err := c.Federation.Outbox.Publish(ctx, orgC, note("C's second post, a hoax"))
	if err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, a, b, c)
	if err := a.Moderation.Reject(ctx, "moderator1", second.IRI, ""); err == nil {
		t.Errorf("a rejection without a reason was accepted")
	}
	if err := a.Moderation.Reject(ctx, "moderator1", second.IRI, "known hoax"); err != nil {
		t.Fatal(err)
	}
	if object(t, a, second.IRI) != nil {
		t.Errorf("rejected post is still stored")
	}
	if r, err := a.DB.Rejection(ctx, second.IRI); err != nil || r.Reason != "known hoax" || r.By != "moderator1" {
		t.Errorf("rejection: %+v %v", r, err)
	}
	if e := audited(t, a, "review.reject", second.IRI); e != nil && e.Reason != "known hoax" {
		t.Errorf("audit entry: %+v", e)
	}
	if q, _ := a.DB.ReviewQueue(ctx, "", 10); len(q) != 0 {
		t.Errorf("review queue not empty: %v", q)
	}

	// Block C: its earlier content and the follow relation go; its
	// correctly signed POSTs are refused and nothing is stored.
	if _, err := a.Moderation.SetDomainTrust(ctx, "admin1", c.Domain, store.TrustBlocked, "hoax factory", ""); err != nil {
		t.Fatal(err)
	}
	if object(t, a, held.IRI) != nil {
		t.Errorf("blocked domain's content is still stored")
	}
	if _, err := a.DB.Follow(ctx, c.URL+"/users/org", a.URL+"/users/org"); err == nil {
		t.Errorf("A still follows the blocked domain's account")
	}
	audited(t, a, "domain.blocked", c.Domain)
	status := signedPost(t, c, orgC, a.URL+"/inbox", ap.NewCreate(c.URL+"/users/org/statuses/x/activity", c.URL+"/users/org",
		map[string]any{"id": c.URL + "/users/org/statuses/x", "type": "Note", "attributedTo": c.URL + "/users/org", "content": "after the block"},
		[]string{ap.PublicIRI}, nil, time.Now()))
	if status != http.StatusForbidden {
		t.Errorf("signed POST from a blocked domain: %d, want 403", status)
	}
	if n, _ := a.DB.JournalLength(ctx); n != 0 || object(t, a, c.URL+"/users/org/statuses/x") != nil {
		t.Errorf("something from the blocked domain was stored")
	}

	// Reports: a Flag from B becomes a report on A; A's report about B's
	// alert is forwarded to B.
	if _, err := b.Federation.Outbox.Flag(ctx, []string{a.URL + "/users/org"}, "spam from A?"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Moderation.Report(ctx, "member1", b.URL+"/users/org", []string{fromB.IRI}, "wrong country", true); err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, a, b)
	reportsOn := func(s *cluster.Server) []*store.Report {
		rs, err := s.DB.Reports(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	found := false
	for _, r := range reportsOn(a) {
		if r.Reporter == b.URL+"/actor" && r.Target == a.URL+"/users/org" && r.Comment == "spam from A?" {
			found = true
		}
	}
	if !found {
		t.Errorf("B's Flag is not a report on A: %+v", reportsOn(a))
	}
	found = false
	for _, r := range reportsOn(b) {
		if r.Reporter == a.URL+"/actor" && r.Target == b.URL+"/users/org" && len(r.Objects) == 1 && r.Objects[0] == fromB.IRI {
			found = true
		}
	}
	if !found {
		t.Errorf("A's forwarded report did not reach B: %+v", reportsOn(b))
	}
	var local *store.Report
	for _, r := range reportsOn(a) {
		if r.Local {
			local = r
		}
	}
	if local == nil || local.Forwarded == "" {
		t.Fatalf("A's own report: %+v", local)
	}
	if _, err := a.Moderation.ResolveReport(ctx, "moderator1", local.ID, "limit", "repeated errors"); err != nil {
		t.Fatal(err)
	}
	if tr, err := a.DB.Trust(ctx, b.URL+"/users/org", false); err != nil || tr.Level != store.TrustLimited {
		t.Errorf("limit action: %+v %v", tr, err)
	}
	audited(t, a, "report.resolve.limit", b.URL+"/users/org")
}

func TestAllowlistModeRefusesUnlistedDomainsBothWays(t *testing.T) {
	ctx := context.Background()
	a := cluster.Start(t, 0, func(c *cluster.Config) { c.Federation.Mode = "allowlist" })
	orgA := a.CreateAccount(t, "org", "organization", "publisher")
	b := cluster.Start(t, 1)
	orgB := b.CreateAccount(t, "org", "organization", "publisher")
	c := cluster.Start(t, 2)
	orgC := c.CreateAccount(t, "org", "organization", "publisher")
	// B is listed; C is not.
	if _, err := a.Moderation.SetDomainTrust(ctx, "admin1", b.Domain, store.TrustTrusted, "", ""); err != nil {
		t.Fatal(err)
	}
	for _, sender := range []struct {
		s    *cluster.Server
		org  *store.Account
		want int
	}{{b, orgB, http.StatusAccepted}, {c, orgC, http.StatusForbidden}} {
		status := signedPost(t, sender.s, sender.org, a.URL+"/inbox", ap.NewCreate(sender.s.URL+"/users/org/statuses/1/activity", sender.s.URL+"/users/org",
			map[string]any{"id": sender.s.URL + "/users/org/statuses/1", "type": "Note", "attributedTo": sender.s.URL + "/users/org", "content": "hi"},
			[]string{ap.PublicIRI}, nil, time.Now()))
		if status != sender.want {
			t.Errorf("POST from %s: %d, want %d", sender.s.Domain, status, sender.want)
		}
	}
	if err := a.Federation.Policy().AllowOutbound(ctx, c.Domain); err == nil {
		t.Errorf("deliveries to an unlisted domain are allowed")
	}
	if err := a.Federation.Policy().AllowOutbound(ctx, b.Domain); err != nil {
		t.Errorf("deliveries to a listed domain refused: %v", err)
	}
	_ = orgA
}

// signedPost POSTs activity to inbox signed by acct of server s.
func signedPost(t *testing.T, s *cluster.Server, acct *store.Account, inbox string, activity map[string]any) int {
	t.Helper()
	key, err := signature.ParsePrivateKeyPEM(acct.PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := signature.NewSigner(fmt.Sprintf("%s/users/%s#main-key", s.URL, acct.Username), key)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := ap.Marshal(activity)
	req, _ := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/activity+json")
	if err := signer.Sign(req, body, false); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
