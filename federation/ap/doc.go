// Package ap is Tocsin's ActivityPub wire format: plain Go structs for what we
// read from peers (Parse) and small builders plus Marshal for what we write.
//
// It leans on go-fed's streams only where go-fed is right: Parse calls
// streams.ToType once per document to confirm that a standard type is one a
// go-fed peer accepts, and ActorDocument builds actors with streams. Every
// value we keep is read from the raw JSON instead, because go-fed v1.0.0
// corrupts data (see /work/shared/notes/go-fed.md and FEDERATION.md):
// strings containing a colon ("Kenya: ballot stuffing") turn into IRIs,
// contentMap is dropped, one-item arrays go out bare, Mastodon terms
// (sensitive, manuallyApprovesFollowers, Hashtag, endpoints) are missing and
// @context is replaced with its own.
//
// Inbound documents may come without @context (Lemmy, old Mastodon): the
// ActivityStreams context is then assumed. Properties outside the
// ActivityStreams, Mastodon and security vocabularies are kept verbatim in
// Extensions; ExpandTerm and Object.ExtensionsIn read them by full IRI,
// whatever prefix the peer chose for a namespace such as TocsinNS.
//
// Limits: Parse refuses JSON nested deeper than MaxDepth before decoding it;
// the body size limit is the caller's (the inbox handler's) job.
//
// ap imports only the standard library and go-fed's streams; it must not
// import store, handlers or any Tocsin domain package.
package ap
