package handlers

// The admin console: moderation and administration in the browser, for
// admins and moderators (anyone else gets a 403 page). Accounts are for
// admins only. Every action goes through the services, which record it in
// the audit log with the acting person's username; account and circle
// changes, which those services do not audit themselves, are recorded
// here the way the command line records them.
//
// Routes (session and CSRF field authenticity_token required; after an
// action: 303 back to the section with ?done=KEY, shown in #admin-done;
// a refused action re-renders the section with #admin-error, status 4xx):
//
//	GET  /admin, /admin/review               held posts
//	POST /admin/review/:id/approve           (:id is the object's Seq)
//	POST /admin/review/:id/reject            reason
//	GET  /admin/reports[?all=1]              open (or all) reports
//	POST /admin/reports/:id/resolve          action (none|remove|limit|suspend), reason
//	GET  /admin/domains                      trust levels and the federation mode
//	POST /admin/domains                      domain, level, reason, note
//	POST /admin/domains/clear                domain, reason
//	POST /admin/domains/subscriptions/:id/apply   a trust list's changes (web_trustlists.go)
//	GET  /admin/peers                        peers with delivery health
//	GET  /admin/accounts                     (admins only)
//	POST /admin/accounts                     username, kind, role, email, display_name, password
//	POST /admin/accounts/:username/disable, /enable
//	POST /admin/accounts/grant               publisher, organization, op (grant|revoke)
//	GET  /admin/circles                      circles for TLP:AMBER
//	POST /admin/circles                      name, members (one per line)
//	POST /admin/circles/delete               name
//	GET  /admin/audit?actor=&action=&target=&max_id=
//
// Control ids ({id}, {host}, {name} are made safe: characters other than
// letters, digits, "-" and "_" become "-"):
//
//	nav: #admin-nav-review, -reports, -domains, -peers, -accounts, -circles, -audit
//	review: #review-approve-{seq}, #review-reason-{seq}, #review-reject-{seq}; rows #review-{seq}
//	reports: #report-action-{id}, #report-reason-{id}, #report-resolve-{id}; rows #report-{id}
//	domains: #federation-mode; #domain-host, #domain-level, #domain-reason, #domain-note, #domain-submit;
//	         #domain-clear-{host}; rows #domain-row-{host}
//	peers: rows #peer-{host}
//	accounts: #account-username, #account-kind, #account-role, #account-email, #account-display-name,
//	          #account-password, #account-submit; #account-disable-{username}, #account-enable-{username};
//	          #grant-publisher, #grant-organization, #grant-submit, #revoke-submit; rows #account-row-{username}
//	circles: #circle-name, #circle-members, #circle-submit; #circle-delete-{name}; rows #circle-row-{name}
//	audit: #audit-actor, #audit-action, #audit-target, #audit-submit, #audit-older, #audit-newest;
//	       table #audit-log

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/account"
	"github.com/tocsin-network/tocsin/federation"
	"github.com/tocsin-network/tocsin/moderation"
	"github.com/tocsin-network/tocsin/store"
)

// adminAuditPage is how many audit entries one console page shows.
const adminAuditPage = 50

func (s *Server) webAdminRoutes(csrf echo.MiddlewareFunc) {
	if s.mod == nil || s.fed == nil {
		return
	}
	e := s.e
	staff := []echo.MiddlewareFunc{noStore, csrf, s.requireSignIn, s.requireWebRole(false)}
	admin := []echo.MiddlewareFunc{noStore, csrf, s.requireSignIn, s.requireWebRole(true)}
	e.GET("/admin", s.adminReview, staff...)
	e.GET("/admin/review", s.adminReview, staff...)
	e.POST("/admin/review/:id/approve", s.adminReviewDecide(true), staff...)
	e.POST("/admin/review/:id/reject", s.adminReviewDecide(false), staff...)
	e.GET("/admin/reports", s.adminReports, staff...)
	e.POST("/admin/reports/:id/resolve", s.adminResolveReport, staff...)
	e.GET("/admin/domains", s.adminDomains, staff...)
	e.POST("/admin/domains", s.adminSetDomain, staff...)
	e.POST("/admin/domains/clear", s.adminClearDomain, staff...)
	e.POST("/admin/domains/subscriptions/:id/apply", s.adminApplyTrustList, staff...) // web_trustlists.go
	e.GET("/admin/peers", s.adminPeers, staff...)
	e.GET("/admin/accounts", s.adminAccounts, admin...)
	e.POST("/admin/accounts", s.adminCreateAccount, admin...)
	e.POST("/admin/accounts/grant", s.adminGrant, admin...)
	e.POST("/admin/accounts/:username/disable", s.adminSetDisabled(true), admin...)
	e.POST("/admin/accounts/:username/enable", s.adminSetDisabled(false), admin...)
	e.GET("/admin/circles", s.adminCircles, staff...)
	// Circles decide where AMBER alerts go: the admin defines them
	// (design: TLP rules); moderators may look.
	e.POST("/admin/circles", s.adminSetCircle, admin...)
	e.POST("/admin/circles/delete", s.adminDeleteCircle, admin...)
	e.GET("/admin/audit", s.adminAudit, staff...)
}

