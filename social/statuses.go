package social

import (
	"context"
	"errors"
	"html"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/federation"
	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/mastodon"
	"github.com/tocsin-network/tocsin/store"
)

// MaxChars is the longest status text accepted (Mastodon's default).
const MaxChars = 5000

// idempotencyTTL is how long an Idempotency-Key is remembered (Mastodon: 1 h).
const idempotencyTTL = time.Hour

// PostInput is a new status (POST /api/v1/statuses) or an edit.
type PostInput struct {
	Status, SpoilerText, Visibility, Language, InReplyToID string
	Sensitive                                              bool
	IdempotencyKey                                         string
}

var (
	hashtagRE = regexp.MustCompile(`(?:^|[^\w&/])#([\p{L}\p{N}_]+)`)
	mentionRE = regexp.MustCompile(`(?:^|[^\w/])@([a-zA-Z0-9_.-]+)(?:@([a-zA-Z0-9.-]+(?::\d+)?))?`)
)

func (in *PostInput) validate() error {
	var fields []tocsin.FieldError
	if strings.TrimSpace(in.Status) == "" {
		fields = append(fields, tocsin.FieldError{Field: "status", Message: "can't be blank"})
	}
	if utf8.RuneCountInString(in.Status) > MaxChars {
		fields = append(fields, tocsin.FieldError{Field: "status", Message: "is too long (maximum is 5000 characters)"})
	}
	if in.Visibility == "" {
		in.Visibility = "public"
	}
	if !slices.Contains([]string{"public", "unlisted", "private", "direct"}, in.Visibility) {
		fields = append(fields, tocsin.FieldError{Field: "visibility", Message: "is not one of public, unlisted, private, direct"})
	}
	if len(fields) > 0 {
		return &tocsin.Error{Code: tocsin.EINVALID, Message: "Validation failed: " + fields[0].Field + " " + fields[0].Message, Fields: fields}
	}
	return nil
}

// composed is a status text made ready to publish.
type composed struct {
	content  string
	tags     []map[string]any
	mentions []string // actor IRIs
}

// compose turns plain text into HTML with linked hashtags and mentions.
// Mentions are resolved first (network I/O, outside any transaction); one
// that does not resolve stays text.
func (s *Service) compose(ctx context.Context, text string) composed {
	var c composed
	resolved := map[string]string{}
	for _, m := range mentionRE.FindAllStringSubmatch(text, -1) {
		handle := m[1]
		if m[2] != "" && m[2] != s.urls.Host() {
			handle += "@" + m[2]
		} else {
			if a, err := s.db.AccountByUsername(ctx, m[1]); err == nil {
				resolved["@"+strings.TrimPrefix(m[0][strings.IndexByte(m[0], '@'):], "@")] = s.urls.Actor(a.Username)
			}
			continue
		}
		if iri, err := s.fed.ResolveActor(ctx, handle); err == nil {
			resolved["@"+handle] = iri
		}
	}
	esc := html.EscapeString(text)
	esc = hashtagRE.ReplaceAllStringFunc(esc, func(m string) string {
		i := strings.IndexByte(m, '#')
		name := m[i+1:]
		href := s.urls.Base + "/tags/" + strings.ToLower(name)
		c.tags = append(c.tags, map[string]any{"type": "Hashtag", "name": "#" + strings.ToLower(name), "href": href})
		return m[:i] + `<a href="` + href + `" class="mention hashtag" rel="tag">#<span>` + name + `</span></a>`
	})
	for handle, iri := range resolved {
		if slices.Contains(c.mentions, iri) {
			continue
		}
		c.mentions = append(c.mentions, iri)
		c.tags = append(c.tags, map[string]any{"type": "Mention", "name": handle, "href": iri})
		esc = strings.ReplaceAll(esc, handle, `<span class="h-card"><a href="`+iri+`" class="u-url mention">@<span>`+strings.TrimPrefix(handle, "@")+`</span></a></span>`)
	}
	var paras []string
	for _, p := range strings.Split(strings.ReplaceAll(esc, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			paras = append(paras, "<p>"+strings.ReplaceAll(p, "\n", "<br>")+"</p>")
		}
	}
	c.content = strings.Join(paras, "")
	return c
}

