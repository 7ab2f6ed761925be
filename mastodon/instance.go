package mastodon

import (
	"net/url"
	"slices"

	tocsin "github.com/tocsin-network/tocsin"
)

// Version is the version the instance API reports. Clients read a numeric
// X.Y.Z at its start to decide which Mastodon features to use (GoToSocial
// and Akkoma report themselves the same way); Tocsin implements the
// Mastodon 4.3 API it names.
const Version = "4.3.0 (compatible; Tocsin " + tocsin.Version + ")"

// SourceURL is where Tocsin's source code is published (AGPL).
const SourceURL = "https://github.com/tocsin-network/tocsin"

// Limits are the instance's posting limits, as clients are told them.
type Limits struct {
	MaxCharacters            int
	MaxMediaAttachments      int
	CharactersReservedPerURL int
	MaxFeaturedTags          int
	MaxPinnedStatuses        int
	SupportedMimeTypes       []string
	ImageSizeLimit           int
	ImageMatrixLimit         int
	VideoSizeLimit           int
	VideoFrameRateLimit      int
	VideoMatrixLimit         int
	PollMaxOptions           int
	PollMaxCharacters        int
	PollMinExpiration        int // seconds
	PollMaxExpiration        int // seconds
}

// DefaultLimits returns Tocsin's limits: 5000 characters (an alert's text
// is longer than Mastodon's 500 allow), Mastodon's defaults otherwise.
func DefaultLimits() Limits {
	return Limits{
		MaxCharacters:            5000,
		MaxMediaAttachments:      4,
		CharactersReservedPerURL: 23,
		MaxFeaturedTags:          10,
		MaxPinnedStatuses:        5,
		SupportedMimeTypes:       []string{"image/jpeg", "image/png", "image/gif", "image/webp"},
		ImageSizeLimit:           16 * 1024 * 1024,
		ImageMatrixLimit:         33177600,
		VideoSizeLimit:           99 * 1024 * 1024,
		VideoFrameRateLimit:      120,
		VideoMatrixLimit:         8294400,
		PollMaxOptions:           4,
		PollMaxCharacters:        50,
		PollMinExpiration:        300,
		PollMaxExpiration:        2629746,
	}
}

// InstanceInfo is what the instance entities say, gathered by the caller
// from the configuration and the store.
type InstanceInfo struct {
	Title            string
	Description      string // plain text
	ContactEmail     string
	ContactAccount   *Account // nil: none
	Languages        []string // BCP 47; reduced to ISO 639-1
	Registrations    bool
	ApprovalRequired bool
	InvitesEnabled   bool
	Rules            []Rule
	// Statistics: local users, users active in the past 4 weeks, local
	// statuses, known domains.
	UserCount, ActiveMonth, StatusCount, DomainCount int
	ThumbnailURL                                     string // "" = the default thumbnail
	VapidKey                                         string // Web Push key; "" when push is off
	Limits                                           *Limits
}

// Rule is Mastodon's Rule entity.
type Rule struct {
	ID   string `json:"id"`
	Text string `json:"text"`
	Hint string `json:"hint"`
}

// InstanceV2 is Mastodon's Instance entity (GET /api/v2/instance).
type InstanceV2 struct {
	Domain        string                `json:"domain"`
	Title         string                `json:"title"`
	Version       string                `json:"version"`
	SourceURL     string                `json:"source_url"`
	Description   string                `json:"description"`
	Usage         InstanceUsage         `json:"usage"`
	Thumbnail     InstanceThumbnail     `json:"thumbnail"`
	Icon          []InstanceIcon        `json:"icon"`
	Languages     []string              `json:"languages"`
	Configuration InstanceConfig        `json:"configuration"`
	Registrations InstanceRegistrations `json:"registrations"`
	APIVersions   map[string]int        `json:"api_versions"`
	Contact       InstanceContact       `json:"contact"`
	Rules         []Rule                `json:"rules"`
}

// InstanceUsage is Instance.usage.
type InstanceUsage struct {
	Users struct {
		ActiveMonth int `json:"active_month"`
	} `json:"users"`
}

// InstanceThumbnail is Instance.thumbnail.
type InstanceThumbnail struct {
	URL      string            `json:"url"`
	Blurhash string            `json:"blurhash,omitempty"`
	Versions map[string]string `json:"versions,omitempty"` // "@1x", "@2x"
}

