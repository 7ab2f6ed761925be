package handlers

// Publishing from the web pages, as an organisation the signed-in person
// may act for (admins: every organisation). Errors are shown beside the
// field that caused them, with the entered values kept; success redirects
// (303) to the alert's or note's page.
//
// Routes (all need a session and the CSRF field authenticity_token):
//
//	GET  /compose/alert               new alert form
//	POST /compose/alert               publish          → 303 alert page; 422 field errors; 403 not allowed
//	GET  /compose/alert/:id           edit form (:id is the alert's Seq, shown on /alerts/:id)
//	POST /compose/alert/:id           update           → 303 alert page
//	POST /compose/alert/:id/resolve   resolve          → 303 alert page
//	POST /compose/alert/:id/retract   retract          → 303 alert page
//	GET  /compose/note                new note form
//	POST /compose/note                publish          → 303 note page
//
// Alert form controls (id → name):
//
//	#alert-as → as (select; absent when editing: the alert's organisation)
//	#alert-title → title, #alert-body → body (textarea, Markdown)
//	#alert-severity → severity, #alert-confidence → confidence, #alert-category → category (selects)
//	#alert-countries → countries (ISO codes, comma- or space-separated)
//	#alert-subdivisions → subdivisions (ISO 3166-2 codes, same)
//	#alert-election-name → election_name, #alert-election-date → election_date (date)
//	#alert-tlp → tlp (select), #alert-circle → circle (select, for AMBER)
//	#alert-recipients → recipients (textarea, one actor URL or handle per line, AMBER+STRICT and RED)
//	#alert-expires → expires (datetime-local, UTC)
//	#alert-sources → sources (textarea, one "URL title" per line)
//	#alert-language → language
//	buttons: #alert-submit (publish or save), #alert-resolve, #alert-retract
//
// A field's error is in #<control id>-error (e.g. #alert-title-error),
// referenced by the control's aria-describedby; errors that belong to no
// field are listed in #form-errors.
//
// Note form controls: #note-as → as, #note-title → title, #note-summary →
// summary, #note-body → body, #note-topics → topics, #note-countries →
// countries, #note-language → language; button #note-submit.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/account"
	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/publish"
	"github.com/tocsin-network/tocsin/store"
	"github.com/tocsin-network/tocsin/tlp"
)

func (s *Server) webComposeRoutes(csrf echo.MiddlewareFunc) {
	e := s.e
	mw := []echo.MiddlewareFunc{noStore, csrf, s.requireSignIn}
	e.GET("/compose/alert", s.webComposeAlert, mw...)
	e.POST("/compose/alert", s.webComposeAlertSubmit, mw...)
	e.GET("/compose/alert/:id", s.webEditAlert, mw...)
	e.POST("/compose/alert/:id", s.webEditAlertSubmit, mw...)
	e.POST("/compose/alert/:id/resolve", s.webAlertTransition(alert.StatusResolved), mw...)
	e.POST("/compose/alert/:id/retract", s.webAlertTransition(alert.StatusRetracted), mw...)
	e.GET("/compose/note", s.webComposeNote, mw...)
	e.POST("/compose/note", s.webComposeNoteSubmit, mw...)
}

// orgChoice is an organisation a person may publish as.
type orgChoice struct{ Username, Name string }

