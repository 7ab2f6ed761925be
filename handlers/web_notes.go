package handlers

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/tocsin-network/tocsin/store"
)

type notesData struct {
	Notes []webNote
	Older string
}

// webNotes lists good-practice notes, local and from peers, newest first.
func (s *Server) webNotes(c echo.Context) error {
	recs, next, err := s.pub.ListNotes(c.Request().Context(), store.NoteFilter{Limit: webPageSize, MaxSeq: c.QueryParam("max_id")})
	if err != nil {
		return err
	}
	d := notesData{}
	for _, r := range recs {
		if noteVisible(r) {
			d.Notes = append(d.Notes, s.webNoteView(r))
		}
	}
	if next != "" {
		d.Older = withQuery("/notes", url.Values{"max_id": {next}})
	}
	return s.render(c, http.StatusOK, "notes", webPage{Title: tr("notes.title"), Section: "notes",
		Canonical: s.urls.Base + "/notes", Data: d})
}

// webNotePage shows one good-practice note.
func (s *Server) webNotePage(c echo.Context, rec *store.NoteRecord) error {
	v := s.webNoteView(rec)
	p := webPage{Title: rec.Note.Title, Section: "notes", Canonical: v.Page, Data: v}
	if rec.Local {
		p.ActivityJSON = rec.IRI
	}
	return s.render(c, http.StatusOK, "note", p)
}

// webPeerNote is a note's page on this instance by its Seq.
func (s *Server) webPeerNote(c echo.Context) error {
	rec, err := s.pub.DB().NoteBySeq(c.Request().Context(), c.Param("id"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && !noteVisible(rec)) {
		return s.webNotFound(c)
	}
	if err != nil {
		return err
	}
	if rec.Local {
		return c.Redirect(http.StatusMovedPermanently, rec.IRI)
	}
	return s.webNotePage(c, rec)
}