// requireWebRole lets admins (and moderators unless adminOnly) through;
// anyone else gets a 403 page.
func (s *Server) requireWebRole(adminOnly bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			a := s.signedIn(c)
			if a.Role == account.RoleAdmin || (!adminOnly && a.Role == account.RoleModerator) {
				return next(c)
			}
			return s.webError(c, http.StatusForbidden, "admin.forbiddenTitle", "admin.forbidden")
		}
	}
}

// safeID makes a value usable in an id attribute and CSS selector.
func safeID(v string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, v)
}

// adminData is what every console page shows around its section.
type adminData struct {
	Section string
	Admin   bool // the viewer may manage accounts
	Done    string
	Error   string
	Form    url.Values // the refused form's values, to show again
	Data    any
}

// adminState is how a section is rendered: after a GET, or after a refused
// action.
type adminState struct {
	status int
	err    string
	form   url.Values
}

func (s *Server) renderAdmin(c echo.Context, st adminState, section string, data any) error {
	d := adminData{Section: section, Admin: s.signedIn(c).Role == account.RoleAdmin, Error: st.err, Form: st.form, Data: data}
	if d.Form == nil {
		d.Form = url.Values{}
	}
	if done := c.QueryParam("done"); done != "" && st.err == "" {
		if msg, ok := webStrings["admin.done."+done]; ok {
			d.Done = msg
		}
	}
	status := st.status
	if status == 0 {
		status = http.StatusOK
	}
	return s.render(c, status, "admin_"+section, webPage{Title: tr("admin.title") + ": " + tr("admin.nav."+section),
		Section: "admin", Data: d})
}

// refused re-renders a section after an action failed for a reason the
// person can act on; other errors go to the error handler.
func (s *Server) refused(c echo.Context, err error, show func(echo.Context, adminState) error) error {
	var te *tocsin.Error
	if !errors.As(err, &te) {
		return err
	}
	form, _ := c.FormParams()
	form.Del(webCSRFField)
	return show(c, adminState{status: errorStatus(err), err: err.Error(), form: form})
}

func done(c echo.Context, section, key string) error {
	return c.Redirect(http.StatusSeeOther, "/admin/"+section+"?done="+key)
}

func modByWeb(c echo.Context, s *Server) moderation.By { return moderation.By(s.signedIn(c).Username) }

// --- review queue ---

type reviewRow struct {
	ID, IRI, Type, Author, AuthorURL, ReceivedFrom, Title, Text, TLP string
	Published                                                        time.Time
}

func (s *Server) adminReview(c echo.Context) error { return s.showReview(c, adminState{}) }

func (s *Server) showReview(c echo.Context, st adminState) error {
	ctx := c.Request().Context()
	held, err := s.fed.DB.ReviewQueue(ctx, c.QueryParam("after"), 100)
	if err != nil {
		return err
	}
	rows := make([]reviewRow, 0, len(held))
	for _, o := range held {
		r := reviewRow{ID: o.Seq, IRI: o.IRI, Type: o.Type, Author: s.handleOf(o.AttributedTo, hostOfIRI(o.AttributedTo)),
			AuthorURL: o.AttributedTo, ReceivedFrom: o.ReceivedFrom, Published: o.Published}
		if ar, err := s.pub.GetAlert(ctx, o.IRI); err == nil {
			r.Title, r.Text, r.TLP = ar.Alert.Title, ar.Alert.Body, ar.Alert.TLP.Label()
			r.Type = tr("admin.review.alert")
		} else {
			var raw struct{ Name, Summary, Content string }
			_ = json.Unmarshal(o.Raw, &raw)
			r.Title, r.Text = raw.Name, stripTags(raw.Content)
			if r.Title == "" {
				r.Title = raw.Summary
			}
		}
		if len(r.Text) > 600 {
			r.Text = strings.ToValidUTF8(r.Text[:600], "") + "…"
		}
		rows = append(rows, r)
	}
	return s.renderAdmin(c, st, "review", rows)
}

