package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/store"
)

type acctLink struct {
	Name, Handle, URL string
}

type homeData struct {
	Description  string
	ContactEmail string
	Contact      *acctLink
	Orgs         []acctLink
	Alerts       []webAlert
	Notes        []webNote
	Peers        []*store.Peer
	Chart        *alertChart
}

// webHome is the instance's home page: who runs it, its latest public
// alerts and notes, its peers, and a chart of recent alerts.
func (s *Server) webHome(c echo.Context) error {
	ctx := c.Request().Context()
	d := homeData{Description: s.cfg.Instance.Description, ContactEmail: s.cfg.Instance.ContactEmail}
	accts, err := s.accounts.List(ctx)
	if err != nil {
		return err
	}
	for _, a := range accts {
		l := acctLink{Name: a.DisplayName, Handle: "@" + a.Username + "@" + s.urls.Host(), URL: s.urls.Profile(a.Username)}
		if l.Name == "" {
			l.Name = a.Username
		}
		if a.Username == s.cfg.Instance.ContactAccount {
			d.Contact = &l
		}
		if a.Kind == "organization" && !a.Disabled {
			d.Orgs = append(d.Orgs, l)
		}
	}
	recs, _, err := s.pub.ListVisible(ctx, s.webViewer(c), store.AlertFilter{Limit: 10})
	if err != nil {
		return err
	}
	d.Alerts = s.webAlertViews(recs)
	notes, _, err := s.pub.ListNotes(ctx, store.NoteFilter{Limit: 5})
	if err != nil {
		return err
	}
	for _, n := range notes {
		if noteVisible(n) {
			d.Notes = append(d.Notes, s.webNoteView(n))
		}
	}
	if d.Peers, err = s.pub.DB().Peers(ctx); err != nil {
		return err
	}
	if d.Chart, err = s.alertChart(ctx); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "home", webPage{Title: tr("home.title"), Section: "home",
		Canonical: s.urls.Base + "/", Feeds: s.feedLinks("/alerts", nil, trf("feed.alerts", s.cfg.Instance.Name)), Data: d})
}

// The chart: public alerts per week over the last chartWeeks weeks, one
// stacked bar per week, one colour per category, drawn as inline SVG (no
// script, no inline style: colours come from classes in the stylesheet).
const (
	chartWeeks     = 12
	chartMaxAlerts = 600 // a bound on the work of one home page
	chartWidth     = 600
	chartHeight    = 160
	chartBarGap    = 10
)

type alertChart struct {
	Weeks      []chartWeek
	Categories []alert.CategoryInfo // those with at least one alert, in taxonomy order
	Width      int
	Height     int
	Max        int
	Truncated  bool
}

type chartWeek struct {
	Start  time.Time
	Total  int
	Counts []int // per Categories entry
	X, W   int
	Segs   []chartSeg
}

type chartSeg struct {
	Y, H  int
	Class string
	Title string
}

func (s *Server) alertChart(ctx context.Context) (*alertChart, error) {
	now := s.now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	monday := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
	start := monday.AddDate(0, 0, -7*(chartWeeks-1))
	cats := alert.Categories()
	counts := make([][]int, chartWeeks)
	for i := range counts {
		counts[i] = make([]int, len(cats))
	}
	catIndex := make(map[alert.Category]int, len(cats))
	for i, ci := range cats {
		catIndex[ci.Slug] = i
	}
	other := catIndex[alert.CategoryOther]
	f := store.AlertFilter{Since: start, Limit: store.MaxListLimit}
	n, truncated := 0, false
	for {
		recs, next, err := s.pub.ListVisible(ctx, nil, f)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			w := int(r.Alert.Published.Sub(start) / (7 * 24 * time.Hour))
			if w < 0 || w >= chartWeeks {
				continue
			}
			ci, ok := catIndex[r.Alert.Category]
			if !ok {
				ci = other
			}
			counts[w][ci]++
		}
		n += len(recs)
		if next == "" {
			break
		}
		if n >= chartMaxAlerts {
			truncated = true
			break
		}
		f.MaxSeq = next
	}
	if n == 0 {
		return nil, nil
	}
	ch := &alertChart{Width: chartWidth, Height: chartHeight, Truncated: truncated}
	used := make([]int, 0, len(cats))
	for ci := range cats {
		for w := range counts {
			if counts[w][ci] > 0 {
				used = append(used, ci)
				break
			}
		}
	}
	for _, ci := range used {
		ch.Categories = append(ch.Categories, cats[ci])
	}
	for w := range counts {
		t := 0
		for _, v := range counts[w] {
			t += v
		}
		ch.Max = max(ch.Max, t)
	}
	barW := chartWidth/chartWeeks - chartBarGap
	for w := range counts {
		wk := chartWeek{Start: start.AddDate(0, 0, 7*w), X: w*(chartWidth/chartWeeks) + chartBarGap/2, W: barW}
		y := chartHeight
		for _, ci := range used {
			v := counts[w][ci]
			wk.Counts = append(wk.Counts, v)
			wk.Total += v
			if v == 0 || ch.Max == 0 {
				continue
			}
			h := max(1, v*chartHeight/ch.Max)
			y -= h
			wk.Segs = append(wk.Segs, chartSeg{Y: y, H: h, Class: "cat-" + string(cats[ci].Slug),
				Title: trf("home.chartTip", wk.Start.Format(tr("home.chartDay")), label("category", cats[ci].Slug), v)})
		}
		ch.Weeks = append(ch.Weeks, wk)
	}
	return ch, nil
}
