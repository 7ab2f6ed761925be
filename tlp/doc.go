// Package tlp owns the Traffic Light Protocol 2.0 labels (FIRST, August 2022)
// and Tocsin's audience rules for each: who an object is addressed to, whether
// it may appear on public pages, federate, be boosted, and which Mastodon
// visibility it maps to. The rules are pure functions so that "TLP:GREEN
// never reaches a public page" is tested without a server.
//
// The package imports nothing of the project; every layer may use it.
package tlp