// actsFor returns the organisation accounts person may act for: every
// enabled organisation for an admin, the granted ones for a publisher.
func (s *Server) actsFor(ctx context.Context, person *store.Account) ([]*store.Account, error) {
	if person.Role == account.RoleAdmin {
		all, err := s.accounts.List(ctx)
		if err != nil {
			return nil, err
		}
		return slices.DeleteFunc(all, func(a *store.Account) bool {
			return a.Kind != account.KindOrganization || a.Disabled
		}), nil
	}
	var out []*store.Account
	for _, id := range person.ActsFor {
		a, err := s.pub.DB().AccountByID(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !a.Disabled {
			out = append(out, a)
		}
	}
	return out, nil
}

func orgChoices(orgs []*store.Account) []orgChoice {
	out := make([]orgChoice, 0, len(orgs))
	for _, o := range orgs {
		n := o.DisplayName
		if n == "" {
			n = o.Username
		}
		out = append(out, orgChoice{Username: o.Username, Name: n})
	}
	return out
}

// fieldErrors are a form's problems by form field name; "" holds those
// of no field.
type fieldErrors map[string][]string

func (fe fieldErrors) add(field, msg string) { fe[field] = append(fe[field], msg) }

// formErrors turns a service error into field errors: each
// tocsin.FieldError.Field ("countries[1]", "election.date",
// "sources[0].url") goes to the form field that holds it, if the form has
// it (known), else to the general list. It returns false for an error
// that is not about the input.
func formErrors(err error, known []string) (fieldErrors, bool) {
	var te *tocsin.Error
	if !errors.As(err, &te) || (te.Code != tocsin.EINVALID && te.Code != tocsin.EFORBIDDEN && te.Code != tocsin.ECONFLICT) {
		return nil, false
	}
	fe := fieldErrors{}
	if len(te.Fields) == 0 {
		fe.add("", te.Message)
		return fe, true
	}
	for _, f := range te.Fields {
		name := f.Field
		if i := strings.IndexByte(name, '['); i >= 0 {
			name = name[:i]
		}
		name = strings.ReplaceAll(name, ".", "_")
		if slices.Contains(known, name) {
			fe.add(name, f.Message)
		} else {
			fe.add("", label("field", f.Field)+": "+f.Message)
		}
	}
	return fe, true
}

// errorStatus is the HTTP status of a form refused for err.
func errorStatus(err error) int {
	switch tocsin.ErrorCode(err) {
	case tocsin.EFORBIDDEN:
		return http.StatusForbidden
	case tocsin.ECONFLICT:
		return http.StatusConflict
	case tocsin.ENOTFOUND:
		return http.StatusNotFound
	}
	return http.StatusUnprocessableEntity
}

// alertForm is an alert form's values as typed.
type alertForm struct {
	As, Title, Body, Severity, Confidence, Category, Countries, Subdivisions string
	ElectionName, ElectionDate, TLP, Circle, Recipients, Expires, Sources    string
	Language                                                                 string
}

var alertFormFields = []string{"as", "title", "body", "severity", "confidence", "category", "countries",
	"subdivisions", "election_name", "election_date", "tlp", "circle", "recipients", "expires", "sources", "language"}

func readAlertForm(c echo.Context) alertForm {
	v := func(k string) string { return c.FormValue(k) }
	return alertForm{As: v("as"), Title: v("title"), Body: v("body"), Severity: v("severity"),
		Confidence: v("confidence"), Category: v("category"), Countries: v("countries"),
		Subdivisions: v("subdivisions"), ElectionName: v("election_name"), ElectionDate: v("election_date"),
		TLP: v("tlp"), Circle: v("circle"), Recipients: v("recipients"), Expires: v("expires"),
		Sources: v("sources"), Language: v("language")}
}

// splitFields splits a list typed with commas, spaces or new lines.
func splitFields(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

// input turns the form into the publishing service's input.
func (f alertForm) input() publish.AlertInput {
	in := publish.AlertInput{Title: strings.TrimSpace(f.Title), Body: f.Body, Severity: f.Severity,
		Confidence: f.Confidence, Category: f.Category, Countries: publish.UpperAll(splitFields(f.Countries)),
		Subdivisions: publish.UpperAll(splitFields(f.Subdivisions)), ElectionName: strings.TrimSpace(f.ElectionName),
		ElectionDate: strings.TrimSpace(f.ElectionDate), TLP: f.TLP, Recipients: splitFields(f.Recipients),
		Language: strings.TrimSpace(f.Language)}
	if in.TLP == tlp.Amber.String() {
		in.Circle = f.Circle
	}
	// datetime-local sends 2027-08-10T18:00, read as UTC.
	if ex := strings.TrimSpace(f.Expires); ex != "" {
		in.Expires = ex
		for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
			if t, err := time.Parse(layout, ex); err == nil {
				in.Expires = t.UTC().Format(time.RFC3339)
				break
			}
		}
	}
	for _, line := range strings.Split(f.Sources, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		u, title, _ := strings.Cut(line, " ")
		in.Sources = append(in.Sources, alert.Source{URL: u, Title: strings.TrimSpace(title)})
	}
	return in
}

// alertFormOf fills the form from a stored alert, for editing.
func alertFormOf(a *alert.Alert) alertForm {
	f := alertForm{Title: a.Title, Body: a.Body, Severity: string(a.Severity), Confidence: string(a.Confidence),
		Category: string(a.Category), Countries: strings.Join(a.Countries, ", "),
		Subdivisions: strings.Join(a.Subdivisions, ", "), ElectionName: a.Election.Name,
		TLP: a.TLP.String(), Circle: a.Circle, Recipients: strings.Join(a.Recipients, "\n"), Language: a.Language}
	if !a.Election.Date.IsZero() {
		f.ElectionDate = a.Election.Date.String()
	}
	if !a.Expires.IsZero() {
		f.Expires = a.Expires.UTC().Format("2006-01-02T15:04")
	}
	var src []string
	for _, s := range a.Sources {
		src = append(src, strings.TrimSpace(s.URL+" "+s.Title))
	}
	f.Sources = strings.Join(src, "\n")
	return f
}

type composeData struct {
	Action      string // where the form posts
	Edit        *webAlert
	OrgName     string // the organisation of an alert being edited
	Orgs        []orgChoice
	Form        alertForm
	Errors      fieldErrors
	Severities  []alert.Severity
	Confidences []alert.Confidence
	Categories  []alert.CategoryInfo
	TLPs        []tlp.Level
	Circles     []*store.Circle
}

func (s *Server) renderCompose(c echo.Context, status int, d composeData) error {
	circles, err := s.pub.Circles(c.Request().Context())
	if err != nil {
		return err
	}
	d.Severities, d.Confidences, d.Categories, d.TLPs, d.Circles =
		alert.Severities(), alert.Confidences(), alert.Categories(), tlp.Levels(), circles
	if d.Errors == nil {
		d.Errors = fieldErrors{}
	}
	title := tr("compose.alertTitle")
	if d.Edit != nil {
		title = tr("compose.editTitle")
	}
	return s.render(c, status, "compose", webPage{Title: title, Section: "compose", Data: d})
}

// webComposeAlert is GET /compose/alert.
func (s *Server) webComposeAlert(c echo.Context) error {
	orgs, err := s.actsFor(c.Request().Context(), s.signedIn(c))
	if err != nil {
		return err
	}
	if len(orgs) == 0 {
		return s.webError(c, http.StatusForbidden, "compose.forbiddenTitle", "compose.noOrgs")
	}
	f := alertForm{As: orgs[0].Username, Confidence: string(alert.Confidence("likely")), TLP: tlp.Clear.String(),
		Language: s.defaultLanguage()}
	return s.renderCompose(c, http.StatusOK, composeData{Action: "/compose/alert", Orgs: orgChoices(orgs), Form: f})
}

// author returns the organisation named as that person may act for.
func (s *Server) webAuthor(ctx context.Context, person *store.Account, orgs []*store.Account, as string) (publish.Author, error) {
	for _, o := range orgs {
		if strings.EqualFold(o.Username, as) {
			return publish.Author{Org: o, Person: person}, nil
		}
	}
	if as == "" {
		return publish.Author{}, tocsin.Invalid(tocsin.FieldError{Field: "as", Message: tr("compose.chooseOrg")})
	}
	return publish.Author{}, &tocsin.Error{Code: tocsin.EFORBIDDEN, Message: tr("compose.notYourOrg"),
		Fields: []tocsin.FieldError{{Field: "as", Message: tr("compose.notYourOrg")}}}
}

// webComposeAlertSubmit is POST /compose/alert.
func (s *Server) webComposeAlertSubmit(c echo.Context) error {
	ctx := c.Request().Context()
	person := s.signedIn(c)
	orgs, err := s.actsFor(ctx, person)
	if err != nil {
		return err
	}
	f := readAlertForm(c)
	d := composeData{Action: "/compose/alert", Orgs: orgChoices(orgs), Form: f}
	rec, err := s.publishAlert(ctx, person, orgs, f)
	if err != nil {
		fe, ok := formErrors(err, alertFormFields)
		if !ok {
			return err
		}
		d.Errors = fe
		return s.renderCompose(c, errorStatus(err), d)
	}
	s.webAudit(ctx, person, "alert.create", rec.IRI)
	return c.Redirect(http.StatusSeeOther, rec.IRI)
}

func (s *Server) publishAlert(ctx context.Context, person *store.Account, orgs []*store.Account, f alertForm) (*store.AlertRecord, error) {
	au, authErr := s.webAuthor(ctx, person, orgs, f.As)
	in := f.input()
	a, problems := in.Alert(s.defaultLanguage())
	if authErr != nil && tocsin.ErrorCode(authErr) == tocsin.EFORBIDDEN {
		return nil, authErr
	}
	if authErr != nil || len(problems) > 0 {
		err := publish.InvalidInput(a, problems)
		if authErr != nil {
			var te *tocsin.Error
			if errors.As(err, &te) {
				te.Fields = append([]tocsin.FieldError{{Field: "as", Message: tr("compose.chooseOrg")}}, te.Fields...)
			}
		}
		return nil, err
	}
	return s.pub.CreateAlert(ctx, au, a)
}

// editableAlert finds the local alert :id that person may edit, with its
// organisation; anything else is not found (RED alerts stay secret).
func (s *Server) editableAlert(c echo.Context, person *store.Account) (*store.AlertRecord, *store.Account, error) {
	ctx := c.Request().Context()
	rec, err := s.pub.DB().AlertBySeq(ctx, c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, tocsin.Errorf(tocsin.ENOTFOUND, "no such alert")
	}
	if err != nil {
		return nil, nil, err
	}
	if !rec.Local || !publish.CanRead(s.webViewer(c), rec) ||
		(person.Role != account.RoleAdmin && !slices.Contains(person.ActsFor, rec.AccountID)) {
		return nil, nil, tocsin.Errorf(tocsin.ENOTFOUND, "no such alert")
	}
	org, err := s.pub.DB().AccountByID(ctx, rec.AccountID)
	if err != nil {
		return nil, nil, err
	}
	return rec, org, nil
}

func orgName(o *store.Account) string {
	if o.DisplayName != "" {
		return o.DisplayName + " (@" + o.Username + ")"
	}
	return "@" + o.Username
}

// webEditAlert is GET /compose/alert/:id.
func (s *Server) webEditAlert(c echo.Context) error {
	rec, org, err := s.editableAlert(c, s.signedIn(c))
	if tocsin.ErrorCode(err) == tocsin.ENOTFOUND {
		return s.webNotFound(c)
	}
	if err != nil {
		return err
	}
	v := s.webAlertView(rec)
	return s.renderCompose(c, http.StatusOK, composeData{Action: "/compose/alert/" + rec.Seq, Edit: &v,
		OrgName: orgName(org), Form: alertFormOf(&rec.Alert)})
}

// webEditAlertSubmit is POST /compose/alert/:id.
func (s *Server) webEditAlertSubmit(c echo.Context) error {
	ctx := c.Request().Context()
	person := s.signedIn(c)
	rec, org, err := s.editableAlert(c, person)
	if tocsin.ErrorCode(err) == tocsin.ENOTFOUND {
		return s.webNotFound(c)
	}
	if err != nil {
		return err
	}
	f := readAlertForm(c)
	v := s.webAlertView(rec)
	d := composeData{Action: "/compose/alert/" + rec.Seq, Edit: &v, OrgName: orgName(org), Form: f}
	in := f.input()
	a, problems := in.Alert(s.defaultLanguage())
	if len(problems) > 0 {
		err = publish.InvalidInput(a, problems)
	} else {
		rec, err = s.pub.UpdateAlert(ctx, publish.Author{Org: org, Person: person}, rec.IRI, a)
	}
	if err != nil {
		fe, ok := formErrors(err, alertFormFields)
		if !ok {
			return err
		}
		d.Errors = fe
		return s.renderCompose(c, errorStatus(err), d)
	}
	s.webAudit(ctx, person, "alert.update", rec.IRI)
	return c.Redirect(http.StatusSeeOther, rec.IRI)
}

// webAlertTransition is POST /compose/alert/:id/resolve and /retract.
func (s *Server) webAlertTransition(to alert.Status) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		person := s.signedIn(c)
		rec, org, err := s.editableAlert(c, person)
		if tocsin.ErrorCode(err) == tocsin.ENOTFOUND {
			return s.webNotFound(c)
		}
		if err != nil {
			return err
		}
		au := publish.Author{Org: org, Person: person}
		action := "alert.resolve"
		if to == alert.StatusRetracted {
			action = "alert.retract"
			rec, err = s.pub.RetractAlert(ctx, au, rec.IRI)
		} else {
			rec, err = s.pub.ResolveAlert(ctx, au, rec.IRI)
		}
		if err != nil {
			if _, ok := formErrors(err, nil); ok {
				return s.render(c, errorStatus(err), "error", webPage{Title: tr("compose.refusedTitle"),
					Data: errorData{Message: err.Error()}})
			}
			return err
		}
		s.webAudit(ctx, person, action, rec.IRI)
		return c.Redirect(http.StatusSeeOther, rec.IRI)
	}
}

