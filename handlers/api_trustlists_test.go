package handlers_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-network/tocsin/internal/cluster"
	"github.com/tocsin-network/tocsin/moderation"
	"github.com/tocsin-network/tocsin/store"
)

// fetchAS GETs an ActivityPub document unsigned, as anyone may.
func fetchAS(t *testing.T, u string) (map[string]any, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Accept", "application/activity+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/activity+json") {
		t.Errorf("GET %s: Content-Type %q", u, ct)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return m, string(body)
}

// changesOf maps domain -> "action:from>to" of a preview or apply answer.
func changesOf(t *testing.T, r response) map[string]string {
	t.Helper()
	var p struct {
		Changes []struct{ Domain, Action, From, To, Subscription string }
	}
	if r.status != http.StatusOK {
		t.Fatalf("changes: %d %s", r.status, r.body)
	}
	if err := json.Unmarshal([]byte(r.body), &p); err != nil {
		t.Fatalf("changes: %v %s", err, r.body)
	}
	out := map[string]string{}
	for _, c := range p.Changes {
		out[c.Domain] = c.Action + ":" + c.From + ">" + c.To
	}
	return out
}

// wantLevel checks a domain's effective level on srv and whether an admin
// or a list set it.
func wantLevel(t *testing.T, srv *cluster.Server, domain, level string, explicit bool) {
	t.Helper()
	got, exp, err := srv.Moderation.DomainLevel(context.Background(), domain)
	if err != nil || got != level || exp != explicit {
		t.Errorf("%s on %s: level %q explicit %v (%v), want %q explicit %v", domain, srv.Domain, got, exp, err, level, explicit)
	}
}

