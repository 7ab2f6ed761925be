package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/account"
	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/publish"
	"github.com/tocsin-network/tocsin/store"
)

// webPageSize is how many alerts or notes a list page shows.
const webPageSize = 20

// webFilterForm is the alert list's filter as the form shows it.
type webFilterForm struct {
	Country, Category, Severity, Status, Origin, Since, Until string
}

// filterParams are the query parameters the alert list and feeds read.
var filterParams = []string{"country", "category", "severity", "status", "origin", "since", "until"}

// readWebFilter reads the list filter from the query: single values from
// the form, or comma-separated lists; dates as YYYY-MM-DD (until is
// inclusive) or RFC 3339. TLP is never read: public pages show CLEAR only.
func readWebFilter(q url.Values) (webFilterForm, store.AlertFilter, []string) {
	form := webFilterForm{
		Country: strings.ToUpper(strings.TrimSpace(q.Get("country"))), Category: q.Get("category"),
		Severity: q.Get("severity"), Status: q.Get("status"), Origin: q.Get("origin"),
		Since: strings.TrimSpace(q.Get("since")), Until: strings.TrimSpace(q.Get("until")),
	}
	in := publish.FilterInput{
		Countries: q["country"], Categories: q["category"], Severities: q["severity"],
		Statuses: q["status"], Origin: form.Origin, Since: dayStart(form.Since, false),
		Until: dayStart(form.Until, true), Limit: webPageSize, MaxID: q.Get("max_id"),
	}
	f, err := in.Filter()
	var problems []string
	var te *tocsin.Error
	if errors.As(err, &te) {
		for _, p := range te.Fields {
			problems = append(problems, label("filter", p.Field)+": "+p.Message)
		}
	} else if err != nil {
		problems = append(problems, err.Error())
	}
	return form, f, problems
}

// dayStart turns a date from a date input into an RFC 3339 time: the start
// of that day in UTC, or of the next day for an inclusive upper bound.
func dayStart(v string, next bool) string {
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return v
	}
	if next {
		d = d.AddDate(0, 0, 1)
	}
	return d.Format(time.RFC3339)
}

// filterQuery returns the filter's query values, without the cursor.
func filterQuery(q url.Values) url.Values {
	out := url.Values{}
	for _, k := range filterParams {
		for _, v := range q[k] {
			if v = strings.TrimSpace(v); v != "" {
				out.Add(k, v)
			}
		}
	}
	return out
}

type alertsData struct {
	Form       webFilterForm
	Problems   []string
	Alerts     []webAlert
	Older      string
	Newest     string
	Countries  []alert.Country
	Categories []alert.CategoryInfo
	Severities []alert.Severity
	Statuses   []alert.Status
}

// webAlerts is the public alert list with its filter form.
func (s *Server) webAlerts(c echo.Context) error {
	q := c.QueryParams()
	form, f, problems := readWebFilter(q)
	d := alertsData{Form: form, Problems: problems, Countries: alert.Countries(),
		Categories: alert.Categories(), Severities: alert.Severities(), Statuses: alert.Statuses()}
	status := http.StatusOK
	fq := filterQuery(q)
	if len(problems) > 0 {
		status = http.StatusBadRequest
	} else {
		recs, next, err := s.pub.ListVisible(c.Request().Context(), s.webViewer(c), f)
		if err != nil {
			return err
		}
		d.Alerts = s.webAlertViews(recs)
		if next != "" {
			nq := filterQuery(q)
			nq.Set("max_id", next)
			d.Older = withQuery("/alerts", nq)
		}
		if q.Get("max_id") != "" {
			d.Newest = withQuery("/alerts", fq)
		}
	}
	return s.render(c, status, "alerts", webPage{
		Title: tr("alerts.title"), Section: "alerts", Canonical: s.urls.Base + withQuery("/alerts", fq),
		Feeds: s.feedLinks("/alerts", feedFilterQuery(fq), trf("feed.alerts", s.cfg.Instance.Name)), Data: d,
	})
}

type alertData struct {
	webAlert
	Revisions []webRevision
	EditURL   string // for a signed-in person who may edit it
	webCorroboration
}

// webAlertPage shows one alert with every field, its history and origin.
func (s *Server) webAlertPage(c echo.Context, rec *store.AlertRecord) error {
	v := s.webAlertView(rec)
	corr, err := s.webCorroborationOf(c.Request().Context(), rec)
	if err != nil {
		return err
	}
	p := webPage{Title: rec.Alert.Title, Section: "alerts", Canonical: v.Page,
		Data: alertData{webAlert: v, Revisions: revisionViews(rec.Revisions), webCorroboration: corr}}
	if a := s.signedIn(c); a != nil && rec.Local && (a.Role == account.RoleAdmin || slices.Contains(a.ActsFor, rec.AccountID)) {
		d := p.Data.(alertData)
		d.EditURL = "/compose/alert/" + rec.Seq
		p.Data = d
	}
	if rec.Local {
		p.ActivityJSON = rec.IRI
	}
	c.Response().Header().Add("Vary", "Accept")
	return s.render(c, http.StatusOK, "alert", p)
}

// webPeerAlert is an alert's page on this instance by its Seq: the local
// page of a peer's alert. A local alert's page is its IRI.
func (s *Server) webPeerAlert(c echo.Context) error {
	rec, err := s.pub.DB().AlertBySeq(c.Request().Context(), c.Param("id"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && !publish.CanRead(s.webViewer(c), rec)) {
		return s.webNotFound(c)
	}
	if err != nil {
		return err
	}
	if rec.Local {
		return c.Redirect(http.StatusMovedPermanently, rec.IRI)
	}
	return s.webAlertPage(c, rec)
}

// webObject is the HTML side of a local object's IRI: its alert or note
// page, when anyone may read it.
func (s *Server) webObject(c echo.Context) error {
	ctx := c.Request().Context()
	iri := s.urls.Object(c.Param("username"), c.Param("id"))
	c.Response().Header().Add("Vary", "Accept")
	if s.pub == nil {
		return s.webNotFound(c)
	}
	db := s.pub.DB()
	if rec, err := db.Alert(ctx, iri); err == nil {
		if !rec.Local || !publish.CanRead(s.webViewer(c), rec) {
			return s.webNotFound(c)
		}
		return s.webAlertPage(c, rec)
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if rec, err := db.Note(ctx, iri); err == nil {
		if !rec.Local || !noteVisible(rec) {
			return s.webNotFound(c)
		}
		return s.webNotePage(c, rec)
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return s.webNotFound(c)
}
