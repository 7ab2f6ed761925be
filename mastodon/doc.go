// Package mastodon is the one place that converts Tocsin's records into the
// entities of Mastodon's client API (docs.joinmastodon.org/entities), so
// that Mastodon apps (Tusky, Ivory, Elk, Phanpy, toot, Mastodon.py) work
// unmodified. Handlers encode what it returns; they do not build entities.
//
// Entities carry Mastodon's JSON names and types exactly: IDs are strings,
// documented nullable attributes are pointers without omitempty (so they
// encode as null, never go missing), and arrays are never null (they encode
// as []). Attributes Mastodon documents as optional are omitted only where
// Mastodon omits them.
//
// IDs. A status ID is the stored object's Seq, a ULID: 26 characters that
// sort, as strings, in arrival order, which is what clients and Mastodon's
// max_id/since_id/min_id pagination assume (a bbolt key-range scan serves
// them). A local account's ID is its store ID (also a ULID). A remote actor
// has no store ID, so RemoteAccountID derives one from its IRI: "R" and 25
// Crockford base-32 characters of the IRI's SHA-256. It is stable (the IRI
// is the actor's identity), as long as a local ID, and never equal to one
// (a ULID starts with 0-7), so a handler can tell which table to look in;
// it is not reversible, so looking a remote account up by ID needs an index
// (ID -> IRI) that the store keeps. Account IDs need no time order: Mastodon
// paginates account lists by the IDs of the relations (follows, blocks),
// not of the accounts.
//
// Peer HTML is never trusted: status content, account notes and profile
// field values pass through Sanitize (p, br, a, span with Mastodon's
// microformat classes, and nothing else) before a client sees them;
// spoiler_text (from summary, HTML in ActivityStreams) is reduced to plain
// text. Display names and field names are plain text in ActivityStreams and
// are passed on as given, as Mastodon does.
//
// The package is pure conversion: no I/O, no clock but Converter.Now. It
// must not import echo, bbolt, net/http or the handlers; everything it needs
// from the store (counts, follow states, the parent of a reply) the caller
// looks up and passes in.
package mastodon
