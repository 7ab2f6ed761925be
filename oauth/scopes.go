package oauth

import (
	"fmt"
	"slices"
	"strings"
)

// Top-level scopes, as Mastodon defines them
// (https://docs.joinmastodon.org/api/oauth-scopes/).
const (
	ScopeRead       = "read"
	ScopeWrite      = "write"
	ScopeFollow     = "follow" // deprecated by Mastodon, still granted
	ScopePush       = "push"
	ScopeProfile    = "profile"
	ScopeAdminRead  = "admin:read"
	ScopeAdminWrite = "admin:write"
)

// DefaultScope is what an app or token gets when it asks for none.
const DefaultScope = ScopeRead

// KnownScopes lists every scope, in the order Mastodon 4.3 lists them in
// its authorization server metadata.
var KnownScopes = []string{
	"read", "write",
	"write:accounts", "write:blocks", "write:bookmarks", "write:conversations",
	"write:favourites", "write:filters", "write:follows", "write:lists", "write:media",
	"write:mutes", "write:notifications", "write:reports", "write:statuses",
	"read:accounts", "read:blocks", "read:bookmarks", "read:favourites", "read:filters",
	"read:follows", "read:lists", "read:mutes", "read:notifications", "read:search",
	"read:statuses",
	"follow", "push", "profile",
	"admin:read",
	"admin:read:accounts", "admin:read:reports", "admin:read:domain_allows",
	"admin:read:domain_blocks", "admin:read:ip_blocks", "admin:read:email_domain_blocks",
	"admin:read:canonical_email_blocks",
	"admin:write",
	"admin:write:accounts", "admin:write:reports", "admin:write:domain_allows",
	"admin:write:domain_blocks", "admin:write:ip_blocks", "admin:write:email_domain_blocks",
	"admin:write:canonical_email_blocks",
}

// followImplies is what the legacy follow scope grants.
var followImplies = []string{
	"read:follows", "write:follows", "read:blocks", "write:blocks", "read:mutes", "write:mutes",
}

// Scopes is a set of granted scopes, in the order they were asked for.
type Scopes []string

// ParseScopes splits a space-separated scope string (an empty one is the
// default scope), drops duplicates, and refuses unknown scopes.
func ParseScopes(s string) (Scopes, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return Scopes{DefaultScope}, nil
	}
	out := make(Scopes, 0, len(fields))
	var unknown []string
	for _, f := range fields {
		switch {
		case !slices.Contains(KnownScopes, f):
			unknown = append(unknown, f)
		case !slices.Contains(out, f):
			out = append(out, f)
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("unknown scope %s", strings.Join(unknown, ", "))
	}
	return out, nil
}

// String joins the scopes with spaces, as OAuth writes them.
func (s Scopes) String() string { return strings.Join(s, " ") }

// parent is the scope that includes scope: "read" for "read:statuses",
// "admin:read" for "admin:read:accounts", "" for a top-level scope.
func parent(scope string) string {
	if i := strings.LastIndexByte(scope, ':'); i > 0 {
		if p := scope[:i]; p != "admin" {
			return p
		}
	}
	return ""
}

// Allows reports whether the scopes grant required: directly, through its
// parent ("read" grants "read:statuses", "admin:read" grants
// "admin:read:accounts"), or through the legacy "follow" scope.
func (s Scopes) Allows(required string) bool {
	if slices.Contains(s, required) {
		return true
	}
	if p := parent(required); p != "" && slices.Contains(s, p) {
		return true
	}
	return slices.Contains(followImplies, required) && slices.Contains(s, ScopeFollow)
}

// AllowsAny reports whether the scopes grant at least one of required.
// Listing nothing asks for no scope: any token will do.
func (s Scopes) AllowsAny(required ...string) bool {
	if len(required) == 0 {
		return true
	}
	return slices.ContainsFunc(required, s.Allows)
}

// Within reports whether every scope in s is granted by outer: a token's
// scopes must be within its app's.
func (s Scopes) Within(outer Scopes) bool {
	for _, sc := range s {
		if !outer.Allows(sc) {
			return false
		}
	}
	return true
}

// HasAdmin reports whether any scope is an admin scope.
func (s Scopes) HasAdmin() bool {
	return slices.ContainsFunc(s, isAdminScope)
}

// withoutAdmin returns s without its admin scopes.
func (s Scopes) withoutAdmin() Scopes {
	if !s.HasAdmin() {
		return s
	}
	return slices.DeleteFunc(slices.Clone(s), isAdminScope)
}

func isAdminScope(scope string) bool { return strings.HasPrefix(scope, "admin:") }