func TestPublishedTrustListHasDomainDecisionsWithPublicReasonsOnly(t *testing.T) {
	ctx := context.Background()
	b := cluster.Start(t, 1)
	mod := b.Moderation
	must := func(_ *store.Trust, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(mod.SetDomainTrust(ctx, "bmod", "x.example", store.TrustBlocked, "spam farm", "PRIVATE-NOTE-X"))
	must(mod.SetDomainTrust(ctx, "bmod", "y.example", store.TrustLimited, "low quality", "PRIVATE-NOTE-Y"))
	must(mod.SetDomainTrust(ctx, "bmod", "friend.example", store.TrustTrusted, "partner", ""))
	must(mod.SetActorTrust(ctx, "bmod", "https://z.example/users/troll", store.TrustBlocked, "abuse"))

	actor, _ := fetchAS(t, b.URL+"/actor")
	if actor["tocsin:trustList"] != b.URL+"/trust-list" {
		t.Fatalf("instance actor links %v, want %s/trust-list", actor["tocsin:trustList"], b.URL)
	}
	head, _ := fetchAS(t, b.URL+"/trust-list")
	if head["type"] != "OrderedCollection" || head["totalItems"] != float64(2) || head["first"] != b.URL+"/trust-list?page=1" {
		t.Errorf("collection: %v", head)
	}
	page, body := fetchAS(t, b.URL+"/trust-list?page=1")
	items, _ := page["orderedItems"].([]any)
	if page["type"] != "OrderedCollectionPage" || page["partOf"] != b.URL+"/trust-list" || len(items) != 2 {
		t.Fatalf("page: %s", body)
	}
	first := items[0].(map[string]any)
	if first["type"] != "tocsin:DomainTrust" || first["tocsin:domain"] != "x.example" || first["tocsin:trustLevel"] != "blocked" ||
		first["tocsin:reason"] != "spam farm" || first["updated"] == nil {
		t.Errorf("first item: %v", first)
	}
	for _, never := range []string{"PRIVATE-NOTE", "z.example", "troll", "friend.example"} {
		if strings.Contains(body, never) {
			t.Errorf("published list contains %q: %s", never, body)
		}
	}
}

func TestTrustListSubscriptionPreviewApplyRefreshPriorityAndAudit(t *testing.T) {
	ctx := context.Background()
	a, b, c := cluster.Start(t, 0), cluster.Start(t, 1), cluster.Start(t, 2)
	w := &oauthWorld{t: t, ctx: ctx, srv: a}
	a.CreateAccount(t, "boss", "person", "admin")
	app := w.registerApp(staffScopes, "urn:ietf:wg:oauth:2.0:oob")
	tok := w.token(app, "boss", staffScopes)
	set := func(srv *cluster.Server, domain, level, reason string) {
		t.Helper()
		if _, err := srv.Moderation.SetDomainTrust(ctx, "mod", domain, level, reason, "private"); err != nil {
			t.Fatal(err)
		}
	}
	set(b, "x.example", store.TrustBlocked, "spam farm")
	set(b, "y.example", store.TrustLimited, "low quality")
	set(b, "w.example", store.TrustBlocked, "scams")
	set(b, "partner.example", store.TrustBlocked, "B dislikes them")
	// A trusts partner.example itself: no list may change that.
	if r := w.apiCall(http.MethodPut, "/api/v1/tocsin/trust/domains/partner.example", tok, map[string]any{"level": "trusted"}); r.status != http.StatusOK {
		t.Fatalf("local trust: %d %s", r.status, r.body)
	}
	// Content from x.example is here before the block.
	xPost := "https://x.example/users/spammer/statuses/1"
	if err := a.DB.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.PutObject(&store.Object{IRI: xPost, Type: "Note", AttributedTo: "https://x.example/users/spammer", ReceivedFrom: "x.example",
			Raw: json.RawMessage(`{"id":"` + xPost + `","type":"Note"}`), Published: time.Now(), Moderation: store.ModVisible})
		return err
	}); err != nil {
		t.Fatal(err)
	}

	// Subscribe by B's domain: its instance actor names the list.
	r := w.apiCall(http.MethodPost, "/api/v1/tocsin/trust/subscriptions", tok, map[string]any{"source": b.Domain, "priority": 10})
	if r.status != http.StatusOK {
		t.Fatalf("subscribe: %d %s", r.status, r.body)
	}
	subB := r.json(t)
	idB, _ := subB["id"].(string)
	if subB["url"] != b.URL+"/trust-list" || subB["mode"] != "review" || subB["entries"] != float64(4) || subB["last_error"] != nil {
		t.Fatalf("subscription: %s", r.body)
	}
	if r := w.apiCall(http.MethodPost, "/api/v1/tocsin/trust/subscriptions", tok, map[string]any{"source": b.URL + "/trust-list"}); r.status != http.StatusConflict {
		t.Errorf("second subscription to the same list: %d %s", r.status, r.body)
	}
	// Review mode: nothing changed yet.
	wantLevel(t, a, "x.example", store.TrustReview, false)

	got := changesOf(t, w.apiCall(http.MethodGet, "/api/v1/tocsin/trust/subscriptions/"+idB+"/preview", tok, nil))
	want := map[string]string{"x.example": "add:>blocked", "y.example": "add:>limited", "w.example": "add:>blocked",
		"partner.example": "skip:trusted>blocked"}
	if !maps.Equal(got, want) {
		t.Errorf("preview: %v, want %v", got, want)
	}
	if list := jsonList(t, w.apiCall(http.MethodGet, "/api/v1/tocsin/trust/subscriptions", tok, nil)); len(list) != 1 || list[0]["pending"] != float64(3) {
		t.Errorf("subscriptions before apply: %v", list)
	}
	if got := changesOf(t, w.apiCall(http.MethodPost, "/api/v1/tocsin/trust/subscriptions/"+idB+"/apply", tok, nil)); !maps.Equal(got, want) {
		t.Errorf("apply: %v, want %v", got, want)
	}
	wantLevel(t, a, "x.example", store.TrustBlocked, true)
	wantLevel(t, a, "y.example", store.TrustLimited, true)
	wantLevel(t, a, "partner.example", store.TrustTrusted, true)
	if r := w.apiCall(http.MethodGet, "/api/v1/tocsin/trust/domains/x.example", tok, nil); r.json(t)["source"] != idB || r.json(t)["reason"] != "spam farm" {
		t.Errorf("x.example decision: %s", r.body)
	}
	if r := w.apiCall(http.MethodGet, "/api/v1/tocsin/trust/domains/partner.example", tok, nil); r.json(t)["source"] != "local" {
		t.Errorf("partner.example decision: %s", r.body)
	}
	if _, err := a.DB.Object(ctx, xPost); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("x.example's post survived the block through the list: %v", err)
	}
	if err := a.Federation.Policy().AllowInbound(ctx, "x.example"); err == nil {
		t.Errorf("x.example is still let in after the block through the list")
	}
	// The audit log names the subscription for every change.
	var audit []struct{ Actor, Action, Target, Details string }
	r = w.apiCall(http.MethodGet, "/api/v1/tocsin/audit?action=domain.", tok, nil)
	if err := json.Unmarshal([]byte(r.body), &audit); err != nil {
		t.Fatalf("audit: %s", r.body)
	}
	fromList := map[string]string{}
	for _, e := range audit {
		if strings.Contains(e.Details, idB) {
			fromList[e.Target] = e.Action
			if e.Actor != "boss" {
				t.Errorf("audit entry of %s by %q, want boss", e.Target, e.Actor)
			}
		}
	}
	if !maps.Equal(fromList, map[string]string{"x.example": "domain.blocked", "y.example": "domain.limited", "w.example": "domain.blocked"}) {
		t.Errorf("audit entries naming the subscription: %v (all: %+v)", fromList, audit)
	}

	// B lifts its block of x.example: A's refresh fetches it, the
	// preview shows the removal, applying it lifts A's block.
	if err := b.Moderation.ClearDomainTrust(ctx, "mod", "x.example", "mistake"); err != nil {
		t.Fatal(err)
	}
	if r := w.apiCall(http.MethodPost, "/api/v1/tocsin/trust/subscriptions/"+idB+"/refresh", tok, nil); r.status != http.StatusOK || r.json(t)["entries"] != float64(3) {
		t.Fatalf("refresh: %d %s", r.status, r.body)
	}
	wantLevel(t, a, "x.example", store.TrustBlocked, true) // review mode: waits
	if got := changesOf(t, w.apiCall(http.MethodPost, "/api/v1/tocsin/trust/subscriptions/"+idB+"/apply", tok, nil)); !maps.Equal(got, map[string]string{
		"x.example": "remove:blocked>", "partner.example": "skip:trusted>blocked"}) {
		t.Errorf("apply after B's unblock: %v", got)
	}
	wantLevel(t, a, "x.example", store.TrustReview, false)

	// A second list, in auto mode and with a higher priority, that
	// disagrees with B: it wins, without review.
	set(c, "y.example", store.TrustBlocked, "C: worse than low quality")
	set(c, "w.example", store.TrustLimited, "C: only limited")
	set(c, "v.example", store.TrustBlocked, "C: malware")
	r = w.apiCall(http.MethodPost, "/api/v1/tocsin/trust/subscriptions", tok, map[string]any{"source": c.URL + "/trust-list", "priority": 20, "mode": "auto"})
	if r.status != http.StatusOK || r.json(t)["mode"] != "auto" {
		t.Fatalf("subscribe to C: %d %s", r.status, r.body)
	}
	idC := r.json(t)["id"].(string)
	wantLevel(t, a, "y.example", store.TrustBlocked, true)
	wantLevel(t, a, "w.example", store.TrustLimited, true)
	wantLevel(t, a, "v.example", store.TrustBlocked, true)
	if tr, _ := a.DB.Trust(ctx, "w.example", true); tr == nil || tr.Source != idC || tr.By != "boss" {
		t.Errorf("w.example decided by %+v, want subscription %s", tr, idC)
	}
	// C lifts v.example: the scheduled refresh (run now, not waited for)
	// lifts it here without review.
	if err := c.Moderation.ClearDomainTrust(ctx, "mod", "v.example", ""); err != nil {
		t.Fatal(err)
	}
	if n, err := a.Moderation.RefreshDueTrustLists(ctx, 0); err != nil || n != 2 {
		t.Fatalf("refresh due: %d %v", n, err)
	}
	wantLevel(t, a, "v.example", store.TrustReview, false)
	if tr, _ := a.DB.Trust(ctx, "y.example", true); tr == nil || tr.Source != idC {
		t.Errorf("y.example after refresh: %+v", tr)
	}
	audit = nil
	r = w.apiCall(http.MethodGet, "/api/v1/tocsin/audit?target=v.example", tok, nil)
	_ = json.Unmarshal([]byte(r.body), &audit)
	if len(audit) != 2 || audit[0].Action != "domain.clear" || audit[0].Actor != "system" || !strings.Contains(audit[0].Details, idC) {
		t.Errorf("audit of v.example: %+v", audit)
	}

	// A list that cannot be fetched: the error is recorded and shown,
	// nothing changes.
	c.Stop(t)
	if _, err := a.Moderation.RefreshTrustList(ctx, "system", idC); err == nil {
		t.Errorf("refresh of a stopped server's list succeeded")
	}
	list := jsonList(t, w.apiCall(http.MethodGet, "/api/v1/tocsin/trust/subscriptions", tok, nil))
	i := slices.IndexFunc(list, func(m map[string]any) bool { return m["id"] == idC })
	if i < 0 || list[i]["last_error"] == nil || list[i]["last_error"] == "" || list[i]["last_fetch"] == nil {
		t.Errorf("failed fetch not shown: %v", list)
	}
	wantLevel(t, a, "y.example", store.TrustBlocked, true)

	// Unsubscribing from C hands its domains back to B's decisions.
	if got := changesOf(t, w.apiCall(http.MethodDelete, "/api/v1/tocsin/trust/subscriptions/"+idC, tok, nil)); !maps.Equal(got, map[string]string{
		"y.example": "downgrade:blocked>limited", "w.example": "upgrade:limited>blocked"}) {
		t.Errorf("unsubscribe: %v", got)
	}
	wantLevel(t, a, "y.example", store.TrustLimited, true)
	wantLevel(t, a, "w.example", store.TrustBlocked, true)
	if list := jsonList(t, w.apiCall(http.MethodGet, "/api/v1/tocsin/trust/subscriptions", tok, nil)); len(list) != 1 || list[0]["id"] != idB {
		t.Errorf("subscriptions after unsubscribe: %v", list)
	}
}

