// Package handlers holds Tocsin's echo routes: health, discovery
// (WebFinger, host-meta, NodeInfo), ActivityPub endpoints, and later the
// Mastodon client and admin API, OAuth2, web pages and feeds. Handlers are
// thin: decode, call a service, encode. They never touch bbolt, and map
// errors to statuses in one place (errors.go).
package handlers