// InstanceIcon is one of Instance.icon (Mastodon 4.3).
type InstanceIcon struct {
	Src  string `json:"src"`
	Size string `json:"size"` // "48x48"
}

// InstanceConfig is Instance.configuration.
type InstanceConfig struct {
	URLs struct {
		Streaming string `json:"streaming"`
	} `json:"urls"`
	Vapid struct {
		PublicKey string `json:"public_key"`
	} `json:"vapid"`
	Accounts struct {
		MaxFeaturedTags   int `json:"max_featured_tags"`
		MaxPinnedStatuses int `json:"max_pinned_statuses"`
	} `json:"accounts"`
	Statuses         StatusLimits `json:"statuses"`
	MediaAttachments MediaLimits  `json:"media_attachments"`
	Polls            PollLimits   `json:"polls"`
	Translation      struct {
		Enabled bool `json:"enabled"`
	} `json:"translation"`
}

// StatusLimits is configuration.statuses.
type StatusLimits struct {
	MaxCharacters            int `json:"max_characters"`
	MaxMediaAttachments      int `json:"max_media_attachments"`
	CharactersReservedPerURL int `json:"characters_reserved_per_url"`
}

// MediaLimits is configuration.media_attachments.
type MediaLimits struct {
	SupportedMimeTypes  []string `json:"supported_mime_types"`
	ImageSizeLimit      int      `json:"image_size_limit"`
	ImageMatrixLimit    int      `json:"image_matrix_limit"`
	VideoSizeLimit      int      `json:"video_size_limit"`
	VideoFrameRateLimit int      `json:"video_frame_rate_limit"`
	VideoMatrixLimit    int      `json:"video_matrix_limit"`
}

// PollLimits is configuration.polls.
type PollLimits struct {
	MaxOptions             int `json:"max_options"`
	MaxCharactersPerOption int `json:"max_characters_per_option"`
	MinExpiration          int `json:"min_expiration"`
	MaxExpiration          int `json:"max_expiration"`
}

// InstanceRegistrations is Instance.registrations.
type InstanceRegistrations struct {
	Enabled          bool    `json:"enabled"`
	ApprovalRequired bool    `json:"approval_required"`
	Message          *string `json:"message"`
	URL              *string `json:"url"`
}

// InstanceContact is Instance.contact.
type InstanceContact struct {
	Email   string   `json:"email"`
	Account *Account `json:"account"`
}

// InstanceV1 is Mastodon's V1::Instance entity (GET /api/v1/instance),
// which many clients still read first.
type InstanceV1 struct {
	URI              string `json:"uri"`
	Title            string `json:"title"`
	ShortDescription string `json:"short_description"`
	Description      string `json:"description"`
	Email            string `json:"email"`
	Version          string `json:"version"`
	URLs             struct {
		StreamingAPI string `json:"streaming_api"`
	} `json:"urls"`
	Stats struct {
		UserCount   int `json:"user_count"`
		StatusCount int `json:"status_count"`
		DomainCount int `json:"domain_count"`
	} `json:"stats"`
	Thumbnail        *string          `json:"thumbnail"`
	Languages        []string         `json:"languages"`
	Registrations    bool             `json:"registrations"`
	ApprovalRequired bool             `json:"approval_required"`
	InvitesEnabled   bool             `json:"invites_enabled"`
	Configuration    InstanceV1Config `json:"configuration"`
	ContactAccount   *Account         `json:"contact_account"`
	Rules            []Rule           `json:"rules"`
}

// InstanceV1Config is V1::Instance.configuration.
type InstanceV1Config struct {
	Accounts struct {
		MaxFeaturedTags int `json:"max_featured_tags"`
	} `json:"accounts"`
	Statuses         StatusLimits `json:"statuses"`
	MediaAttachments MediaLimits  `json:"media_attachments"`
	Polls            PollLimits   `json:"polls"`
}

