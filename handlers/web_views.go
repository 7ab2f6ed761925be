package handlers

import (
	"context"
	"errors"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/publish"
	"github.com/tocsin-network/tocsin/store"
)

// webAlert is an alert as the pages and feeds show it.
type webAlert struct {
	*store.AlertRecord
	Page       string // where people read it on this instance
	Headline   string
	StatusLine string
	AuthorName string // "@observers" here, "@observers@peer.example" from a peer
	AuthorURL  string
	Expired    bool
}

func (s *Server) webAlertView(rec *store.AlertRecord) webAlert {
	a := &rec.Alert
	v := webAlert{AlertRecord: rec, Headline: a.Headline(), StatusLine: a.StatusLine(),
		AuthorURL: a.Author, Expired: a.Expired(s.now())}
	if rec.Local {
		v.Page = rec.IRI
	} else {
		v.Page = s.urls.Base + "/alerts/" + url.PathEscape(rec.Seq)
	}
	v.AuthorName = s.handleOf(a.Author, rec.Origin)
	return v
}

// handleOf names an actor by its IRI: "@name" for a local one,
// "@name@host" for a remote one (the last path segment of its IRI).
func (s *Server) handleOf(actor, origin string) string {
	if name, ok := s.urls.LocalUsername(actor); ok {
		return "@" + name
	}
	u, err := url.Parse(actor)
	if err != nil || u.Host == "" {
		return actor
	}
	name := path.Base(strings.TrimRight(u.Path, "/"))
	if name == "." || name == "/" || name == "" {
		return u.Host
	}
	return "@" + strings.TrimPrefix(name, "@") + "@" + u.Host
}

func (s *Server) webAlertViews(recs []*store.AlertRecord) []webAlert {
	out := make([]webAlert, 0, len(recs))
	for _, r := range recs {
		out = append(out, s.webAlertView(r))
	}
	return out
}

// webNote is a good-practice note as the pages show it.
type webNote struct {
	*store.NoteRecord
	Page       string
	AuthorName string
	AuthorURL  string
}

func (s *Server) webNoteView(rec *store.NoteRecord) webNote {
	v := webNote{NoteRecord: rec, AuthorURL: rec.Note.Author, AuthorName: s.handleOf(rec.Note.Author, rec.Origin)}
	if rec.Local {
		v.Page = rec.IRI
	} else {
		v.Page = s.urls.Base + "/notes/" + url.PathEscape(rec.Seq)
	}
	return v
}

// noteVisible reports whether a note may be shown without signing in:
// notes have no TLP, but one held for review or rejected is staff-only.
func noteVisible(rec *store.NoteRecord) bool {
	return rec.Moderation == "" || rec.Moderation == store.ModVisible
}

// webRevision is one entry of an alert's public status history: when, by
// whom and which fields changed (not the old values, which may have been
// meant for a narrower audience).
type webRevision struct {
	At     time.Time
	By     string
	Fields []string
}

func revisionViews(revs []alert.Revision) []webRevision {
	out := make([]webRevision, 0, len(revs))
	for i := len(revs) - 1; i >= 0; i-- {
		r := revs[i]
		w := webRevision{At: r.At, By: r.By}
		for _, c := range r.Changes {
			f := label("field", c.Field)
			if c.Field == "status" && c.To != "" {
				f += ": " + label("status", c.To)
			}
			w.Fields = append(w.Fields, f)
		}
		out = append(out, w)
	}
	return out
}

// orgAlerts returns up to limit of an organisation's alerts that anyone may
// read, newest first, from its outbox (Create activities are the object's
// IRI + "/activity"). The scan is bounded, so an organisation with many
// non-public alerts shows fewer rather than slowing the page.
func (s *Server) orgAlerts(ctx context.Context, acct *store.Account, limit int) ([]*store.AlertRecord, error) {
	const maxScanned = 2000
	var out []*store.AlertRecord
	err := s.pub.DB().View(ctx, func(t *store.Tx) error {
		before, scanned := "", 0
		for len(out) < limit && scanned < maxScanned {
			iris, last, err := t.OutboxPage(acct.ID, before, 100)
			if err != nil {
				return err
			}
			if len(iris) == 0 {
				return nil
			}
			for _, a := range iris {
				scanned++
				obj, ok := strings.CutSuffix(a, "/activity")
				if !ok {
					continue
				}
				rec, err := t.Alert(obj)
				if errors.Is(err, store.ErrNotFound) {
					continue
				}
				if err != nil {
					return err
				}
				if publish.CanRead(nil, rec) {
					out = append(out, rec)
					if len(out) == limit {
						return nil
					}
				}
			}
			before = last
		}
		return nil
	})
	return out, err
}