// noteForm is a note form's values as typed.
type noteForm struct {
	As, Title, Summary, Body, Topics, Countries, Language string
}

var noteFormFields = []string{"as", "title", "summary", "body", "topics", "countries", "language"}

type noteComposeData struct {
	Orgs   []orgChoice
	Form   noteForm
	Errors fieldErrors
}

// webComposeNote is GET /compose/note.
func (s *Server) webComposeNote(c echo.Context) error {
	orgs, err := s.actsFor(c.Request().Context(), s.signedIn(c))
	if err != nil {
		return err
	}
	if len(orgs) == 0 {
		return s.webError(c, http.StatusForbidden, "compose.forbiddenTitle", "compose.noOrgs")
	}
	return s.render(c, http.StatusOK, "compose_note", webPage{Title: tr("compose.noteTitle"), Section: "compose",
		Data: noteComposeData{Orgs: orgChoices(orgs), Form: noteForm{As: orgs[0].Username, Language: s.defaultLanguage()},
			Errors: fieldErrors{}}})
}

// webComposeNoteSubmit is POST /compose/note.
func (s *Server) webComposeNoteSubmit(c echo.Context) error {
	ctx := c.Request().Context()
	person := s.signedIn(c)
	orgs, err := s.actsFor(ctx, person)
	if err != nil {
		return err
	}
	v := func(k string) string { return c.FormValue(k) }
	f := noteForm{As: v("as"), Title: v("title"), Summary: v("summary"), Body: v("body"), Topics: v("topics"),
		Countries: v("countries"), Language: v("language")}
	au, err := s.webAuthor(ctx, person, orgs, f.As)
	var rec *store.NoteRecord
	if err == nil {
		lang := strings.TrimSpace(f.Language)
		if lang == "" {
			lang = s.defaultLanguage()
		}
		rec, err = s.pub.CreateNote(ctx, au, alert.PracticeNote{Title: strings.TrimSpace(f.Title),
			Summary: strings.TrimSpace(f.Summary), Body: f.Body, Topics: publish.SplitList([]string{f.Topics}),
			Countries: publish.UpperAll(splitFields(f.Countries)), Language: lang})
	}
	if err != nil {
		fe, ok := formErrors(err, noteFormFields)
		if !ok {
			return err
		}
		return s.render(c, errorStatus(err), "compose_note", webPage{Title: tr("compose.noteTitle"), Section: "compose",
			Data: noteComposeData{Orgs: orgChoices(orgs), Form: f, Errors: fe}})
	}
	s.webAudit(ctx, person, "note.create", rec.IRI)
	return c.Redirect(http.StatusSeeOther, rec.IRI)
}

// webAudit records an action taken on the web pages in the audit log,
// with the person who took it (the moderation service records its own).
func (s *Server) webAudit(ctx context.Context, person *store.Account, action, target string, reason ...string) {
	if s.mod == nil {
		return
	}
	e := store.AuditEntry{Actor: person.Username, Action: action, Target: target, Details: "web"}
	if len(reason) > 0 {
		e.Reason = reason[0]
	}
	if err := s.mod.Audit(ctx, e); err != nil {
		s.log.ErrorContext(ctx, "audit log", "action", action, "error", fmt.Sprint(err))
	}
}
