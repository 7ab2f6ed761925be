package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestTrustListSubscriptionFromTheCommandLine runs two servers as
// operators do: B blocks and limits domains with `tocsin domain set`; A
// subscribes to B's list, previews, applies, lists and unsubscribes, each
// through its admin socket.
func TestTrustListSubscriptionFromTheCommandLine(t *testing.T) {
	a, b := newNode(t), newNode(t)
	for _, n := range []*node{a, b} {
		n.env = append(n.env, "TOCSIN_ALLOW_PRIVATE_ADDRESSES=true", "TOCSIN_ALLOW_HTTP=true")
	}
	sa, sb := a.serve(), b.serve()
	b.mustRun("", "domain", "set", "x.example", "blocked", "--reason", "spam farm", "--note", "secret")
	b.mustRun("", "domain", "set", "y.example", "limited", "--reason", "low quality")
	a.mustRun("", "domain", "set", "y.example", "trusted", "--reason", "we know them")

	out := a.mustRun("", "domain", "subscribe", b.url("/trust-list"), "--priority", "7")
	if !strings.Contains(out, "priority 7, review mode") || !strings.Contains(out, "2 entries fetched") {
		t.Fatalf("subscribe: %s", out)
	}
	var subs []struct {
		ID, URL string
		Pending int
	}
	if err := json.Unmarshal([]byte(a.mustRun("", "domain", "subscriptions", "--json")), &subs); err != nil || len(subs) != 1 ||
		subs[0].URL != b.url("/trust-list") || subs[0].Pending != 1 {
		t.Fatalf("subscriptions: %+v %v", subs, err)
	}
	id := subs[0].ID
	out = a.mustRun("", "domain", "subscription-preview", id)
	for _, want := range []string{"x.example", "add", "blocked", "spam farm", "y.example", "skip", "1 to change, 1 skipped (a local decision wins)"} {
		if !strings.Contains(out, want) {
			t.Errorf("preview lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "secret") {
		t.Errorf("B's private note reached A:\n%s", out)
	}
	a.mustRun("", "domain", "subscription-apply", id)
	list := a.mustRun("", "domain", "list")
	if !lineWith(list, "x.example", "blocked") || !lineWith(list, "y.example", "trusted") {
		t.Errorf("domains after apply:\n%s", list)
	}
	if audit := a.mustRun("", "audit", "--action", "domain.blocked"); !lineWith(audit, "x.example", "spam farm") {
		t.Errorf("audit after apply:\n%s", audit)
	}
	if audit := a.mustRun("", "audit", "--json", "--target", "x.example"); !strings.Contains(audit, id) {
		t.Errorf("audit does not name the subscription:\n%s", audit)
	}

	a.mustRun("", "domain", "unsubscribe", id)
	if list := a.mustRun("", "domain", "list"); strings.Contains(list, "x.example") || !lineWith(list, "y.example", "trusted") {
		t.Errorf("domains after unsubscribe:\n%s", list)
	}
	if r := a.run("", "domain", "subscription-apply", id); r.code == 0 || !strings.Contains(r.stderr, "no trust list subscription") {
		t.Errorf("apply after unsubscribe: exit %d, %s", r.code, r.stderr)
	}
	if r := a.run("", "domain", "subscribe"); r.code != 2 {
		t.Errorf("subscribe without a source: exit %d", r.code)
	}
	sa.stop(t)
	sb.stop(t)
}

// lineWith reports whether one line of out contains every word.
func lineWith(out string, words ...string) bool {
	for line := range strings.SplitSeq(out, "\n") {
		all := true
		for _, w := range words {
			all = all && strings.Contains(line, w)
		}
		if all {
			return true
		}
	}
	return false
}
