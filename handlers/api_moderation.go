package handlers

// The moderation API: the Mastodon admin subset (mastodon_admin.go) and
// Tocsin's own endpoints for what Mastodon has no method for: the review
// queue, trust levels per domain and actor, content rules, the audit log
// and the federation mode (documented in docs/api.md, "Moderation API").
// Only admins and moderators use it, with admin:read / admin:write tokens
// (which the OAuth layer grants to those roles only); the role is checked
// again on every request. Every action is taken through the moderation
// service, which records it in the audit log with the acting person's
// username.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/mastodon"
	"github.com/tocsin-network/tocsin/moderation"
	"github.com/tocsin-network/tocsin/store"
)

// msgNotAllowed is Mastodon's 403 for a user whose role lacks the right.
const msgNotAllowed = "This action is not allowed"

// modAPI carries the moderation service to the moderation routes.
type modAPI struct {
	*Server
	mod *moderation.Service
}

// adminRoutes registers the Mastodon admin API, POST /api/v1/reports and
// Tocsin's moderation endpoints.
func (s *Server) adminRoutes() {
	if s.oauth == nil || s.fed == nil || s.mod == nil {
		return
	}
	a := &modAPI{Server: s, mod: s.mod}
	a.mastodonAdminRoutes()
	a.tocsinModerationRoutes()
	a.trustListRoutes()
}

// requireStaff is the middleware of a moderation route: a user token with one of
// scopes, of an admin or moderator.
func (s *Server) requireStaff(scopes ...string) echo.MiddlewareFunc {
	user := s.requireUser(scopes...)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return user(func(c echo.Context) error {
			a := currentToken(c).Account
			if a.Disabled || (a.Role != "admin" && a.Role != "moderator") {
				return echo.NewHTTPError(http.StatusForbidden, msgNotAllowed)
			}
			return next(c)
		})
	}
}

// modBy is who acts, for the audit log: the person, never the organisation
// they may act for.
func modBy(c echo.Context) moderation.By { return moderation.By(currentToken(c).Account.Username) }

func (a *modAPI) tocsinModerationRoutes() {
	e := a.e
	read, write := a.requireStaff("admin:read"), a.requireStaff("admin:write")
	e.GET("/api/v1/tocsin/review", a.reviewQueue, read)
	e.POST("/api/v1/tocsin/review/:id/approve", a.reviewDecide(true), write)
	e.POST("/api/v1/tocsin/review/:id/reject", a.reviewDecide(false), write)
	e.GET("/api/v1/tocsin/trust/domains", a.listDomainTrust, read)
	e.GET("/api/v1/tocsin/trust/domains/:domain", a.getDomainTrust, read)
	e.PUT("/api/v1/tocsin/trust/domains/:domain", a.putDomainTrust, write)
	e.DELETE("/api/v1/tocsin/trust/domains/:domain", a.deleteDomainTrust, write)
	e.GET("/api/v1/tocsin/trust/actors", a.listActorTrust, read)
	e.PUT("/api/v1/tocsin/trust/actors", a.putActorTrust, write)
	e.DELETE("/api/v1/tocsin/trust/actors", a.deleteActorTrust, write)
	e.GET("/api/v1/tocsin/rules", a.listRules, read)
	e.POST("/api/v1/tocsin/rules", a.addRule, write)
	e.DELETE("/api/v1/tocsin/rules/:id", a.deleteRule, write)
	e.GET("/api/v1/tocsin/audit", a.auditLog, read)
	e.GET("/api/v1/tocsin/federation", a.federationMode, read)
}

// reviewItem is a held object as the review API shows it.
type reviewItem struct {
	ID           string           `json:"id"` // the object's Seq (its status id)
	URI          string           `json:"uri"`
	Type         string           `json:"type"`
	Origin       string           `json:"origin"`        // host of its author
	ReceivedFrom string           `json:"received_from"` // host that delivered it
	Moderation   string           `json:"moderation"`
	Published    string           `json:"published"`
	Account      mastodon.Account `json:"account"`
	Status       *mastodon.Status `json:"status"` // null for objects that are not statuses
}