// stripTags returns HTML's text, roughly (for a preview, escaped again on
// output).
func stripTags(h string) string {
	var b strings.Builder
	in := false
	for _, r := range h {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
			b.WriteByte(' ')
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

func (s *Server) adminReviewDecide(approve bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		var o *store.Object
		err := s.fed.DB.View(ctx, func(t *store.Tx) error {
			var err error
			o, err = t.ObjectBySeq(c.Param("id"))
			return err
		})
		if errors.Is(err, store.ErrNotFound) {
			return s.refused(c, tocsin.Errorf(tocsin.ENOTFOUND, "%s", tr("admin.review.gone")), s.showReview)
		}
		if err != nil {
			return err
		}
		if approve {
			_, err = s.mod.Approve(ctx, modByWeb(c, s), o.IRI)
		} else {
			err = s.mod.Reject(ctx, modByWeb(c, s), o.IRI, strings.TrimSpace(c.FormValue("reason")))
		}
		if err != nil {
			return s.refused(c, err, s.showReview)
		}
		if approve {
			return done(c, "review", "approved")
		}
		return done(c, "review", "rejected")
	}
}

// --- reports ---

type reportRow struct {
	*store.Report
	TargetName string
}

type reportsData struct {
	All     bool
	Reports []reportRow
	Actions []string
}

func (s *Server) adminReports(c echo.Context) error { return s.showReports(c, adminState{}) }

func (s *Server) showReports(c echo.Context, st adminState) error {
	all := c.QueryParam("all") == "1"
	list, err := s.fed.DB.Reports(c.Request().Context())
	if err != nil {
		return err
	}
	d := reportsData{All: all, Actions: []string{moderation.ActionNone, moderation.ActionRemove, moderation.ActionLimit, moderation.ActionSuspend}}
	for i := len(list) - 1; i >= 0; i-- { // newest first
		r := list[i]
		if all || r.ResolvedAt.IsZero() {
			d.Reports = append(d.Reports, reportRow{Report: r, TargetName: s.handleOf(r.Target, hostOfIRI(r.Target))})
		}
	}
	return s.renderAdmin(c, st, "reports", d)
}

func (s *Server) adminResolveReport(c echo.Context) error {
	if err := s.maySuspendByReport(c, c.Param("id"), c.FormValue("action")); err != nil {
		return s.refused(c, err, s.showReports)
	}
	_, err := s.mod.ResolveReport(c.Request().Context(), modByWeb(c, s), c.Param("id"), c.FormValue("action"),
		strings.TrimSpace(c.FormValue("reason")))
	if err != nil {
		return s.refused(c, err, s.showReports)
	}
	return done(c, "reports", "resolved")
}

// maySuspendByReport applies to a report's "suspend" the rule of the API's
// account actions (mayActOn): no one suspends their own account, and only
// an admin suspends an admin.
func (s *Server) maySuspendByReport(c echo.Context, id, action string) error {
	if action != moderation.ActionSuspend {
		return nil
	}
	r, err := s.fed.DB.Report(c.Request().Context(), id)
	if err != nil {
		return nil // ResolveReport reports an unknown report
	}
	name, ok := s.urls.LocalUsername(r.Target)
	if !ok {
		return nil
	}
	target, err := s.accounts.Get(c.Request().Context(), name)
	if err != nil {
		return nil
	}
	me := s.signedIn(c)
	switch {
	case target.ID == me.ID:
		return tocsin.Errorf(tocsin.EINVALID, "you cannot take this action on your own account")
	case target.Role == account.RoleAdmin && me.Role != account.RoleAdmin:
		return tocsin.Errorf(tocsin.EFORBIDDEN, "only an admin may suspend an admin")
	}
	return nil
}

// --- domains ---

type domainsData struct {
	Mode          string
	Levels        []string
	Default       string
	Trusts        []*store.Trust
	Subscriptions []adminSubscription // web_trustlists.go
}

func (s *Server) adminDomains(c echo.Context) error { return s.showDomains(c, adminState{}) }

func (s *Server) showDomains(c echo.Context, st adminState) error {
	list, err := s.fed.DB.Trusts(c.Request().Context(), true)
	if err != nil {
		return err
	}
	subs, err := s.adminSubscriptions(c)
	if err != nil {
		return err
	}
	return s.renderAdmin(c, st, "domains", domainsData{Mode: s.mod.Mode(), Levels: moderation.Levels,
		Default: store.TrustReview, Trusts: list, Subscriptions: subs})
}

func (s *Server) adminSetDomain(c echo.Context) error {
	_, err := s.mod.SetDomainTrust(c.Request().Context(), modByWeb(c, s), c.FormValue("domain"), c.FormValue("level"),
		strings.TrimSpace(c.FormValue("reason")), strings.TrimSpace(c.FormValue("note")))
	if err != nil {
		return s.refused(c, err, s.showDomains)
	}
	return done(c, "domains", "domainSet")
}

func (s *Server) adminClearDomain(c echo.Context) error {
	err := s.mod.ClearDomainTrust(c.Request().Context(), modByWeb(c, s), strings.TrimSpace(c.FormValue("domain")),
		strings.TrimSpace(c.FormValue("reason")))
	if err != nil {
		return s.refused(c, err, s.showDomains)
	}
	return done(c, "domains", "domainCleared")
}

// --- peers ---

func (s *Server) adminPeers(c echo.Context) error {
	peers, err := s.fed.Peers(c.Request().Context())
	if err != nil {
		return err
	}
	if peers == nil {
		peers = []federation.PeerStatus{}
	}
	return s.renderAdmin(c, adminState{}, "peers", peers)
}

// --- accounts ---

type accountRow struct {
	*store.Account
	ActsFor []string
}

type accountsData struct {
	Accounts   []accountRow
	Publishers []string
	Orgs       []string
	Kinds      []string
	Roles      []string
	Self       string
}

func (s *Server) adminAccounts(c echo.Context) error { return s.showAccounts(c, adminState{}) }

func (s *Server) showAccounts(c echo.Context, st adminState) error {
	all, err := s.accounts.List(c.Request().Context())
	if err != nil {
		return err
	}
	names := make(map[string]string, len(all))
	for _, a := range all {
		names[a.ID] = a.Username
	}
	d := accountsData{Kinds: account.Kinds, Roles: account.Roles, Self: s.signedIn(c).Username}
	for _, a := range all {
		row := accountRow{Account: a}
		for _, id := range a.ActsFor {
			row.ActsFor = append(row.ActsFor, names[id])
		}
		d.Accounts = append(d.Accounts, row)
		switch {
		case a.Kind == account.KindOrganization:
			d.Orgs = append(d.Orgs, a.Username)
		case a.Role == account.RolePublisher || a.Role == account.RoleAdmin:
			d.Publishers = append(d.Publishers, a.Username)
		}
	}
	return s.renderAdmin(c, st, "accounts", d)
}

func (s *Server) adminCreateAccount(c echo.Context) error {
	ctx := c.Request().Context()
	in := account.CreateInput{Username: strings.TrimSpace(c.FormValue("username")), Kind: c.FormValue("kind"),
		Role: c.FormValue("role"), Email: strings.TrimSpace(c.FormValue("email")),
		DisplayName: strings.TrimSpace(c.FormValue("display_name")), Password: c.FormValue("password")}
	a, err := s.accounts.Create(ctx, in)
	if err != nil {
		return s.refused(c, err, func(c echo.Context, st adminState) error {
			st.form.Del("password")
			return s.showAccounts(c, st)
		})
	}
	s.webAudit(ctx, s.signedIn(c), "account.create", a.Username)
	return done(c, "accounts", "created")
}

func (s *Server) adminSetDisabled(disabled bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		name := c.Param("username")
		if disabled && strings.EqualFold(name, s.signedIn(c).Username) {
			return s.refused(c, tocsin.Errorf(tocsin.EINVALID, "%s", tr("admin.accounts.notSelf")), s.showAccounts)
		}
		if _, err := s.accounts.SetDisabled(ctx, name, disabled); err != nil {
			return s.refused(c, err, s.showAccounts)
		}
		action, key := "account.enable", "enabled"
		if disabled {
			action, key = "account.disable", "disabled"
		}
		s.webAudit(ctx, s.signedIn(c), action, name)
		return done(c, "accounts", key)
	}
}

