package tlp

// The audience rules of design.md ("TLP decides the audience"). They hold the
// same way inbound: a non-CLEAR object from a peer is never shown publicly,
// never re-delivered, never forwarded, and an Announce of it is refused.
// Every rule treats an invalid Level like Red.

// Audience says to whom an object of a given level is addressed.
type Audience int

// Audiences, widest first.
const (
	// PublicAndFollowers: addressed to as:Public, cc the author's followers.
	PublicAndFollowers Audience = iota + 1
	// ApprovedFollowers: the author's followers, whom the author approved by hand.
	ApprovedFollowers
	// PeerCircle: the organisation actors of a circle of peers the admin defines.
	PeerCircle
	// NamedOrganisations: organisation actors named one by one on the object.
	NamedOrganisations
	// LocalAccounts: named accounts on this instance only; never federated.
	LocalAccounts
)

// String returns a short lower-case name for logs and admin pages.
func (a Audience) String() string {
	switch a {
	case PublicAndFollowers:
		return "public and followers"
	case ApprovedFollowers:
		return "approved followers"
	case PeerCircle:
		return "circle of peer organisations"
	case NamedOrganisations:
		return "named organisations"
	case LocalAccounts:
		return "local accounts only"
	}
	return "unknown audience"
}

// AudienceKind returns to whom an object of level l is addressed.
func AudienceKind(l Level) Audience {
	switch l {
	case Clear:
		return PublicAndFollowers
	case Green:
		return ApprovedFollowers
	case Amber:
		return PeerCircle
	case AmberStrict:
		return NamedOrganisations
	}
	return LocalAccounts
}

// PublicVisible reports whether an object of level l may appear on public
// pages, feeds and unauthenticated API responses. Only CLEAR may.
func PublicVisible(l Level) bool { return l == Clear }

// Federates reports whether an object of level l may leave this instance.
// Everything but RED does (to the audience AudienceKind names).
func Federates(l Level) bool { return l.Valid() && l != Red }

// MayBoost reports whether an object of level l may be boosted, forwarded or
// Announced, by us or by a peer. Only CLEAR may; an inbound Announce of
// anything else is refused.
func MayBoost(l Level) bool { return l == Clear }

// MastodonVisibility returns the Mastodon status visibility that shows an
// object of level l to its audience: "public" for CLEAR, "private"
// (followers only) for GREEN, "direct" for the rest. RED is direct and
// local: Federates(Red) is false.
func MastodonVisibility(l Level) string {
	switch l {
	case Clear:
		return "public"
	case Green:
		return "private"
	}
	return "direct"
}