// addressing returns to, cc and the delivery audience of a visibility.
func (s *Service) addressing(author *store.Account, visibility string, mentions []string) (to, cc []string, aud federation.Audience) {
	followers := s.urls.Followers(author.Username)
	switch visibility {
	case "public":
		return []string{ap.PublicIRI}, append([]string{followers}, mentions...), federation.Audience{Public: true, Actors: mentions}
	case "unlisted":
		return []string{followers}, append([]string{ap.PublicIRI}, mentions...), federation.Audience{Followers: true, Actors: mentions}
	case "private":
		return append([]string{followers}, mentions...), []string{}, federation.Audience{Followers: true, Actors: mentions}
	}
	return slices.Clone(mentions), []string{}, federation.Audience{Actors: mentions}
}

// PostStatus publishes a status as the viewer's actor (the organisation
// when the token acts for one). The same Idempotency-Key within an hour
// returns the status it made.
func (s *Service) PostStatus(ctx context.Context, v *Viewer, in PostInput) (mastodon.Status, error) {
	if err := in.validate(); err != nil {
		return mastodon.Status{}, err
	}
	author := v.Actor
	if in.IdempotencyKey != "" {
		s.idem.Lock()
		defer s.idem.Unlock()
		var iri string
		err := s.db.View(ctx, func(t *store.Tx) error {
			var err error
			iri, err = t.IdempotentStatus(author.ID, in.IdempotencyKey, idempotencyTTL, s.now())
			return err
		})
		if err != nil {
			return mastodon.Status{}, err
		}
		if iri != "" {
			return s.StatusByIRI(ctx, v, iri)
		}
	}
	var inReplyTo *store.Object
	if in.InReplyToID != "" {
		err := s.db.View(ctx, func(t *store.Tx) error {
			o, err := t.ObjectBySeq(in.InReplyToID)
			if err != nil || !s.canRead(t, o, v) {
				return notFound()
			}
			inReplyTo = o
			return nil
		})
		if err != nil {
			return mastodon.Status{}, tocsin.Invalid(tocsin.FieldError{Field: "in_reply_to_id", Message: "is not a status you can see"})
		}
	}
	c := s.compose(ctx, in.Status)
	if inReplyTo != nil && inReplyTo.AttributedTo != s.actorIRI(author) && !slices.Contains(c.mentions, inReplyTo.AttributedTo) {
		c.mentions = append(c.mentions, inReplyTo.AttributedTo)
	}
	to, cc, aud := s.addressing(author, in.Visibility, c.mentions)
	seq := s.db.NewID()
	iri := s.urls.Object(author.Username, seq)
	obj := map[string]any{
		"id": iri, "type": "Note", "attributedTo": s.actorIRI(author), "content": c.content,
		"to": to, "cc": cc, "url": iri, "sensitive": in.Sensitive || in.SpoilerText != "",
		"published": s.now().UTC().Truncate(time.Second).Format(time.RFC3339),
	}
	if in.SpoilerText != "" {
		obj["summary"] = in.SpoilerText
	}
	if in.Language != "" {
		obj["contentMap"] = map[string]string{in.Language: c.content}
	}
	if inReplyTo != nil {
		obj["inReplyTo"] = inReplyTo.IRI
	}
	if len(c.tags) > 0 {
		tags := make([]any, len(c.tags))
		for i, t := range c.tags {
			tags[i] = t
		}
		obj["tag"] = tags
	}
	rec, err := s.fed.Outbox.PublishObject(ctx, author, obj, aud, func(t *store.Tx, rec *store.Object) error {
		if in.IdempotencyKey != "" {
			if err := t.PutIdempotentStatus(author.ID, in.IdempotencyKey, rec.IRI, s.now().UTC()); err != nil {
				return err
			}
		}
		return s.LocalObject(t, rec)
	})
	if err != nil {
		return mastodon.Status{}, err
	}
	return s.StatusByIRI(ctx, v, rec.IRI)
}

// StatusByIRI renders a stored status for a viewer.
func (s *Service) StatusByIRI(ctx context.Context, v *Viewer, iri string) (mastodon.Status, error) {
	var out mastodon.Status
	err := s.db.View(ctx, func(t *store.Tx) error {
		o, err := t.Object(iri)
		if err != nil || !s.canRead(t, o, v) {
			return notFound()
		}
		out, err = s.status(t, o, v, newCache())
		return err
	})
	return out, err
}