func (s *Server) adminGrant(c echo.Context) error {
	ctx := c.Request().Context()
	pub, org := c.FormValue("publisher"), c.FormValue("organization")
	var err error
	action, key := "account.grant", "granted"
	if c.FormValue("op") == "revoke" {
		action, key = "account.revoke", "revoked"
		err = s.accounts.Revoke(ctx, pub, org)
	} else {
		err = s.accounts.Grant(ctx, pub, org)
	}
	if err != nil {
		return s.refused(c, err, s.showAccounts)
	}
	s.webAudit(ctx, s.signedIn(c), action, pub+" -> "+org)
	return done(c, "accounts", key)
}

// --- circles ---

type circlesData struct {
	Circles []*store.Circle
	CanEdit bool // admins only
}

func (s *Server) adminCircles(c echo.Context) error { return s.showCircles(c, adminState{}) }

func (s *Server) showCircles(c echo.Context, st adminState) error {
	list, err := s.pub.Circles(c.Request().Context())
	if err != nil {
		return err
	}
	if st.form == nil {
		if name := c.QueryParam("edit"); name != "" {
			for _, ci := range list {
				if strings.EqualFold(ci.Name, name) {
					st.form = url.Values{"name": {ci.Name}, "members": {strings.Join(ci.Members, "\n")}}
				}
			}
		}
	}
	me := s.signedIn(c)
	return s.renderAdmin(c, st, "circles", circlesData{Circles: list, CanEdit: me != nil && me.Role == account.RoleAdmin})
}