func TestTrustListSubscriptionsAreForStaffOnly(t *testing.T) {
	ctx := context.Background()
	a := cluster.Start(t, 0)
	w := &oauthWorld{t: t, ctx: ctx, srv: a}
	a.CreateAccount(t, "alice", "person", "member")
	app := w.registerApp(staffScopes, "urn:ietf:wg:oauth:2.0:oob")
	member := w.token(app, "alice", "read write")
	for _, rt := range []struct{ method, path string }{
		{http.MethodGet, "/api/v1/tocsin/trust/subscriptions"},
		{http.MethodPost, "/api/v1/tocsin/trust/subscriptions"},
		{http.MethodGet, "/api/v1/tocsin/trust/subscriptions/X/preview"},
		{http.MethodPost, "/api/v1/tocsin/trust/subscriptions/X/apply"},
		{http.MethodPost, "/api/v1/tocsin/trust/subscriptions/X/refresh"},
		{http.MethodDelete, "/api/v1/tocsin/trust/subscriptions/X"},
	} {
		if r := w.apiCall(rt.method, rt.path, "", map[string]any{"source": "b.example"}); r.status != http.StatusUnauthorized {
			t.Errorf("anonymous %s %s: %d", rt.method, rt.path, r.status)
		}
		if r := w.apiCall(rt.method, rt.path, member, map[string]any{"source": "b.example"}); r.status != http.StatusForbidden {
			t.Errorf("member %s %s: %d %s", rt.method, rt.path, r.status, r.body)
		}
	}
	if subs, err := a.DB.TrustSubscriptions(ctx); err != nil || len(subs) != 0 {
		t.Errorf("subscriptions made by refused requests: %v %v", subs, err)
	}
}

