package handlers

// Mastodon client API: the small methods every app calls at sign-in
// (preferences, markers) and the lists Tocsin does not keep, answered with
// the empty list Mastodon sends for a new account so that apps work: filters,
// lists, announcements, followed tags, blocks and mutes (moderation is per
// instance here), trends, conversations, suggestions. Any other /api/ path
// answers Mastodon's JSON 404, never an HTML page.
//
// Also the request helpers of the account and instance groups: parameters
// from query, form or JSON bodies, and Mastodon's Link pagination.

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/mastodon"
)

// msgRecordNotFound is Mastodon's body for an unknown record or route.
const msgRecordNotFound = "Record not found"

func (s *Server) mastodonMiscRoutes() {
	e := s.e
	if s.oauth != nil {
		e.GET("/api/v1/preferences", s.getPreferences, s.requireUser("read:accounts"))
		e.GET("/api/v1/markers", s.getMarkers, s.requireUser("read:statuses"))
		e.POST("/api/v1/markers", s.postMarkers, s.requireUser("write:statuses"))

		empty := func(path string, scopes ...string) {
			e.GET(path, emptyList, s.requireUser(scopes...))
		}
		empty("/api/v1/filters", "read:filters")
		empty("/api/v2/filters", "read:filters")
		empty("/api/v1/lists", "read:lists")
		empty("/api/v1/followed_tags", "read:follows")
		empty("/api/v1/blocks", "read:blocks")
		empty("/api/v1/mutes", "read:mutes")
		empty("/api/v1/domain_blocks", "read:blocks")
		empty("/api/v1/conversations", "read:statuses")
		empty("/api/v1/announcements")
		empty("/api/v1/suggestions", "read")
		empty("/api/v2/suggestions", "read")
		empty("/api/v1/endorsements", "read:accounts")
		empty("/api/v1/featured_tags", "read:accounts")
	}
	for _, p := range []string{"/api/v1/trends", "/api/v1/trends/tags", "/api/v1/trends/statuses", "/api/v1/trends/links"} {
		e.GET(p, emptyList, s.optionalAuth())
	}
	// Echo matches static and parameter routes before this one, so it
	// answers only what no group registered.
	e.Any("/api/*", apiNotFound)
}

func emptyList(c echo.Context) error { return c.JSON(http.StatusOK, []struct{}{}) }

func apiNotFound(echo.Context) error {
	return echo.NewHTTPError(http.StatusNotFound, msgRecordNotFound)
}

func (s *Server) getPreferences(c echo.Context) error {
	ctx := c.Request().Context()
	st, err := s.fed.DB.AccountSettings(ctx, currentToken(c).Actor().ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, mastodon.PreferencesOf(settingsSource(st)))
}

// markerTimelines are the timelines Mastodon keeps markers for.
var markerTimelines = []string{"home", "notifications"}

// getMarkers answers GET /api/v1/markers?timeline[]=home: an object with
// one Marker per requested timeline that has one.
func (s *Server) getMarkers(c echo.Context) error {
	p, err := apiParams(c)
	if err != nil {
		return err
	}
	var want []string
	for _, tl := range paramValues(p, "timeline") {
		if tl == "home" || tl == "notifications" {
			want = append(want, tl)
		}
	}
	return s.writeMarkers(c, want)
}

// postMarkers answers POST /api/v1/markers with home[last_read_id] and/or
// notifications[last_read_id] (form or JSON), returning the saved markers.
func (s *Server) postMarkers(c echo.Context) error {
	p, err := apiParams(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	id := currentToken(c).Actor().ID
	var saved []string
	for _, tl := range markerTimelines {
		last := strings.TrimSpace(p.Get(tl + "[last_read_id]"))
		if last == "" {
			continue
		}
		if _, err := s.fed.DB.SetMarker(ctx, id, tl, last); err != nil {
			return err
		}
		saved = append(saved, tl)
	}
	return s.writeMarkers(c, saved)
}

func (s *Server) writeMarkers(c echo.Context, timelines []string) error {
	ms, err := s.fed.DB.Markers(c.Request().Context(), currentToken(c).Actor().ID, timelines)
	if err != nil {
		return err
	}
	out := map[string]mastodon.Marker{}
	for tl, m := range ms {
		out[tl] = mastodon.NewMarker(m.LastReadID, m.Version, m.UpdatedAt)
	}
	return c.JSON(http.StatusOK, out)
}

// apiParams is requestParams for the client API: a body that is neither a
// valid form nor a JSON object is a 400 with Mastodon's error shape.
func apiParams(c echo.Context) (url.Values, error) {
	p, err := requestParams(c)
	if err != nil {
		return nil, echo.NewHTTPError(http.StatusBadRequest, "the request body is not valid form data or JSON")
	}
	return p, nil
}

func flattenParam(p url.Values, key string, v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			flattenParam(p, key+"["+k+"]", e)
		}
	case []any:
		for _, e := range v {
			flattenParam(p, key, e)
		}
	case nil:
		p.Add(key, "")
	default:
		addJSONParam(p, key, v)
	}
}

// paramValues returns an array parameter sent as name[]=, name= or (JSON)
// an array, in order.
func paramValues(p url.Values, name string) []string {
	var out []string
	for _, k := range []string{name + "[]", name} {
		for _, v := range p[k] {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

// paramBool reads an optional boolean as Rails does (true, True, 1, on...);
// nil when absent.
func paramBool(p url.Values, name string) *bool {
	if _, ok := p[name]; !ok {
		return nil
	}
	b := paramTrue(p.Get(name))
	return &b
}

// mastoPage is a page request of a Mastodon list: limit and the ID bounds.
type mastoPage struct {
	Limit                  int
	MaxID, SinceID, MinID  string
	defaultLimit, maxLimit int
}

// readMastoPage reads limit, max_id, since_id and min_id; a bad or
// out-of-range limit is clamped, as Mastodon does.
func readMastoPage(p url.Values, defaultLimit, maxLimit int) mastoPage {
	pg := mastoPage{Limit: defaultLimit, MaxID: p.Get("max_id"), SinceID: p.Get("since_id"), MinID: p.Get("min_id"),
		defaultLimit: defaultLimit, maxLimit: maxLimit}
	if n, err := strconv.Atoi(strings.TrimSpace(p.Get("limit"))); err == nil && n > 0 {
		pg.Limit = min(n, maxLimit)
	}
	return pg
}

// setMastoLink sets Mastodon's Link header for a page whose first and last
// items have the given cursors: next (older) with max_id, prev (newer)
// with min_id. Nothing is set for an empty page.
func (s *Server) setMastoLink(c echo.Context, pg mastoPage, first, last string, more bool) {
	if first == "" {
		return
	}
	u := *c.Request().URL
	link := func(key, val string) string {
		q := u.Query()
		for _, k := range []string{"max_id", "since_id", "min_id", "limit", "access_token"} {
			q.Del(k)
		}
		q.Set("limit", strconv.Itoa(pg.Limit))
		q.Set(key, val)
		return s.urls.Base + u.Path + "?" + q.Encode()
	}
	var parts []string
	if more {
		parts = append(parts, fmt.Sprintf(`<%s>; rel="next"`, link("max_id", last)))
	}
	parts = append(parts, fmt.Sprintf(`<%s>; rel="prev"`, link("min_id", first)))
	c.Response().Header().Set("Link", strings.Join(parts, ", "))
}

// recordNotFound is Mastodon's 404 for an unknown account or status.
func recordNotFound() error { return tocsin.Errorf(tocsin.ENOTFOUND, msgRecordNotFound) }
