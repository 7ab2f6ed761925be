package mastodon

import (
	"errors"
	"fmt"
	"html"
	"slices"
	"strings"
	"time"

	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/federation/profile"
	"github.com/tocsin-network/tocsin/store"
	"github.com/tocsin-network/tocsin/tlp"
)

// Status is Mastodon's Status entity (docs.joinmastodon.org/entities/Status),
// with one extension: Tocsin, the structured fields of a threat alert,
// which Mastodon clients ignore.
type Status struct {
	ID                 string            `json:"id"` // the object's Seq (a ULID)
	URI                string            `json:"uri"`
	URL                *string           `json:"url"`
	CreatedAt          string            `json:"created_at"`
	EditedAt           *string           `json:"edited_at"`
	Account            Account           `json:"account"`
	Content            string            `json:"content"` // sanitised HTML
	Text               *string           `json:"text,omitempty"`
	Visibility         string            `json:"visibility"`
	Sensitive          bool              `json:"sensitive"`
	SpoilerText        string            `json:"spoiler_text"`
	Language           *string           `json:"language"`
	InReplyToID        *string           `json:"in_reply_to_id"`
	InReplyToAccountID *string           `json:"in_reply_to_account_id"`
	Reblog             *Status           `json:"reblog"`
	Application        *Application      `json:"application"`
	MediaAttachments   []MediaAttachment `json:"media_attachments"`
	Mentions           []Mention         `json:"mentions"`
	Tags               []StatusTag       `json:"tags"`
	Emojis             []CustomEmoji     `json:"emojis"`
	Card               *PreviewCard      `json:"card"`
	Poll               *Poll             `json:"poll"`
	RepliesCount       int               `json:"replies_count"`
	ReblogsCount       int               `json:"reblogs_count"`
	FavouritesCount    int               `json:"favourites_count"`
	Favourited         bool              `json:"favourited"`
	Reblogged          bool              `json:"reblogged"`
	Muted              bool              `json:"muted"`
	Bookmarked         bool              `json:"bookmarked"`
	// Pinned is sent only for a status the viewer may pin (their own public
	// or unlisted one), as Mastodon does.
	Pinned   *bool          `json:"pinned,omitempty"`
	Filtered []FilterResult `json:"filtered"`

	// Tocsin holds an alert's structured fields; absent on other statuses.
	Tocsin *AlertFields `json:"tocsin,omitempty"`
}

// Mention is Status::Mention.
type Mention struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	URL      string `json:"url"`
	Acct     string `json:"acct"`
}

// StatusTag is Status::Tag: a hashtag used in a status.
type StatusTag struct {
	Name string `json:"name"` // without "#"
	URL  string `json:"url"`  // its page on this instance
}

// AlertFields are the structured fields of a threat alert, under "tocsin"
// in a Status. Names and values are those of FEDERATION.md: severity,
// confidence, category and status are slugs, tlp the label name
// ("AMBER+STRICT"), countries ISO 3166-1 and subdivisions ISO 3166-2 codes,
// expires a Mastodon datetime or null, supersedes the IRI of the replaced
// alert or null.
type AlertFields struct {
	Severity     string         `json:"severity"`
	Confidence   string         `json:"confidence"`
	Category     string         `json:"category"`
	Countries    []string       `json:"countries"`
	Subdivisions []string       `json:"subdivisions"`
	Election     *AlertElection `json:"election"`
	TLP          string         `json:"tlp"`
	Status       string         `json:"status"`
	Expires      *string        `json:"expires"`
	Sources      []AlertSource  `json:"sources"`
	Supersedes   *string        `json:"supersedes"`
	// Corroboration counts the organisations that voted on the alert, as
	// its origin last published (tocsin:sightings); null before any vote.
	Corroboration *AlertCorroboration `json:"corroboration"`
}

// AlertCorroboration is an alert's tally of votes.
type AlertCorroboration struct {
	Confirmed int    `json:"confirmed"`
	Disputed  int    `json:"disputed"`
	Seen      int    `json:"seen"`
	Summary   string `json:"summary"` // "Confirmed by 2 networks, disputed by 1"
}

