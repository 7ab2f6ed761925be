package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/publish"
	"github.com/tocsin-network/tocsin/store"
)

// The Tocsin JSON API for threat alerts and good-practice notes (see
// docs/api.md). Reads apply TLP with publish.CanRead; writes need a user
// token with write:statuses and act as an organisation.
func (s *Server) alertAPIRoutes() {
	if s.pub == nil || s.oauth == nil {
		return
	}
	g := s.e.Group("/api/v1/tocsin")
	write := s.requireUser("write", "write:statuses")
	g.GET("/alerts", s.apiListAlerts, s.optionalAuth())
	g.GET("/alerts/:id", s.apiGetAlert, s.optionalAuth())
	g.POST("/alerts", s.apiCreateAlert, write)
	g.PUT("/alerts/:id", s.apiUpdateAlert, write)
	g.POST("/alerts/:id/resolve", s.apiAlertTransition, write)
	g.POST("/alerts/:id/retract", s.apiAlertTransition, write)
	g.GET("/notes", s.apiListNotes, s.optionalAuth())
	g.POST("/notes", s.apiCreateNote, write)
}

// AlertView is an alert as the API shows it.
type AlertView struct {
	ID           string           `json:"id"`
	URI          string           `json:"uri"`
	Author       string           `json:"author"`
	Local        bool             `json:"local"`
	Origin       string           `json:"origin,omitempty"`
	Title        string           `json:"title"`
	Body         string           `json:"body"`
	BodyHTML     string           `json:"body_html"`
	Severity     string           `json:"severity"`
	Confidence   string           `json:"confidence"`
	Category     string           `json:"category"`
	Countries    []string         `json:"countries"`
	Subdivisions []string         `json:"subdivisions"`
	Election     *alert.Election  `json:"election"`
	TLP          string           `json:"tlp"`
	Circle       string           `json:"circle,omitempty"`
	Recipients   []string         `json:"recipients,omitempty"`
	Status       string           `json:"status"`
	Published    string           `json:"published"`
	Updated      *string          `json:"updated"`
	Expires      *string          `json:"expires"`
	Expired      bool             `json:"expired"`
	Sources      []alert.Source   `json:"sources"`
	Language     string           `json:"language"`
	Supersedes   string           `json:"supersedes,omitempty"`
	Moderation   string           `json:"moderation,omitempty"`
	Revisions    []alert.Revision `json:"revisions,omitempty"` // staff only
	// Corroboration counts the organisations that voted (corroboration.go);
	// null when the origin sent no count.
	Corroboration *CorroborationView `json:"corroboration"`
	Translations  []TranslationView  `json:"translations"` // accepted, with their translators
}

func timePtr(t interface{ IsZero() bool }, s string) *string {
	if t.IsZero() {
		return nil
	}
	return &s
}

func (s *Server) alertView(ctx context.Context, rec *store.AlertRecord, staff bool) (AlertView, error) {
	a := rec.Alert
	v := AlertView{
		ID: rec.Seq, URI: rec.IRI, Author: a.Author, Local: rec.Local, Origin: rec.Origin,
		Title: a.Title, Body: a.Body, BodyHTML: a.BodyHTML, Severity: string(a.Severity),
		Confidence: string(a.Confidence), Category: string(a.Category),
		Countries: nonNilStrings(a.Countries), Subdivisions: nonNilStrings(a.Subdivisions),
		TLP: a.TLP.String(), Status: string(a.Status), Published: a.Published.UTC().Format(timeFormat),
		Updated: timePtr(a.Updated, a.Updated.UTC().Format(timeFormat)), Expires: timePtr(a.Expires, a.Expires.UTC().Format(timeFormat)),
		Expired: a.Expired(s.now()), Language: a.Language, Supersedes: a.Supersedes,
	}
	v.Sources = make([]alert.Source, len(a.Sources))
	for i, src := range a.Sources {
		src.URL = urlSpecials.Replace(src.URL)
		v.Sources[i] = src
	}
	if !a.Election.IsZero() {
		e := a.Election
		v.Election = &e
	}
	if staff {
		v.Circle, v.Recipients, v.Moderation, v.Revisions = a.Circle, a.Recipients, rec.Moderation, rec.Revisions
	}
	return v, s.alertExtras(ctx, &v, rec)
}

