package federation

// Shared trust lists on the wire: the OrderedCollection at /trust-list in
// which this instance publishes its local domain decisions (blocked and
// limited, with their public reasons), linked from the instance actor as
// tocsin:trustList; and the fetcher that reads another instance's list for
// a subscription (moderation decides what to do with it). Vocabulary in
// FEDERATION.md, "Shared trust lists".

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/store"
)

const (
	// trustListPageSize is the number of domains per page of our list.
	trustListPageSize = 100
	// maxTrustListPages bounds the pages read of a remote list.
	maxTrustListPages = 1000
	// TrustListItemType is the type of an item of a trust list.
	TrustListItemType = "tocsin:DomainTrust"
)

// Expanded IRIs of the trust list terms.
var (
	termTrustList  = ap.TocsinNS + "trustList"
	termDomain     = ap.TocsinNS + "domain"
	termTrustLevel = ap.TocsinNS + "trustLevel"
	termReason     = ap.TocsinNS + "reason"
	termUpdated    = ap.ASNS + "updated"
)

// TrustList is the URL of this instance's published trust list.
func (u URLs) TrustList() string { return u.Base + "/trust-list" }

// publishedTrusts returns the local domain decisions that are published:
// blocked and limited domains decided here (not those a subscription
// made: lists do not relay each other), by domain. Never the private note,
// never per-actor decisions.
func (f *Federation) publishedTrusts(ctx context.Context) ([]*store.Trust, error) {
	all, err := f.DB.Trusts(ctx, true)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, tr := range all {
		if tr.Source == "" && (tr.Level == store.TrustBlocked || tr.Level == store.TrustLimited) {
			out = append(out, tr)
		}
	}
	return out, nil
}

// TrustListCollection returns this instance's trust list as an
// OrderedCollection, or page n (from 1) of it, sorted by domain.
func (f *Federation) TrustListCollection(ctx context.Context, page int) (map[string]any, error) {
	id := f.URLs.TrustList()
	trusts, err := f.publishedTrusts(ctx)
	if err != nil {
		return nil, err
	}
	if page <= 0 {
		return ap.OrderedCollection(id, len(trusts), id+"?page=1"), nil
	}
	start := (page - 1) * trustListPageSize
	var items []any
	for i := start; i < len(trusts) && i < start+trustListPageSize; i++ {
		tr := trusts[i]
		item := map[string]any{"type": TrustListItemType, "tocsin:domain": tr.Subject, "tocsin:trustLevel": tr.Level}
		if tr.Reason != "" {
			item["tocsin:reason"] = tr.Reason
		}
		if !tr.UpdatedAt.IsZero() {
			item["updated"] = tr.UpdatedAt.UTC().Truncate(time.Second)
		}
		items = append(items, item)
	}
	next, prev := "", ""
	if start+trustListPageSize < len(trusts) {
		next = id + "?page=" + itoa(page+1)
	}
	if page > 1 {
		prev = id + "?page=" + itoa(page-1)
	}
	return ap.OrderedCollectionPage(id+"?page="+itoa(page), id, next, prev, items), nil
}

// ResolveTrustList returns the URL of the trust list ref names: the URL of
// a list, of an actor or an instance (whose instance actor links its list
// as tocsin:trustList), a handle (its server's list) or a domain. It
// implements moderation.TrustListSource.
func (f *Federation) ResolveTrustList(ctx context.Context, ref string) (string, error) {
	ref = strings.TrimSpace(ref)
	if strings.HasPrefix(ref, "http://") || strings.HasPrefix(ref, "https://") {
		u, err := url.Parse(ref)
		if err != nil || u.Host == "" {
			return "", tocsin.Errorf(tocsin.EINVALID, "%q is not a valid URL", ref)
		}
		if u.Path == "" || u.Path == "/" {
			return f.instanceTrustList(ctx, strings.ToLower(u.Host))
		}
		doc, final, err := f.fetchDoc(ctx, ref)
		if err != nil {
			return "", &tocsin.Error{Code: tocsin.EUNAVAILABLE, Message: "cannot fetch " + ref + ": " + err.Error(), Err: err}
		}
		if isCollection(doc) {
			return final, nil
		}
		if list, err := trustListOf(doc, final); err == nil || tocsin.ErrorCode(err) != tocsin.ENOTFOUND {
			return list, err
		}
		// An actor without a list of its own (an organisation, a person):
		// its server's list.
		return f.instanceTrustList(ctx, strings.ToLower(u.Host))
	}
	host := strings.TrimPrefix(strings.TrimPrefix(ref, "acct:"), "@")
	if at := strings.LastIndex(host, "@"); at >= 0 {
		host = host[at+1:]
	}
	if host == "" || strings.ContainsAny(host, "/?# ") {
		return "", tocsin.Errorf(tocsin.EINVALID, "%q is not a trust list URL, handle or domain", ref)
	}
	return f.instanceTrustList(ctx, strings.ToLower(host))
}

// instanceTrustList finds a server's instance actor by WebFinger
// (acct:HOST@HOST, as Mastodon and Tocsin answer) and reads its
// tocsin:trustList.
func (f *Federation) instanceTrustList(ctx context.Context, host string) (string, error) {
	actor, err := f.webfinger(ctx, host, host)
	if err != nil {
		return "", err
	}
	doc, _, err := f.fetchDoc(ctx, actor)
	if err != nil {
		return "", &tocsin.Error{Code: tocsin.EUNAVAILABLE, Message: "cannot fetch the instance actor of " + host + ": " + err.Error(), Err: err}
	}
	return trustListOf(doc, actor)
}

