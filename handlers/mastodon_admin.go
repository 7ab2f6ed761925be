package handlers

// The Mastodon admin API subset that moderation clients implement
// (docs.joinmastodon.org/methods/admin/): accounts, reports, domain blocks
// and domain allows, over Tocsin's moderation: a domain block is a trust
// level (silence = limited, suspend = blocked, noop = review), a domain
// allow the trusted level; local accounts are disabled and enabled, remote
// ones limited or blocked. Also POST /api/v1/reports, by which members
// report an account. Routes are registered by adminRoutes
// (api_moderation.go).

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/mastodon"
	"github.com/tocsin-network/tocsin/moderation"
	"github.com/tocsin-network/tocsin/store"
)

func (a *modAPI) mastodonAdminRoutes() {
	e := a.e
	readAcc, writeAcc := a.requireStaff("admin:read:accounts"), a.requireStaff("admin:write:accounts")
	e.GET("/api/v1/admin/accounts", a.adminListAccounts, readAcc)
	e.GET("/api/v1/admin/accounts/:id", a.adminGetAccount, readAcc)
	e.POST("/api/v1/admin/accounts/:id/action", a.adminAccountAction, writeAcc)
	e.POST("/api/v1/admin/accounts/:id/enable", a.adminUndo("enable"), writeAcc)
	e.POST("/api/v1/admin/accounts/:id/unsilence", a.adminUndo("unsilence"), writeAcc)
	e.POST("/api/v1/admin/accounts/:id/unsuspend", a.adminUndo("unsuspend"), writeAcc)

	readRep, writeRep := a.requireStaff("admin:read:reports"), a.requireStaff("admin:write:reports")
	e.GET("/api/v1/admin/reports", a.adminListReports, readRep)
	e.GET("/api/v1/admin/reports/:id", a.adminGetReport, readRep)
	e.POST("/api/v1/admin/reports/:id/resolve", a.adminResolveReport, writeRep)
	e.POST("/api/v1/admin/reports/:id/reopen", a.adminReopenReport, writeRep)

	readBlk, writeBlk := a.requireStaff("admin:read:domain_blocks"), a.requireStaff("admin:write:domain_blocks")
	e.GET("/api/v1/admin/domain_blocks", a.listDomainBlocks, readBlk)
	e.GET("/api/v1/admin/domain_blocks/:id", a.getDomainBlock, readBlk)
	e.POST("/api/v1/admin/domain_blocks", a.saveDomainBlock, writeBlk)
	e.PUT("/api/v1/admin/domain_blocks/:id", a.saveDomainBlock, writeBlk)
	e.DELETE("/api/v1/admin/domain_blocks/:id", a.deleteDomainBlock, writeBlk)

	readAllow, writeAllow := a.requireStaff("admin:read:domain_allows"), a.requireStaff("admin:write:domain_allows")
	e.GET("/api/v1/admin/domain_allows", a.listDomainAllows, readAllow)
	e.GET("/api/v1/admin/domain_allows/:id", a.getDomainAllow, readAllow)
	e.POST("/api/v1/admin/domain_allows", a.createDomainAllow, writeAllow)
	e.DELETE("/api/v1/admin/domain_allows/:id", a.deleteDomainAllow, writeAllow)

	e.POST("/api/v1/reports", a.createReport, a.requireUser("write:reports"))
}

// AdminAccount is Mastodon's Admin::Account
// (docs.joinmastodon.org/entities/Admin_Account), plus tocsin_trust: a
// remote account's effective trust level.
type AdminAccount struct {
	ID                     string           `json:"id"`
	Username               string           `json:"username"`
	Domain                 *string          `json:"domain"`
	CreatedAt              string           `json:"created_at"`
	Email                  string           `json:"email"`
	IP                     *string          `json:"ip"`
	IPs                    []struct{}       `json:"ips"`
	Locale                 string           `json:"locale"`
	InviteRequest          *string          `json:"invite_request"`
	Role                   *mastodon.Role   `json:"role"`
	Confirmed              bool             `json:"confirmed"`
	Approved               bool             `json:"approved"`
	Disabled               bool             `json:"disabled"`
	Silenced               bool             `json:"silenced"`
	Suspended              bool             `json:"suspended"`
	Sensitized             bool             `json:"sensitized"`
	Account                mastodon.Account `json:"account"`
	CreatedByApplicationID *string          `json:"created_by_application_id"`
	InvitedByAccountID     *string          `json:"invited_by_account_id"`
	TocsinTrust            string           `json:"tocsin_trust,omitempty"`
}

