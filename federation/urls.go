package federation

import (
	"net/url"
	"strings"
)

// URLs builds the stable, Mastodon-shaped URLs of one instance's actors and
// objects. Base is scheme://host[:port] with no trailing slash.
type URLs struct {
	Base string
}

// Host returns the host[:port] part of Base.
func (u URLs) Host() string {
	p, err := url.Parse(u.Base)
	if err != nil {
		return strings.TrimPrefix(strings.TrimPrefix(u.Base, "https://"), "http://")
	}
	return p.Host
}

// Actor is the ActivityPub id of a local account's actor.
func (u URLs) Actor(username string) string { return u.Base + "/users/" + username }

// KeyID is the id of an actor's public key (Mastodon's form).
func (u URLs) KeyID(actorIRI string) string { return actorIRI + "#main-key" }

// Inbox is a local actor's own inbox.
func (u URLs) Inbox(username string) string { return u.Actor(username) + "/inbox" }

// Outbox is a local actor's outbox collection.
func (u URLs) Outbox(username string) string { return u.Actor(username) + "/outbox" }

// Followers is a local actor's followers collection.
func (u URLs) Followers(username string) string { return u.Actor(username) + "/followers" }

// Following is a local actor's following collection.
func (u URLs) Following(username string) string { return u.Actor(username) + "/following" }

// Profile is the HTML profile page of a local account.
func (u URLs) Profile(username string) string { return u.Base + "/@" + username }

// SharedInbox receives deliveries for every local actor at once.
func (u URLs) SharedInbox() string { return u.Base + "/inbox" }

// InstanceActor is the Application actor that signs our fetches.
func (u URLs) InstanceActor() string { return u.Base + "/actor" }

// Object is the id of a local object (a status, alert or note) by its ID.
func (u URLs) Object(username, id string) string { return u.Actor(username) + "/statuses/" + id }

// Activity is the id of a local activity by its ID.
func (u URLs) Activity(username, id string) string {
	return u.Actor(username) + "/activities/" + id
}

// LocalUsername returns the username of a local actor IRI (or profile URL)
// and whether iri is one.
func (u URLs) LocalUsername(iri string) (string, bool) {
	for _, prefix := range []string{u.Base + "/users/", u.Base + "/@"} {
		if rest, ok := strings.CutPrefix(iri, prefix); ok && rest != "" && !strings.ContainsAny(rest, "/?#") {
			return rest, true
		}
	}
	return "", false
}