// lookup finds a readable status by id.
func (s *Service) lookup(t *store.Tx, v *Viewer, id string) (*store.Object, error) {
	o, err := t.ObjectBySeq(id)
	if err != nil || !s.canRead(t, o, v) {
		return nil, notFound()
	}
	if o.Type == "Like" || o.Type == "Tombstone" {
		return nil, notFound()
	}
	return o, nil
}

// Status returns one status by id.
func (s *Service) Status(ctx context.Context, v *Viewer, id string) (mastodon.Status, error) {
	var out mastodon.Status
	err := s.db.View(ctx, func(t *store.Tx) error {
		o, err := s.lookup(t, v, id)
		if err != nil {
			return err
		}
		out, err = s.status(t, o, v, newCache())
		if errors.Is(err, mastodon.ErrNotStatus) {
			return notFound()
		}
		return err
	})
	return out, err
}

// own loads a status of the viewer's actor for a change.
func (s *Service) own(ctx context.Context, v *Viewer, id string) (*store.Object, error) {
	var o *store.Object
	err := s.db.View(ctx, func(t *store.Tx) error {
		var err error
		o, err = s.lookup(t, v, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if o.AccountID != v.Actor.ID || !o.Local {
		return nil, notFound()
	}
	if _, err := s.db.Alert(ctx, o.IRI); err == nil {
		return nil, tocsin.Errorf(tocsin.EFORBIDDEN, "this is a threat alert: change it through the alert API")
	}
	return o, nil
}

// audienceOfObject reads the delivery audience back from a stored object.
func (s *Service) audienceOfObject(o *store.Object) (to, cc []string, aud federation.Audience) {
	to, cc, _ = addressed(o)
	followersOf := ""
	if name, ok := s.urls.LocalUsername(o.AttributedTo); ok {
		followersOf = s.urls.Followers(name)
	}
	for _, a := range append(slices.Clone(to), cc...) {
		switch {
		case ap.IsPublic(a):
			if slices.ContainsFunc(to, ap.IsPublic) {
				aud.Public = true
			} else {
				aud.Followers = true
			}
		case a == followersOf:
			aud.Followers = true
		default:
			aud.Actors = append(aud.Actors, a)
		}
	}
	return to, cc, aud
}

// DeleteStatus deletes one of the viewer's statuses (Mastodon returns it,
// with its source text, so a client can redraft).
func (s *Service) DeleteStatus(ctx context.Context, v *Viewer, id string) (mastodon.Status, error) {
	o, err := s.own(ctx, v, id)
	if err != nil {
		return mastodon.Status{}, err
	}
	st, err := s.Status(ctx, v, id)
	if err != nil {
		return mastodon.Status{}, err
	}
	_, _, aud := s.audienceOfObject(o)
	err = s.fed.Outbox.DeleteObject(ctx, v.Actor, o.IRI, aud, func(t *store.Tx, rec *store.Object) error {
		evs, err := s.unfanOut(t, rec)
		if err != nil {
			return err
		}
		s.emit(t, evs)
		return nil
	})
	if err != nil {
		return mastodon.Status{}, err
	}
	text := mastodon.PlainText(st.Content)
	st.Text = &text
	return st, nil
}

// EditStatus replaces one of the viewer's statuses, keeping the previous
// version for its history, and federates an Update.
func (s *Service) EditStatus(ctx context.Context, v *Viewer, id string, in PostInput) (mastodon.Status, error) {
	o, err := s.own(ctx, v, id)
	if err != nil {
		return mastodon.Status{}, err
	}
	in.Visibility = "public" // not changeable; only checked
	if err := in.validate(); err != nil {
		return mastodon.Status{}, err
	}
	doc, err := ap.Parse(o.Raw)
	if err != nil || doc.Object == nil {
		return mastodon.Status{}, notFound()
	}
	c := s.compose(ctx, in.Status)
	to, cc, aud := s.audienceOfObject(o)
	obj := map[string]any{}
	for k, val := range doc.Object.Raw {
		obj[k] = val
	}
	obj["to"], obj["cc"], obj["content"] = to, cc, c.content
	obj["sensitive"] = in.Sensitive || in.SpoilerText != ""
	delete(obj, "summary")
	delete(obj, "contentMap")
	delete(obj, "@context")
	if in.SpoilerText != "" {
		obj["summary"] = in.SpoilerText
	}
	if in.Language != "" {
		obj["contentMap"] = map[string]string{in.Language: c.content}
	}
	tags := []any{}
	for _, t := range c.tags {
		tags = append(tags, t)
	}
	obj["tag"] = tags
	prev := *o
	_, err = s.fed.Outbox.UpdateObject(ctx, v.Actor, obj, aud, func(t *store.Tx, rec *store.Object) error {
		if err := t.PutStatusEdit(&prev); err != nil {
			return err
		}
		evs, err := s.fanOut(t, rec, nil, false)
		if err != nil {
			return err
		}
		for i := range evs {
			if evs[i].kind == "update" {
				evs[i].kind = "status.update"
			}
		}
		more, err := s.notifyInteracted(t, rec, mastodon.NotifyUpdate)
		if err != nil {
			return err
		}
		s.emit(t, append(evs, more...))
		return nil
	})
	if err != nil {
		return mastodon.Status{}, err
	}
	return s.Status(ctx, v, id)
}

// Context returns a status's ancestors (oldest first) and descendants.
func (s *Service) Context(ctx context.Context, v *Viewer, id string) (mastodon.Context, error) {
	var anc, desc []mastodon.Status
	err := s.db.View(ctx, func(t *store.Tx) error {
		o, err := s.lookup(t, v, id)
		if err != nil {
			return err
		}
		c := newCache()
		for p, n := o.InReplyTo, 0; p != "" && n < 40; n++ {
			parent, err := t.Object(p)
			if err != nil {
				break
			}
			if s.canRead(t, parent, v) {
				if st, err := s.status(t, parent, v, c); err == nil {
					anc = append([]mastodon.Status{st}, anc...)
				}
			}
			p = parent.InReplyTo
		}
		queue := []string{o.IRI}
		for len(queue) > 0 && len(desc) < 60 {
			entries, err := t.Replies(queue[0], 60)
			if err != nil {
				return err
			}
			queue = queue[1:]
			rendered, err := s.render(t, entries, v)
			if err != nil {
				return err
			}
			desc = append(desc, rendered...)
			for _, e := range entries {
				queue = append(queue, e.IRI)
			}
		}
		return nil
	})
	return mastodon.NewContext(anc, desc), err
}

// StatusSource is Mastodon's StatusSource entity.
type StatusSource struct {
	ID          string `json:"id"`
	Text        string `json:"text"`
	SpoilerText string `json:"spoiler_text"`
}

// Source returns the plain text of one of the viewer's statuses.
func (s *Service) Source(ctx context.Context, v *Viewer, id string) (StatusSource, error) {
	st, err := s.Status(ctx, v, id)
	if err != nil {
		return StatusSource{}, err
	}
	return StatusSource{ID: st.ID, Text: mastodon.PlainText(st.Content), SpoilerText: st.SpoilerText}, nil
}

// StatusEdit is Mastodon's StatusEdit entity.
type StatusEdit struct {
	Content          string                     `json:"content"`
	SpoilerText      string                     `json:"spoiler_text"`
	Sensitive        bool                       `json:"sensitive"`
	CreatedAt        string                     `json:"created_at"`
	Account          mastodon.Account           `json:"account"`
	Poll             *mastodon.Poll             `json:"poll"`
	MediaAttachments []mastodon.MediaAttachment `json:"media_attachments"`
	Emojis           []mastodon.CustomEmoji     `json:"emojis"`
}

// History returns a status's versions, oldest first, the current last.
func (s *Service) History(ctx context.Context, v *Viewer, id string) ([]StatusEdit, error) {
	var out []StatusEdit
	err := s.db.View(ctx, func(t *store.Tx) error {
		o, err := s.lookup(t, v, id)
		if err != nil {
			return err
		}
		prev, err := t.StatusEdits(o.IRI)
		if err != nil {
			return err
		}
		c := newCache()
		for i, version := range append(prev, o) {
			st, err := s.status(t, version, v, c)
			if err != nil {
				continue
			}
			at := st.CreatedAt
			if i > 0 && st.EditedAt != nil {
				at = *st.EditedAt
			}
			out = append(out, StatusEdit{Content: st.Content, SpoilerText: st.SpoilerText, Sensitive: st.Sensitive,
				CreatedAt: at, Account: st.Account, MediaAttachments: []mastodon.MediaAttachment{}, Emojis: []mastodon.CustomEmoji{}})
		}
		return nil
	})
	return out, err
}
