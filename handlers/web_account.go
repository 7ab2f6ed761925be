package handlers

// Account settings of the signed-in person: profile and password.
//
// Routes (session and CSRF field authenticity_token required):
//
//	GET  /settings            the two forms (?saved=profile|password after a change)
//	POST /settings/profile    display_name, note                        → 303 /settings?saved=profile; 422 errors
//	POST /settings/password   current_password, new_password, confirm_password → 303 /settings?saved=password; 422 errors
//
// Controls: #settings-display-name → display_name, #settings-note → note
// (textarea), button #settings-profile-submit; #password-current →
// current_password, #password-new → new_password, #password-confirm →
// confirm_password, button #password-submit. Errors in #<control id>-error;
// the confirmation of a change is #settings-saved.

import (
	"net/http"

	"github.com/labstack/echo/v4"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/account"
)

func (s *Server) webAccountRoutes(csrf echo.MiddlewareFunc) {
	mw := []echo.MiddlewareFunc{noStore, csrf, s.requireSignIn}
	s.e.GET("/settings", s.webSettings, mw...)
	s.e.POST("/settings/profile", s.webSettingsProfile, mw...)
	s.e.POST("/settings/password", s.webSettingsPassword, mw...)
}

type settingsData struct {
	Username, Role    string
	DisplayName, Note string
	Saved             string
	Errors            fieldErrors
	MinPassword       int
}

func (s *Server) renderSettings(c echo.Context, status int, d settingsData) error {
	a := s.signedIn(c)
	d.Username, d.Role, d.MinPassword = a.Username, a.Role, account.MinPasswordLen
	if d.Errors == nil {
		d.Errors = fieldErrors{}
	}
	return s.render(c, status, "settings", webPage{Title: tr("settings.title"), Section: "settings", Data: d})
}

// webSettings is GET /settings.
func (s *Server) webSettings(c echo.Context) error {
	a := s.signedIn(c)
	saved := c.QueryParam("saved")
	if saved != "profile" && saved != "password" {
		saved = ""
	}
	return s.renderSettings(c, http.StatusOK, settingsData{DisplayName: a.DisplayName, Note: a.Summary, Saved: saved})
}

// webSettingsProfile is POST /settings/profile.
func (s *Server) webSettingsProfile(c echo.Context) error {
	a := s.signedIn(c)
	name, note := c.FormValue("display_name"), c.FormValue("note")
	_, err := s.accounts.UpdateProfile(c.Request().Context(), a.Username, account.ProfileInput{DisplayName: &name, Summary: &note})
	if err != nil {
		fe, ok := formErrors(err, []string{"display_name", "note"})
		if !ok {
			return err
		}
		return s.renderSettings(c, errorStatus(err), settingsData{DisplayName: name, Note: note, Errors: fe})
	}
	return c.Redirect(http.StatusSeeOther, "/settings?saved=profile")
}

// webSettingsPassword is POST /settings/password. The session is bound to
// the password, so it is renewed here (other sessions end).
func (s *Server) webSettingsPassword(c echo.Context) error {
	ctx := c.Request().Context()
	a := s.signedIn(c)
	d := settingsData{DisplayName: a.DisplayName, Note: a.Summary, Errors: fieldErrors{}}
	if _, err := s.accounts.Authenticate(ctx, a.Username, c.FormValue("current_password")); err != nil {
		if tocsin.ErrorCode(err) != tocsin.EUNAUTHORIZED {
			return err
		}
		d.Errors.add("current_password", tr("settings.wrongPassword"))
	}
	pw := c.FormValue("new_password")
	if pw != c.FormValue("confirm_password") {
		d.Errors.add("confirm_password", tr("settings.mismatch"))
	}
	if err := account.ValidatePassword(pw); err != nil {
		d.Errors.add("new_password", err.Error())
	}
	if len(d.Errors) > 0 {
		return s.renderSettings(c, http.StatusUnprocessableEntity, d)
	}
	if err := s.accounts.ResetPassword(ctx, a.Username, pw); err != nil {
		return err
	}
	updated, err := s.accounts.Get(ctx, a.Username)
	if err != nil {
		return err
	}
	s.setSession(c, updated)
	s.webAudit(ctx, a, "account.password", a.Username)
	return c.Redirect(http.StatusSeeOther, "/settings?saved=password")
}
