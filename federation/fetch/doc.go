// Package fetch owns the one guarded HTTP client through which Tocsin talks to
// the network: every fetch of an ActivityPub document, WebFinger or NodeInfo
// answer, and every delivery POST goes through a Client.
//
// A Client refuses, before any I/O, URLs that are not https (or http when
// allowed), carry user info or name a private, loopback, link-local or other
// non-public IP literal; and it refuses again at connect time every address a
// name resolves to (net.Dialer.Control), so DNS rebinding cannot reach an
// internal service (Options.Resolver may replace the system resolver; what
// it answers is checked the same way). Both refusals are *BlockedError. Redirects are followed by
// hand, each target checked and counted; bodies are capped and never buffered
// past the cap; every request has a deadline. It keeps no cookies and ignores
// proxy environment variables (a proxy would be the only address checked).
//
// It imports federation/signature for HTTP signatures and nothing else of
// Tocsin: no store, no handlers, no domain packages.
package fetch
