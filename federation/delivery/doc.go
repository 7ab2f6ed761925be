// Package delivery posts queued outbound activities to peer inboxes: the
// workers behind the delivery queue that the store keeps (store/deliveries.go).
//
// Publishing queues one job per distinct target inbox in the transaction
// that stores the activity, then calls Deliverer.Kick. The Deliverer claims
// due jobs, signs each attempt afresh (draft-cavage, rsa-sha256, through the
// Poster) and posts it, and records the outcome: delivered, retried later
// with exponential backoff and jitter (Retry-After honoured), or
// dead-lettered (refused for good, or still failing after GiveUpAfter).
//
// What it guarantees:
//   - at-least-once: a job leaves the store only once its delivery or
//     dead letter is committed, so a crash or restart loses none; a job whose
//     POST was cut off by a crash is posted again after restart (peers
//     deduplicate by activity id);
//   - within one Run, a job is never in flight twice, and never posted again
//     once delivered;
//   - one slow or dead peer never holds more than PerHostLimit workers, and
//     after BreakerThreshold consecutive failures its jobs are paused (moved
//     to the end of BreakerCooldown without an attempt) until one probe
//     succeeds.
//
// It owns the worker goroutines and the in-memory claims; it owns no
// storage (the store does) and no HTTP client (the Poster does: in
// production the guarded client of federation/fetch). It must not import
// handlers or any domain package.
package delivery