func TestTrustListUnderAuthorizedFetchNeedsASignatureFromAnAllowedHost(t *testing.T) {
	ctx := context.Background()
	a, b := cluster.Start(t, 0), cluster.Start(t, 1, func(c *cluster.Config) { c.Federation.AuthorizedFetch = true })
	if _, err := b.Moderation.SetDomainTrust(ctx, "mod", "x.example", store.TrustBlocked, "spam", ""); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/trust-list", "/trust-list?page=1"} {
		req, _ := http.NewRequest(http.MethodGet, b.URL+path, nil)
		req.Header.Set("Accept", "application/activity+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || strings.Contains(string(body), "x.example") {
			t.Errorf("unsigned GET %s: %d %s", path, resp.StatusCode, body)
		}
	}
	// A's fetches are signed by its instance actor: the list is read.
	sub, err := a.Moderation.Subscribe(ctx, "boss", moderation.SubscribeInput{Source: b.Domain})
	if err != nil || sub.Entries != 1 || sub.LastError != "" {
		t.Fatalf("subscribe under authorized fetch: %+v %v", sub, err)
	}
	// Once B blocks A, A's signed fetch is refused too, and A records it.
	if _, err := b.Moderation.SetDomainTrust(ctx, "mod", a.Domain, store.TrustBlocked, "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Moderation.RefreshTrustList(ctx, "system", sub.ID); err == nil {
		t.Errorf("a blocked instance read the list")
	}
	if got, _ := a.DB.TrustSubscription(ctx, sub.ID); got == nil || !strings.Contains(got.LastError, "403") || got.Entries != 1 {
		t.Errorf("after a refused fetch: %+v", got)
	}
}

func TestAutoSubscriptionFollowsTheListOnTheInstancesSchedule(t *testing.T) {
	ctx := context.Background()
	a := cluster.Start(t, 0, func(c *cluster.Config) { c.Federation.TrustListRefresh = 100 * time.Millisecond })
	b := cluster.Start(t, 1)
	sub, err := a.Moderation.Subscribe(ctx, "boss", moderation.SubscribeInput{Source: b.URL + "/trust-list", Auto: true})
	if err != nil || sub.Entries != 0 {
		t.Fatalf("subscribe: %+v %v", sub, err)
	}
	// Nothing triggers A: its refresh worker picks the new block up.
	if _, err := b.Moderation.SetDomainTrust(ctx, "bmod", "late.example", store.TrustBlocked, "found later", ""); err != nil {
		t.Fatal(err)
	}
	cluster.Eventually(t, "A's worker applies B's new block", func() bool {
		lvl, _, _ := a.Moderation.DomainLevel(ctx, "late.example")
		return lvl == store.TrustBlocked
	})
	audit, _ := a.DB.AuditLog(ctx, store.AuditFilter{Target: "late.example"})
	if len(audit) != 1 || audit[0].Actor != "system" || !strings.Contains(audit[0].Details, sub.ID) {
		t.Errorf("audit of the scheduled change: %+v", audit)
	}
}
