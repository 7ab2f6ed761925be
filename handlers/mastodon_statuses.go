package handlers

// The Mastodon client API for statuses: post, read, edit, delete, thread,
// source and history, favourites, boosts and bookmarks. The work is in
// package social; these handlers decode, call it and encode.

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/mastodon"
	"github.com/tocsin-network/tocsin/social"
	"github.com/tocsin-network/tocsin/store"
)

// mastodonStatusRoutes registers statuses, timelines, notifications and
// search.
func (s *Server) mastodonStatusRoutes() {
	if s.social == nil || s.oauth == nil {
		return
	}
	e := s.e
	read := s.requireUser("read", "read:statuses")
	write := s.requireUser("write", "write:statuses")
	optional := s.optionalAuth()
	e.POST("/api/v1/statuses", s.postStatus, write)
	e.GET("/api/v1/statuses/:id", s.getStatus, optional)
	e.DELETE("/api/v1/statuses/:id", s.deleteStatus, write)
	e.PUT("/api/v1/statuses/:id", s.editStatus, write)
	e.GET("/api/v1/statuses/:id/context", s.statusContext, optional)
	e.GET("/api/v1/statuses/:id/source", s.statusSource, read)
	e.GET("/api/v1/statuses/:id/history", s.statusHistory, optional)
	e.GET("/api/v1/statuses/:id/favourited_by", s.statusReactors("Like"), optional)
	e.GET("/api/v1/statuses/:id/reblogged_by", s.statusReactors("Announce"), optional)
	fav := s.requireUser("write", "write:favourites")
	e.POST("/api/v1/statuses/:id/favourite", s.statusAction(s.social.Favourite, false), fav)
	e.POST("/api/v1/statuses/:id/unfavourite", s.statusAction(s.social.Favourite, true), fav)
	e.POST("/api/v1/statuses/:id/reblog", s.statusAction(s.social.Reblog, false), write)
	e.POST("/api/v1/statuses/:id/unreblog", s.statusAction(s.social.Reblog, true), write)
	bm := s.requireUser("write", "write:bookmarks")
	e.POST("/api/v1/statuses/:id/bookmark", s.statusAction(s.social.Bookmark, false), bm)
	e.POST("/api/v1/statuses/:id/unbookmark", s.statusAction(s.social.Bookmark, true), bm)
	s.mastodonTimelineRoutes()
	s.mastodonNotificationRoutes()
	s.mastodonSearchRoutes()
}

// socialViewer is who reads or acts, for package social; nil when the
// request has no user token.
func (s *Server) socialViewer(c echo.Context) *social.Viewer {
	tok := currentToken(c)
	if tok == nil || tok.Account == nil {
		return nil
	}
	return &social.Viewer{Person: tok.Account, Actor: tok.Actor()}
}

// statusForm is POST and PUT /api/v1/statuses' parameters, as form or JSON.
type statusForm struct {
	Status      string `form:"status" json:"status"`
	SpoilerText string `form:"spoiler_text" json:"spoiler_text"`
	Visibility  string `form:"visibility" json:"visibility"`
	Language    string `form:"language" json:"language"`
	InReplyToID string `form:"in_reply_to_id" json:"in_reply_to_id"`
	Sensitive   string `form:"sensitive" json:"-"`
	SensitiveJS *bool  `form:"-" json:"sensitive"`
}

func (f *statusForm) input() (social.PostInput, error) {
	in := social.PostInput{Status: f.Status, SpoilerText: f.SpoilerText, Visibility: f.Visibility,
		Language: f.Language, InReplyToID: f.InReplyToID}
	switch {
	case f.SensitiveJS != nil:
		in.Sensitive = *f.SensitiveJS
	case f.Sensitive != "":
		b, err := strconv.ParseBool(f.Sensitive)
		if err != nil {
			return in, tocsin.Invalid(tocsin.FieldError{Field: "sensitive", Message: "must be true or false"})
		}
		in.Sensitive = b
	}
	return in, nil
}

func (s *Server) bindStatus(c echo.Context) (social.PostInput, error) {
	var f statusForm
	if err := c.Bind(&f); err != nil {
		return social.PostInput{}, tocsin.Errorf(tocsin.EINVALID, "Validation failed: the parameters could not be read")
	}
	return f.input()
}

func (s *Server) postStatus(c echo.Context) error {
	in, err := s.bindStatus(c)
	if err != nil {
		return err
	}
	in.IdempotencyKey = strings.TrimSpace(c.Request().Header.Get("Idempotency-Key"))
	st, err := s.social.PostStatus(c.Request().Context(), s.socialViewer(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

func (s *Server) getStatus(c echo.Context) error {
	st, err := s.social.Status(c.Request().Context(), s.socialViewer(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

func (s *Server) deleteStatus(c echo.Context) error {
	st, err := s.social.DeleteStatus(c.Request().Context(), s.socialViewer(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

func (s *Server) editStatus(c echo.Context) error {
	in, err := s.bindStatus(c)
	if err != nil {
		return err
	}
	st, err := s.social.EditStatus(c.Request().Context(), s.socialViewer(c), c.Param("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

func (s *Server) statusContext(c echo.Context) error {
	ctx, err := s.social.Context(c.Request().Context(), s.socialViewer(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ctx)
}

func (s *Server) statusSource(c echo.Context) error {
	src, err := s.social.Source(c.Request().Context(), s.socialViewer(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, src)
}

func (s *Server) statusHistory(c echo.Context) error {
	h, err := s.social.History(c.Request().Context(), s.socialViewer(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h)
}

func (s *Server) statusReactors(kind string) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, err := pageParams(c)
		if err != nil {
			return err
		}
		list, err := s.social.Reactors(c.Request().Context(), s.socialViewer(c), c.Param("id"), kind, p.Limit)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, list)
	}
}

func (s *Server) statusAction(fn func(context.Context, *social.Viewer, string, bool) (mastodon.Status, error), undo bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		st, err := fn(c.Request().Context(), s.socialViewer(c), c.Param("id"), undo)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, st)
	}
}

// pageParams reads max_id, since_id, min_id and limit.
func pageParams(c echo.Context) (store.Page, error) {
	q := c.QueryParams()
	p := store.Page{MaxID: q.Get("max_id"), SinceID: q.Get("since_id"), MinID: q.Get("min_id")}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 0 {
			return p, tocsin.Invalid(tocsin.FieldError{Field: "limit", Message: "must be a positive number"})
		}
		p.Limit = n
	}
	return p, nil
}

// setLinkHeader adds Mastodon's pagination Link header for a page whose
// newest and oldest ids are first and last.
func setLinkHeader(c echo.Context, first, last string) {
	if first == "" {
		return
	}
	u := *c.Request().URL
	q := u.Query()
	for _, k := range []string{"max_id", "since_id", "min_id"} {
		q.Del(k)
	}
	base := c.Scheme() + "://" + c.Request().Host + u.Path
	next, prev := url.Values{}, url.Values{}
	for k, v := range q {
		next[k], prev[k] = v, v
	}
	next.Set("max_id", last)
	prev.Set("min_id", first)
	c.Response().Header().Set("Link", `<`+base+"?"+next.Encode()+`>; rel="next", <`+base+"?"+prev.Encode()+`>; rel="prev"`)
}