// writeAlert answers with one alert's view.
func (s *Server) writeAlert(c echo.Context, rec *store.AlertRecord, staff bool) error {
	v, err := s.alertView(c.Request().Context(), rec, staff)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

const timeFormat = "2006-01-02T15:04:05.000Z"

// urlSpecials percent-encodes the characters a URL may not hold raw (RFC
// 3986) but url.Parse lets through: a peer's source link arrives as sent,
// and a client that puts it in an attribute must not meet a quote.
var urlSpecials = strings.NewReplacer(`"`, "%22", "<", "%3C", ">", "%3E", " ", "%20", "`", "%60", `\`, "%5C",
	"{", "%7B", "}", "%7D", "|", "%7C", "^", "%5E")

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// viewer is who reads, for the TLP rules.
func (s *Server) viewer(c echo.Context) *publish.Viewer {
	tok := currentToken(c)
	if tok == nil || tok.Account == nil {
		return nil
	}
	return &publish.Viewer{Account: tok.Account, Actor: s.urls.Actor(tok.Account.Username)}
}

func isStaff(v *publish.Viewer) bool {
	return v != nil && v.Account != nil && (v.Account.Role == "admin" || v.Account.Role == "moderator" ||
		(v.Account.Role == "publisher" && len(v.Account.ActsFor) > 0))
}

// bindQuery reads repeated and comma-separated query values (country=KE&country=UG,
// or country[]=KE as Mastodon clients send arrays).
func queryList(q url.Values, name string) []string {
	return append(append([]string{}, q[name]...), q[name+"[]"]...)
}

func (s *Server) apiListAlerts(c echo.Context) error {
	q := c.QueryParams()
	in := publish.FilterInput{
		Countries: queryList(q, "country"), Categories: queryList(q, "category"),
		Severities: queryList(q, "severity"), Statuses: queryList(q, "status"), TLPs: queryList(q, "tlp"),
		Origin: q.Get("origin"), Since: q.Get("since"), Until: q.Get("until"), MaxID: q.Get("max_id"),
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil {
			return tocsin.Invalid(tocsin.FieldError{Field: "limit", Message: "must be a number"})
		}
		in.Limit = n
	}
	f, err := in.Filter()
	if err != nil {
		return err
	}
	v := s.viewer(c)
	recs, next, err := s.pub.ListVisible(c.Request().Context(), v, f)
	if err != nil {
		return err
	}
	out := make([]AlertView, 0, len(recs))
	for _, r := range recs {
		av, err := s.alertView(c.Request().Context(), r, isStaff(v))
		if err != nil {
			return err
		}
		out = append(out, av)
	}
	if next != "" {
		nq := c.QueryParams()
		nq.Set("max_id", next)
		c.Response().Header().Set("Link", `<`+s.urls.Base+c.Request().URL.Path+"?"+nq.Encode()+`>; rel="next"`)
	}
	return c.JSON(http.StatusOK, out)
}

// alertByID finds an alert the viewer may read; others are 404, so that
// RED and AMBER alerts do not even reveal that they exist.
func (s *Server) alertByID(c echo.Context) (*store.AlertRecord, error) {
	rec, err := s.pub.DB().AlertBySeq(c.Request().Context(), c.Param("id"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && !publish.CanRead(s.viewer(c), rec)) {
		return nil, tocsin.Errorf(tocsin.ENOTFOUND, "Record not found")
	}
	return rec, err
}

func (s *Server) apiGetAlert(c echo.Context) error {
	rec, err := s.alertByID(c)
	if err != nil {
		return err
	}
	return s.writeAlert(c, rec, isStaff(s.viewer(c)))
}

// author returns who publishes: the organisation the token acts as, or the
// one named by "as" that the person may act for.
func (s *Server) author(c echo.Context, as string) (publish.Author, error) {
	tok := currentToken(c)
	au := publish.Author{Person: tok.Account, Org: tok.ActAs}
	if as != "" {
		org, err := s.accounts.Get(c.Request().Context(), as)
		if err != nil {
			return au, tocsin.Invalid(tocsin.FieldError{Field: "as", Message: "no such organisation"})
		}
		if tok.Account.Role != "admin" && !slices.Contains(tok.Account.ActsFor, org.ID) {
			return au, tocsin.Errorf(tocsin.EFORBIDDEN, "%s may not publish as %s", tok.Account.Username, as)
		}
		au.Org = org
	}
	if au.Org == nil {
		return au, tocsin.Invalid(tocsin.FieldError{Field: "as", Message: "authorise the app as an organisation, or name one you may publish for"})
	}
	return au, nil
}

type alertRequest struct {
	As string `json:"as" form:"as"`
	publish.AlertInput
}

func (s *Server) bindAlert(c echo.Context) (publish.Author, alertRequest, error) {
	var req alertRequest
	if err := c.Bind(&req); err != nil {
		return publish.Author{}, req, tocsin.Errorf(tocsin.EINVALID, "could not read the request: %v", err)
	}
	au, err := s.author(c, req.As)
	return au, req, err
}

func (s *Server) defaultLanguage() string {
	if l := s.cfg.Instance.Languages; len(l) > 0 {
		return l[0]
	}
	return "en"
}

func (s *Server) apiCreateAlert(c echo.Context) error {
	au, req, err := s.bindAlert(c)
	if err != nil {
		return err
	}
	a, problems := req.Alert(s.defaultLanguage())
	if len(problems) > 0 {
		return publish.InvalidInput(a, problems)
	}
	rec, err := s.pub.CreateAlert(c.Request().Context(), au, a)
	if err != nil {
		return err
	}
	return s.writeAlert(c, rec, true)
}

func (s *Server) apiUpdateAlert(c echo.Context) error {
	au, req, err := s.bindAlert(c)
	if err != nil {
		return err
	}
	rec, err := s.alertByID(c)
	if err != nil {
		return err
	}
	a, problems := req.Alert(s.defaultLanguage())
	if len(problems) > 0 {
		return publish.InvalidInput(a, problems)
	}
	rec, err = s.pub.UpdateAlert(c.Request().Context(), au, rec.IRI, a)
	if err != nil {
		return err
	}
	return s.writeAlert(c, rec, true)
}

func (s *Server) apiAlertTransition(c echo.Context) error {
	var req alertRequest
	_ = c.Bind(&req)
	au, err := s.author(c, req.As)
	if err != nil {
		return err
	}
	rec, err := s.alertByID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if c.Path() == "/api/v1/tocsin/alerts/:id/resolve" {
		rec, err = s.pub.ResolveAlert(ctx, au, rec.IRI)
	} else {
		rec, err = s.pub.RetractAlert(ctx, au, rec.IRI)
	}
	if err != nil {
		return err
	}
	return s.writeAlert(c, rec, true)
}

// NoteView is a good-practice note as the API shows it.
type NoteView struct {
	ID        string   `json:"id"`
	URI       string   `json:"uri"`
	Author    string   `json:"author"`
	Local     bool     `json:"local"`
	Origin    string   `json:"origin,omitempty"`
	Title     string   `json:"title"`
	Summary   string   `json:"summary"`
	Body      string   `json:"body"`
	BodyHTML  string   `json:"body_html"`
	Topics    []string `json:"topics"`
	Countries []string `json:"countries"`
	Language  string   `json:"language"`
	Published string   `json:"published"`
}

func noteView(r *store.NoteRecord) NoteView {
	n := r.Note
	return NoteView{ID: r.Seq, URI: r.IRI, Author: n.Author, Local: r.Local, Origin: r.Origin, Title: n.Title,
		Summary: n.Summary, Body: n.Body, BodyHTML: n.BodyHTML, Topics: nonNilStrings(n.Topics),
		Countries: nonNilStrings(n.Countries), Language: n.Language, Published: n.Published.UTC().Format(timeFormat)}
}

func (s *Server) apiListNotes(c echo.Context) error {
	q := c.QueryParams()
	f := store.NoteFilter{Countries: publish.UpperAll(publish.SplitList(queryList(q, "country"))),
		Topics: publish.SplitList(queryList(q, "topic")), MaxSeq: q.Get("max_id")}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > store.MaxListLimit {
			return tocsin.Invalid(tocsin.FieldError{Field: "limit", Message: "must be from 1 to 200"})
		}
		f.Limit = n
	}
	recs, _, err := s.pub.ListNotes(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return jsonList(c, recs, noteView)
}

type noteRequest struct {
	As        string   `json:"as" form:"as"`
	Title     string   `json:"title" form:"title"`
	Summary   string   `json:"summary" form:"summary"`
	Body      string   `json:"body" form:"body"`
	Topics    []string `json:"topics" form:"topics"`
	Countries []string `json:"countries" form:"countries"`
	Language  string   `json:"language" form:"language"`
}

func (s *Server) apiCreateNote(c echo.Context) error {
	var req noteRequest
	if err := c.Bind(&req); err != nil {
		return tocsin.Errorf(tocsin.EINVALID, "could not read the request: %v", err)
	}
	au, err := s.author(c, req.As)
	if err != nil {
		return err
	}
	lang := req.Language
	if lang == "" {
		lang = s.defaultLanguage()
	}
	rec, err := s.pub.CreateNote(c.Request().Context(), au, alert.PracticeNote{
		Title: req.Title, Summary: req.Summary, Body: req.Body, Topics: publish.SplitList(req.Topics),
		Countries: publish.UpperAll(publish.SplitList(req.Countries)), Language: lang,
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, noteView(rec))
}