func (a *modAPI) reviewItem(c echo.Context, o *store.Object) reviewItem {
	ctx := c.Request().Context()
	it := reviewItem{ID: o.Seq, URI: o.IRI, Type: o.Type, Origin: hostOfIRI(o.AttributedTo), ReceivedFrom: o.ReceivedFrom,
		Moderation: o.Moderation, Published: mastodon.Datetime(o.Published), Account: a.storedAccount(ctx, o.AttributedTo)}
	if it.Moderation == "" {
		it.Moderation = store.ModVisible
	}
	if a.social != nil {
		if st, err := a.social.StatusByIRI(ctx, a.socialViewer(c), o.IRI); err == nil {
			it.Status = &st
		}
	}
	return it
}

// reviewQueue is GET /api/v1/tocsin/review: held objects, oldest first;
// the next page starts after the last id (Link rel="next").
func (a *modAPI) reviewQueue(c echo.Context) error {
	p := c.QueryParams()
	limit := queryLimit(p, 20, 200)
	after := p.Get("after")
	held, err := a.fed.DB.ReviewQueue(c.Request().Context(), after, limit+1)
	if err != nil {
		return err
	}
	more := len(held) > limit
	if more {
		held = held[:limit]
	}
	out := make([]reviewItem, 0, len(held))
	for _, o := range held {
		out = append(out, a.reviewItem(c, o))
	}
	if more {
		a.setNextLink(c, "after", held[len(held)-1].Seq, limit)
	}
	return c.JSON(http.StatusOK, out)
}

// reviewDecide is POST /api/v1/tocsin/review/:id/approve and /reject.
func (a *modAPI) reviewDecide(approve bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		p, err := apiParams(c)
		if err != nil {
			return err
		}
		o, err := a.objectBySeq(ctx, c.Param("id"))
		if err != nil {
			return err
		}
		if approve {
			if _, err := a.mod.Approve(ctx, modBy(c), o.IRI); err != nil {
				return err
			}
			if o, err = a.fed.DB.Object(ctx, o.IRI); err != nil {
				return err
			}
			return c.JSON(http.StatusOK, a.reviewItem(c, o))
		}
		reason := strings.TrimSpace(p.Get("reason"))
		if err := a.mod.Reject(ctx, modBy(c), o.IRI, reason); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]string{"id": o.Seq, "uri": o.IRI, "moderation": store.ModRejected, "reason": reason})
	}
}

func (a *modAPI) objectBySeq(ctx context.Context, seq string) (*store.Object, error) {
	o, err := a.fed.DB.ObjectBySeq(ctx, seq)
	if errors.Is(err, store.ErrNotFound) {
		return nil, recordNotFound()
	}
	return o, err
}

// trustEntry is a trust decision as the trust API shows it.
type trustEntry struct {
	Domain    string  `json:"domain,omitempty"`
	Actor     string  `json:"actor,omitempty"`
	Level     string  `json:"level"`
	Explicit  bool    `json:"explicit"` // false: the default (peers trusted, others review)
	Reason    string  `json:"reason"`
	Note      string  `json:"note"`
	Source    string  `json:"source,omitempty"` // "local", or the trust list subscription that decided it
	By        string  `json:"by"`
	UpdatedAt *string `json:"updated_at"`
}

func trustOf(tr *store.Trust, domain bool) trustEntry {
	e := trustEntry{Level: tr.Level, Explicit: true, Reason: tr.Reason, Note: tr.Note, By: tr.By}
	if domain {
		e.Domain, e.Source = tr.Subject, "local"
		if tr.Source != "" {
			e.Source = tr.Source
		}
	} else {
		e.Actor = tr.Subject
	}
	if !tr.UpdatedAt.IsZero() {
		d := mastodon.Datetime(tr.UpdatedAt)
		e.UpdatedAt = &d
	}
	return e
}

func (a *modAPI) listTrust(c echo.Context, domain bool) error {
	list, err := a.fed.DB.Trusts(c.Request().Context(), domain)
	if err != nil {
		return err
	}
	out := make([]trustEntry, 0, len(list))
	for _, tr := range list {
		out = append(out, trustOf(tr, domain))
	}
	return c.JSON(http.StatusOK, out)
}