// InstanceV2 returns the v2 Instance entity.
func (c *Converter) InstanceV2(in InstanceInfo) InstanceV2 {
	l := in.limits()
	v := InstanceV2{
		Domain:        c.domain(),
		Title:         in.Title,
		Version:       Version,
		SourceURL:     SourceURL,
		Description:   in.Description,
		Thumbnail:     InstanceThumbnail{URL: c.thumbnail(in)},
		Icon:          []InstanceIcon{},
		Languages:     languages(in.Languages),
		Registrations: InstanceRegistrations{Enabled: in.Registrations, ApprovalRequired: in.ApprovalRequired},
		APIVersions:   map[string]int{"mastodon": 2},
		Contact:       InstanceContact{Email: in.ContactEmail, Account: in.ContactAccount},
		Rules:         rules(in.Rules),
	}
	v.Usage.Users.ActiveMonth = in.ActiveMonth
	cfg := &v.Configuration
	cfg.URLs.Streaming = c.streamingURL()
	cfg.Vapid.PublicKey = in.VapidKey
	cfg.Accounts.MaxFeaturedTags = l.MaxFeaturedTags
	cfg.Accounts.MaxPinnedStatuses = l.MaxPinnedStatuses
	cfg.Statuses, cfg.MediaAttachments, cfg.Polls = l.statuses(), l.media(), l.polls()
	return v
}

// InstanceV1 returns the v1 Instance entity.
func (c *Converter) InstanceV1(in InstanceInfo) InstanceV1 {
	l := in.limits()
	thumb := c.thumbnail(in)
	v := InstanceV1{
		URI:              c.domain(),
		Title:            in.Title,
		ShortDescription: in.Description,
		Description:      in.Description,
		Email:            in.ContactEmail,
		Version:          Version,
		Thumbnail:        &thumb,
		Languages:        languages(in.Languages),
		Registrations:    in.Registrations,
		ApprovalRequired: in.ApprovalRequired,
		InvitesEnabled:   in.InvitesEnabled,
		ContactAccount:   in.ContactAccount,
		Rules:            rules(in.Rules),
	}
	v.URLs.StreamingAPI = c.streamingURL()
	v.Stats.UserCount, v.Stats.StatusCount, v.Stats.DomainCount = in.UserCount, in.StatusCount, in.DomainCount
	v.Configuration.Accounts.MaxFeaturedTags = l.MaxFeaturedTags
	v.Configuration.Statuses, v.Configuration.MediaAttachments, v.Configuration.Polls = l.statuses(), l.media(), l.polls()
	return v
}

func (in InstanceInfo) limits() Limits {
	if in.Limits != nil {
		return *in.Limits
	}
	return DefaultLimits()
}

func (l Limits) statuses() StatusLimits {
	return StatusLimits{MaxCharacters: l.MaxCharacters, MaxMediaAttachments: l.MaxMediaAttachments, CharactersReservedPerURL: l.CharactersReservedPerURL}
}

func (l Limits) media() MediaLimits {
	types := append([]string{}, l.SupportedMimeTypes...)
	return MediaLimits{
		SupportedMimeTypes: types, ImageSizeLimit: l.ImageSizeLimit, ImageMatrixLimit: l.ImageMatrixLimit,
		VideoSizeLimit: l.VideoSizeLimit, VideoFrameRateLimit: l.VideoFrameRateLimit, VideoMatrixLimit: l.VideoMatrixLimit,
	}
}

func (l Limits) polls() PollLimits {
	return PollLimits{MaxOptions: l.PollMaxOptions, MaxCharactersPerOption: l.PollMaxCharacters, MinExpiration: l.PollMinExpiration, MaxExpiration: l.PollMaxExpiration}
}

func (c *Converter) thumbnail(in InstanceInfo) string {
	if in.ThumbnailURL != "" {
		return in.ThumbnailURL
	}
	return c.static(DefaultThumbnailPath)
}

// streamingURL is the base URL with ws(s) for http(s).
func (c *Converter) streamingURL() string {
	u, err := url.Parse(c.URLs.Base)
	if err != nil || u.Host == "" {
		return "wss://" + c.domain()
	}
	scheme := "wss"
	if u.Scheme == "http" {
		scheme = "ws"
	}
	return scheme + "://" + u.Host
}

func languages(tags []string) []string {
	out := []string{}
	for _, t := range tags {
		if l := baseLanguage(t); l != "" && !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

func rules(rs []Rule) []Rule {
	if rs == nil {
		return []Rule{}
	}
	return rs
}
