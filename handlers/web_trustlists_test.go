package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tocsin-network/tocsin/internal/cluster"
	"github.com/tocsin-network/tocsin/moderation"
	"github.com/tocsin-network/tocsin/store"
)

func TestModeratorSeesATrustListsChangesAndAppliesThemInTheConsole(t *testing.T) {
	ctx := context.Background()
	a, b := cluster.Start(t, 0), cluster.Start(t, 1)
	a.CreateAccount(t, "mod", "person", "moderator")
	a.CreateAccount(t, "reader", "person", "member")
	if _, err := b.Moderation.SetDomainTrust(ctx, "bmod", "x.example", store.TrustBlocked, "spam farm", ""); err != nil {
		t.Fatal(err)
	}
	sub, err := a.Moderation.Subscribe(ctx, "mod", moderation.SubscribeInput{Source: b.Domain, Priority: 3})
	if err != nil {
		t.Fatal(err)
	}
	id := strings.NewReplacer(".", "-", ":", "-").Replace(sub.ID)

	mod := newBrowser(t, a.URL)
	mod.signIn("mod")
	page := mod.get("/admin/domains")
	checkHTMLPage(t, "admin domains with a trust list", page)
	doc := parseHTML(t, page.body)
	if row := byID(doc, "subscription-"+id); row == nil || !strings.Contains(textOf(row), b.URL+"/trust-list") {
		t.Fatalf("no row for the subscription:\n%s", page.body)
	}
	if changes := byID(doc, "subscription-changes-"+id); changes == nil || !strings.Contains(textOf(changes), "x.example: add") {
		t.Errorf("preview not shown: %v", changes)
	}
	r := mod.submit("/admin/domains", "/admin/domains/subscriptions/"+sub.ID+"/apply", nil)
	if r.status != http.StatusSeeOther {
		t.Fatalf("apply: %d %s", r.status, r.body)
	}
	if lvl, explicit, _ := a.Moderation.DomainLevel(ctx, "x.example"); lvl != store.TrustBlocked || !explicit {
		t.Errorf("x.example after apply in the console: %s %v", lvl, explicit)
	}
	page = mod.get("/admin/domains?done=listApplied")
	doc = parseHTML(t, page.body)
	if byID(doc, "subscription-apply-"+id) != nil || !strings.Contains(page.body, "from trust list "+sub.ID) {
		t.Errorf("after apply: the button is still there or the decision's source is not shown:\n%s", page.body)
	}
	audit, _ := a.DB.AuditLog(ctx, store.AuditFilter{Target: "x.example"})
	if len(audit) != 1 || audit[0].Actor != "mod" || !strings.Contains(audit[0].Details, sub.ID) {
		t.Errorf("audit: %+v", audit)
	}

	// Members do not reach the console or its apply action.
	reader := newBrowser(t, a.URL)
	reader.signIn("reader")
	if r := reader.get("/admin/domains"); r.status != http.StatusForbidden {
		t.Errorf("member on the domains page: %d", r.status)
	}
	if r := reader.post("/admin/domains/subscriptions/"+sub.ID+"/apply", url.Values{}); r.status != http.StatusForbidden {
		t.Errorf("member applying a list: %d", r.status)
	}
}
