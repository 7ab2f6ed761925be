// Package stream is the in-process event bus behind the Mastodon streaming
// API: services publish events after they commit (a status arrived, a
// notification was created, a status was deleted), and streaming
// connections subscribe to the streams they may read. It holds nothing
// durable: a client that reconnects reads what it missed from the REST API.
package stream

// Event is one streaming event, as Mastodon sends it: the event name
// ("update", "notification", "delete", "status.update") and its payload
// (the JSON entity, or a status id for "delete").
type Event struct {
	Event   string
	Payload string
}

// Stream names, as Mastodon's: "user:ACCOUNT_ID" (home timeline and
// notifications of one local account), "public", "public:local",
// "hashtag:TAG" (lowercased).
const (
	Public      = "public"
	PublicLocal = "public:local"
)

// User is the stream of one local account.
func User(accountID string) string { return "user:" + accountID }

// Hashtag is the stream of one tag.
func Hashtag(tag string) string { return "hashtag:" + tag }
