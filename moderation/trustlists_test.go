package moderation_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/internal/cluster"
	"github.com/tocsin-network/tocsin/moderation"
	"github.com/tocsin-network/tocsin/store"
)

// foreignList serves a trust list as another implementation might write
// it: its own prefix for our namespace, an embedded first page, a second
// page by link, and items that are not valid. pageTwoHost, when set, is
// the host the first page links its next page on.
func foreignList(t *testing.T, ownHost string, pageTwoHost *atomic.Value) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(nil)
	base := srv.URL
	mux := http.NewServeMux()
	mux.HandleFunc("GET /list", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/activity+json")
		if r.URL.Query().Get("page") == "2" {
			fmt.Fprintf(w, `{"@context": ["https://www.w3.org/ns/activitystreams", {"ex": "https://w3id.org/tocsin/ns#"}],
				"id": "%[1]s/list?page=2", "type": "OrderedCollectionPage", "partOf": "%[1]s/list",
				"orderedItems": [
					{"type": "ex:DomainTrust", "ex:domain": "Dup.Example", "ex:trustLevel": "limited"},
					{"type": "ex:DomainTrust", "ex:domain": "limited.example", "ex:trustLevel": "limited", "ex:reason": "meh"},
					{"type": "ex:DomainTrust", "ex:domain": "bad/domain", "ex:trustLevel": "blocked"},
					{"type": "ex:DomainTrust", "ex:domain": "nice.example", "ex:trustLevel": "trusted"},
					{"type": "ex:DomainTrust", "ex:domain": %[2]q, "ex:trustLevel": "blocked"},
					"https://elsewhere.example/an-iri"
				]}`, base, ownHost)
			return
		}
		next := base + "/list?page=2"
		if h, _ := pageTwoHost.Load().(string); h != "" {
			next = "http://" + h + "/list?page=2"
		}
		fmt.Fprintf(w, `{"@context": ["https://www.w3.org/ns/activitystreams", {"ex": "https://w3id.org/tocsin/ns#"}],
			"id": "%[1]s/list", "type": "OrderedCollection", "totalItems": 8,
			"first": {"id": "%[1]s/list?page=1", "type": "OrderedCollectionPage", "next": %[2]q,
				"orderedItems": [
					{"type": "ex:DomainTrust", "ex:domain": "blocked.example", "ex:trustLevel": "blocked", "ex:reason": "malware", "updated": "2026-11-01T00:00:00Z"},
					{"type": "ex:DomainTrust", "ex:domain": "dup.example", "ex:trustLevel": "blocked", "ex:reason": "kept: stricter"}
				]}}`, base, next)
	})
	srv.Config.Handler = mux
	t.Cleanup(srv.Close)
	return srv
}

