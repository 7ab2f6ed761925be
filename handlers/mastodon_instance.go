package handlers

// Mastodon client API: what an app reads about the instance before and at
// sign-in (GET /api/v1/instance, /api/v2/instance, peers, activity, rules,
// custom emojis). All public, as on Mastodon.

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tocsin-network/tocsin/federation"
	"github.com/tocsin-network/tocsin/mastodon"
	"github.com/tocsin-network/tocsin/store"
)

func (s *Server) mastodonInstanceRoutes() {
	e := s.e
	e.GET("/api/v1/instance", s.instanceV1)
	e.GET("/api/v1/instance/", s.instanceV1)
	e.GET("/api/v2/instance", s.instanceV2)
	e.GET("/api/v2/instance/", s.instanceV2)
	e.GET("/api/v1/instance/peers", s.instancePeers)
	e.GET("/api/v1/instance/activity", s.instanceActivity)
	e.GET("/api/v1/instance/rules", emptyList)
	e.GET("/api/v1/instance/extended_description", s.instanceExtendedDescription)
	e.GET("/api/v1/custom_emojis", emptyList)
}

// instanceInfo gathers what the instance entities show from the
// configuration and the store.
func (s *Server) instanceInfo(ctx context.Context) (mastodon.InstanceInfo, error) {
	inst := s.cfg.Instance
	info := mastodon.InstanceInfo{
		Title: inst.Name, Description: inst.Description, ContactEmail: inst.ContactEmail,
		Languages: inst.Languages, Registrations: inst.RegistrationsOpen,
	}
	accounts, err := s.accounts.List(ctx)
	if err != nil {
		return info, err
	}
	for _, a := range accounts {
		if !a.Disabled {
			info.UserCount++
		}
	}
	// Tocsin records no sign-ins: every enabled account counts as active.
	info.ActiveMonth = info.UserCount
	posts, err := s.fed.DB.CountLocalPublicObjects(ctx)
	if err != nil {
		return info, err
	}
	info.StatusCount = int(posts)
	hosts, err := s.knownHosts(ctx)
	if err != nil {
		return info, err
	}
	info.DomainCount = len(hosts)
	if inst.ContactAccount != "" {
		if a, err := s.accounts.Get(ctx, inst.ContactAccount); err == nil {
			if acc, err := s.accountEntity(ctx, s.urls.Actor(a.Username)); err == nil {
				info.ContactAccount = &acc
			}
		}
	}
	return info, nil
}

func (s *Server) instanceV1(c echo.Context) error {
	info, err := s.instanceInfo(c.Request().Context())
	if err != nil {
		return err
	}
	c.Response().Header().Set("Access-Control-Allow-Origin", "*")
	return c.JSON(http.StatusOK, s.converter().InstanceV1(info))
}

func (s *Server) instanceV2(c echo.Context) error {
	info, err := s.instanceInfo(c.Request().Context())
	if err != nil {
		return err
	}
	c.Response().Header().Set("Access-Control-Allow-Origin", "*")
	return c.JSON(http.StatusOK, s.converter().InstanceV2(info))
}

func (s *Server) instanceExtendedDescription(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"updated_at": nil, "content": s.cfg.Instance.Description})
}

// instancePeers lists the hosts this instance knows: its peers and the
// servers of the accounts local accounts follow or are followed by.
func (s *Server) instancePeers(c echo.Context) error {
	hosts, err := s.knownHosts(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, hosts)
}

// knownHosts returns, sorted, the hosts of peers and of every remote
// actor in a follow relation with a local account.
func (s *Server) knownHosts(ctx context.Context) ([]string, error) {
	seen := map[string]bool{}
	add := func(iri string) {
		if h := iriHost(iri); h != "" && h != s.urls.Host() {
			seen[h] = true
		}
	}
	peers, err := s.fed.DB.Peers(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range peers {
		add(p.Actor)
	}
	accounts, err := s.accounts.List(ctx)
	if err != nil {
		return nil, err
	}
	err = s.fed.DB.View(ctx, func(t *store.Tx) error {
		for _, a := range accounts {
			actor := s.urls.Actor(a.Username)
			followers, err := t.Followers(actor, "")
			if err != nil {
				return err
			}
			for _, f := range followers {
				add(f.Follower)
			}
			following, err := t.Following(actor, "")
			if err != nil {
				return err
			}
			for _, f := range following {
				add(f.Followee)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(seen))
	for h := range seen {
		out = append(out, h)
	}
	slices.Sort(out)
	return out, nil
}

func iriHost(iri string) string {
	u, err := url.Parse(iri)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}

// activityWeek is one week of GET /api/v1/instance/activity; Mastodon
// sends every number as a string.
type activityWeek struct {
	Week          string `json:"week"`
	Statuses      string `json:"statuses"`
	Logins        string `json:"logins"`
	Registrations string `json:"registrations"`
}

// instanceActivity answers the last 12 weeks, newest first: statuses
// published by local accounts and public still (TLP-restricted, raised
// and retracted alerts are not counted), registrations
// (accounts created), and logins, which Tocsin does not record (0).
func (s *Server) instanceActivity(c echo.Context) error {
	ctx := c.Request().Context()
	const weeks = 12
	// Mastodon's weeks start on Monday, 00:00 UTC.
	now := s.now().UTC()
	start := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	start = start.AddDate(0, 0, -((int(start.Weekday()) + 6) % 7))
	oldest := start.AddDate(0, 0, -7*(weeks-1))
	statuses, regs := make([]int, weeks), make([]int, weeks)
	bucketOf := func(t time.Time) int {
		if t.Before(oldest) || t.After(now) {
			return -1
		}
		return weeks - 1 - int(t.Sub(oldest)/(7*24*time.Hour))
	}
	accounts, err := s.accounts.List(ctx)
	if err != nil {
		return err
	}
	for _, a := range accounts {
		if i := bucketOf(a.CreatedAt); i >= 0 {
			regs[i]++
		}
	}
	err = s.fed.DB.View(ctx, func(t *store.Tx) error {
		for _, a := range accounts {
			before := ""
			for {
				iris, last, err := t.OutboxPage(a.ID, before, 200)
				if err != nil {
					return err
				}
				done := len(iris) == 0
				for _, iri := range iris {
					act, err := t.Activity(iri)
					if err != nil || act.Type != "Create" || !federation.PublicActivity(t, act) {
						continue
					}
					if act.Published.Before(oldest) {
						done = true
						break
					}
					if i := bucketOf(act.Published); i >= 0 {
						statuses[i]++
					}
				}
				if done || len(iris) < 200 {
					break
				}
				before = last
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	out := make([]activityWeek, weeks)
	for i := range out {
		week := start.AddDate(0, 0, -7*i)
		out[i] = activityWeek{
			Week: strconv.FormatInt(week.Unix(), 10), Statuses: strconv.Itoa(statuses[i]),
			Logins: "0", Registrations: strconv.Itoa(regs[i]),
		}
	}
	return c.JSON(http.StatusOK, out)
}