// AlertElection is the election an alert is about.
type AlertElection struct {
	Name string  `json:"name"`
	Date *string `json:"date"` // "2027-08-09", or null
}

// AlertSource is a link to evidence.
type AlertSource struct {
	URL   string `json:"url"`
	Title string `json:"title"`
}

// StatusRef names a stored status and its author, for in_reply_to_id and
// in_reply_to_account_id.
type StatusRef struct {
	ID, AccountID string
}

// StatusCounts are a status's counters, which the caller counts.
type StatusCounts struct {
	Replies, Reblogs, Favourites int
}

// ViewerState is what the signed-in viewer did with a status.
type ViewerState struct {
	Favourited, Reblogged, Muted, Bookmarked bool
	// Pinnable: the status is the viewer's own, public or unlisted; only
	// then is pinned sent.
	Pinnable, Pinned bool
}

// StatusOptions is what Status needs beyond the object and its author,
// looked up by the caller. Everything is optional.
type StatusOptions struct {
	// Alert is the stored alert when the object is a Tocsin threat alert:
	// the status then carries its fields under "tocsin", and its
	// visibility is at least as strict as its TLP asks.
	Alert *store.AlertRecord
	// InReplyTo is the stored parent of a reply; nil leaves both
	// in_reply_to fields null (a parent we do not have).
	InReplyTo *StatusRef
	// Mentioned are accounts by actor IRI, for the mentions list. A remote
	// actor missing here is named from the tag (id RemoteAccountID); a
	// local one missing here is left out, having no derivable ID.
	Mentioned map[string]Account
	// AuthorFollowers is the author's followers collection IRI, which
	// tells a followers-only status from a direct one. Empty: the local
	// author's collection, or for a peer any address ending in
	// "/followers".
	AuthorFollowers string
	Counts          StatusCounts
	Viewer          *ViewerState // nil: nobody signed in
	// Reblog is the boosted status when the object is an Announce.
	Reblog *Status
	// Application is the app a local status was posted with.
	Application *Application
}

// Reasons Status refuses an object (test with errors.Is).
var (
	ErrNoID      = errors.New("mastodon: object has no Seq")
	ErrNotStatus = errors.New("mastodon: not a status")
)

// Visibilities, least restricted first.
var visibilities = []string{"public", "unlisted", "private", "direct"}