// trustListOf reads tocsin:trustList from an actor document fetched from
// actor; the list must be on the actor's host.
func trustListOf(doc map[string]any, actor string) (string, error) {
	for k, v := range doc {
		if ap.ExpandTerm(doc, k) != termTrustList {
			continue
		}
		list := idOf(v)
		if list == "" || !sameHost(list, actor) {
			return "", tocsin.Errorf(tocsin.EINVALID, "%s links a trust list on another host (%q)", actor, list)
		}
		return list, nil
	}
	return "", tocsin.Errorf(tocsin.ENOTFOUND, "%s publishes no trust list (no tocsin:trustList): give the list's URL", actor)
}

// FetchTrustList fetches every page of the trust list at listURL (signed
// GETs, each on the list's host, at most maxTrustListPages pages and
// store.MaxTrustListEntries items) and returns its items as published.
// Items it cannot read come back with an empty Domain, for the caller to
// count. It implements moderation.TrustListSource.
func (f *Federation) FetchTrustList(ctx context.Context, listURL string) ([]store.TrustListEntry, error) {
	doc, final, err := f.fetchDoc(ctx, listURL)
	if err != nil {
		return nil, err
	}
	if !sameHost(final, listURL) {
		return nil, fmt.Errorf("trust list %s redirected to another host (%s)", listURL, final)
	}
	if !isCollection(doc) {
		return nil, fmt.Errorf("%s is a %v, not a collection", listURL, doc["type"])
	}
	var out []store.TrustListEntry
	page, pageURL := doc, listURL
	seen := map[string]bool{listURL: true, final: true}
	for pages := 0; ; pages++ {
		out = appendTrustItems(out, page)
		if len(out) > store.MaxTrustListEntries {
			return nil, fmt.Errorf("trust list %s has more than %d entries", listURL, store.MaxTrustListEntries)
		}
		var next any
		if page["type"] == "OrderedCollection" || page["type"] == "Collection" {
			next = page["first"]
		} else {
			next = page["next"]
		}
		if emb, ok := next.(map[string]any); ok && (emb["orderedItems"] != nil || emb["items"] != nil) {
			// An embedded first page.
			if _, has := emb["@context"]; !has {
				emb["@context"] = doc["@context"]
			}
			page = emb
			continue
		}
		nextURL := idOf(next)
		if nextURL == "" {
			return out, nil
		}
		if pages+1 >= maxTrustListPages {
			return nil, fmt.Errorf("trust list %s has more than %d pages", listURL, maxTrustListPages)
		}
		if seen[nextURL] {
			return out, nil // a page that links back: the list ends here
		}
		seen[nextURL] = true
		if !sameHost(nextURL, listURL) {
			return nil, fmt.Errorf("trust list %s links a page on another host (%s)", listURL, nextURL)
		}
		if page, pageURL, err = f.fetchDoc(ctx, nextURL); err != nil {
			return nil, fmt.Errorf("page of trust list %s: %w", listURL, err)
		}
		if !sameHost(pageURL, listURL) {
			return nil, fmt.Errorf("page %s of trust list %s redirected to another host (%s)", nextURL, listURL, pageURL)
		}
	}
}

// appendTrustItems reads the items of a collection or page; property names
// are expanded with the page's @context, so any prefix for our namespace
// works.
func appendTrustItems(out []store.TrustListEntry, page map[string]any) []store.TrustListEntry {
	items, _ := page["orderedItems"].([]any)
	if items == nil {
		items, _ = page["items"].([]any)
	}
	terms := map[string]string{}
	expand := func(k string) string {
		iri, ok := terms[k]
		if !ok {
			iri = ap.ExpandTerm(page, k)
			terms[k] = iri
		}
		return iri
	}
	for _, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			out = append(out, store.TrustListEntry{}) // an IRI or junk: counted as skipped
			continue
		}
		var e store.TrustListEntry
		for k, v := range m {
			s, _ := v.(string)
			switch expand(k) {
			case termDomain:
				e.Domain = s
			case termTrustLevel:
				e.Level = s
			case termReason:
				e.Reason = s
			case termUpdated:
				e.Updated, _ = time.Parse(time.RFC3339, s)
			}
		}
		out = append(out, e)
	}
	return out
}

// fetchDoc GETs an ActivityPub document (signed, guarded) and decodes it;
// it returns the URL that answered.
func (f *Federation) fetchDoc(ctx context.Context, iri string) (map[string]any, string, error) {
	resp, err := f.Fetch.GetActivity(ctx, iri)
	if err != nil {
		f.Remote.instr.FetchError(err) // metrics
		return nil, "", err
	}
	var doc map[string]any
	if err := json.Unmarshal(resp.Body, &doc); err != nil {
		return nil, "", fmt.Errorf("%s: not a JSON object: %w", iri, err)
	}
	return doc, resp.FinalURL, nil
}

func isCollection(doc map[string]any) bool {
	switch doc["type"] {
	case "OrderedCollection", "Collection", "OrderedCollectionPage", "CollectionPage":
		return true
	}
	return false
}

// idOf returns an IRI given as a string or as an object with an id.
func idOf(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		s, _ := x["id"].(string)
		return s
	}
	return ""
}
