package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	tocsin "github.com/tocsin-network/tocsin"
)

type profileData struct {
	Name, Handle, Summary, ActorID string
	Organization                   bool
	Alerts                         []webAlert
}

// webProfile is an account's page: who it is and, for an organisation, its
// latest public alerts and feeds.
func (s *Server) webProfile(c echo.Context, username string) error {
	ctx := c.Request().Context()
	a, err := s.accounts.Get(ctx, username)
	var te *tocsin.Error
	if errors.As(err, &te) && te.Code == tocsin.ENOTFOUND {
		return s.webNotFound(c)
	}
	if err != nil {
		return err
	}
	d := profileData{Name: a.DisplayName, Handle: a.Username + "@" + s.urls.Host(), Summary: a.Summary,
		ActorID: s.urls.Actor(a.Username), Organization: a.Kind == "organization"}
	if d.Name == "" {
		d.Name = a.Username
	}
	p := webPage{Title: d.Name, Canonical: s.urls.Profile(a.Username), ActivityJSON: d.ActorID}
	if d.Organization && s.pub != nil {
		recs, err := s.orgAlerts(ctx, a, webPageSize)
		if err != nil {
			return err
		}
		d.Alerts = s.webAlertViews(recs)
		p.Feeds = s.feedLinks("/users/"+a.Username+"/alerts", nil, trf("feed.alertsOrg", d.Name, s.cfg.Instance.Name))
	}
	p.Data = d
	c.Response().Header().Add("Vary", "Accept")
	return s.render(c, http.StatusOK, "profile", p)
}
