package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/tocsin-network/tocsin/internal/cluster"
	"github.com/tocsin-network/tocsin/moderation"
)

func TestTrustRulesAllowsAndTheAuditLogThroughTheModerationAPI(t *testing.T) {
	ctx := context.Background()
	srv := cluster.Start(t, 0, func(c *cluster.Config) { c.Federation.Mode = moderation.ModeAllowlist })
	w := &oauthWorld{t: t, ctx: ctx, srv: srv}
	srv.CreateAccount(t, "boss", "person", "admin")
	member := srv.CreateAccount(t, "alice", "person", "member")
	app := w.registerApp(staffScopes, "urn:ietf:wg:oauth:2.0:oob")
	tok := w.token(app, "boss", staffScopes)

	if r := w.apiCall(http.MethodGet, "/api/v1/tocsin/federation", tok, nil); r.status != http.StatusOK || r.json(t)["mode"] != "allowlist" {
		t.Errorf("federation: %d %s", r.status, r.body)
	}

	// Trust per domain: default, set, read, clear.
	if r := w.apiCall(http.MethodGet, "/api/v1/tocsin/trust/domains/news.example", tok, nil); r.json(t)["level"] != "review" || r.json(t)["explicit"] != false {
		t.Errorf("default level: %s", r.body)
	}
	r := w.apiCall(http.MethodPut, "/api/v1/tocsin/trust/domains/news.example", tok, map[string]any{"level": "limited", "reason": "low quality", "note": "watch"})
	if r.status != http.StatusOK || r.json(t)["level"] != "limited" || r.json(t)["by"] != "boss" {
		t.Fatalf("put domain trust: %d %s", r.status, r.body)
	}
	if r := w.apiCall(http.MethodPut, "/api/v1/tocsin/trust/domains/news.example", tok, map[string]any{"level": "maybe"}); r.status != http.StatusUnprocessableEntity {
		t.Errorf("bad level: %d %s", r.status, r.body)
	}
	if list := jsonList(t, w.apiCall(http.MethodGet, "/api/v1/tocsin/trust/domains", tok, nil)); len(list) != 1 || list[0]["domain"] != "news.example" {
		t.Errorf("domain trust list: %v", list)
	}
	// A limited domain is a silenced domain block for Mastodon clients.
	if list := jsonList(t, w.apiCall(http.MethodGet, "/api/v1/admin/domain_blocks", tok, nil)); len(list) != 1 || list[0]["severity"] != "silence" || list[0]["public_comment"] != "low quality" {
		t.Errorf("domain blocks: %v", list)
	}
	if r := w.apiCall(http.MethodPut, "/api/v1/admin/domain_blocks/news.example", tok, map[string]any{"severity": "noop"}); r.status != http.StatusOK ||
		r.json(t)["severity"] != "noop" || r.json(t)["public_comment"] != "low quality" {
		t.Errorf("update domain block: %d %s", r.status, r.body)
	}
	if r := w.apiCall(http.MethodDelete, "/api/v1/tocsin/trust/domains/news.example", tok, nil); r.status != http.StatusOK {
		t.Errorf("clear domain trust: %d %s", r.status, r.body)
	}
	if r := w.apiCall(http.MethodDelete, "/api/v1/admin/domain_blocks/news.example", tok, nil); r.status != http.StatusNotFound {
		t.Errorf("delete a lifted block: %d %s", r.status, r.body)
	}

	// Domain allows: the trusted level.
	r = w.apiCall(http.MethodPost, "/api/v1/admin/domain_allows", tok, map[string]any{"domain": "Partner.Example"})
	if r.status != http.StatusOK || r.json(t)["domain"] != "partner.example" {
		t.Fatalf("domain allow: %d %s", r.status, r.body)
	}
	if list := jsonList(t, w.apiCall(http.MethodGet, "/api/v1/admin/domain_allows", tok, nil)); len(list) != 1 {
		t.Errorf("domain allows: %v", list)
	}
	if lvl, explicit, err := srv.Moderation.DomainLevel(ctx, "partner.example"); err != nil || lvl != "trusted" || !explicit {
		t.Errorf("allowed domain level: %s %v %v", lvl, explicit, err)
	}
	if r := w.apiCall(http.MethodDelete, "/api/v1/admin/domain_allows/partner.example", tok, nil); r.status != http.StatusOK {
		t.Errorf("delete domain allow: %d %s", r.status, r.body)
	}

	// Actor trust.
	actor := "https://news.example/users/troll"
	if r := w.apiCall(http.MethodPut, "/api/v1/tocsin/trust/actors", tok, map[string]any{"actor": actor, "level": "blocked", "reason": "abuse"}); r.status != http.StatusOK {
		t.Errorf("actor trust: %d %s", r.status, r.body)
	}
	if r := w.apiCall(http.MethodPut, "/api/v1/tocsin/trust/actors", tok, map[string]any{"level": "blocked"}); r.status != http.StatusUnprocessableEntity {
		t.Errorf("actor trust without actor: %d %s", r.status, r.body)
	}
	if list := jsonList(t, w.apiCall(http.MethodGet, "/api/v1/admin/accounts?remote=true", tok, nil)); len(list) != 1 || list[0]["suspended"] != true {
		t.Errorf("remote admin accounts: %v", list)
	}

	// Rules.
	r = w.apiCall(http.MethodPost, "/api/v1/tocsin/rules", tok, map[string]any{"kind": "keyword", "pattern": "miracle cure"})
	if r.status != http.StatusOK {
		t.Fatalf("add rule: %d %s", r.status, r.body)
	}
	ruleID := r.json(t)["id"].(string)
	if r := w.apiCall(http.MethodPost, "/api/v1/tocsin/rules", tok, map[string]any{"kind": "regex", "pattern": "x"}); r.status != http.StatusUnprocessableEntity {
		t.Errorf("bad rule: %d %s", r.status, r.body)
	}
	if list := jsonList(t, w.apiCall(http.MethodGet, "/api/v1/tocsin/rules", tok, nil)); len(list) != 1 || list[0]["pattern"] != "miracle cure" {
		t.Errorf("rules: %v", list)
	}
	if r := w.apiCall(http.MethodDelete, "/api/v1/tocsin/rules/"+ruleID, tok, nil); r.status != http.StatusOK {
		t.Errorf("delete rule: %d %s", r.status, r.body)
	}
	if r := w.apiCall(http.MethodDelete, "/api/v1/tocsin/rules/"+ruleID, tok, nil); r.status != http.StatusNotFound {
		t.Errorf("delete rule twice: %d %s", r.status, r.body)
	}

	// Reports made here about a local account: resolve by suspending,
	// reopen.
	aliceTok := w.token(app, "alice", "read write")
	srv.CreateAccount(t, "spammer", "person", "member")
	spammer, _ := srv.Accounts.Get(ctx, "spammer")
	r = w.apiCall(http.MethodPost, "/api/v1/reports", aliceTok, map[string]any{"account_id": spammer.ID, "comment": "spam", "forward": true})
	if r.status != http.StatusOK || r.json(t)["forwarded"] != false {
		t.Fatalf("local report: %d %s", r.status, r.body)
	}
	repID := r.json(t)["id"].(string)
	r = w.apiCall(http.MethodPost, "/api/v1/admin/accounts/"+spammer.ID+"/action", tok, map[string]any{"type": "suspend", "report_id": repID, "text": "spam account"})
	if r.status != http.StatusOK {
		t.Fatalf("action with report: %d %s", r.status, r.body)
	}
	if acc, _ := srv.Accounts.Get(ctx, "spammer"); !acc.Disabled {
		t.Errorf("spammer not disabled")
	}
	r = w.apiCall(http.MethodGet, "/api/v1/admin/reports/"+repID, tok, nil)
	if rep := r.json(t); rep["action_taken"] != true || rep["action_taken_by_account"].(map[string]any)["username"] != "boss" {
		t.Errorf("resolved report: %s", r.body)
	}
	if r := w.apiCall(http.MethodPost, "/api/v1/admin/reports/"+repID+"/reopen", tok, nil); r.status != http.StatusOK || r.json(t)["action_taken"] != false {
		t.Errorf("reopen: %d %s", r.status, r.body)
	}

	// Errors: Mastodon's shape, never a 500.
	for _, tc := range []struct {
		method, path string
		body         any
		want         int
	}{
		{http.MethodGet, "/api/v1/admin/accounts/nope", nil, http.StatusNotFound},
		{http.MethodPost, "/api/v1/admin/accounts/" + member.ID + "/action", map[string]any{"type": "explode"}, http.StatusUnprocessableEntity},
		{http.MethodPost, "/api/v1/admin/accounts/" + member.ID + "/action", map[string]any{"type": "silence"}, http.StatusUnprocessableEntity},
		{http.MethodGet, "/api/v1/admin/reports/nope", nil, http.StatusNotFound},
		{http.MethodPost, "/api/v1/admin/reports/nope/resolve", nil, http.StatusNotFound},
		{http.MethodPost, "/api/v1/admin/reports/" + repID + "/resolve", map[string]any{"action": "obliterate"}, http.StatusUnprocessableEntity},
		{http.MethodPost, "/api/v1/admin/domain_blocks", map[string]any{"severity": "suspend"}, http.StatusUnprocessableEntity},
		{http.MethodPost, "/api/v1/admin/domain_blocks", map[string]any{"domain": "x.example", "severity": "nuke"}, http.StatusUnprocessableEntity},
		{http.MethodPost, "/api/v1/admin/domain_blocks", map[string]any{"domain": srv.Domain, "severity": "suspend"}, http.StatusUnprocessableEntity},
		{http.MethodGet, "/api/v1/admin/domain_allows/nope.example", nil, http.StatusNotFound},
		{http.MethodPost, "/api/v1/tocsin/review/nope/approve", nil, http.StatusNotFound},
		{http.MethodGet, "/api/v1/tocsin/audit?max_id=abc", nil, http.StatusUnprocessableEntity},
		{http.MethodPost, "/api/v1/reports", map[string]any{"comment": "x"}, http.StatusUnprocessableEntity},
		{http.MethodPost, "/api/v1/reports", map[string]any{"account_id": member.ID, "status_ids": []string{"nope"}}, http.StatusUnprocessableEntity},
	} {
		if r := w.apiCall(tc.method, tc.path, tok, tc.body); r.status != tc.want || !strings.Contains(r.body, `"error"`) {
			t.Errorf("%s %s: %d %s, want %d", tc.method, tc.path, r.status, r.body, tc.want)
		}
	}

	// The audit log pages by seq, newest first, with a Link to older.
	r = w.apiCall(http.MethodGet, "/api/v1/tocsin/audit?actor=boss&limit=2", tok, nil)
	page := jsonList(t, r)
	link := r.header.Get("Link")
	if len(page) != 2 || !strings.Contains(link, `rel="next"`) || !strings.Contains(link, "max_id="+page[1]["id"].(string)) {
		t.Fatalf("audit page 1: %s %s", link, r.body)
	}
	next := link[strings.Index(link, "/api/"):strings.Index(link, ">")]
	page2 := jsonList(t, w.apiCall(http.MethodGet, next, tok, nil))
	if len(page2) != 2 || page2[0]["id"] == page[1]["id"] {
		t.Errorf("audit page 2: %v", page2)
	}
	var actions []string
	for _, e := range jsonList(t, w.apiCall(http.MethodGet, "/api/v1/tocsin/audit?limit=200&actor=boss", tok, nil)) {
		actions = append(actions, e["action"].(string))
	}
	for _, want := range []string{"domain.limited", "domain.review", "domain.clear", "domain.trusted", "actor.blocked",
		"rule.add", "rule.remove", "report.resolve.suspend", "report.reopen"} {
		if !strings.Contains(strings.Join(actions, " "), want) {
			t.Errorf("audit log lacks %s: %v", want, actions)
		}
	}
	if list := jsonList(t, w.apiCall(http.MethodGet, "/api/v1/tocsin/audit?action=rule.", tok, nil)); len(list) != 2 {
		t.Errorf("action filter: %v", list)
	}
}