// Status converts a stored object (Note, Article, Question, Page...; an
// Announce with opt.Reblog) into a Status written by author.
//
// o.Raw is parsed with ap.Parse: content (sanitised; for objects other
// than Note and Question, name comes first, and an Article's summary, an
// abstract rather than a warning, follows it), spoiler_text from summary
// (plain text), sensitive (also when there is a content warning, as
// Mastodon forces), language from contentMap (else this instance's for a
// local object, null for a peer's), visibility from to/cc (as:Public in to:
// public; in cc: unlisted; the followers collection: private; otherwise
// direct), uri, url, created_at from published, edited_at from updated,
// mentions and tags from tag. Attachments, custom emoji, card and poll are
// not converted: they are [] and null. A deleted object, an activity
// (other than an Announce) or an object without Seq is refused.
func (c *Converter) Status(o *store.Object, author Account, opt StatusOptions) (Status, error) {
	if o.Seq == "" {
		return Status{}, fmt.Errorf("%w: %s", ErrNoID, o.IRI)
	}
	if !o.Deleted.IsZero() || o.Type == "Tombstone" {
		return Status{}, fmt.Errorf("%w: %s is deleted", ErrNotStatus, o.IRI)
	}
	doc, err := ap.Parse(o.Raw)
	if err != nil {
		return Status{}, fmt.Errorf("mastodon: status %s: %w", o.IRI, err)
	}
	s := Status{
		ID:               o.Seq,
		URI:              o.IRI,
		Account:          author,
		MediaAttachments: []MediaAttachment{},
		Mentions:         []Mention{},
		Tags:             []StatusTag{},
		Emojis:           []CustomEmoji{},
		Filtered:         []FilterResult{},
		RepliesCount:     opt.Counts.Replies,
		ReblogsCount:     opt.Counts.Reblogs,
		FavouritesCount:  opt.Counts.Favourites,
		Application:      opt.Application,
	}
	if v := opt.Viewer; v != nil {
		s.Favourited, s.Reblogged, s.Muted, s.Bookmarked = v.Favourited, v.Reblogged, v.Muted, v.Bookmarked
		if v.Pinnable {
			p := v.Pinned
			s.Pinned = &p
		}
	}
	followers := opt.AuthorFollowers
	if followers == "" && o.Local && author.Username != "" {
		followers = c.URLs.Followers(author.Username)
	}

	switch {
	case doc.Kind == ap.KindActivity && doc.Activity.Type == "Announce" && opt.Reblog != nil:
		act := doc.Activity
		s.Reblog = opt.Reblog
		s.Visibility = visibility(act.To, act.Cc, followers)
		s.CreatedAt = Datetime(firstTime(o.Published, act.Published, c.now()))
		s.Language = opt.Reblog.Language
		return s, nil
	case doc.Kind != ap.KindObject:
		return Status{}, fmt.Errorf("%w: %s is a %s", ErrNotStatus, o.IRI, doc.Type())
	}

	obj := doc.Object
	lang, content := pickLanguage(obj, o.Local, c.language())
	s.Language = nullable(lang)
	s.Content = Sanitize(c.decorate(obj, content))
	if obj.Type != "Article" {
		s.SpoilerText = PlainText(obj.Summary)
	}
	s.Sensitive = obj.Sensitive || s.SpoilerText != ""
	s.Visibility = visibility(obj.To, obj.Cc, followers)
	if opt.Alert != nil {
		s.Tocsin = alertFields(opt.Alert)
		if t, _, ok := profile.ObjectTally(obj); ok && t.Total() > 0 {
			s.Tocsin.Corroboration = &AlertCorroboration{Confirmed: t.Confirmed, Disputed: t.Disputed, Seen: t.Seen, Summary: t.Line()}
		}
		s.Visibility = stricter(s.Visibility, tlp.MastodonVisibility(opt.Alert.Alert.TLP))
	}
	if u := obj.URL; webURL(u) {
		s.URL = &u
	} else {
		iri := o.IRI
		s.URL = &iri
	}
	published := firstTime(obj.Published, o.Published, c.now())
	s.CreatedAt = Datetime(published)
	if edited := firstTime(o.Updated, obj.Updated); edited.After(published) {
		s.EditedAt = nullableDatetime(edited)
	}
	if r := opt.InReplyTo; r != nil && r.ID != "" {
		id, acct := r.ID, r.AccountID
		s.InReplyToID = &id
		if acct != "" {
			s.InReplyToAccountID = &acct
		}
	}
	c.tags(&s, obj.Tags, opt.Mentioned)
	return s, nil
}

// decorate puts a titled object's name (and an Article's summary) before
// its content, and a link to it when it has no content, as Mastodon shows
// Articles, Pages, Videos and Events.
func (c *Converter) decorate(obj *ap.Object, content string) string {
	if obj.Type == "Note" || obj.Type == "Question" || obj.Type == "ChatMessage" {
		return content
	}
	var b strings.Builder
	if obj.Name != "" {
		b.WriteString("<p>" + html.EscapeString(obj.Name) + "</p>")
	}
	if obj.Type == "Article" && obj.Summary != "" {
		b.WriteString("<p>" + html.EscapeString(PlainText(obj.Summary)) + "</p>")
	}
	b.WriteString(content)
	if strings.TrimSpace(content) == "" {
		u := firstNonEmpty(obj.URL, obj.ID)
		b.WriteString(`<p><a href="` + html.EscapeString(u) + `">` + html.EscapeString(u) + "</a></p>")
	}
	return b.String()
}

