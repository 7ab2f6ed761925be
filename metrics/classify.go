package metrics

import (
	"context"
	"errors"
	"net"
	"strings"

	"github.com/tocsin-network/tocsin/federation/fetch"
)

// activityTypes are the activity types labelled as themselves; any other
// type (remote input) is "other".
var activityTypes = map[string]bool{
	"Accept": true, "Add": true, "Announce": true, "Arrive": true, "Block": true,
	"Create": true, "Delete": true, "Dislike": true, "Flag": true, "Follow": true,
	"Ignore": true, "Invite": true, "Join": true, "Leave": true, "Like": true,
	"Listen": true, "Move": true, "Offer": true, "Question": true, "Reject": true,
	"Read": true, "Remove": true, "TentativeAccept": true, "TentativeReject": true,
	"Travel": true, "Undo": true, "Update": true, "View": true, "EmojiReact": true,
}

// ActivityTypeLabel bounds an activity type for a label.
func ActivityTypeLabel(t string) string {
	switch {
	case t == "":
		return "none"
	case activityTypes[t]:
		return t
	}
	return "other"
}

// SignatureReasonClass reduces a signature refusal reason to a class:
// unsigned, malformed, algorithm, headers, digest, expired, key_fetch, key,
// owner, invalid or other.
func SignatureReasonClass(reason string) string {
	r := strings.ToLower(reason)
	switch {
	case strings.Contains(r, "not signed"), strings.Contains(r, "rfc 9421"):
		return "unsigned"
	case strings.Contains(r, "malformed"), strings.Contains(r, "not an http date"), strings.Contains(r, "has no url"):
		return "malformed"
	case strings.HasPrefix(r, "algorithm"):
		return "algorithm"
	case strings.Contains(r, "digest"):
		return "digest"
	case strings.Contains(r, "does not cover"), strings.Contains(r, "signed header"):
		return "headers"
	case strings.Contains(r, "outside window"), strings.Contains(r, "expired"):
		return "expired"
	case strings.Contains(r, "could not get key"):
		return "key_fetch"
	case strings.Contains(r, "belongs to"), strings.Contains(r, "another actor"):
		return "owner"
	case strings.Contains(r, "key "):
		return "key"
	case strings.Contains(r, "does not verify"), strings.Contains(r, "could not be verified"):
		return "invalid"
	}
	return "other"
}

// FetchErrorClass reduces a fetch error to a class: status_4xx,
// status_5xx, status_other, blocked, too_large, content_type,
// origin_mismatch, redirect, timeout, canceled, dns, connect or other.
func FetchErrorClass(err error) string {
	var se *fetch.StatusError
	var be *fetch.BlockedError
	var dns *net.DNSError
	var op *net.OpError
	var ne net.Error
	switch {
	case errors.As(err, &se):
		switch {
		case se.Status >= 500:
			return "status_5xx"
		case se.Status >= 400:
			return "status_4xx"
		}
		return "status_other"
	case errors.As(err, &be):
		return "blocked"
	case errors.Is(err, fetch.ErrTooLarge):
		return "too_large"
	case errors.Is(err, fetch.ErrContentType):
		return "content_type"
	case errors.Is(err, fetch.ErrOriginMismatch):
		return "origin_mismatch"
	case errors.Is(err, fetch.ErrTooManyRedirects), errors.Is(err, fetch.ErrRedirectMalformed):
		return "redirect"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.As(err, &dns):
		return "dns"
	case errors.As(err, &op):
		return "connect"
	}
	return "other"
}