func (a *modAPI) adminLocal(ctx context.Context, acc *store.Account) AdminAccount {
	counts, _ := a.localCounts(ctx, acc)
	role := mastodon.RoleOf(acc.Role)
	lang := "en"
	if l := a.cfg.Instance.Languages; len(l) > 0 {
		lang = l[0]
	}
	return AdminAccount{
		ID: acc.ID, Username: acc.Username, CreatedAt: mastodon.Datetime(acc.CreatedAt), Email: acc.Email,
		IPs: []struct{}{}, Locale: lang, Role: &role, Confirmed: true, Approved: true,
		Disabled: acc.Disabled, Suspended: acc.Disabled, Account: a.converter().LocalAccount(acc, counts),
	}
}

func (a *modAPI) adminRemote(ctx context.Context, iri string) AdminAccount {
	acct := a.storedAccount(ctx, iri)
	host := hostOfIRI(iri)
	out := AdminAccount{ID: acct.ID, Username: acct.Username, Domain: &host, CreatedAt: acct.CreatedAt,
		IPs: []struct{}{}, Confirmed: true, Approved: true, Account: acct}
	if level, _, err := a.mod.ActorLevel(ctx, iri); err == nil {
		out.TocsinTrust = level
		out.Silenced, out.Suspended = level == store.TrustLimited, level == store.TrustBlocked
	}
	return out
}

// adminAccountOf is the Admin::Account of an actor IRI or a local
// username; nil for "" and for names that are no account ("cli").
func (a *modAPI) adminAccountOf(ctx context.Context, who string) *AdminAccount {
	if who == "" {
		return nil
	}
	name, local := a.urls.LocalUsername(who)
	if !strings.Contains(who, "://") {
		name, local = who, true
	}
	if local {
		acc, err := a.accounts.Get(ctx, name)
		if err != nil {
			return nil
		}
		out := a.adminLocal(ctx, acc)
		return &out
	}
	out := a.adminRemote(ctx, who)
	return &out
}

// adminListAccounts is GET /api/v1/admin/accounts (v1): local accounts,
// newest first; with remote=true, remote accounts that have a trust level
// of their own or (by_domain) are stored from one domain. Filters: active,
// disabled, suspended, silenced, pending, staff, username, email.
func (a *modAPI) adminListAccounts(c echo.Context) error {
	ctx := c.Request().Context()
	p := c.QueryParams()
	pg := readMastoPage(p, 100, 200)
	on := func(k string) bool { return paramTrue(p.Get(k)) }
	var list []AdminAccount
	if on("remote") || (p.Get("by_domain") != "" && !on("local")) {
		iris, err := a.remoteAccountIRIs(ctx, strings.ToLower(p.Get("by_domain")))
		if err != nil {
			return err
		}
		for _, iri := range iris {
			list = append(list, a.adminRemote(ctx, iri))
		}
	} else {
		accs, err := a.accounts.List(ctx)
		if err != nil {
			return err
		}
		for _, acc := range accs {
			list = append(list, a.adminLocal(ctx, acc))
		}
	}
	username, email := strings.ToLower(p.Get("username")), strings.ToLower(p.Get("email"))
	list = slices.DeleteFunc(list, func(x AdminAccount) bool {
		staff := x.Role != nil && (x.Role.Name == "Admin" || x.Role.Name == "Moderator")
		return (on("active") && (x.Suspended || x.Silenced)) || (on("disabled") && !x.Disabled) ||
			(on("suspended") && !x.Suspended) || (on("silenced") && !x.Silenced) || on("pending") ||
			(on("staff") && !staff) || (username != "" && !strings.HasPrefix(strings.ToLower(x.Username), username)) ||
			(email != "" && !strings.Contains(strings.ToLower(x.Email), email))
	})
	slices.SortFunc(list, func(x, y AdminAccount) int { return strings.Compare(y.ID, x.ID) })
	page, more := pageDesc(list, func(x AdminAccount) string { return x.ID }, pg)
	if len(page) > 0 {
		a.setMastoLink(c, pg, page[0].ID, page[len(page)-1].ID, more)
	}
	if page == nil {
		page = []AdminAccount{}
	}
	return c.JSON(http.StatusOK, page)
}