func (a *modAPI) listDomainTrust(c echo.Context) error { return a.listTrust(c, true) }
func (a *modAPI) listActorTrust(c echo.Context) error  { return a.listTrust(c, false) }

func pathDomain(c echo.Context) string {
	d, err := url.PathUnescape(c.Param("domain"))
	if err != nil {
		d = c.Param("domain")
	}
	return strings.ToLower(strings.TrimSpace(d))
}

// getDomainTrust is a domain's effective level, explicit or default.
func (a *modAPI) getDomainTrust(c echo.Context) error {
	ctx := c.Request().Context()
	host := pathDomain(c)
	tr, err := a.fed.DB.Trust(ctx, host, true)
	if err == nil {
		return c.JSON(http.StatusOK, trustOf(tr, true))
	}
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	level, _, err := a.mod.DomainLevel(ctx, host)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, trustEntry{Domain: host, Level: level})
}

func (a *modAPI) putDomainTrust(c echo.Context) error {
	p, err := apiParams(c)
	if err != nil {
		return err
	}
	tr, err := a.mod.SetDomainTrust(c.Request().Context(), modBy(c), pathDomain(c), p.Get("level"), p.Get("reason"), p.Get("note"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, trustOf(tr, true))
}

func (a *modAPI) deleteDomainTrust(c echo.Context) error {
	p, err := apiParams(c)
	if err != nil {
		return err
	}
	if err := a.mod.ClearDomainTrust(c.Request().Context(), modBy(c), pathDomain(c), p.Get("reason")); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, struct{}{})
}

// actorParam resolves the actor of a trust request: actor (an IRI) or
// account_id (a client-API account id).
func (a *modAPI) actorParam(ctx context.Context, p url.Values) (string, error) {
	if iri := strings.TrimSpace(p.Get("actor")); iri != "" {
		return iri, nil
	}
	id := strings.TrimSpace(p.Get("account_id"))
	if id == "" {
		return "", tocsin.Invalid(tocsin.FieldError{Field: "actor", Message: "is required (an actor URL, or account_id)"})
	}
	local, remote, err := a.accountByID(ctx, id)
	if err != nil {
		return "", err
	}
	return a.actorIRI(local, remote), nil
}

func (a *modAPI) putActorTrust(c echo.Context) error {
	ctx := c.Request().Context()
	p, err := apiParams(c)
	if err != nil {
		return err
	}
	actor, err := a.actorParam(ctx, p)
	if err != nil {
		return err
	}
	tr, err := a.mod.SetActorTrust(ctx, modBy(c), actor, p.Get("level"), p.Get("reason"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, trustOf(tr, false))
}

func (a *modAPI) deleteActorTrust(c echo.Context) error {
	ctx := c.Request().Context()
	p, err := apiParams(c)
	if err != nil {
		return err
	}
	actor, err := a.actorParam(ctx, p)
	if err != nil {
		return err
	}
	if err := a.mod.ClearActorTrust(ctx, modBy(c), actor, p.Get("reason")); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, struct{}{})
}

// ruleEntry is a content rule.
type ruleEntry struct {
	ID        string `json:"id"`
	Kind      string `json:"kind"`
	Pattern   string `json:"pattern"`
	By        string `json:"by"`
	CreatedAt string `json:"created_at"`
}

func ruleOf(r *store.Rule) ruleEntry {
	return ruleEntry{ID: r.ID, Kind: r.Kind, Pattern: r.Pattern, By: r.By, CreatedAt: mastodon.Datetime(r.CreatedAt)}
}

func (a *modAPI) listRules(c echo.Context) error {
	rules, err := a.fed.DB.Rules(c.Request().Context())
	if err != nil {
		return err
	}
	return jsonList(c, rules, ruleOf)
}

func (a *modAPI) addRule(c echo.Context) error {
	p, err := apiParams(c)
	if err != nil {
		return err
	}
	r, err := a.mod.AddRule(c.Request().Context(), modBy(c), p.Get("kind"), p.Get("pattern"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ruleOf(r))
}

func (a *modAPI) deleteRule(c echo.Context) error {
	if err := a.mod.RemoveRule(c.Request().Context(), modBy(c), c.Param("id")); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, struct{}{})
}

