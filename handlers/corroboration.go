package handlers

// Corroboration and translations of alerts (FEDERATION.md "Corroboration"
// and "Signed translations", docs/api.md): the sightings collection at
// <alert IRI>/sightings, and the JSON API to vote, list votes and decide on
// offered translations. Reads apply TLP with publish.CanRead.

import (
	"context"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/federation"
	"github.com/tocsin-network/tocsin/publish"
	"github.com/tocsin-network/tocsin/store"
)

func (s *Server) corroborationRoutes() {
	s.e.GET("/users/:username/statuses/:id/sightings", s.sightingsCollection)
	s.e.GET("/users/:username/translations/:id", s.translationObject)
	if s.pub == nil || s.oauth == nil {
		return
	}
	g := s.e.Group("/api/v1/tocsin")
	write := s.requireUser("write", "write:statuses")
	g.GET("/alerts/:id/sightings", s.apiListSightings, s.optionalAuth())
	g.POST("/alerts/:id/sightings", s.apiCorroborate, write)
	g.GET("/alerts/:id/translations", s.apiListTranslations, write)
	g.POST("/alerts/:id/translations", s.apiOfferTranslation, write)
	g.POST("/translations/:tid/accept", s.apiDecideTranslation, write)
	g.POST("/translations/:tid/reject", s.apiDecideTranslation, write)
}

// sightingsCollection serves a local alert's sightings collection to those
// who may read the alert: over ActivityPub that is anyone for a CLEAR
// alert, and nobody for the others (their audience received them by
// delivery), exactly as the alert object itself.
func (s *Server) sightingsCollection(c echo.Context) error {
	if err := s.authorizeFetch(c); err != nil {
		return err
	}
	ctx := c.Request().Context()
	iri := s.urls.Object(c.Param("username"), c.Param("id"))
	rec, err := s.fed.DB.Alert(ctx, iri)
	if err != nil || !rec.Local || !publish.CanRead(nil, rec) {
		return echo.NewHTTPError(http.StatusNotFound, "no such collection")
	}
	page := 0
	if p := c.QueryParam("page"); p != "" {
		if page, err = strconv.Atoi(p); err != nil || page < 1 || page > 100000 {
			return echo.NewHTTPError(http.StatusBadRequest, "page must be a number from 1")
		}
	}
	doc, err := s.fed.SightingsCollection(ctx, iri, page)
	if err != nil {
		return err
	}
	c.Response().Header().Add("Vary", "Accept")
	return s.writeActivity(c, http.StatusOK, doc)
}

// translationObject serves a translation one of our organisations offered,
// exactly as it signed it, to whoever may read the alert it translates:
// over ActivityPub, anyone for a CLEAR alert, nobody for the others.
func (s *Server) translationObject(c echo.Context) error {
	if err := s.authorizeFetch(c); err != nil {
		return err
	}
	ctx := c.Request().Context()
	raw, alertIRI, err := s.fed.TranslationDocument(ctx, c.Param("username"), c.Param("id"))
	if err != nil {
		return err
	}
	rec, err := s.fed.DB.Alert(ctx, alertIRI)
	if err != nil || !publish.CanRead(nil, rec) {
		return echo.NewHTTPError(http.StatusNotFound, "no such translation")
	}
	c.Response().Header().Add("Vary", "Accept")
	return c.Blob(http.StatusOK, activityContentType, raw)
}

// CorroborationView is an alert's tally as the API shows it.
type CorroborationView struct {
	Confirmed int    `json:"confirmed"`
	Disputed  int    `json:"disputed"`
	Seen      int    `json:"seen"`
	Summary   string `json:"summary"`             // "Confirmed by 2 networks, disputed by 1"; "" without votes
	Sightings string `json:"sightings,omitempty"` // the collection's IRI
}

// TranslationView is an accepted translation, with who made it.
type TranslationView struct {
	Language       string `json:"language"`
	Title          string `json:"title,omitempty"`
	Content        string `json:"content"`         // sanitised HTML
	Translator     string `json:"translator"`      // the organisation's actor IRI
	TranslatorName string `json:"translator_name"` // @name@host
	ID             string `json:"id"`              // the signed translation object's IRI
}

