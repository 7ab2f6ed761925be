package mastodon

import (
	"encoding/json"
	"html"
	"net/url"
	"path"
	"strings"
	"time"
	"unicode"

	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/store"
)

// Account is Mastodon's Account entity
// (docs.joinmastodon.org/entities/Account), with the attributes Mastodon
// 4.3 sends beyond the documented example (uri, indexable,
// hide_collections, noindex, roles).
type Account struct {
	ID              string        `json:"id"`
	Username        string        `json:"username"`
	Acct            string        `json:"acct"`
	URL             string        `json:"url"`
	URI             string        `json:"uri"`
	DisplayName     string        `json:"display_name"`
	Note            string        `json:"note"` // HTML, sanitised
	Avatar          string        `json:"avatar"`
	AvatarStatic    string        `json:"avatar_static"`
	Header          string        `json:"header"`
	HeaderStatic    string        `json:"header_static"`
	Locked          bool          `json:"locked"`
	Fields          []Field       `json:"fields"`
	Emojis          []CustomEmoji `json:"emojis"`
	Bot             bool          `json:"bot"`
	Group           bool          `json:"group"`
	Discoverable    *bool         `json:"discoverable"`
	Indexable       bool          `json:"indexable"`
	HideCollections *bool         `json:"hide_collections"`
	// Noindex is sent for local accounts only, as Mastodon does.
	Noindex        *bool   `json:"noindex,omitempty"`
	Roles          []Role  `json:"roles"`
	CreatedAt      string  `json:"created_at"`     // midnight UTC of the creation day
	LastStatusAt   *string `json:"last_status_at"` // "2019-11-17", or null
	StatusesCount  int     `json:"statuses_count"`
	FollowersCount int     `json:"followers_count"`
	FollowingCount int     `json:"following_count"`
}

// Field is a profile field (Account.fields, source[fields]).
type Field struct {
	Name       string  `json:"name"`
	Value      string  `json:"value"` // HTML in Account.fields, plain text in source[fields]
	VerifiedAt *string `json:"verified_at"`
}

// CustomEmoji is Mastodon's CustomEmoji entity. Tocsin sends none yet
// (every emojis list is empty): showing a peer's emoji means loading images
// from the peer.
type CustomEmoji struct {
	Shortcode       string  `json:"shortcode"`
	URL             string  `json:"url"`
	StaticURL       string  `json:"static_url"`
	VisibleInPicker bool    `json:"visible_in_picker"`
	Category        *string `json:"category"`
}

// Role is Mastodon's Role entity (CredentialAccount.role, Account.roles).
type Role struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Color       string `json:"color"`
	Permissions string `json:"permissions"`
	Highlighted bool   `json:"highlighted"`
}

// CredentialAccount is the Account of verify_credentials and
// update_credentials: the account plus source and role.
type CredentialAccount struct {
	Account
	Source Source `json:"source"`
	Role   Role   `json:"role"`
}

// Source is CredentialAccount.source: values to edit the profile with.
type Source struct {
	Privacy             string  `json:"privacy"` // default visibility of new posts
	Sensitive           bool    `json:"sensitive"`
	Language            string  `json:"language"` // ISO 639-1, or ""
	Note                string  `json:"note"`     // the bio as plain text
	Fields              []Field `json:"fields"`
	FollowRequestsCount int     `json:"follow_requests_count"`
	Discoverable        *bool   `json:"discoverable"`
	Indexable           bool    `json:"indexable"`
	HideCollections     *bool   `json:"hide_collections"`
}

// AccountCounts are the numbers an Account shows, which the caller counts.
type AccountCounts struct {
	Statuses, Followers, Following int
	LastStatusAt                   time.Time // zero: no statuses
}

// SourceOptions are the posting defaults of CredentialAccount.source.
type SourceOptions struct {
	Privacy             string // "public" when empty
	Sensitive           bool
	Language            string // BCP 47; reduced to ISO 639-1
	FollowRequestsCount int
}

// LocalAccount converts an account of this instance. Its acct is the bare
// username; avatar and header are the instance's defaults (Tocsin has no
// uploads yet); note is the summary as sanitised HTML (a summary without
// markup is taken as plain text and put in a paragraph); locked is
// ManuallyApprovesFollowers.
func (c *Converter) LocalAccount(a *store.Account, counts AccountCounts) Account {
	discoverable := a.Discoverable
	noindex := !a.Discoverable
	hide := false
	avatar, header := c.static(DefaultAvatarPath), c.static(DefaultHeaderPath)
	return Account{
		ID:              a.ID,
		Username:        a.Username,
		Acct:            a.Username,
		URL:             c.URLs.Profile(a.Username),
		URI:             c.URLs.Actor(a.Username),
		DisplayName:     a.DisplayName,
		Note:            noteHTML(a.Summary),
		Avatar:          avatar,
		AvatarStatic:    avatar,
		Header:          header,
		HeaderStatic:    header,
		Locked:          a.ManuallyApprovesFollowers,
		Fields:          []Field{},
		Emojis:          []CustomEmoji{},
		Discoverable:    &discoverable,
		Indexable:       a.Discoverable,
		HideCollections: &hide,
		Noindex:         &noindex,
		Roles:           []Role{},
		CreatedAt:       Datetime(midnight(a.CreatedAt)),
		LastStatusAt:    lastStatus(counts.LastStatusAt),
		StatusesCount:   counts.Statuses,
		FollowersCount:  counts.Followers,
		FollowingCount:  counts.Following,
	}
}