// auditEntry is an audit log entry; id is its sequence number.
type auditEntry struct {
	ID      string `json:"id"`
	At      string `json:"at"`
	Actor   string `json:"actor"`
	Action  string `json:"action"`
	Target  string `json:"target"`
	Reason  string `json:"reason"`
	Details string `json:"details"`
}

// auditLog is GET /api/v1/tocsin/audit: newest first, filtered by actor
// (exact), action (prefix) and target (substring); older pages with
// max_id (Link rel="next").
func (a *modAPI) auditLog(c echo.Context) error {
	p := c.QueryParams()
	limit := queryLimit(p, 50, 200)
	f := store.AuditFilter{Actor: p.Get("actor"), Action: p.Get("action"), Target: p.Get("target"), Limit: limit + 1}
	if m := p.Get("max_id"); m != "" {
		n, err := strconv.ParseUint(m, 10, 64)
		if err != nil {
			return tocsin.Invalid(tocsin.FieldError{Field: "max_id", Message: "must be an audit entry id"})
		}
		f.Before = max(n, 1)
	}
	entries, err := a.fed.DB.AuditLog(c.Request().Context(), f)
	if err != nil {
		return err
	}
	more := len(entries) > limit
	if more {
		entries = entries[:limit]
	}
	out := make([]auditEntry, 0, len(entries))
	for _, e := range entries {
		out = append(out, auditEntry{ID: strconv.FormatUint(e.Seq, 10), At: mastodon.Datetime(e.At), Actor: e.Actor,
			Action: e.Action, Target: e.Target, Reason: e.Reason, Details: e.Details})
	}
	if more {
		a.setNextLink(c, "max_id", out[len(out)-1].ID, limit)
	}
	return c.JSON(http.StatusOK, out)
}

// federationMode is GET /api/v1/tocsin/federation.
func (a *modAPI) federationMode(c echo.Context) error {
	peers, err := a.fed.DB.Peers(c.Request().Context())
	if err != nil {
		return err
	}
	hosts := make([]string, 0, len(peers))
	for _, p := range peers {
		hosts = append(hosts, p.Host)
	}
	slices.Sort(hosts)
	return c.JSON(http.StatusOK, map[string]any{
		"mode": a.mod.Mode(), "domain": a.cfg.Domain, "levels": moderation.Levels,
		"default_level": store.TrustReview, "peers": hosts,
	})
}

// queryLimit reads limit, clamped to 1..maxLimit.
func queryLimit(p url.Values, def, maxLimit int) int {
	if n, err := strconv.Atoi(strings.TrimSpace(p.Get("limit"))); err == nil && n > 0 {
		return min(n, maxLimit)
	}
	return def
}

// setNextLink sets Link rel="next": this request with key=val.
func (s *Server) setNextLink(c echo.Context, key, val string, limit int) {
	u := *c.Request().URL
	q := u.Query()
	q.Del("access_token")
	q.Set("limit", strconv.Itoa(limit))
	q.Set(key, val)
	c.Response().Header().Set("Link", fmt.Sprintf(`<%s%s?%s>; rel="next"`, s.urls.Base, u.Path, q.Encode()))
}

func hostOfIRI(iri string) string {
	u, err := url.Parse(iri)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}

// storedAccount is the Mastodon Account of an actor IRI from the store
// only (never fetched): a remote actor not stored gets a minimal entity.
func (s *Server) storedAccount(ctx context.Context, iri string) mastodon.Account {
	conv := s.converter()
	if name, ok := s.urls.LocalUsername(iri); ok {
		if a, err := s.accounts.Get(ctx, name); err == nil {
			counts, _ := s.localCounts(ctx, a)
			return conv.LocalAccount(a, counts)
		}
	}
	r, err := s.fed.DB.RemoteActor(ctx, iri)
	if err != nil {
		r = &store.RemoteActor{IRI: iri, Host: hostOfIRI(iri), PreferredUsername: iri[strings.LastIndexByte(iri, '/')+1:]}
	}
	return conv.RemoteAccount(r, mastodon.AccountCounts{})
}
