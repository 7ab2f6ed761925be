package handlers

import (
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/store"
)

// Feeds of public alerts, RSS 2.0 and Atom (RFC 4287): of the instance, of
// one organisation, and of any filter of the alert list. TLP:CLEAR and
// approved only, like every public page: they are read with a nil viewer.

type feedKind int

const (
	feedAtom feedKind = iota
	feedRSS
)

// feedSize is how many alerts a feed holds.
const feedSize = 30

// feedFilterParams are the filter parameters feed links carry.
var feedFilterParams = []string{"country", "category", "severity"}

func feedFilterQuery(q url.Values) url.Values {
	out := url.Values{}
	for _, k := range feedFilterParams {
		if v, ok := q[k]; ok {
			out[k] = v
		}
	}
	return out
}

// feedLinks returns the Atom and RSS alternates of base ("/alerts").
func (s *Server) feedLinks(base string, q url.Values, title string) []feedLink {
	if len(q) > 0 && base == "/alerts" {
		title = trf("feed.filtered", s.cfg.Instance.Name)
	}
	return []feedLink{
		{Type: "application/atom+xml", Title: trf("feed.titleAtom", title), Href: withQuery(base+".atom", q)},
		{Type: "application/rss+xml", Title: trf("feed.titleRSS", title), Href: withQuery(base+".rss", q)},
	}
}

// alertsFeed is the instance's feed, filtered by the list's parameters.
func (s *Server) alertsFeed(kind feedKind) echo.HandlerFunc {
	return func(c echo.Context) error {
		q := c.QueryParams()
		q.Del("max_id")
		_, f, problems := readWebFilter(q)
		if len(problems) > 0 {
			return echo.NewHTTPError(http.StatusBadRequest, strings.Join(problems, "; "))
		}
		f.Limit = feedSize
		recs, _, err := s.pub.ListVisible(c.Request().Context(), nil, f)
		if err != nil {
			return err
		}
		title := trf("feed.alerts", s.cfg.Instance.Name)
		fq := filterQuery(q)
		if len(fq) > 0 {
			title = trf("feed.filtered", s.cfg.Instance.Name)
		}
		return s.writeFeed(c, kind, feedMeta{Title: title, Description: s.cfg.Instance.Description,
			Page: s.urls.Base + withQuery("/alerts", fq), Self: s.urls.Base + c.Request().URL.RequestURI()}, recs)
	}
}

// orgFeed is one organisation's feed.
func (s *Server) orgFeed(kind feedKind) echo.HandlerFunc {
	return func(c echo.Context) error {
		a, err := s.accounts.Get(c.Request().Context(), c.Param("username"))
		var te *tocsin.Error
		if err != nil || a.Kind != "organization" {
			if err == nil || (errors.As(err, &te) && te.Code == tocsin.ENOTFOUND) {
				return echo.NewHTTPError(http.StatusNotFound, tr("feed.noOrg"))
			}
			return err
		}
		recs, err := s.orgAlerts(c.Request().Context(), a, feedSize)
		if err != nil {
			return err
		}
		name := a.DisplayName
		if name == "" {
			name = a.Username
		}
		return s.writeFeed(c, kind, feedMeta{Title: trf("feed.alertsOrg", name, s.cfg.Instance.Name),
			Description: a.Summary, Page: s.urls.Profile(a.Username),
			Self: s.urls.Base + c.Request().URL.RequestURI()}, recs)
	}
}

type feedMeta struct {
	Title, Description, Page, Self string
}

func (s *Server) writeFeed(c echo.Context, kind feedKind, m feedMeta, recs []*store.AlertRecord) error {
	var doc any
	var contentType string
	updated := s.now()
	if len(recs) > 0 {
		updated = lastChange(recs[0])
		for _, r := range recs[1:] {
			if t := lastChange(r); t.After(updated) {
				updated = t
			}
		}
	}
	switch kind {
	case feedAtom:
		doc, contentType = s.atomFeed(m, updated, recs), "application/atom+xml; charset=utf-8"
	default:
		doc, contentType = s.rssFeed(m, updated, recs), "application/rss+xml; charset=utf-8"
	}
	b, err := xml.MarshalIndent(doc, "", " ")
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "public, max-age=60")
	return c.Blob(http.StatusOK, contentType, withoutBidiControls(append([]byte(xml.Header), b...)))
}

func lastChange(r *store.AlertRecord) time.Time {
	if r.Alert.Updated.After(r.Alert.Published) {
		return r.Alert.Updated
	}
	return r.Alert.Published
}