// remoteAccountIRIs lists the remote actors with a trust level of their
// own, or those stored from a domain.
func (a *modAPI) remoteAccountIRIs(ctx context.Context, domain string) ([]string, error) {
	if domain != "" {
		var iris []string
		err := a.fed.DB.View(ctx, func(t *store.Tx) error {
			var err error
			iris, err = t.RemoteActorsOn(domain)
			return err
		})
		return iris, err
	}
	trusts, err := a.fed.DB.Trusts(ctx, false)
	if err != nil {
		return nil, err
	}
	iris := make([]string, 0, len(trusts))
	for _, tr := range trusts {
		iris = append(iris, tr.Subject)
	}
	return iris, nil
}

// pageDesc cuts a page from items sorted by id, newest first, as Mastodon
// reads max_id, since_id and min_id; more says older items remain.
func pageDesc[T any](items []T, id func(T) string, pg mastoPage) (page []T, more bool) {
	var in []T
	for _, it := range items {
		k := id(it)
		if (pg.MaxID != "" && k >= pg.MaxID) || (pg.SinceID != "" && k <= pg.SinceID) || (pg.MinID != "" && k <= pg.MinID) {
			continue
		}
		in = append(in, it)
	}
	if len(in) <= pg.Limit {
		return in, false
	}
	if pg.MinID != "" {
		return in[len(in)-pg.Limit:], false
	}
	return in[:pg.Limit], true
}

func (a *modAPI) adminTarget(c echo.Context) (*store.Account, *store.RemoteActor, string, error) {
	local, remote, err := a.accountByID(c.Request().Context(), c.Param("id"))
	if err != nil {
		return nil, nil, "", err
	}
	return local, remote, a.actorIRI(local, remote), nil
}

func (a *modAPI) adminAccountEntity(ctx context.Context, local *store.Account, iri string) AdminAccount {
	if local != nil {
		if fresh, err := a.accounts.Get(ctx, local.Username); err == nil {
			local = fresh
		}
		return a.adminLocal(ctx, local)
	}
	return a.adminRemote(ctx, iri)
}

func (a *modAPI) adminGetAccount(c echo.Context) error {
	local, _, iri, err := a.adminTarget(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.adminAccountEntity(c.Request().Context(), local, iri))
}

// mayActOn refuses actions on one's own account, and a moderator's on an
// admin.
func mayActOn(c echo.Context, target *store.Account) error {
	me := currentToken(c).Account
	if target == nil {
		return nil
	}
	if target.ID == me.ID {
		return tocsin.Errorf(tocsin.EINVALID, "you cannot take this action on your own account")
	}
	if target.Role == "admin" && me.Role != "admin" {
		return echo.NewHTTPError(http.StatusForbidden, msgNotAllowed)
	}
	return nil
}

// reportActions maps an account action to the report action that does it.
var reportActions = map[string]string{
	"none": moderation.ActionNone, "disable": moderation.ActionSuspend,
	"silence": moderation.ActionLimit, "suspend": moderation.ActionSuspend,
}