// alertExtras fills an alert view's tally and translations.
func (s *Server) alertExtras(ctx context.Context, v *AlertView, rec *store.AlertRecord) error {
	tally, ok, err := s.pub.Tally(ctx, rec)
	if err != nil {
		return err
	}
	if ok {
		v.Corroboration = &CorroborationView{Confirmed: tally.Confirmed, Disputed: tally.Disputed, Seen: tally.Seen, Summary: tally.Line()}
		if rec.Local {
			v.Corroboration.Sightings = s.fed.URLs.Sightings(rec.IRI)
		}
	}
	trs, err := s.pub.AcceptedTranslations(ctx, rec)
	if err != nil {
		return err
	}
	v.Translations = make([]TranslationView, 0, len(trs))
	for _, tr := range trs {
		v.Translations = append(v.Translations, TranslationView{Language: tr.Language, Title: tr.Name, Content: tr.Content,
			Translator: tr.AttributedTo, TranslatorName: s.handleOf(tr.AttributedTo, ""), ID: tr.ID})
	}
	return nil
}

// SightingView is one organisation's vote.
type SightingView struct {
	ID        string   `json:"id"`
	Actor     string   `json:"actor"`
	ActorName string   `json:"actor_name"`
	Verdict   string   `json:"verdict"`
	Count     int      `json:"count,omitempty"`
	FirstSeen *string  `json:"first_seen"`
	LastSeen  *string  `json:"last_seen"`
	Where     []string `json:"where"`
	Comment   string   `json:"comment"` // sanitised HTML
	Received  string   `json:"received_at"`
}

func (s *Server) sightingView(v *store.Sighting) SightingView {
	return SightingView{ID: v.ID, Actor: v.Actor, ActorName: s.handleOf(v.Actor, ""), Verdict: v.Verdict, Count: v.Count,
		FirstSeen: timePtr(v.FirstSeen, v.FirstSeen.UTC().Format(timeFormat)), LastSeen: timePtr(v.LastSeen, v.LastSeen.UTC().Format(timeFormat)),
		Where: nonNilStrings(v.Where), Comment: v.Content, Received: v.ReceivedAt.UTC().Format(timeFormat)}
}

func (s *Server) apiListSightings(c echo.Context) error {
	rec, err := s.alertByID(c)
	if err != nil {
		return err
	}
	votes, err := s.pub.Sightings(c.Request().Context(), rec)
	if err != nil {
		return err
	}
	return jsonList(c, votes, s.sightingView)
}

type corroborateRequest struct {
	As        string   `json:"as" form:"as"`
	Verdict   string   `json:"verdict" form:"verdict"`
	Count     int      `json:"count" form:"count"`
	FirstSeen string   `json:"first_seen" form:"first_seen"`
	LastSeen  string   `json:"last_seen" form:"last_seen"`
	Where     []string `json:"where" form:"where"`
	Comment   string   `json:"comment" form:"comment"`
}

// Input turns the request into a vote; dates are RFC 3339.
func (r corroborateRequest) Input() (federation.SightingInput, error) {
	return publish.SightingForm{Verdict: r.Verdict, Count: r.Count, FirstSeen: r.FirstSeen, LastSeen: r.LastSeen, Where: r.Where, Comment: r.Comment}.Input()
}

// apiCorroborate votes on an alert as an organisation the person may act
// for: stored here for a local alert, sent to the origin for a peer's.
func (s *Server) apiCorroborate(c echo.Context) error {
	var req corroborateRequest
	if err := c.Bind(&req); err != nil {
		return tocsin.Errorf(tocsin.EINVALID, "could not read the request: %v", err)
	}
	au, err := s.author(c, req.As)
	if err != nil {
		return err
	}
	rec, err := s.alertByID(c)
	if err != nil {
		return err
	}
	in, err := req.Input()
	if err != nil {
		return err
	}
	res, err := s.pub.Corroborate(c.Request().Context(), au, rec.IRI, in)
	if err != nil {
		return err
	}
	out := map[string]any{"alert": res.Alert, "activity": res.Activity, "sent": res.Sent}
	if !res.Sent {
		out["corroboration"] = CorroborationView{Confirmed: res.Tally.Confirmed, Disputed: res.Tally.Disputed,
			Seen: res.Tally.Seen, Summary: res.Tally.Line(), Sightings: s.fed.URLs.Sightings(res.Alert)}
	}
	return c.JSON(http.StatusOK, out)
}