// pickLanguage returns the status language (ISO 639-1, or "") and the
// content to show. Of several contentMap entries it takes the one equal to
// content, else the instance's language, else the first by key.
func pickLanguage(obj *ap.Object, local bool, ours string) (lang, content string) {
	content = obj.Content
	if len(obj.ContentMap) > 0 {
		keys := make([]string, 0, len(obj.ContentMap))
		for k := range obj.ContentMap {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		pick := keys[0]
		for _, k := range keys {
			if obj.ContentMap[k] == obj.Content {
				pick = k
				break
			}
			if baseLanguage(k) == ours {
				pick = k
			}
		}
		if content == "" {
			content = obj.ContentMap[pick]
		}
		if l := baseLanguage(pick); l != "" {
			return l, content
		}
	}
	if local {
		return ours, content
	}
	return "", content
}

// visibility reads Mastodon's visibility from an object's addressing.
func visibility(to, cc []string, followers string) string {
	has := func(list []string, match func(string) bool) bool { return slices.ContainsFunc(list, match) }
	isFollowers := func(a string) bool {
		if followers != "" {
			return a == followers
		}
		return strings.HasSuffix(a, "/followers")
	}
	switch {
	case has(to, ap.IsPublic):
		return "public"
	case has(cc, ap.IsPublic):
		return "unlisted"
	case has(to, isFollowers) || has(cc, isFollowers):
		return "private"
	}
	return "direct"
}

// stricter returns the more restricted of two visibilities.
func stricter(a, b string) string {
	ia, ib := slices.Index(visibilities, a), slices.Index(visibilities, b)
	if ia < 0 || ib < 0 {
		return "direct"
	}
	return visibilities[max(ia, ib)]
}

// tags fills mentions and hashtags from an object's tag list.
func (c *Converter) tags(s *Status, tags []ap.Tag, known map[string]Account) {
	seenMention, seenTag := map[string]bool{}, map[string]bool{}
	for _, t := range tags {
		switch t.Type {
		case "Mention":
			if t.Href == "" || seenMention[t.Href] {
				continue
			}
			if m, ok := c.mention(t, known); ok {
				seenMention[t.Href] = true
				s.Mentions = append(s.Mentions, m)
			}
		case "Hashtag":
			name := strings.TrimPrefix(strings.TrimSpace(t.Name), "#")
			if name == "" {
				name = t.Href[strings.LastIndexByte(t.Href, '/')+1:]
			}
			if name == "" || seenTag[strings.ToLower(name)] {
				continue
			}
			seenTag[strings.ToLower(name)] = true
			s.Tags = append(s.Tags, StatusTag{Name: name, URL: c.tagURL(name)})
		}
	}
}

func (c *Converter) mention(t ap.Tag, known map[string]Account) (Mention, bool) {
	if a, ok := known[t.Href]; ok {
		return Mention{ID: a.ID, Username: a.Username, URL: a.URL, Acct: a.Acct}, true
	}
	if _, local := c.URLs.LocalUsername(t.Href); local {
		return Mention{}, false
	}
	user, host, _ := strings.Cut(strings.TrimPrefix(strings.TrimSpace(t.Name), "@"), "@")
	if host == "" {
		host = acctHost(t.Href)
	}
	if user == "" || host == "" {
		return Mention{}, false
	}
	return Mention{ID: RemoteAccountID(t.Href), Username: user, URL: t.Href, Acct: user + "@" + host}, true
}

func alertFields(rec *store.AlertRecord) *AlertFields {
	a := &rec.Alert
	f := &AlertFields{
		Severity:     string(a.Severity),
		Confidence:   string(a.Confidence),
		Category:     string(a.Category),
		Countries:    append([]string{}, a.Countries...),
		Subdivisions: append([]string{}, a.Subdivisions...),
		Status:       string(a.Status),
		Expires:      nullableDatetime(a.Expires),
		Sources:      make([]AlertSource, 0, len(a.Sources)),
		Supersedes:   nullable(a.Supersedes),
	}
	if a.TLP.Valid() {
		f.TLP = a.TLP.String()
	}
	if !a.Election.IsZero() {
		f.Election = &AlertElection{Name: a.Election.Name, Date: nullable(a.Election.Date.String())}
	}
	for _, s := range a.Sources {
		f.Sources = append(f.Sources, AlertSource{URL: s.URL, Title: s.Title})
	}
	return f
}

func firstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