// adminAccountAction is POST /api/v1/admin/accounts/:id/action: type none,
// disable, silence or suspend; text is the reason; with report_id the
// report is resolved by the action.
func (a *modAPI) adminAccountAction(c echo.Context) error {
	ctx := c.Request().Context()
	p, err := apiParams(c)
	if err != nil {
		return err
	}
	local, _, iri, err := a.adminTarget(c)
	if err != nil {
		return err
	}
	if err := mayActOn(c, local); err != nil {
		return err
	}
	typ, text, reportID := strings.TrimSpace(p.Get("type")), p.Get("text"), strings.TrimSpace(p.Get("report_id"))
	action, ok := reportActions[typ]
	if !ok {
		return tocsin.Invalid(tocsin.FieldError{Field: "type", Message: "must be none, disable, silence or suspend"})
	}
	switch {
	case local != nil && typ == "silence":
		return tocsin.Invalid(tocsin.FieldError{Field: "type", Message: "local accounts cannot be silenced; disable or suspend instead"})
	case local == nil && typ == "disable":
		return tocsin.Invalid(tocsin.FieldError{Field: "type", Message: "only local accounts can be disabled; suspend a remote account"})
	}
	if reportID != "" {
		var r *store.Report
		err := a.fed.DB.View(ctx, func(t *store.Tx) error {
			var err error
			r, err = t.Report(reportID)
			return err
		})
		if errors.Is(err, store.ErrNotFound) {
			return recordNotFound()
		}
		if err != nil {
			return err
		}
		if r.Target != iri {
			return tocsin.Invalid(tocsin.FieldError{Field: "report_id", Message: "is not a report about this account"})
		}
		if _, err := a.mod.ResolveReport(ctx, modBy(c), reportID, action, text); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, struct{}{})
	}
	switch {
	case typ == "none":
	case local != nil:
		if _, err := a.accounts.SetDisabled(ctx, local.Username, true); err != nil {
			return err
		}
		if err := a.mod.Audit(ctx, store.AuditEntry{Actor: string(modBy(c)), Action: "account." + typ, Target: local.Username, Reason: text}); err != nil {
			return err
		}
	case typ == "silence":
		if _, err := a.mod.SetActorTrust(ctx, modBy(c), iri, store.TrustLimited, text); err != nil {
			return err
		}
	case typ == "suspend":
		if _, err := a.mod.BlockActor(ctx, modBy(c), iri, text); err != nil {
			return err
		}
	}
	return c.JSON(http.StatusOK, struct{}{})
}

// adminUndo is POST .../enable, /unsilence and /unsuspend: a local account
// is enabled again; a remote one loses its own limited (unsilence) or
// blocked (unsuspend) level.
func (a *modAPI) adminUndo(op string) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		local, _, iri, err := a.adminTarget(c)
		if err != nil {
			return err
		}
		if err := mayActOn(c, local); err != nil {
			return err
		}
		switch {
		case local != nil && op != "unsilence":
			if _, err := a.accounts.SetDisabled(ctx, local.Username, false); err != nil {
				return err
			}
			if err := a.mod.Audit(ctx, store.AuditEntry{Actor: string(modBy(c)), Action: "account." + op, Target: local.Username}); err != nil {
				return err
			}
		case local == nil && op == "enable":
			return tocsin.Errorf(tocsin.EINVALID, "only local accounts are disabled and enabled")
		case local == nil:
			want := map[string]string{"unsilence": store.TrustLimited, "unsuspend": store.TrustBlocked}[op]
			if tr, err := a.fed.DB.Trust(ctx, iri, false); err == nil && tr.Level == want {
				if err := a.mod.ClearActorTrust(ctx, modBy(c), iri, ""); err != nil {
					return err
				}
			}
		}
		return c.JSON(http.StatusOK, a.adminAccountEntity(ctx, local, iri))
	}
}

