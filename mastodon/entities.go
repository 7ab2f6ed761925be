package mastodon

import "time"

// Smaller entities of Mastodon's client API, with their JSON exactly as
// docs.joinmastodon.org/entities documents them.

// Application is Mastodon's Application entity. In a Status only name and
// website are sent; app registration also returns the client credentials.
type Application struct {
	Name         string  `json:"name"`
	Website      *string `json:"website"`
	VapidKey     string  `json:"vapid_key,omitempty"` // deprecated by Mastodon 4.3, still read by clients
	ClientID     string  `json:"client_id,omitempty"`
	ClientSecret string  `json:"client_secret,omitempty"`
}

// MediaAttachment is Mastodon's MediaAttachment entity. Tocsin sends none
// yet: every media_attachments list is empty.
type MediaAttachment struct {
	ID          string         `json:"id"`
	Type        string         `json:"type"` // unknown, image, gifv, video, audio
	URL         string         `json:"url"`
	PreviewURL  *string        `json:"preview_url"`
	RemoteURL   *string        `json:"remote_url"`
	Meta        map[string]any `json:"meta"`
	Description *string        `json:"description"`
	Blurhash    *string        `json:"blurhash"`
}

// PreviewCard is Mastodon's PreviewCard entity (Status.card, always null
// for now).
type PreviewCard struct {
	URL          string  `json:"url"`
	Title        string  `json:"title"`
	Description  string  `json:"description"`
	Type         string  `json:"type"`
	AuthorName   string  `json:"author_name"`
	AuthorURL    string  `json:"author_url"`
	ProviderName string  `json:"provider_name"`
	ProviderURL  string  `json:"provider_url"`
	HTML         string  `json:"html"`
	Width        int     `json:"width"`
	Height       int     `json:"height"`
	Image        *string `json:"image"`
	EmbedURL     string  `json:"embed_url"`
	Blurhash     *string `json:"blurhash"`
}

// Poll is Mastodon's Poll entity (Status.poll, always null for now).
type Poll struct {
	ID          string        `json:"id"`
	ExpiresAt   *string       `json:"expires_at"`
	Expired     bool          `json:"expired"`
	Multiple    bool          `json:"multiple"`
	VotesCount  int           `json:"votes_count"`
	VotersCount *int          `json:"voters_count"`
	Options     []PollOption  `json:"options"`
	Emojis      []CustomEmoji `json:"emojis"`
	Voted       bool          `json:"voted"`
	OwnVotes    []int         `json:"own_votes"`
}

// PollOption is one choice of a Poll.
type PollOption struct {
	Title      string `json:"title"`
	VotesCount *int   `json:"votes_count"`
}

// FilterResult is Mastodon's FilterResult entity (Status.filtered). Tocsin
// has no filters yet: every filtered list is empty.
type FilterResult struct {
	Filter         Filter   `json:"filter"`
	KeywordMatches []string `json:"keyword_matches"`
	StatusMatches  []string `json:"status_matches"`
}

// Filter is Mastodon's (v2) Filter entity.
type Filter struct {
	ID           string          `json:"id"`
	Title        string          `json:"title"`
	Context      []string        `json:"context"`
	ExpiresAt    *string         `json:"expires_at"`
	FilterAction string          `json:"filter_action"` // warn, hide, blur
	Keywords     []FilterKeyword `json:"keywords,omitempty"`
	Statuses     []FilterStatus  `json:"statuses,omitempty"`
}

// FilterKeyword is a keyword of a Filter.
type FilterKeyword struct {
	ID        string `json:"id"`
	Keyword   string `json:"keyword"`
	WholeWord bool   `json:"whole_word"`
}

// FilterStatus is a status a Filter names.
type FilterStatus struct {
	ID       string `json:"id"`
	StatusID string `json:"status_id"`
}

// Context is the thread around a status.
type Context struct {
	Ancestors   []Status `json:"ancestors"`
	Descendants []Status `json:"descendants"`
}

// NewContext returns a Context whose lists are never null.
func NewContext(ancestors, descendants []Status) Context {
	if ancestors == nil {
		ancestors = []Status{}
	}
	if descendants == nil {
		descendants = []Status{}
	}
	return Context{Ancestors: ancestors, Descendants: descendants}
}

// Tag is Mastodon's Tag entity (a hashtag's own endpoints; a status lists
// StatusTag).
type Tag struct {
	Name    string       `json:"name"`
	URL     string       `json:"url"`
	History []TagHistory `json:"history"`
	// Following is sent when someone is signed in.
	Following *bool `json:"following,omitempty"`
}

// TagHistory is one day of a Tag's use; every value is a string.
type TagHistory struct {
	Day      string `json:"day"` // UNIX time of the day's midnight
	Uses     string `json:"uses"`
	Accounts string `json:"accounts"`
}

// Tag returns the hashtag entity for name (with or without "#"), with no
// history; following is sent when not nil (someone is signed in).
func (c *Converter) Tag(name string, following *bool) Tag {
	if len(name) > 0 && name[0] == '#' {
		name = name[1:]
	}
	return Tag{Name: name, URL: c.tagURL(name), History: []TagHistory{}, Following: following}
}

// Marker is Mastodon's Marker entity: a timeline's read position.
type Marker struct {
	LastReadID string `json:"last_read_id"`
	Version    int    `json:"version"`
	UpdatedAt  string `json:"updated_at"`
}

// NewMarker returns a Marker.
func NewMarker(lastReadID string, version int, updated time.Time) Marker {
	return Marker{LastReadID: lastReadID, Version: version, UpdatedAt: Datetime(updated)}
}

// Error is Mastodon's Error entity, the body of every error response.
type Error struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// Preferences is Mastodon's Preferences entity.
type Preferences struct {
	DefaultVisibility string  `json:"posting:default:visibility"`
	DefaultSensitive  bool    `json:"posting:default:sensitive"`
	DefaultLanguage   *string `json:"posting:default:language"`
	ExpandMedia       string  `json:"reading:expand:media"` // default, show_all, hide_all
	ExpandSpoilers    bool    `json:"reading:expand:spoilers"`
}

// PreferencesOf returns Preferences matching a CredentialAccount's source:
// media shown as Mastodon does by default, content warnings collapsed.
func PreferencesOf(src Source) Preferences {
	return Preferences{
		DefaultVisibility: src.Privacy,
		DefaultSensitive:  src.Sensitive,
		DefaultLanguage:   nullable(src.Language),
		ExpandMedia:       "default",
	}
}
