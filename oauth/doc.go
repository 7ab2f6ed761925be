// Package oauth is Tocsin's OAuth 2 authorisation server, shaped like
// Mastodon's so that Mastodon apps (Tusky, Ivory, Elk, Phanpy, toot,
// Mastodon.py) sign in unmodified.
//
// It owns: app registration (client IDs and secrets), Mastodon's scopes
// and their hierarchy ("read" grants "read:statuses"; the legacy "follow"
// grants the follow, block and mute scopes; admin scopes only for admins
// and moderators), the logic of the authorisation endpoint (checking the
// request, the organisation a publisher may act for, issuing the code), the
// token endpoint (authorization_code with PKCE S256, password with a
// username or an email, client_credentials, refresh_token), revocation,
// the sign-in sessions of the consent page, and resolving a bearer token to
// a TokenInfo on every API request. It keeps nothing in memory: codes and
// tokens live in the store, as SHA-256 digests only.
//
// It must not import echo, handlers or federation: the HTTP shape (form and
// JSON bodies, HTML pages, status codes) is the handlers package's.
//
// # Library: go-oauth2, not fosite
//
// The protocol core is github.com/go-oauth2/oauth2/v4 (v4.5.4): its
// manager issues codes and tokens, consumes a code exactly once, checks the
// redirect URI against the code's, verifies PKCE, verifies client secrets
// (through ClientPasswordVerifier, so we compare hashes) and rotates
// refresh tokens; our ClientStore and TokenStore (library.go) keep all of
// it in bbolt. It is small, has no storage of its own to work around, and
// lets the token value be whatever we generate (43-character base64url,
// like Mastodon's), which Mastodon clients sometimes assume.
//
// What Mastodon clients need and go-oauth2 does not do is done here, on top
// of the manager rather than through its server package: revocation
// (RFC 7009, absent from the library); JSON request bodies and
// client_secret_post as well as Basic auth (the handlers decode both);
// Mastodon's token response (created_at, and no expires_in: go-oauth2's
// server would send "expires_in": 0, which some clients read as expired);
// PKCE restricted to S256 (the library's server defaults a missing method
// to "plain"); binding a refresh token to its client (the library's refresh
// does not authenticate the client); making refresh single-use under
// concurrency (done in the TokenStore's transaction); and the "act as an
// organisation" choice, carried through codes and refreshes in the
// manager's user ID (person ID + "/" + organisation ID).
//
// ory/fosite was the alternative. It covers all of the above natively
// (revocation, strict PKCE, hashed signatures as storage keys), but needs
// about a dozen storage interfaces (sessions, PKCE, refresh, revocation,
// token families), its own session and request types threaded through every
// call, and its HMAC token format with a global secret. For Mastodon's
// small surface that is more code to adapt than the gaps above, so we
// chose go-oauth2 and filled them; if we ever need OpenID Connect,
// token introspection or dynamic client registration, fosite is the path.
package oauth