// AdminReport is Mastodon's Admin::Report
// (docs.joinmastodon.org/entities/Admin_Report), plus Tocsin's details.
type AdminReport struct {
	ID                   string            `json:"id"`
	ActionTaken          bool              `json:"action_taken"`
	ActionTakenAt        *string           `json:"action_taken_at"`
	Category             string            `json:"category"`
	Comment              string            `json:"comment"`
	Forwarded            bool              `json:"forwarded"`
	CreatedAt            string            `json:"created_at"`
	UpdatedAt            string            `json:"updated_at"`
	Account              *AdminAccount     `json:"account"`
	TargetAccount        *AdminAccount     `json:"target_account"`
	AssignedAccount      *AdminAccount     `json:"assigned_account"`
	ActionTakenByAccount *AdminAccount     `json:"action_taken_by_account"`
	Statuses             []mastodon.Status `json:"statuses"`
	Rules                []struct{}        `json:"rules"`
	Tocsin               ReportDetails     `json:"tocsin"`
}

// ReportDetails are what Tocsin keeps about a report beyond Mastodon's
// entity.
type ReportDetails struct {
	Local      bool     `json:"local"`       // made here, by a member or moderator
	FlagID     string   `json:"flag_id"`     // the Flag's id, when it came from another server
	Forwarded  string   `json:"forwarded"`   // the Flag's id, when it was sent to the origin
	Reporter   string   `json:"reporter"`    // a local username, or the reporting server's actor
	Target     string   `json:"target"`      // the reported actor's IRI
	Objects    []string `json:"objects"`     // the reported posts' IRIs
	Action     string   `json:"action"`      // none, remove, limit, suspend once resolved
	Resolution string   `json:"resolution"`  // the moderator's reason
	ResolvedBy string   `json:"resolved_by"` // username
}

func (a *modAPI) adminReport(c echo.Context, r *store.Report) AdminReport {
	ctx := c.Request().Context()
	out := AdminReport{
		ID: r.ID, ActionTaken: !r.ResolvedAt.IsZero(), Category: "other", Comment: r.Comment,
		Forwarded: r.Forwarded != "", CreatedAt: mastodon.Datetime(r.CreatedAt), UpdatedAt: mastodon.Datetime(r.CreatedAt),
		Account: a.adminAccountOf(ctx, r.Reporter), TargetAccount: a.adminAccountOf(ctx, r.Target),
		Statuses: []mastodon.Status{}, Rules: []struct{}{},
		Tocsin: ReportDetails{Local: r.Local, FlagID: r.FlagID, Forwarded: r.Forwarded, Reporter: r.Reporter, Target: r.Target,
			Objects: r.Objects, Action: r.Action, Resolution: r.Resolution, ResolvedBy: r.ResolvedBy},
	}
	if out.Tocsin.Objects == nil {
		out.Tocsin.Objects = []string{}
	}
	if out.ActionTaken {
		at := mastodon.Datetime(r.ResolvedAt)
		out.ActionTakenAt, out.UpdatedAt = &at, at
		out.ActionTakenByAccount = a.adminAccountOf(ctx, r.ResolvedBy)
	}
	if a.social != nil {
		v := a.socialViewer(c)
		for _, iri := range r.Objects {
			if st, err := a.social.StatusByIRI(ctx, v, iri); err == nil {
				out.Statuses = append(out.Statuses, st)
			}
		}
	}
	return out
}

// adminListReports is GET /api/v1/admin/reports: newest first; open ones
// unless resolved=true; filters account_id (reporter) and
// target_account_id.
func (a *modAPI) adminListReports(c echo.Context) error {
	ctx := c.Request().Context()
	p := c.QueryParams()
	pg := readMastoPage(p, 100, 200)
	all, err := a.fed.DB.Reports(ctx)
	if err != nil {
		return err
	}
	resolved := paramTrue(p.Get("resolved"))
	iriOf := func(id string) string {
		if id == "" {
			return ""
		}
		local, remote, err := a.accountByID(ctx, id)
		if err != nil {
			return "\x00" // matches nothing
		}
		return a.actorIRI(local, remote)
	}
	reporter, target := iriOf(p.Get("account_id")), iriOf(p.Get("target_account_id"))
	var list []*store.Report
	for _, r := range slices.Backward(all) {
		if !r.ResolvedAt.IsZero() != resolved || (target != "" && r.Target != target) {
			continue
		}
		if reporter != "" && r.Reporter != reporter && a.urls.Actor(r.Reporter) != reporter {
			continue
		}
		list = append(list, r)
	}
	page, more := pageDesc(list, func(r *store.Report) string { return r.ID }, pg)
	out := make([]AdminReport, 0, len(page))
	for _, r := range page {
		out = append(out, a.adminReport(c, r))
	}
	if len(page) > 0 {
		a.setMastoLink(c, pg, page[0].ID, page[len(page)-1].ID, more)
	}
	return c.JSON(http.StatusOK, out)
}