func (s *Server) adminSetCircle(c echo.Context) error {
	ctx := c.Request().Context()
	name := strings.TrimSpace(c.FormValue("name"))
	members := splitFields(c.FormValue("members"))
	ci, err := s.pub.SetCircle(ctx, name, members)
	if err != nil {
		if tocsin.ErrorCode(err) == tocsin.EINTERNAL {
			// Resolving a member failed (network or unknown account): say so.
			err = tocsin.Errorf(tocsin.EINVALID, "%s: %v", tr("admin.circles.unresolved"), err)
		}
		return s.refused(c, err, s.showCircles)
	}
	s.webAudit(ctx, s.signedIn(c), "circle.set", ci.Name)
	return done(c, "circles", "circleSet")
}

func (s *Server) adminDeleteCircle(c echo.Context) error {
	ctx := c.Request().Context()
	name := c.FormValue("name")
	if err := s.pub.DeleteCircle(ctx, name); err != nil {
		return s.refused(c, err, s.showCircles)
	}
	s.webAudit(ctx, s.signedIn(c), "circle.delete", name)
	return done(c, "circles", "circleDeleted")
}

// --- audit log ---

type auditData struct {
	Actor, Action, Target string
	Entries               []*store.AuditEntry
	Older, Newest         string
}

func (s *Server) adminAudit(c echo.Context) error {
	q := c.QueryParams()
	d := auditData{Actor: strings.TrimSpace(q.Get("actor")), Action: strings.TrimSpace(q.Get("action")),
		Target: strings.TrimSpace(q.Get("target"))}
	f := store.AuditFilter{Actor: d.Actor, Action: d.Action, Target: d.Target, Limit: adminAuditPage + 1}
	if m := q.Get("max_id"); m != "" {
		n, err := strconv.ParseUint(m, 10, 64)
		if err != nil {
			return s.renderAdmin(c, adminState{status: http.StatusBadRequest, err: tr("admin.audit.badCursor")}, "audit", d)
		}
		f.Before = max(n, 1)
	}
	entries, err := s.fed.DB.AuditLog(c.Request().Context(), f)
	if err != nil {
		return err
	}
	filter := url.Values{}
	for k, v := range map[string]string{"actor": d.Actor, "action": d.Action, "target": d.Target} {
		if v != "" {
			filter.Set(k, v)
		}
	}
	if len(entries) > adminAuditPage {
		entries = entries[:adminAuditPage]
		nq := url.Values{}
		for k, v := range filter {
			nq[k] = slices.Clone(v)
		}
		nq.Set("max_id", strconv.FormatUint(entries[len(entries)-1].Seq, 10))
		d.Older = withQuery("/admin/audit", nq)
	}
	if q.Get("max_id") != "" {
		d.Newest = withQuery("/admin/audit", filter)
	}
	d.Entries = entries
	return s.renderAdmin(c, adminState{}, "audit", d)
}
