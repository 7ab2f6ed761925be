package publish

import (
	"context"
	"time"

	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/federation"
	"github.com/tocsin-network/tocsin/federation/profile"
	"github.com/tocsin-network/tocsin/store"
)

// CreateNote publishes a good-practice note (an Article) as the author's
// organisation, public to everyone: good practice is for sharing.
func (s *Service) CreateNote(ctx context.Context, au Author, n alert.PracticeNote) (*store.NoteRecord, error) {
	if err := au.check(); err != nil {
		return nil, err
	}
	seq := s.db.NewID()
	iri := s.urls.Object(au.Org.Username, seq)
	n.ID, n.URI, n.Author = seq, iri, s.urls.Actor(au.Org.Username)
	n.Published = s.now().UTC().Truncate(time.Second)
	n.Normalize()
	if err := n.Validate(); err != nil {
		return nil, err
	}
	aud := federation.Audience{Public: true}
	to, cc := s.fed.Outbox.Addressing(au.Org, aud)
	obj, err := profile.NoteObject(&n, iri, n.Author, to, cc, s.tagURL)
	if err != nil {
		return nil, err
	}
	rec := &store.NoteRecord{IRI: iri, Seq: seq, Local: true, AccountID: au.Org.ID, Note: n, Moderation: store.ModVisible}
	_, err = s.fed.Outbox.PublishObject(ctx, au.Org, obj, aud, func(t *store.Tx, o *store.Object) error {
		if _, err := t.PutNote(rec); err != nil {
			return err
		}
		return s.local(t, o)
	})
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "note published", "note", iri, "org", au.Org.Username, "by", au.by())
	return rec, nil
}

// ListNotes lists stored good-practice notes, local and federated.
func (s *Service) ListNotes(ctx context.Context, f store.NoteFilter) ([]*store.NoteRecord, string, error) {
	return s.db.ListNotes(ctx, f)
}
