package mastodon

import "github.com/tocsin-network/tocsin/store"

// Relationship is Mastodon's Relationship entity: how the viewer and one
// account stand.
type Relationship struct {
	ID                  string   `json:"id"` // the other account's ID
	Following           bool     `json:"following"`
	ShowingReblogs      bool     `json:"showing_reblogs"`
	Notifying           bool     `json:"notifying"`
	Languages           []string `json:"languages"`
	FollowedBy          bool     `json:"followed_by"`
	Blocking            bool     `json:"blocking"`
	BlockedBy           bool     `json:"blocked_by"`
	Muting              bool     `json:"muting"`
	MutingNotifications bool     `json:"muting_notifications"`
	Requested           bool     `json:"requested"`
	RequestedBy         bool     `json:"requested_by"`
	DomainBlocking      bool     `json:"domain_blocking"`
	Endorsed            bool     `json:"endorsed"`
	Note                string   `json:"note"` // the viewer's private note on the account
}

// RelationshipExtras are the relations Tocsin does not keep in follows.
type RelationshipExtras struct {
	Blocking, BlockedBy, Muting, MutingNotifications bool
	DomainBlocking, Endorsed, Notifying              bool
	Note                                             string
}

// Relationship returns the viewer's relationship with account id from the
// follow records both ways: outgoing is the viewer's follow of the account
// (followee the account, follower the viewer), incoming the account's
// follow of the viewer; nil when there is none. An accepted follow is
// following / followed_by, a pending one requested / requested_by.
// Boosts of a followed account are shown (showing_reblogs), as Mastodon's
// default is.
func (c *Converter) Relationship(id string, outgoing, incoming *store.Follow, x RelationshipExtras) Relationship {
	r := Relationship{
		ID:                  id,
		Languages:           []string{},
		Blocking:            x.Blocking,
		BlockedBy:           x.BlockedBy,
		Muting:              x.Muting,
		MutingNotifications: x.MutingNotifications,
		DomainBlocking:      x.DomainBlocking,
		Endorsed:            x.Endorsed,
		Notifying:           x.Notifying,
		Note:                x.Note,
	}
	if outgoing != nil {
		r.Following = outgoing.State == store.FollowAccepted
		r.Requested = outgoing.State == store.FollowPending
		r.ShowingReblogs = r.Following || r.Requested
	}
	if incoming != nil {
		r.FollowedBy = incoming.State == store.FollowAccepted
		r.RequestedBy = incoming.State == store.FollowPending
	}
	return r
}