// CredentialAccount converts the signed-in account for verify_credentials.
func (c *Converter) CredentialAccount(a *store.Account, counts AccountCounts, src SourceOptions) CredentialAccount {
	acc := c.LocalAccount(a, counts)
	privacy := src.Privacy
	if privacy == "" {
		privacy = "public"
	}
	return CredentialAccount{
		Account: acc,
		Source: Source{
			Privacy:             privacy,
			Sensitive:           src.Sensitive,
			Language:            baseLanguage(src.Language),
			Note:                PlainText(a.Summary),
			Fields:              []Field{},
			FollowRequestsCount: src.FollowRequestsCount,
			Discoverable:        acc.Discoverable,
			Indexable:           acc.Indexable,
			HideCollections:     acc.HideCollections,
		},
		Role: RoleOf(a.Role),
	}
}

// RoleOf maps a Tocsin role to the Mastodon Role a client sees (clients
// read permissions to offer moderation tools). Admins have Mastodon's
// Administrator bit; moderators may view the audit log and dashboard and
// manage reports, federation and users; others have no permission.
func RoleOf(role string) Role {
	switch role {
	case "admin":
		return Role{ID: "3", Name: "Admin", Permissions: "1", Highlighted: true}
	case "moderator":
		return Role{ID: "2", Name: "Moderator", Permissions: "1084", Highlighted: true}
	case "publisher":
		return Role{ID: "1", Name: "Publisher", Permissions: "0", Highlighted: false}
	}
	return Role{ID: "-99", Name: "", Permissions: "0"}
}

// noteHTML is a local summary as HTML: sanitised when it has markup, else
// escaped into a paragraph, line breaks kept.
func noteHTML(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.Contains(s, "<") {
		return Sanitize(s)
	}
	return "<p>" + strings.ReplaceAll(html.EscapeString(s), "\n", "<br>") + "</p>"
}

func lastStatus(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := Date(t)
	return &s
}

// RemoteAccount converts an actor of another server. Its id is
// RemoteAccountID(IRI); acct is preferredUsername@host, keeping a port
// other than the scheme's default ("alice@host:3001"); note and field
// values are sanitised. The rest is read from the actor document in r.Raw
// when it parses (summary, icon, image, attachment, published,
// discoverable, indexable, type: Service and Application are bots, Group
// a group).
func (c *Converter) RemoteAccount(r *store.RemoteActor, counts AccountCounts) Account {
	host := acctHost(r.IRI)
	if host == "" {
		host = r.Host
	}
	username := remoteUsername(r)
	acc := Account{
		ID:             RemoteAccountID(r.IRI),
		Username:       username,
		Acct:           username + "@" + host,
		URL:            r.URL,
		URI:            r.IRI,
		DisplayName:    r.Name,
		Locked:         r.ManuallyApproves,
		Fields:         []Field{},
		Emojis:         []CustomEmoji{},
		Bot:            r.Type == "Service" || r.Type == "Application",
		Group:          r.Type == "Group",
		Roles:          []Role{},
		LastStatusAt:   lastStatus(counts.LastStatusAt),
		StatusesCount:  counts.Statuses,
		FollowersCount: counts.Followers,
		FollowingCount: counts.Following,
	}
	if !webURL(acc.URL) { // a peer's javascript: or data: link is not passed on
		acc.URL = r.IRI
	}
	created := r.FetchedAt
	avatar, header := "", ""
	if actor := parseActor(r.Raw); actor != nil {
		acc.Note = Sanitize(actor.Summary)
		if !actor.Published.IsZero() {
			created = actor.Published
		}
		avatar = actor.IconURL
		header = imageURL(actor.Raw["image"])
		for _, at := range actor.Attachments {
			if at.Type == "PropertyValue" && at.Name != "" {
				acc.Fields = append(acc.Fields, Field{Name: at.Name, Value: Sanitize(at.Value)})
			}
		}
		if d, ok := actor.Raw["discoverable"].(bool); ok {
			acc.Discoverable = &d
		}
		acc.Indexable, _ = actor.Raw["indexable"].(bool)
	}
	if created.IsZero() {
		created = c.now()
	}
	acc.CreatedAt = Datetime(midnight(created))
	acc.Avatar = c.remoteMedia(avatar, c.static(DefaultAvatarPath))
	acc.AvatarStatic = acc.Avatar
	acc.Header = c.remoteMedia(header, c.static(DefaultHeaderPath))
	acc.HeaderStatic = acc.Header
	return acc
}

// remoteUsername is the actor's preferredUsername when it is a username
// as Mastodon accepts them (letters, digits, "_", "." and "-"); clients
// build mentions and links from it, so markup or spaces sent by a peer
// are not passed on: the last segment of the actor's IRI stands in, or
// "invalid".
func remoteUsername(r *store.RemoteActor) string {
	if validRemoteUsername(r.PreferredUsername) {
		return r.PreferredUsername
	}
	if u, err := url.Parse(r.IRI); err == nil {
		if seg := path.Base(u.Path); validRemoteUsername(seg) {
			return seg
		}
	}
	return "invalid"
}

func validRemoteUsername(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '.' && r != '-' {
			return false
		}
	}
	return true
}

func parseActor(raw json.RawMessage) *ap.Actor {
	if len(raw) == 0 {
		return nil
	}
	doc, err := ap.Parse(raw)
	if err != nil || doc.Kind != ap.KindActor {
		return nil
	}
	return doc.Actor
}

// imageURL reads an actor's image: an IRI, an Image with url, or an array
// of them (the first usable).
func imageURL(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if u := imageURL(x["url"]); u != "" {
			return u
		}
		s, _ := x["href"].(string)
		return s
	case []any:
		for _, e := range x {
			if u := imageURL(e); u != "" {
				return u
			}
		}
	}
	return ""
}
