// Package social is the business logic of the Mastodon client API between
// the handlers and the store and federation core: posting, editing and
// deleting statuses, favourites, boosts and bookmarks, timelines (fan-out
// on write into key-range buckets), notifications and search. It returns
// Mastodon entities (package mastodon) and applies the TLP and moderation
// rules to every read. It knows nothing of HTTP and never imports bbolt.
//
// Inbound objects reach it as a federation.ObjectHook and ReactionHook, in
// the transaction that stores them; streaming events are published after
// that transaction commits.
package social