type atomFeedDoc struct {
	XMLName  xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Title    string      `xml:"title"`
	Subtitle string      `xml:"subtitle,omitempty"`
	ID       string      `xml:"id"`
	Updated  string      `xml:"updated"`
	Links    []atomLink  `xml:"link"`
	Author   atomPerson  `xml:"author"`
	Entries  []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomPerson struct {
	Name string `xml:"name"`
	URI  string `xml:"uri,omitempty"`
}

type atomText struct {
	Type string `xml:"type,attr,omitempty"`
	Body string `xml:",chardata"`
}

type atomCategory struct {
	Term  string `xml:"term,attr"`
	Label string `xml:"label,attr,omitempty"`
}

type atomEntry struct {
	Title      string         `xml:"title"`
	ID         string         `xml:"id"`
	Published  string         `xml:"published"`
	Updated    string         `xml:"updated"`
	Links      []atomLink     `xml:"link"`
	Author     atomPerson     `xml:"author"`
	Categories []atomCategory `xml:"category"`
	Summary    atomText       `xml:"summary"`
	Content    atomText       `xml:"content"`
}

func (s *Server) atomFeed(m feedMeta, updated time.Time, recs []*store.AlertRecord) atomFeedDoc {
	f := atomFeedDoc{Title: m.Title, Subtitle: m.Description, ID: m.Self, Updated: updated.UTC().Format(time.RFC3339),
		Links:  []atomLink{{Rel: "self", Type: "application/atom+xml", Href: m.Self}, {Rel: "alternate", Type: "text/html", Href: m.Page}},
		Author: atomPerson{Name: s.cfg.Instance.Name, URI: s.urls.Base + "/"}}
	for _, r := range recs {
		v := s.webAlertView(r)
		a := &r.Alert
		e := atomEntry{Title: v.Headline, ID: r.IRI, Published: a.Published.UTC().Format(time.RFC3339),
			Updated: lastChange(r).UTC().Format(time.RFC3339),
			Links:   []atomLink{{Rel: "alternate", Type: "text/html", Href: v.Page}},
			Author:  atomPerson{Name: v.AuthorName, URI: a.Author},
			Summary: atomText{Type: "text", Body: v.StatusLine},
			Content: atomText{Type: "html", Body: a.BodyHTML}}
		e.Categories = append(e.Categories, atomCategory{Term: string(a.Category), Label: label("category", a.Category)})
		for _, cc := range a.Countries {
			e.Categories = append(e.Categories, atomCategory{Term: cc, Label: alert.CountryName(cc)})
		}
		f.Entries = append(f.Entries, e)
	}
	return f
}

type rssDoc struct {
	XMLName xml.Name   `xml:"rss"`
	Version string     `xml:"version,attr"`
	Channel rssChannel `xml:"channel"`
}

type rssChannel struct {
	Title         string    `xml:"title"`
	Link          string    `xml:"link"`
	Description   string    `xml:"description"`
	Language      string    `xml:"language,omitempty"`
	LastBuildDate string    `xml:"lastBuildDate"`
	Generator     string    `xml:"generator"`
	Items         []rssItem `xml:"item"`
}

type rssGUID struct {
	IsPermaLink bool   `xml:"isPermaLink,attr"`
	Value       string `xml:",chardata"`
}

type rssItem struct {
	Title       string   `xml:"title"`
	Link        string   `xml:"link"`
	GUID        rssGUID  `xml:"guid"`
	PubDate     string   `xml:"pubDate"`
	Author      string   `xml:"author,omitempty"`
	Categories  []string `xml:"category"`
	Description string   `xml:"description"`
}

func (s *Server) rssFeed(m feedMeta, updated time.Time, recs []*store.AlertRecord) rssDoc {
	desc := m.Description
	if desc == "" {
		desc = m.Title
	}
	ch := rssChannel{Title: m.Title, Link: m.Page, Description: desc, Language: s.defaultLanguage(),
		LastBuildDate: updated.UTC().Format(time.RFC1123Z), Generator: "Tocsin"}
	for _, r := range recs {
		v := s.webAlertView(r)
		a := &r.Alert
		it := rssItem{Title: v.Headline, Link: v.Page, GUID: rssGUID{IsPermaLink: false, Value: r.IRI},
			PubDate: a.Published.UTC().Format(time.RFC1123Z), Description: a.BodyHTML,
			Categories: []string{label("category", a.Category)}}
		it.Categories = append(it.Categories, a.Countries...)
		ch.Items = append(ch.Items, it)
	}
	return rssDoc{Version: "2.0", Channel: ch}
}
