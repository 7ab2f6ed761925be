package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-network/tocsin/federation/signature"
	"github.com/tocsin-network/tocsin/internal/cluster"
	"github.com/tocsin-network/tocsin/mastodon"
	"github.com/tocsin-network/tocsin/store"
)

const staffScopes = "read write admin:read admin:write"

// jsonList decodes a JSON array of objects.
func jsonList(t *testing.T, r response) []map[string]any {
	t.Helper()
	var out []map[string]any
	if err := json.Unmarshal([]byte(r.body), &out); err != nil {
		t.Fatalf("not a JSON list (status %d): %s", r.status, r.body)
	}
	return out
}

// auditHas reports whether the audit log, filtered by actor, has an entry
// with the action, a target containing target and the reason.
func auditHas(t *testing.T, w *oauthWorld, token, actor, action, target, reason string) bool {
	t.Helper()
	r := w.apiCall(http.MethodGet, "/api/v1/tocsin/audit?limit=200&actor="+url.QueryEscape(actor), token, nil)
	if r.status != http.StatusOK {
		t.Fatalf("audit: %d %s", r.status, r.body)
	}
	for _, e := range jsonList(t, r) {
		if e["actor"] == actor && e["action"] == action && strings.Contains(e["target"].(string), target) && e["reason"] == reason {
			return true
		}
	}
	return false
}

