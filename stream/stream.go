// Package stream is the in-process event bus behind the Mastodon streaming
// API: services publish events after they commit (a status arrived, a
// notification was created, a status was deleted), and streaming
// connections subscribe to the streams they may read. It holds nothing
// durable: a client that reconnects reads what it missed from the REST API.
//
// The Hub does not filter: whoever publishes decides the audience. A status
// goes to Public only when every reader may see it (never a GREEN or AMBER
// alert), and to User(id) once for each local account whose home timeline
// it enters. The package imports nothing of the project.
package stream

import "strings"

// Event is one streaming event, as Mastodon sends it: the event name
// ("update", "notification", "delete", "status.update") and its payload
// (the JSON entity, or a status id for "delete").
type Event struct {
	Event   string
	Payload string
	// Stream is the stream the event was published to. Publish sets it;
	// publishers leave it empty.
	Stream string
}

// Stream names, as Mastodon's: "user:ACCOUNT_ID" (home timeline and
// notifications of one local account), "public", "public:local",
// "public:remote", "hashtag:TAG" and "hashtag:local:TAG" (tag lowercased).
//
// A public status is published to Public and to PublicLocal or
// PublicRemote, and for each of its tags to Hashtag and, when local, to
// HashtagLocal: PublicStreams lists them. Every event of one account
// (update, notification, delete, status.update) goes to its User stream;
// the streaming API derives Mastodon's "user:notification" from it.
const (
	Public       = "public"
	PublicLocal  = "public:local"
	PublicRemote = "public:remote"
)

// User is the stream of one local account.
func User(accountID string) string { return "user:" + accountID }

// Hashtag is the stream of one tag, matched without regard to case.
func Hashtag(tag string) string { return "hashtag:" + strings.ToLower(tag) }

// HashtagLocal is the stream of one tag's local statuses.
func HashtagLocal(tag string) string { return "hashtag:local:" + strings.ToLower(tag) }

// PublicStreams returns the streams a public status goes to: Public, then
// PublicLocal or PublicRemote, then Hashtag (and HashtagLocal when local)
// for each tag.
func PublicStreams(local bool, tags ...string) []string {
	streams := []string{Public, PublicRemote}
	if local {
		streams[1] = PublicLocal
	}
	for _, t := range tags {
		streams = append(streams, Hashtag(t))
		if local {
			streams = append(streams, HashtagLocal(t))
		}
	}
	return streams
}
