package handlers

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/tocsin-network/tocsin/federation"
	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/store"
)

func (s *Server) activityPubRoutes() {
	e := s.e
	inboxLimit := bodyLimit(s.cfg.HTTP.MaxInboxBytes)
	e.POST("/inbox", s.postInbox, inboxLimit)
	e.POST("/users/:username/inbox", s.postInbox, inboxLimit)
	e.GET("/users/:username/outbox", s.outbox)
	e.GET("/users/:username/followers", s.followCollection(true))
	e.GET("/users/:username/following", s.followCollection(false))
	e.GET("/users/:username/statuses/:id", s.object)
	e.GET("/users/:username/statuses/:id/activity", s.activity)
	e.GET("/users/:username/activities/:id", s.activity)
	e.GET("/trust-list", s.trustList)
}

// postInbox reads the (size-capped) body, lets the federation core verify
// and journal it, and answers 202 only once it is durably stored.
func (s *Server) postInbox(c echo.Context) error {
	r := c.Request()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "activity too large")
		}
		return echo.NewHTTPError(http.StatusBadRequest, "could not read the body")
	}
	err = s.fed.Inbox.Receive(r.Context(), r, body, c.Param("username"))
	if err != nil {
		var ie *federation.InboxError
		if errors.As(err, &ie) {
			level := s.log.Info
			if ie.Status >= 500 {
				level = s.log.Error
			}
			level("inbox refused", "status", ie.Status, "reason", ie.Reason, "error", ie.Err,
				"remote_ip", c.RealIP(), "request_id", c.Response().Header().Get(echo.HeaderXRequestID))
			return echo.NewHTTPError(ie.Status, ie.Reason)
		}
		return err
	}
	return c.NoContent(http.StatusAccepted)
}

// authorizeFetch enforces authorized-fetch mode: GETs of objects and
// collections need a valid signature from a host the policy allows. Actor
// documents stay public, or no one could verify us.
func (s *Server) authorizeFetch(c echo.Context) error {
	if !s.cfg.Federation.AuthorizedFetch {
		return nil
	}
	r := c.Request()
	res, err := s.fed.Verifier.Verify(r.Context(), r, nil)
	if err != nil {
		return echo.NewHTTPError(http.StatusUnauthorized, "this instance requires signed fetches: "+err.Error())
	}
	if err := s.fed.Inbox.AllowHost(r.Context(), res.Owner); err != nil {
		return echo.NewHTTPError(http.StatusForbidden, "refused by this instance's federation policy")
	}
	return nil
}

func (s *Server) localAccount(c echo.Context) (*store.Account, error) {
	return s.accounts.Get(c.Request().Context(), c.Param("username"))
}

func (s *Server) outbox(c echo.Context) error {
	if err := s.authorizeFetch(c); err != nil {
		return err
	}
	acct, err := s.localAccount(c)
	if err != nil {
		return err
	}
	doc, err := s.fed.OutboxCollection(c.Request().Context(), acct, c.QueryParam("page") != "", c.QueryParam("max_id"))
	if err != nil {
		return err
	}
	return s.writeActivity(c, http.StatusOK, doc)
}

func (s *Server) followCollection(followers bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := s.authorizeFetch(c); err != nil {
			return err
		}
		acct, err := s.localAccount(c)
		if err != nil {
			return err
		}
		page := 0
		if p := c.QueryParam("page"); p != "" {
			if page, err = strconv.Atoi(p); err != nil || page < 1 || page > 100000 {
				return echo.NewHTTPError(http.StatusBadRequest, "page must be a number from 1")
			}
		}
		doc, err := s.fed.FollowCollection(c.Request().Context(), acct, followers, page)
		if err != nil {
			return err
		}
		return s.writeActivity(c, http.StatusOK, doc)
	}
}

// object serves a local object: its AS2 JSON, or a Tombstone with 410 Gone
// once deleted. Objects not addressed to the public are not served here
// (their audience receives them by delivery).
func (s *Server) object(c echo.Context) error {
	if !wantsActivityJSON(c.Request()) {
		return s.webObject(c)
	}
	if err := s.authorizeFetch(c); err != nil {
		return err
	}
	iri := s.urls.Object(c.Param("username"), c.Param("id"))
	o, err := s.fed.DB.Object(c.Request().Context(), iri)
	if err != nil || !o.Local {
		return echo.NewHTTPError(http.StatusNotFound, "no such object")
	}
	c.Response().Header().Add("Vary", "Accept")
	if !o.Deleted.IsZero() {
		return c.Blob(http.StatusGone, activityContentType, o.Raw)
	}
	if !o.Public {
		return echo.NewHTTPError(http.StatusNotFound, "no such object")
	}
	return c.Blob(http.StatusOK, activityContentType, o.Raw)
}

func (s *Server) activity(c echo.Context) error {
	if err := s.authorizeFetch(c); err != nil {
		return err
	}
	iri := s.urls.Base + c.Request().URL.Path
	var raw []byte
	err := s.fed.DB.View(c.Request().Context(), func(t *store.Tx) error {
		a, err := t.Activity(iri)
		if err != nil {
			return err
		}
		if federation.PublicActivity(t, a) {
			raw = a.Raw
		}
		return nil
	})
	if err != nil || raw == nil {
		return echo.NewHTTPError(http.StatusNotFound, "no such activity")
	}
	return c.Blob(http.StatusOK, activityContentType, raw)
}

func (s *Server) writeActivity(c echo.Context, status int, doc map[string]any) error {
	b, err := ap.Marshal(doc)
	if err != nil {
		return err
	}
	return c.Blob(status, activityContentType, b)
}