func TestModeratorsReviewBlockReportAndSuspendThroughTheAdminAPI(t *testing.T) {
	ctx := context.Background()
	a := cluster.Start(t, 0)
	b := cluster.Start(t, 1)
	a.CreateAccount(t, "boss", "person", "admin")
	a.CreateAccount(t, "mod", "person", "moderator")
	alice := a.CreateAccount(t, "alice", "person", "member")
	victim := a.CreateAccount(t, "victim", "person", "member")
	bob := b.CreateAccount(t, "bob", "person", "member")
	bActor := b.URL + "/users/bob"

	w := &oauthWorld{t: t, ctx: ctx, srv: a}
	app := w.registerApp(staffScopes, "urn:ietf:wg:oauth:2.0:oob")
	bossTok := w.token(app, "boss", staffScopes)
	modTok := w.token(app, "mod", staffScopes)
	aliceTok := w.token(app, "alice", "read write")
	victimTok := w.token(app, "victim", "read")

	// alice follows bob; B is not A's peer, so bob's posts are held on A.
	if _, err := a.Federation.Outbox.Follow(ctx, alice, bActor); err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, a, b)
	if f, err := a.DB.Follow(ctx, bActor, a.URL+"/users/alice"); err != nil || f.State != store.FollowAccepted {
		t.Fatalf("alice's follow of bob: %+v %v", f, err)
	}
	timelines := []string{"/api/v1/timelines/home", "/api/v1/timelines/public"}
	inTimelines := func(iri string) (in []string) {
		for _, p := range timelines {
			if r := w.apiCall(http.MethodGet, p, aliceTok, nil); r.status != http.StatusOK {
				t.Fatalf("%s: %d %s", p, r.status, r.body)
			} else if strings.Contains(r.body, iri) {
				in = append(in, p)
			}
		}
		return in
	}

	// Approve: absent before, present after.
	held, err := b.Federation.Outbox.Publish(ctx, bob, federationNote("<p>Turnout figures from the north</p>"))
	if err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, a, b)
	if in := inTimelines(held.IRI); len(in) != 0 {
		t.Fatalf("held post visible before approval in %v", in)
	}
	r := w.apiCall(http.MethodGet, "/api/v1/tocsin/review", modTok, nil)
	queue := jsonList(t, r)
	if len(queue) != 1 || queue[0]["uri"] != held.IRI || queue[0]["origin"] != b.Domain || queue[0]["status"] == nil {
		t.Fatalf("review queue: %s", r.body)
	}
	heldID := queue[0]["id"].(string)
	// Moderators were notified of the new item; members were not.
	for _, who := range []struct {
		tok  string
		want bool
	}{{modTok, true}, {bossTok, true}, {aliceTok, false}} {
		r := w.apiCall(http.MethodGet, "/api/v1/notifications", who.tok, nil)
		if got := strings.Contains(r.body, heldID); got != who.want {
			t.Errorf("notification of the held post: %v, want %v (%d %s)", got, who.want, r.status, r.body)
		}
	}
	if r := w.apiCall(http.MethodPost, "/api/v1/tocsin/review/"+heldID+"/approve", modTok, nil); r.status != http.StatusOK ||
		r.json(t)["moderation"] != store.ModVisible {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	if in := inTimelines(held.IRI); len(in) != len(timelines) {
		t.Errorf("approved post only in %v", in)
	}
	if r := w.apiCall(http.MethodPost, "/api/v1/tocsin/review/"+heldID+"/approve", modTok, nil); r.status != http.StatusConflict {
		t.Errorf("approve twice: %d %s", r.status, r.body)
	}

	// Reject: a reason is required; the post never appears.
	bad, err := b.Federation.Outbox.Publish(ctx, bob, federationNote("<p>Buy followers now</p>"))
	if err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, a, b)
	o, err := a.DB.Object(ctx, bad.IRI)
	if err != nil || o.Moderation != store.ModPending {
		t.Fatalf("second post on A: %+v %v", o, err)
	}
	if r := w.apiCall(http.MethodPost, "/api/v1/tocsin/review/"+o.Seq+"/reject", modTok, nil); r.status != http.StatusUnprocessableEntity {
		t.Errorf("reject without reason: %d %s", r.status, r.body)
	}
	if r := w.apiCall(http.MethodPost, "/api/v1/tocsin/review/"+o.Seq+"/reject", modTok, map[string]any{"reason": "spam"}); r.status != http.StatusOK {
		t.Fatalf("reject: %d %s", r.status, r.body)
	}
	if in := inTimelines(bad.IRI); len(in) != 0 {
		t.Errorf("rejected post in %v", in)
	}
	if r := w.apiCall(http.MethodGet, "/api/v1/tocsin/review", modTok, nil); strings.TrimSpace(r.body) != "[]" {
		t.Errorf("queue after decisions: %s", r.body)
	}

	// A member reports bob, forwarded: B receives the report.
	r = w.apiCall(http.MethodPost, "/api/v1/reports", aliceTok, map[string]any{
		"account_id": mastodon.RemoteAccountID(bActor), "status_ids": []string{heldID},
		"comment": "misleading turnout figures", "forward": true, "category": "violation",
	})
	if r.status != http.StatusOK {
		t.Fatalf("report: %d %s", r.status, r.body)
	}
	rep := r.json(t)
	if rep["forwarded"] != true || rep["target_account"].(map[string]any)["id"] != mastodon.RemoteAccountID(bActor) {
		t.Errorf("report entity: %s", r.body)
	}
	cluster.Settle(t, a, b)
	remote, err := b.DB.Reports(ctx)
	if err != nil || len(remote) != 1 || remote[0].Target != bActor || remote[0].Comment != "misleading turnout figures" ||
		!slices.Contains(remote[0].Objects, held.IRI) {
		t.Fatalf("reports on B: %+v %v", remote, err)
	}

	// The moderator sees and resolves it.
	r = w.apiCall(http.MethodGet, "/api/v1/admin/reports", modTok, nil)
	reports := jsonList(t, r)
	if len(reports) != 1 || reports[0]["id"] != rep["id"] || reports[0]["account"].(map[string]any)["username"] != "alice" ||
		len(reports[0]["statuses"].([]any)) != 1 {
		t.Fatalf("admin reports: %s", r.body)
	}
	r = w.apiCall(http.MethodPost, "/api/v1/admin/reports/"+rep["id"].(string)+"/resolve", modTok,
		map[string]any{"action": "limit", "reason": "repeated misinformation"})
	if r.status != http.StatusOK || r.json(t)["action_taken"] != true {
		t.Fatalf("resolve: %d %s", r.status, r.body)
	}
	if r := w.apiCall(http.MethodGet, "/api/v1/admin/reports", modTok, nil); strings.TrimSpace(r.body) != "[]" {
		t.Errorf("open reports after resolving: %s", r.body)
	}
	if r := w.apiCall(http.MethodGet, "/api/v1/admin/reports?resolved=true", modTok, nil); len(jsonList(t, r)) != 1 {
		t.Errorf("resolved reports: %s", r.body)
	}
	r = w.apiCall(http.MethodGet, "/api/v1/admin/accounts/"+mastodon.RemoteAccountID(bActor), modTok, nil)
	if acct := r.json(t); acct["silenced"] != true || acct["domain"] != b.Domain {
		t.Errorf("bob after the report: %s", r.body)
	}

	// Suspend B's domain: its content goes, its next signed POST is refused.
	r = w.apiCall(http.MethodPost, "/api/v1/admin/domain_blocks", modTok, map[string]any{
		"domain": b.Domain, "severity": "suspend", "public_comment": "coordinated disinformation", "private_comment": "see report",
	})
	if r.status != http.StatusOK {
		t.Fatalf("domain block: %d %s", r.status, r.body)
	}
	if blk := r.json(t); blk["severity"] != "suspend" || blk["public_comment"] != "coordinated disinformation" || blk["private_comment"] != "see report" {
		t.Errorf("domain block entity: %s", r.body)
	}
	if o, err := a.DB.Object(ctx, held.IRI); err == nil && o.Deleted.IsZero() {
		t.Errorf("blocked domain's post still stored: %+v", o)
	}
	if in := inTimelines(held.IRI); len(in) != 0 {
		t.Errorf("blocked domain's post in %v", in)
	}
	if st := signedCreate(t, bob, bActor, a.URL+"/inbox"); st != http.StatusForbidden {
		t.Errorf("signed POST from the blocked domain: %d, want 403", st)
	}
	if r := w.apiCall(http.MethodGet, "/api/v1/admin/domain_blocks/"+b.Domain, modTok, nil); r.status != http.StatusOK {
		t.Errorf("get domain block: %d %s", r.status, r.body)
	}

	// Suspend a local account: its token stops working. A moderator cannot
	// act on an admin.
	if r := w.apiCall(http.MethodGet, "/api/v1/accounts/verify_credentials", victimTok, nil); r.status != http.StatusOK {
		t.Fatalf("victim before: %d", r.status)
	}
	r = w.apiCall(http.MethodPost, "/api/v1/admin/accounts/"+victim.ID+"/action", bossTok, map[string]any{"type": "suspend", "text": "compromised"})
	if r.status != http.StatusOK {
		t.Fatalf("suspend: %d %s", r.status, r.body)
	}
	if r := w.apiCall(http.MethodGet, "/api/v1/accounts/verify_credentials", victimTok, nil); r.status != http.StatusUnauthorized {
		t.Errorf("suspended account's token: %d %s", r.status, r.body)
	}
	r = w.apiCall(http.MethodGet, "/api/v1/admin/accounts?suspended=true", bossTok, nil)
	if list := jsonList(t, r); len(list) != 1 || list[0]["username"] != "victim" || list[0]["disabled"] != true {
		t.Errorf("suspended accounts: %s", r.body)
	}
	boss, _ := a.Accounts.Get(ctx, "boss")
	if r := w.apiCall(http.MethodPost, "/api/v1/admin/accounts/"+boss.ID+"/action", modTok, map[string]any{"type": "suspend"}); r.status != http.StatusForbidden {
		t.Errorf("moderator suspends the admin: %d %s", r.status, r.body)
	}

	// Every action is in the audit log, with who and why.
	for _, e := range []struct{ actor, action, target, reason string }{
		{"mod", "review.approve", held.IRI, ""},
		{"mod", "review.reject", bad.IRI, "spam"},
		{"alice", "report.create", bActor, "misleading turnout figures"},
		{"mod", "report.resolve.limit", bActor, "repeated misinformation"},
		{"mod", "domain.blocked", b.Domain, "coordinated disinformation"},
		{"boss", "account.suspend", "victim", "compromised"},
	} {
		if !auditHas(t, w, bossTok, e.actor, e.action, e.target, e.reason) {
			t.Errorf("audit log lacks %+v", e)
		}
	}

	// Unsuspend restores the account.
	if r := w.apiCall(http.MethodPost, "/api/v1/admin/accounts/"+victim.ID+"/unsuspend", bossTok, nil); r.status != http.StatusOK || r.json(t)["suspended"] != false {
		t.Errorf("unsuspend: %d %s", r.status, r.body)
	}

	// Members get 403 with Mastodon's body, no token 401; never a 500
	// (apiCall fails the test on any 5xx).
	for _, path := range []string{"/api/v1/admin/accounts", "/api/v1/admin/reports", "/api/v1/admin/domain_blocks",
		"/api/v1/admin/domain_allows", "/api/v1/tocsin/review", "/api/v1/tocsin/audit", "/api/v1/tocsin/trust/domains",
		"/api/v1/tocsin/rules", "/api/v1/tocsin/federation"} {
		if r := w.apiCall(http.MethodGet, path, aliceTok, nil); r.status != http.StatusForbidden || strings.TrimSpace(r.body) != outsideScopesBody {
			t.Errorf("member GET %s: %d %s", path, r.status, r.body)
		}
		if r := w.apiCall(http.MethodGet, path, "", nil); r.status != http.StatusUnauthorized || strings.TrimSpace(r.body) != invalidTokenBody {
			t.Errorf("anonymous GET %s: %d %s", path, r.status, r.body)
		}
	}
	if r := w.apiCall(http.MethodPost, "/api/v1/admin/accounts/"+victim.ID+"/action", aliceTok, map[string]any{"type": "suspend"}); r.status != http.StatusForbidden {
		t.Errorf("member suspends: %d %s", r.status, r.body)
	}
	if r := w.apiCall(http.MethodPost, "/api/v1/reports", "", map[string]any{"account_id": victim.ID}); r.status != http.StatusUnauthorized {
		t.Errorf("anonymous report: %d %s", r.status, r.body)
	}
}

// signedCreate POSTs a Create signed by a remote account's key and
// returns the status.
func signedCreate(t *testing.T, acct *store.Account, actor, inbox string) int {
	t.Helper()
	key, err := signature.ParsePrivateKeyPEM(acct.PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := signature.NewSigner(actor+"#main-key", key)
	if err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("%s/statuses/late-%d", actor, time.Now().UnixNano())
	body, _ := json.Marshal(map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams", "id": id + "/activity", "type": "Create", "actor": actor,
		"to": []string{"https://www.w3.org/ns/activitystreams#Public"},
		"object": map[string]any{"id": id, "type": "Note", "attributedTo": actor, "content": "<p>still here</p>",
			"to": []string{"https://www.w3.org/ns/activitystreams#Public"}},
	})
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