func TestForeignTrustListIsReadByMeaningAndBadItemsAreSkipped(t *testing.T) {
	ctx := context.Background()
	a := cluster.Start(t, 0)
	var pageTwoHost atomic.Value
	list := foreignList(t, a.Domain, &pageTwoHost)

	sub, err := a.Moderation.Subscribe(ctx, "boss", moderation.SubscribeInput{Source: list.URL + "/list", Priority: 1, BlockOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	// Valid: blocked.example, dup.example (once), limited.example. Not:
	// the second dup, bad/domain, a trusted level, our own host, an IRI.
	if sub.LastError != "" || sub.Entries != 3 || sub.Skipped != 5 || sub.LastSuccess.IsZero() {
		t.Fatalf("subscription after first fetch: %+v", sub)
	}
	p, err := a.Moderation.PreviewTrustList(ctx, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Block only: the limit is not taken.
	var got []string
	for _, c := range p.Changes {
		got = append(got, c.Domain+":"+c.Action+":"+c.To+":"+c.Reason)
	}
	want := "blocked.example:add:blocked:malware dup.example:add:blocked:kept: stricter"
	if strings.Join(got, " ") != want {
		t.Errorf("preview: %q, want %q", strings.Join(got, " "), want)
	}

	// A list whose next page is on another host is refused whole: the
	// last good list stays, the error is recorded.
	pageTwoHost.Store("127.0.0.99:1")
	if _, err := a.Moderation.RefreshTrustList(ctx, "system", sub.ID); tocsin.ErrorCode(err) != tocsin.EUNAVAILABLE {
		t.Fatalf("refresh with a page on another host: %v", err)
	}
	subs, err := a.Moderation.TrustSubscriptions(ctx)
	if err != nil || len(subs) != 1 {
		t.Fatal(subs, err)
	}
	if s := subs[0]; !strings.Contains(s.LastError, "another host") || s.Entries != 3 || s.Pending != 2 {
		t.Errorf("after a refused refresh: %+v", s)
	}
	if _, err := a.Moderation.ApplyTrustList(ctx, "boss", sub.ID); err != nil {
		t.Fatal(err)
	}
	if lvl, _, _ := a.Moderation.DomainLevel(ctx, "dup.example"); lvl != store.TrustBlocked {
		t.Errorf("dup.example is %s after apply", lvl)
	}
	if lvl, _, _ := a.Moderation.DomainLevel(ctx, "limited.example"); lvl != store.TrustReview {
		t.Errorf("limited.example is %s from a block-only subscription", lvl)
	}
}

func TestSubscribeRefusesWhatIsNotATrustList(t *testing.T) {
	ctx := context.Background()
	a, b := cluster.Start(t, 0), cluster.Start(t, 1)
	for _, tc := range []struct {
		source, code string
	}{
		{"", tocsin.EINVALID},
		{a.Domain, tocsin.EINVALID},                            // ourselves
		{b.URL + "/users/nobody", tocsin.EUNAVAILABLE},         // nothing there
		{"http://127.0.0.1:1/trust-list", tocsin.EUNAVAILABLE}, // no server
	} {
		_, err := a.Moderation.Subscribe(ctx, "boss", moderation.SubscribeInput{Source: tc.source})
		if tocsin.ErrorCode(err) != tc.code {
			t.Errorf("subscribe %q: %v (code %s), want %s", tc.source, err, tocsin.ErrorCode(err), tc.code)
		}
	}
	if _, err := a.Moderation.Subscribe(ctx, "boss", moderation.SubscribeInput{Source: b.Domain, Priority: 5000}); tocsin.ErrorCode(err) != tocsin.EINVALID {
		t.Errorf("priority 5000: %v", err)
	}
	if subs, _ := a.DB.TrustSubscriptions(ctx); len(subs) != 0 {
		t.Errorf("refused subscriptions were stored: %+v", subs)
	}
}

func TestSubscribeByHandleActorURLOrAddressFindsTheServersList(t *testing.T) {
	ctx := context.Background()
	a, b := cluster.Start(t, 0), cluster.Start(t, 1)
	b.CreateAccount(t, "observers", "organization", "publisher")
	for _, source := range []string{"observers@" + b.Domain, "@observers@" + b.Domain, b.URL + "/users/observers", b.URL, b.URL + "/actor", b.Domain} {
		sub, err := a.Moderation.Subscribe(ctx, "boss", moderation.SubscribeInput{Source: source})
		if err != nil {
			t.Errorf("subscribe %q: %v", source, err)
			continue
		}
		if sub.URL != b.URL+"/trust-list" || sub.LastError != "" {
			t.Errorf("subscribe %q: %+v", source, sub)
		}
		if _, err := a.Moderation.Unsubscribe(ctx, "boss", sub.ID); err != nil {
			t.Fatal(err)
		}
	}
	audit, err := a.DB.AuditLog(ctx, store.AuditFilter{Action: "trustlist."})
	if err != nil || len(audit) != 12 || audit[0].Action != "trustlist.unsubscribe" || audit[1].Action != "trustlist.subscribe" {
		t.Errorf("audit of subscribing and unsubscribing: %d entries %v", len(audit), err)
	}
}

func TestListDoesNotCutOffAPeerAnAdminAdded(t *testing.T) {
	ctx := context.Background()
	a, b, c := cluster.Start(t, 0), cluster.Start(t, 1), cluster.Start(t, 2)
	orgA := a.CreateAccount(t, "observers", "organization", "publisher")
	b.CreateAccount(t, "partners", "organization", "publisher")
	if _, err := a.Federation.AddPeer(ctx, orgA, "partners@"+b.Domain); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Moderation.SetDomainTrust(ctx, "cmod", b.Domain, store.TrustBlocked, "C distrusts B", ""); err != nil {
		t.Fatal(err)
	}
	sub, err := a.Moderation.Subscribe(ctx, "boss", moderation.SubscribeInput{Source: c.Domain, Auto: true})
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.Moderation.PreviewTrustList(ctx, sub.ID)
	if err != nil || len(p.Changes) != 1 || p.Changes[0].Action != moderation.ChangeSkip || p.Changes[0].From != store.TrustTrusted {
		t.Fatalf("preview: %+v %v", p, err)
	}
	if lvl, explicit, _ := a.Moderation.DomainLevel(ctx, b.Domain); lvl != store.TrustTrusted || explicit {
		t.Errorf("peer %s after an auto list blocking it: %s explicit %v", b.Domain, lvl, explicit)
	}
}
