package mastodon

import "time"

// Notification types Tocsin sends (Mastodon's names).
const (
	NotifyMention       = "mention"
	NotifyStatus        = "status"
	NotifyReblog        = "reblog"
	NotifyFollow        = "follow"
	NotifyFollowRequest = "follow_request"
	NotifyFavourite     = "favourite"
	NotifyUpdate        = "update"
	NotifyAdminSignUp   = "admin.sign_up"
	NotifyAdminReport   = "admin.report"
)

// Notification is Mastodon's Notification entity.
type Notification struct {
	ID        string  `json:"id"`
	Type      string  `json:"type"`
	CreatedAt string  `json:"created_at"`
	GroupKey  string  `json:"group_key"` // Mastodon 4.3: "ungrouped-<id>" for one not grouped
	Account   Account `json:"account"`
	// Status is sent for mention, status, reblog, favourite, poll and
	// update notifications only.
	Status *Status `json:"status,omitempty"`
}

// Notification returns a notification of type typ (Notify...) that account
// caused at created, about status (nil for follows). id must sort by time
// like status IDs (a ULID).
func (c *Converter) Notification(id, typ string, created time.Time, account Account, status *Status) Notification {
	return Notification{
		ID:        id,
		Type:      typ,
		CreatedAt: Datetime(created),
		GroupKey:  "ungrouped-" + id,
		Account:   account,
		Status:    status,
	}
}