func (a *modAPI) report(ctx context.Context, id string) (*store.Report, error) {
	r, err := a.fed.DB.Report(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, recordNotFound()
	}
	return r, err
}

func (a *modAPI) adminGetReport(c echo.Context) error {
	r, err := a.report(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.adminReport(c, r))
}

// adminResolveReport is POST /api/v1/admin/reports/:id/resolve, with
// Tocsin's action (none, remove, limit, suspend; default none) and reason.
func (a *modAPI) adminResolveReport(c echo.Context) error {
	p, err := apiParams(c)
	if err != nil {
		return err
	}
	action := strings.TrimSpace(p.Get("action"))
	if action == "" {
		action = moderation.ActionNone
	}
	reason := p.Get("reason")
	if reason == "" {
		reason = p.Get("text")
	}
	ctx := c.Request().Context()
	if action == moderation.ActionSuspend {
		r, err := a.report(ctx, c.Param("id"))
		if err != nil {
			return err
		}
		if name, ok := a.urls.LocalUsername(r.Target); ok {
			if acc, err := a.accounts.Get(ctx, name); err == nil {
				if err := mayActOn(c, acc); err != nil {
					return err
				}
			}
		}
	}
	r, err := a.mod.ResolveReport(ctx, modBy(c), c.Param("id"), action, reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.adminReport(c, r))
}

