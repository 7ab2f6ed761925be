// Package metrics keeps Tocsin's Prometheus metrics in its own registry
// (never the global default one) and serves them on the separate, admin-only
// listener set by [metrics] listen. It also tracks the background workers'
// heartbeats, which /readyz checks.
//
// Label values are bounded: HTTP requests are labelled by route template
// (echo's c.Path()), never the raw URL; activity types outside the
// ActivityStreams vocabulary become "other"; delivery hosts beyond the
// first HostLabels (seeded with the busiest peers) become "other"; failure
// reasons are reduced to a few classes.
package metrics