// webCorroboration is what an alert's page shows of its votes and
// translations.
type webCorroboration struct {
	TallyLine    string // "Confirmed by 2 networks, disputed by 1"; "" without votes
	Sightings    []SightingView
	Translations []TranslationView
}

func (s *Server) webCorroborationOf(ctx context.Context, rec *store.AlertRecord) (webCorroboration, error) {
	var w webCorroboration
	var v AlertView
	if err := s.alertExtras(ctx, &v, rec); err != nil {
		return w, err
	}
	if v.Corroboration != nil {
		w.TallyLine = v.Corroboration.Summary
	}
	w.Translations = v.Translations
	if rec.Local {
		votes, err := s.pub.Sightings(ctx, rec)
		if err != nil {
			return w, err
		}
		for _, vote := range votes {
			w.Sightings = append(w.Sightings, s.sightingView(vote))
		}
	}
	return w, nil
}

// OfferedTranslationView is a translation offered for one of this
// instance's alerts, as its publishers review it.
type OfferedTranslationView struct {
	ID             string  `json:"id"` // local id, for accept and reject
	URI            string  `json:"uri"`
	Alert          string  `json:"alert"`
	Language       string  `json:"language"`
	Title          string  `json:"title,omitempty"`
	Content        string  `json:"content"`
	Translator     string  `json:"translator"`
	TranslatorName string  `json:"translator_name"`
	State          string  `json:"state"` // pending, accepted, rejected
	Received       string  `json:"received_at"`
	Decided        *string `json:"decided_at"`
	DecidedBy      string  `json:"decided_by,omitempty"`
}

func (s *Server) offeredTranslationView(tr *store.Translation) OfferedTranslationView {
	return OfferedTranslationView{ID: tr.Seq, URI: tr.ID, Alert: tr.Alert, Language: tr.Language, Title: tr.Name,
		Content: tr.Content, Translator: tr.Translator, TranslatorName: s.handleOf(tr.Translator, ""), State: tr.State,
		Received: tr.ReceivedAt.UTC().Format(timeFormat), Decided: timePtr(tr.DecidedAt, tr.DecidedAt.UTC().Format(timeFormat)),
		DecidedBy: tr.DecidedBy}
}

type translationRequest struct {
	As       string `json:"as" form:"as"`
	Language string `json:"language" form:"language"`
	Title    string `json:"title" form:"title"`
	Content  string `json:"content" form:"content"` // Markdown
}

func (s *Server) bindTranslation(c echo.Context) (publish.Author, translationRequest, error) {
	var req translationRequest
	if err := c.Bind(&req); err != nil {
		return publish.Author{}, req, tocsin.Errorf(tocsin.EINVALID, "could not read the request: %v", err)
	}
	au, err := s.author(c, req.As)
	return au, req, err
}

// apiListTranslations lists the translations offered for one of the
// organisation's alerts.
func (s *Server) apiListTranslations(c echo.Context) error {
	au, err := s.author(c, c.QueryParam("as"))
	if err != nil {
		return err
	}
	rec, err := s.alertByID(c)
	if err != nil {
		return err
	}
	trs, err := s.pub.Translations(c.Request().Context(), au, rec.IRI)
	if err != nil {
		return err
	}
	return jsonList(c, trs, s.offeredTranslationView)
}

// apiOfferTranslation offers the organisation's translation of a peer's
// alert to its origin, signed by the organisation.
func (s *Server) apiOfferTranslation(c echo.Context) error {
	au, req, err := s.bindTranslation(c)
	if err != nil {
		return err
	}
	rec, err := s.alertByID(c)
	if err != nil {
		return err
	}
	id, err := s.pub.OfferTranslation(c.Request().Context(), au, rec.IRI,
		federation.TranslationInput{Language: req.Language, Name: req.Title, Content: req.Content})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"alert": rec.IRI, "offer": id, "sent": true})
}

// apiDecideTranslation accepts or rejects an offered translation.
func (s *Server) apiDecideTranslation(c echo.Context) error {
	au, _, err := s.bindTranslation(c)
	if err != nil {
		return err
	}
	accept := c.Path() == "/api/v1/tocsin/translations/:tid/accept"
	tr, err := s.pub.DecideTranslation(c.Request().Context(), au, c.Param("tid"), accept)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.offeredTranslationView(tr))
}