func (a *modAPI) adminReopenReport(c echo.Context) error {
	p, err := apiParams(c)
	if err != nil {
		return err
	}
	r, err := a.mod.ReopenReport(c.Request().Context(), modBy(c), c.Param("id"), p.Get("reason"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.adminReport(c, r))
}

// ReportEntity is Mastodon's Report entity (docs.joinmastodon.org/entities/Report),
// which POST /api/v1/reports returns.
type ReportEntity struct {
	ID            string           `json:"id"`
	ActionTaken   bool             `json:"action_taken"`
	ActionTakenAt *string          `json:"action_taken_at"`
	Category      string           `json:"category"`
	Comment       string           `json:"comment"`
	Forwarded     bool             `json:"forwarded"`
	CreatedAt     string           `json:"created_at"`
	StatusIDs     []string         `json:"status_ids"`
	RuleIDs       []string         `json:"rule_ids"`
	TargetAccount mastodon.Account `json:"target_account"`
}

var reportCategories = []string{"spam", "legal", "violation", "other"}

// createReport is POST /api/v1/reports: account_id, status_ids[], comment,
// forward (a remote account's report is also sent to its server, as a
// Flag from the instance actor), category.
func (a *modAPI) createReport(c echo.Context) error {
	ctx := c.Request().Context()
	p, err := apiParams(c)
	if err != nil {
		return err
	}
	id := strings.TrimSpace(p.Get("account_id"))
	if id == "" {
		return tocsin.Invalid(tocsin.FieldError{Field: "account_id", Message: "is required"})
	}
	local, remote, err := a.accountByID(ctx, id)
	if err != nil {
		return err
	}
	target := a.actorIRI(local, remote)
	category := strings.TrimSpace(p.Get("category"))
	if category == "" {
		category = "other"
	}
	if !slices.Contains(reportCategories, category) {
		return tocsin.Invalid(tocsin.FieldError{Field: "category", Message: "must be spam, legal, violation or other"})
	}
	statusIDs := paramValues(p, "status_ids")
	objects := make([]string, 0, len(statusIDs))
	for _, sid := range statusIDs {
		o, err := a.objectBySeq(ctx, sid)
		if err != nil || o.AttributedTo != target {
			return tocsin.Invalid(tocsin.FieldError{Field: "status_ids", Message: "must be statuses of the reported account"})
		}
		objects = append(objects, o.IRI)
	}
	r, err := a.mod.Report(ctx, modBy(c), target, objects, p.Get("comment"), paramTrue(p.Get("forward")))
	if err != nil {
		return err
	}
	out := ReportEntity{ID: r.ID, Category: category, Comment: r.Comment, Forwarded: r.Forwarded != "",
		CreatedAt: mastodon.Datetime(r.CreatedAt), StatusIDs: statusIDs, RuleIDs: []string{},
		TargetAccount: a.storedAccount(ctx, target)}
	if out.StatusIDs == nil {
		out.StatusIDs = []string{}
	}
	return c.JSON(http.StatusOK, out)
}

// Domain block severities and the trust levels they set.
var (
	severityLevel = map[string]string{"silence": store.TrustLimited, "suspend": store.TrustBlocked, "noop": store.TrustReview}
	levelSeverity = map[string]string{store.TrustLimited: "silence", store.TrustBlocked: "suspend", store.TrustReview: "noop"}
)

// AdminDomainBlock is Mastodon's Admin::DomainBlock
// (docs.joinmastodon.org/entities/Admin_DomainBlock); its id is the domain.
type AdminDomainBlock struct {
	ID             string  `json:"id"`
	Domain         string  `json:"domain"`
	Digest         string  `json:"digest"`
	CreatedAt      string  `json:"created_at"`
	Severity       string  `json:"severity"`
	RejectMedia    bool    `json:"reject_media"`
	RejectReports  bool    `json:"reject_reports"`
	PrivateComment *string `json:"private_comment"`
	PublicComment  *string `json:"public_comment"`
	Obfuscate      bool    `json:"obfuscate"`
}

// AdminDomainAllow is Mastodon's Admin::DomainAllow; its id is the domain.
type AdminDomainAllow struct {
	ID        string `json:"id"`
	Domain    string `json:"domain"`
	CreatedAt string `json:"created_at"`
}

func domainBlockOf(tr *store.Trust) AdminDomainBlock {
	sum := sha256.Sum256([]byte(tr.Subject))
	sev := levelSeverity[tr.Level]
	return AdminDomainBlock{ID: tr.Subject, Domain: tr.Subject, Digest: hex.EncodeToString(sum[:]),
		CreatedAt: mastodon.Datetime(tr.UpdatedAt), Severity: sev, RejectMedia: sev == "suspend", RejectReports: sev == "suspend",
		PrivateComment: nullableString(tr.Note), PublicComment: nullableString(tr.Reason)}
}

func nullableString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// domainTrusts lists the domains with an explicit level that keep.
func (a *modAPI) domainTrusts(ctx context.Context, keep func(level string) bool) ([]*store.Trust, error) {
	list, err := a.fed.DB.Trusts(ctx, true)
	if err != nil {
		return nil, err
	}
	list = slices.DeleteFunc(list, func(tr *store.Trust) bool { return !keep(tr.Level) })
	slices.SortFunc(list, func(x, y *store.Trust) int { return strings.Compare(x.Subject, y.Subject) })
	return list, nil
}

func isBlockLevel(level string) bool { _, ok := levelSeverity[level]; return ok }
func isAllowLevel(level string) bool { return level == store.TrustTrusted }

// domainTrust returns the explicit decision about the domain of the
// request's :id when keep accepts its level, else 404.
func (a *modAPI) domainTrust(c echo.Context, keep func(string) bool) (*store.Trust, error) {
	id, err := url.PathUnescape(c.Param("id"))
	if err != nil {
		return nil, recordNotFound()
	}
	tr, err := a.fed.DB.Trust(c.Request().Context(), strings.ToLower(id), true)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !keep(tr.Level)) {
		return nil, recordNotFound()
	}
	return tr, err
}

func (a *modAPI) listDomainBlocks(c echo.Context) error {
	list, err := a.domainTrusts(c.Request().Context(), isBlockLevel)
	if err != nil {
		return err
	}
	return jsonList(c, list, domainBlockOf)
}

func (a *modAPI) getDomainBlock(c echo.Context) error {
	tr, err := a.domainTrust(c, isBlockLevel)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, domainBlockOf(tr))
}

// saveDomainBlock is POST /api/v1/admin/domain_blocks (domain, severity
// silence|suspend|noop, default silence; public_comment is the public
// reason, private_comment the moderators' note) and PUT .../:id, which
// keeps what it is not sent.
func (a *modAPI) saveDomainBlock(c echo.Context) error {
	ctx := c.Request().Context()
	p, err := apiParams(c)
	if err != nil {
		return err
	}
	domain, severity, reason, note := strings.TrimSpace(p.Get("domain")), "silence", p.Get("public_comment"), p.Get("private_comment")
	if c.Param("id") != "" {
		cur, err := a.domainTrust(c, isBlockLevel)
		if err != nil {
			return err
		}
		domain, severity = cur.Subject, levelSeverity[cur.Level]
		if _, ok := p["public_comment"]; !ok {
			reason = cur.Reason
		}
		if _, ok := p["private_comment"]; !ok {
			note = cur.Note
		}
	}
	if domain == "" {
		return tocsin.Invalid(tocsin.FieldError{Field: "domain", Message: "is required"})
	}
	if s := strings.TrimSpace(p.Get("severity")); s != "" {
		severity = s
	}
	level, ok := severityLevel[severity]
	if !ok {
		return tocsin.Invalid(tocsin.FieldError{Field: "severity", Message: "must be silence, suspend or noop"})
	}
	tr, err := a.mod.SetDomainTrust(ctx, modBy(c), domain, level, reason, note)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, domainBlockOf(tr))
}

func (a *modAPI) deleteDomainBlock(c echo.Context) error {
	tr, err := a.domainTrust(c, isBlockLevel)
	if err != nil {
		return err
	}
	if err := a.mod.ClearDomainTrust(c.Request().Context(), modBy(c), tr.Subject, "domain block lifted"); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, struct{}{})
}

func domainAllowOf(tr *store.Trust) AdminDomainAllow {
	return AdminDomainAllow{ID: tr.Subject, Domain: tr.Subject, CreatedAt: mastodon.Datetime(tr.UpdatedAt)}
}

func (a *modAPI) listDomainAllows(c echo.Context) error {
	list, err := a.domainTrusts(c.Request().Context(), isAllowLevel)
	if err != nil {
		return err
	}
	return jsonList(c, list, domainAllowOf)
}

func (a *modAPI) getDomainAllow(c echo.Context) error {
	tr, err := a.domainTrust(c, isAllowLevel)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, domainAllowOf(tr))
}

// createDomainAllow is POST /api/v1/admin/domain_allows: the domain
// becomes trusted (in allowlist mode, it may federate).
func (a *modAPI) createDomainAllow(c echo.Context) error {
	p, err := apiParams(c)
	if err != nil {
		return err
	}
	domain := strings.TrimSpace(p.Get("domain"))
	if domain == "" {
		return tocsin.Invalid(tocsin.FieldError{Field: "domain", Message: "is required"})
	}
	tr, err := a.mod.SetDomainTrust(c.Request().Context(), modBy(c), domain, store.TrustTrusted, p.Get("reason"), "")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, domainAllowOf(tr))
}

func (a *modAPI) deleteDomainAllow(c echo.Context) error {
	tr, err := a.domainTrust(c, isAllowLevel)
	if err != nil {
		return err
	}
	if err := a.mod.ClearDomainTrust(c.Request().Context(), modBy(c), tr.Subject, "domain allow removed"); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, struct{}{})
}
