package handlers_test

// The authorisation table: every route the instance's echo server
// registers (read from echo's Routes(), so a route added without a row
// fails the test) is called by every principal — anonymous, a member, a
// publisher acting for an organisation, a moderator, an admin — with a
// bearer token for the API and a web session for the pages, and each state
// changing web form also without a CSRF token, with a wrong one, and from
// another site. Every 2xx body is checked for what the principal may not
// read (alerts above their TLP rights, direct messages, moderators' notes,
// reports, other people's email addresses, password hashes, credentials),
// and every HTML answer for its Content-Security-Policy.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/internal/cluster"
	"github.com/tocsin-network/tocsin/publish"
	"github.com/tocsin-network/tocsin/tlp"
)

// want is the outcome a principal must get from a route.
type want string

const (
	w2xx  want = "2xx"    // success: 2xx, or a redirect anywhere but the sign-in page
	wOK   want = "ok"     // the handler ran: anything but 401, 403, a sign-in redirect or 5xx (validation errors allowed)
	w401  want = "401"    // no or bad credentials
	w403  want = "403"    // authenticated, not allowed
	w404  want = "404"    // no such thing, for everyone
	w4xx  want = "4xx"    // refused as malformed (400-499)
	wDeny want = "deny"   // refused: 403, or 404 hiding that it exists
	wSign want = "signin" // web: GET redirects to /signin, POST is 401
	wUpgr want = "426"    // websocket endpoint called without the upgrade
)

// access is a row's wants, for anonymous, member, publisher, moderator, admin.
type access [5]want

var (
	pub       = access{w2xx, w2xx, w2xx, w2xx, w2xx}
	userOnly  = access{w401, w2xx, w2xx, w2xx, w2xx}
	userOK    = access{w401, wOK, wOK, wOK, wOK}
	staffRead = access{w401, w403, w403, w2xx, w2xx}
	staffOK   = access{w401, w403, w403, wOK, wOK}
	all404    = access{w404, w404, w404, w404, w404}
	all401    = access{w401, w401, w401, w401, w401}
	// Publishing as the organisation: its publisher and admins.
	orgWrite = access{w401, w403, w2xx, w403, w2xx}
	orgOK    = access{w401, w403, wOK, w403, wOK}
	// Web pages.
	webPub    = pub
	webUser   = access{wSign, w2xx, w2xx, w2xx, w2xx}
	webUserOK = access{wSign, wOK, wOK, wOK, wOK}
	webStaff  = access{wSign, w403, w403, w2xx, w2xx}
	webStaffK = access{wSign, w403, w403, wOK, wOK}
	webAdmin  = access{wSign, w403, w403, w403, w2xx}
	webAdminK = access{wSign, w403, w403, w403, wOK}
	webOrg    = access{wSign, w403, w2xx, w403, w2xx}
	webOrgOwn = access{wSign, wDeny, w2xx, wDeny, w2xx}
)

// rowKind says how principals authenticate on a route.
type rowKind int

const (
	apiRoute rowKind = iota // bearer token
	webRoute                // session cookie (and CSRF token on state-changing methods)
	apRoute                 // ActivityPub: no person's credentials
)

// authzRow is one route of the table. path holds {placeholders} filled from
// the world's fixtures; body starting with "{" is sent as JSON, else as a
// form.
type authzRow struct {
	route  string // "METHOD /registered/path"
	path   string
	body   string
	kind   rowKind
	access access
	sse    bool // an event stream: read the headers, then hang up
	// owner, when set, is called last: the others try first what is
	// only the owner's, while it still exists.
	owner principal
}

func owned(r authzRow, p principal) authzRow { r.owner = p; return r }

func api(route, path string, a access, body ...string) authzRow {
	return authzRow{route: route, path: path, kind: apiRoute, access: a, body: strings.Join(body, "")}
}

func web(route, path string, a access, body ...string) authzRow {
	return authzRow{route: route, path: path, kind: webRoute, access: a, body: strings.Join(body, "")}
}

func apr(route, path string, a access, body ...string) authzRow {
	return authzRow{route: route, path: path, kind: apRoute, access: a, body: strings.Join(body, "")}
}

func sse(route, path string, a access) authzRow {
	return authzRow{route: route, path: path, kind: apiRoute, access: a, sse: true}
}

func authzTable() []authzRow {
	alertJSON := `{"as":"observers","title":"Authz table alert","body":"Body.","severity":"minor","category":"other","countries":["KE"],"tlp":"CLEAR"}`
	noteJSON := `{"as":"observers","title":"Authz table note","summary":"S.","body":"B.","topics":["verification"],"language":"en"}`
	alertForm := url.Values{"as": {"observers"}, "title": {"Authz web alert"}, "body": {"Body."}, "severity": {"minor"},
		"confidence": {"likely"}, "category": {"other"}, "countries": {"KE"}, "tlp": {"CLEAR"}, "language": {"en"}}.Encode()
	noteForm := url.Values{"as": {"observers"}, "title": {"Authz web note"}, "summary": {"S."}, "body": {"B."},
		"topics": {"verification"}, "language": {"en"}}.Encode()
	rows := []authzRow{
		// Health and discovery.
		api("GET /livez", "/livez", pub),
		api("GET /readyz", "/readyz", pub),
		api("GET /.well-known/webfinger", "/.well-known/webfinger?resource=acct:observers@{domain}", pub),
		api("GET /.well-known/host-meta", "/.well-known/host-meta", pub),
		api("GET /.well-known/host-meta.json", "/.well-known/host-meta.json", pub),
		api("GET /.well-known/nodeinfo", "/.well-known/nodeinfo", pub),
		api("GET /nodeinfo/:version", "/nodeinfo/2.1", pub),
		api("GET /.well-known/oauth-authorization-server", "/.well-known/oauth-authorization-server", pub),
		api("OPTIONS /.well-known/oauth-authorization-server", "/.well-known/oauth-authorization-server", pub),

		// ActivityPub: unsigned inbox posts are refused whoever sends them.
		apr("GET /actor", "/actor", pub),
		apr("GET /users/:username", "/users/observers", pub),
		apr("POST /inbox", "/inbox", all401, `{"@context":"https://www.w3.org/ns/activitystreams","id":"http://127.0.0.9/follows/1","type":"Follow","actor":"http://127.0.0.9/users/x","object":"{base}/users/observers"}`),
		apr("POST /users/:username/inbox", "/users/observers/inbox", all401, `{"@context":"https://www.w3.org/ns/activitystreams","id":"http://127.0.0.9/follows/1","type":"Follow","actor":"http://127.0.0.9/users/x","object":"{base}/users/observers"}`),
		apr("GET /users/:username/outbox", "/users/observers/outbox?page=true", pub),
		apr("GET /users/:username/followers", "/users/observers/followers?page=1", pub),
		apr("GET /users/:username/following", "/users/observers/following?page=1", pub),
		apr("GET /users/:username/statuses/:id", "{clearObject}", pub),
		apr("GET /users/:username/statuses/:id/activity", "{clearObject}/activity", pub),
		apr("GET /users/:username/activities/:id", "/users/observers/activities/nothing", all404),
		apr("GET /trust-list", "/trust-list?page=1", pub),
		apr("GET /users/:username/statuses/:id/sightings", "{clearObject}/sightings", pub),
		apr("GET /users/:username/translations/:id", "/users/observers/translations/nothing", all404),

		// OAuth.
		api("POST /api/v1/apps", "/api/v1/apps", pub, `{"client_name":"authz","redirect_uris":"urn:ietf:wg:oauth:2.0:oob","scopes":"read"}`),
		api("OPTIONS /api/v1/apps", "/api/v1/apps", pub),
		api("GET /api/v1/apps/verify_credentials", "/api/v1/apps/verify_credentials", userOnly),
		api("OPTIONS /api/v1/apps/verify_credentials", "/api/v1/apps/verify_credentials", pub),
		api("POST /oauth/token", "/oauth/token", access{w4xx, w4xx, w4xx, w4xx, w4xx}, "grant_type=password&username=root&password=x"),
		api("OPTIONS /oauth/token", "/oauth/token", pub),
		api("POST /oauth/revoke", "/oauth/revoke", access{w4xx, w4xx, w4xx, w4xx, w4xx}, "token=nothing"),
		api("OPTIONS /oauth/revoke", "/oauth/revoke", pub),
		web("GET /oauth/authorize", "/oauth/authorize?response_type=code&client_id={clientID}&redirect_uri=urn:ietf:wg:oauth:2.0:oob&scope=read", pub),
		web("POST /oauth/authorize", "/oauth/authorize", access{wOK, wOK, wOK, wOK, wOK}, "response_type=code&client_id={clientID}&redirect_uri=urn:ietf:wg:oauth:2.0:oob&scope=read&action=approve"),

		// Mastodon accounts.
		api("GET /api/v1/accounts/verify_credentials", "/api/v1/accounts/verify_credentials", userOnly),
		api("PATCH /api/v1/accounts/update_credentials", "/api/v1/accounts/update_credentials", userOnly),
		api("GET /api/v1/accounts/relationships", "/api/v1/accounts/relationships?id[]={victim}", userOnly),
		api("GET /api/v1/accounts/search", "/api/v1/accounts/search?q=victim", userOnly),
		api("GET /api/v1/accounts/lookup", "/api/v1/accounts/lookup?acct=victim", pub),
		api("GET /api/v1/accounts/:id", "/api/v1/accounts/{org}", pub),
		api("GET /api/v1/accounts/:id/statuses", "/api/v1/accounts/{org}/statuses", pub),
		api("GET /api/v1/accounts/:id/followers", "/api/v1/accounts/{org}/followers", pub),
		api("GET /api/v1/accounts/:id/following", "/api/v1/accounts/{org}/following", pub),
		api("GET /api/v1/accounts/:id/featured_tags", "/api/v1/accounts/{org}/featured_tags", pub),
		api("GET /api/v1/accounts/:id/lists", "/api/v1/accounts/{org}/lists", userOnly),
		api("POST /api/v1/accounts/:id/follow", "/api/v1/accounts/{victim}/follow", userOnly),
		api("POST /api/v1/accounts/:id/unfollow", "/api/v1/accounts/{victim}/unfollow", userOnly),
		api("GET /api/v1/follow_requests", "/api/v1/follow_requests", userOnly),
		api("POST /api/v1/follow_requests/:id/authorize", "/api/v1/follow_requests/{victim}/authorize", userOK),
		api("POST /api/v1/follow_requests/:id/reject", "/api/v1/follow_requests/{victim}/reject", userOK),

		// Mastodon admin API: admins and moderators only, whatever the token's scopes.
		api("GET /api/v1/admin/accounts", "/api/v1/admin/accounts", staffRead),
		api("GET /api/v1/admin/accounts/:id", "/api/v1/admin/accounts/{victim}", staffRead),
		api("POST /api/v1/admin/accounts/:id/action", "/api/v1/admin/accounts/{victim}/action", staffOK, `{"type":"none","text":"authz"}`),
		api("POST /api/v1/admin/accounts/:id/enable", "/api/v1/admin/accounts/{victim}/enable", staffOK),
		api("POST /api/v1/admin/accounts/:id/unsilence", "/api/v1/admin/accounts/{victim}/unsilence", staffOK),
		api("POST /api/v1/admin/accounts/:id/unsuspend", "/api/v1/admin/accounts/{victim}/unsuspend", staffOK),
		api("GET /api/v1/admin/reports", "/api/v1/admin/reports", staffRead),
		api("GET /api/v1/admin/reports/:id", "/api/v1/admin/reports/{report}", staffRead),
		api("POST /api/v1/admin/reports/:id/resolve", "/api/v1/admin/reports/{report}/resolve", staffOK),
		api("POST /api/v1/admin/reports/:id/reopen", "/api/v1/admin/reports/{report}/reopen", staffOK),
		api("GET /api/v1/admin/domain_blocks", "/api/v1/admin/domain_blocks", staffRead),
		api("GET /api/v1/admin/domain_blocks/:id", "/api/v1/admin/domain_blocks/{block}", staffRead),
		api("POST /api/v1/admin/domain_blocks", "/api/v1/admin/domain_blocks", staffOK, `{"domain":"blocked-by-table.example","severity":"silence"}`),
		api("PUT /api/v1/admin/domain_blocks/:id", "/api/v1/admin/domain_blocks/{block}", staffOK, `{"severity":"silence"}`),
		api("DELETE /api/v1/admin/domain_blocks/:id", "/api/v1/admin/domain_blocks/{block}", staffOK),
		api("GET /api/v1/admin/domain_allows", "/api/v1/admin/domain_allows", staffRead),
		api("GET /api/v1/admin/domain_allows/:id", "/api/v1/admin/domain_allows/{allow}", staffRead),
		api("POST /api/v1/admin/domain_allows", "/api/v1/admin/domain_allows", staffOK, `{"domain":"allowed-by-table.example"}`),
		api("DELETE /api/v1/admin/domain_allows/:id", "/api/v1/admin/domain_allows/{allow}", staffOK),
		api("POST /api/v1/reports", "/api/v1/reports", userOnly, `{"account_id":"{victim}","comment":"authz table"}`),

		// Instance and placeholders.
		api("GET /api/v1/instance", "/api/v1/instance", pub),
		api("GET /api/v1/instance/", "/api/v1/instance/", pub),
		api("GET /api/v2/instance", "/api/v2/instance", pub),
		api("GET /api/v2/instance/", "/api/v2/instance/", pub),
		api("GET /api/v1/instance/peers", "/api/v1/instance/peers", pub),
		api("GET /api/v1/instance/activity", "/api/v1/instance/activity", pub),
		api("GET /api/v1/instance/rules", "/api/v1/instance/rules", pub),
		api("GET /api/v1/instance/extended_description", "/api/v1/instance/extended_description", pub),
		api("GET /api/v1/custom_emojis", "/api/v1/custom_emojis", pub),
		api("GET /api/v1/trends", "/api/v1/trends", pub),
		api("GET /api/v1/trends/tags", "/api/v1/trends/tags", pub),
		api("GET /api/v1/trends/statuses", "/api/v1/trends/statuses", pub),
		api("GET /api/v1/trends/links", "/api/v1/trends/links", pub),
		api("GET /api/v1/preferences", "/api/v1/preferences", userOnly),
		api("GET /api/v1/markers", "/api/v1/markers?timeline[]=home", userOnly),
		api("POST /api/v1/markers", "/api/v1/markers", userOK, `{"home":{"last_read_id":"1"}}`),
		api("GET /api/v1/filters", "/api/v1/filters", userOnly),
		api("GET /api/v2/filters", "/api/v2/filters", userOnly),
		api("GET /api/v1/lists", "/api/v1/lists", userOnly),
		api("GET /api/v1/followed_tags", "/api/v1/followed_tags", userOnly),
		api("GET /api/v1/blocks", "/api/v1/blocks", userOnly),
		api("GET /api/v1/mutes", "/api/v1/mutes", userOnly),
		api("GET /api/v1/domain_blocks", "/api/v1/domain_blocks", userOnly),
		api("GET /api/v1/conversations", "/api/v1/conversations", userOnly),
		api("GET /api/v1/announcements", "/api/v1/announcements", userOnly),
		api("GET /api/v1/suggestions", "/api/v1/suggestions", userOnly),
		api("GET /api/v2/suggestions", "/api/v2/suggestions", userOnly),
		api("GET /api/v1/endorsements", "/api/v1/endorsements", userOnly),
		api("GET /api/v1/featured_tags", "/api/v1/featured_tags", userOnly),

		// Notifications: the member's own; nobody else's.
		api("GET /api/v1/notifications", "/api/v1/notifications", userOnly),
		owned(api("GET /api/v1/notifications/:id", "/api/v1/notifications/{notification}", access{w401, w2xx, wDeny, wDeny, wDeny}), member),
		owned(api("POST /api/v1/notifications/:id/dismiss", "/api/v1/notifications/{notification}/dismiss", access{w401, w2xx, wDeny, wDeny, wDeny}), member),
		api("POST /api/v1/notifications/clear", "/api/v1/notifications/clear", userOnly),

		// Search (the markers are searched for: what comes back is checked).
		api("GET /api/v2/search", "/api/v2/search?q=Confidential&resolve=true", pub),

		// Statuses.
		api("POST /api/v1/statuses", "/api/v1/statuses", userOnly, `{"status":"Hello from the authorisation table","visibility":"public"}`),
		api("GET /api/v1/statuses/:id", "/api/v1/statuses/{memberStatus}", pub),
		owned(api("PUT /api/v1/statuses/:id", "/api/v1/statuses/{memberStatus}", access{w401, w2xx, wDeny, wDeny, wDeny}, `{"status":"Edited by its author"}`), member),
		api("DELETE /api/v1/statuses/:id", "/api/v1/statuses/{adminStatus}", access{w401, wDeny, wDeny, wDeny, w2xx}),
		api("GET /api/v1/statuses/:id/context", "/api/v1/statuses/{memberStatus}/context", pub),
		api("GET /api/v1/statuses/:id/source", "/api/v1/statuses/{memberStatus}/source", userOK),
		api("GET /api/v1/statuses/:id/history", "/api/v1/statuses/{memberStatus}/history", pub),
		api("GET /api/v1/statuses/:id/favourited_by", "/api/v1/statuses/{clearStatus}/favourited_by", pub),
		api("GET /api/v1/statuses/:id/reblogged_by", "/api/v1/statuses/{clearStatus}/reblogged_by", pub),
		api("POST /api/v1/statuses/:id/favourite", "/api/v1/statuses/{clearStatus}/favourite", userOnly),
		api("POST /api/v1/statuses/:id/unfavourite", "/api/v1/statuses/{clearStatus}/unfavourite", userOnly),
		api("POST /api/v1/statuses/:id/reblog", "/api/v1/statuses/{clearStatus}/reblog", userOnly),
		api("POST /api/v1/statuses/:id/unreblog", "/api/v1/statuses/{clearStatus}/unreblog", userOnly),
		api("POST /api/v1/statuses/:id/bookmark", "/api/v1/statuses/{clearStatus}/bookmark", userOnly),
		api("POST /api/v1/statuses/:id/unbookmark", "/api/v1/statuses/{clearStatus}/unbookmark", userOnly),

		// Streaming: the websocket endpoint without an upgrade, the event streams.
		// (The upgrade is checked first: a plain GET learns nothing.)
		api("GET /api/v1/streaming", "/api/v1/streaming?stream=user", access{wUpgr, wUpgr, wUpgr, wUpgr, wUpgr}),
		api("GET /api/v1/streaming/", "/api/v1/streaming/?stream=public", access{wUpgr, wUpgr, wUpgr, wUpgr, wUpgr}),
		api("GET /api/v1/streaming/health", "/api/v1/streaming/health", pub),
		sse("GET /api/v1/streaming/public", "/api/v1/streaming/public", pub),
		sse("GET /api/v1/streaming/public/local", "/api/v1/streaming/public/local", pub),
		sse("GET /api/v1/streaming/public/remote", "/api/v1/streaming/public/remote", pub),
		sse("GET /api/v1/streaming/hashtag", "/api/v1/streaming/hashtag?tag=ke", pub),
		sse("GET /api/v1/streaming/hashtag/local", "/api/v1/streaming/hashtag/local?tag=ke", pub),
		sse("GET /api/v1/streaming/user", "/api/v1/streaming/user", userOnly),
		sse("GET /api/v1/streaming/user/notification", "/api/v1/streaming/user/notification", userOnly),
		api("OPTIONS /api/v1/streaming/public", "/api/v1/streaming/public", pub),
		api("OPTIONS /api/v1/streaming/public/local", "/api/v1/streaming/public/local", pub),
		api("OPTIONS /api/v1/streaming/public/remote", "/api/v1/streaming/public/remote", pub),
		api("OPTIONS /api/v1/streaming/hashtag", "/api/v1/streaming/hashtag", pub),
		api("OPTIONS /api/v1/streaming/hashtag/local", "/api/v1/streaming/hashtag/local", pub),
		api("OPTIONS /api/v1/streaming/user", "/api/v1/streaming/user", pub),
		api("OPTIONS /api/v1/streaming/user/notification", "/api/v1/streaming/user/notification", pub),

		// Timelines.
		api("GET /api/v1/timelines/home", "/api/v1/timelines/home", userOnly),
		api("GET /api/v1/timelines/public", "/api/v1/timelines/public", pub),
		api("GET /api/v1/timelines/tag/:hashtag", "/api/v1/timelines/tag/ke", pub),
		api("GET /api/v1/bookmarks", "/api/v1/bookmarks", userOnly),
		api("GET /api/v1/favourites", "/api/v1/favourites", userOnly),

		// Tocsin's alert API.
		api("GET /api/v1/tocsin/alerts", "/api/v1/tocsin/alerts", pub),
		api("GET /api/v1/tocsin/alerts/:id", "/api/v1/tocsin/alerts/{clearAlert}", pub),
		api("POST /api/v1/tocsin/alerts", "/api/v1/tocsin/alerts", orgWrite, alertJSON),
		api("PUT /api/v1/tocsin/alerts/:id", "/api/v1/tocsin/alerts/{clearAlert}", access{w401, w403, w2xx, w403, wOK}, alertJSON),
		api("POST /api/v1/tocsin/alerts/:id/resolve", "/api/v1/tocsin/alerts/{apiAlert}/resolve", access{w401, wDeny, w2xx, wDeny, wOK}, `{"as":"observers"}`),
		api("POST /api/v1/tocsin/alerts/:id/retract", "/api/v1/tocsin/alerts/{apiAlert}/retract", access{w401, wDeny, w2xx, wDeny, wOK}, `{"as":"observers"}`),
		api("GET /api/v1/tocsin/alerts/:id/sightings", "/api/v1/tocsin/alerts/{clearAlert}/sightings", pub),
		api("POST /api/v1/tocsin/alerts/:id/sightings", "/api/v1/tocsin/alerts/{clearAlert}/sightings", access{w401, w403, wOK, w403, wOK}, `{"as":"observers","verdict":"confirmed"}`),
		// Translations: offered and decided by an organisation.
		api("GET /api/v1/tocsin/alerts/:id/translations", "/api/v1/tocsin/alerts/{clearAlert}/translations?as=observers", orgOK),
		api("POST /api/v1/tocsin/alerts/:id/translations", "/api/v1/tocsin/alerts/{clearAlert}/translations", orgOK, `{"as":"observers","language":"fr","title":"Titre","content":"Texte."}`),
		api("POST /api/v1/tocsin/translations/:tid/accept", "/api/v1/tocsin/translations/nothing/accept", orgOK, `{"as":"observers"}`),
		api("POST /api/v1/tocsin/translations/:tid/reject", "/api/v1/tocsin/translations/nothing/reject", orgOK, `{"as":"observers"}`),
		api("GET /api/v1/tocsin/notes", "/api/v1/tocsin/notes", pub),
		api("POST /api/v1/tocsin/notes", "/api/v1/tocsin/notes", orgWrite, noteJSON),

		// Tocsin's moderation API.
		api("GET /api/v1/tocsin/review", "/api/v1/tocsin/review", staffRead),
		api("POST /api/v1/tocsin/review/:id/approve", "/api/v1/tocsin/review/1/approve", staffOK),
		api("POST /api/v1/tocsin/review/:id/reject", "/api/v1/tocsin/review/1/reject", staffOK),
		api("GET /api/v1/tocsin/trust/domains", "/api/v1/tocsin/trust/domains", staffRead),
		api("GET /api/v1/tocsin/trust/domains/:domain", "/api/v1/tocsin/trust/domains/peer.example", staffOK),
		api("PUT /api/v1/tocsin/trust/domains/:domain", "/api/v1/tocsin/trust/domains/peer.example", staffOK, `{"level":"review","reason":"authz table"}`),
		api("DELETE /api/v1/tocsin/trust/domains/:domain", "/api/v1/tocsin/trust/domains/peer.example", staffOK),
		api("GET /api/v1/tocsin/trust/actors", "/api/v1/tocsin/trust/actors", staffRead),
		api("PUT /api/v1/tocsin/trust/actors", "/api/v1/tocsin/trust/actors", staffOK, `{"actor":"https://peer.example/users/x","level":"review","reason":"authz table"}`),
		api("DELETE /api/v1/tocsin/trust/actors", "/api/v1/tocsin/trust/actors?actor=https://peer.example/users/x", staffOK),
		api("GET /api/v1/tocsin/rules", "/api/v1/tocsin/rules", staffRead),
		api("POST /api/v1/tocsin/rules", "/api/v1/tocsin/rules", staffOK, `{"pattern":"authz","action":"review","reason":"authz table"}`),
		api("DELETE /api/v1/tocsin/rules/:id", "/api/v1/tocsin/rules/1", staffOK),
		api("GET /api/v1/tocsin/audit", "/api/v1/tocsin/audit", staffRead),
		api("GET /api/v1/tocsin/trust/subscriptions", "/api/v1/tocsin/trust/subscriptions", staffRead),
		api("POST /api/v1/tocsin/trust/subscriptions", "/api/v1/tocsin/trust/subscriptions", staffOK, `{"mode":"sometimes"}`),
		api("GET /api/v1/tocsin/trust/subscriptions/:id", "/api/v1/tocsin/trust/subscriptions/nothing", staffOK),
		api("GET /api/v1/tocsin/trust/subscriptions/:id/preview", "/api/v1/tocsin/trust/subscriptions/nothing/preview", staffOK),
		api("POST /api/v1/tocsin/trust/subscriptions/:id/apply", "/api/v1/tocsin/trust/subscriptions/nothing/apply", staffOK),
		api("POST /api/v1/tocsin/trust/subscriptions/:id/refresh", "/api/v1/tocsin/trust/subscriptions/nothing/refresh", staffOK),
		api("DELETE /api/v1/tocsin/trust/subscriptions/:id", "/api/v1/tocsin/trust/subscriptions/nothing", staffOK),
		api("GET /api/v1/tocsin/federation", "/api/v1/tocsin/federation", staffRead),

		// What no API route claims.
		api("GET /api/*", "/api/v1/no_such_method", all404),
		api("HEAD /api/*", "/api/v1/no_such_method", all404),
		api("POST /api/*", "/api/v1/no_such_method", all404),
		api("PUT /api/*", "/api/v1/no_such_method", all404),
		api("PATCH /api/*", "/api/v1/no_such_method", all404),
		api("DELETE /api/*", "/api/v1/no_such_method", all404),
		api("OPTIONS /api/*", "/api/v1/no_such_method", all404),
		api("TRACE /api/*", "/api/v1/no_such_method", all404),
		api("PROPFIND /api/*", "/api/v1/no_such_method", all404),
		api("REPORT /api/*", "/api/v1/no_such_method", all404),
		api("CONNECT /api/*", "/api/v1/no_such_method", all404),

		// Public web pages and feeds.
		web("GET /", "/", webPub),
		web("GET /alerts", "/alerts", webPub),
		web("GET /alerts.atom", "/alerts.atom", webPub),
		web("GET /alerts.rss", "/alerts.rss", webPub),
		web("GET /alerts/:id", "/alerts/{clearAlert}", webPub),
		web("GET /notes", "/notes", webPub),
		web("GET /notes/:id", "/notes/{note}", webPub),
		web("GET /users/:username/alerts.atom", "/users/observers/alerts.atom", webPub),
		web("GET /users/:username/alerts.rss", "/users/observers/alerts.rss", webPub),
		web("GET /@:username", "/@observers", webPub),
		web("GET /assets/*", "/assets/tocsin.css", webPub),
		web("echo_route_not_found /*", "/no/such/page", all404),

		// Signing in and out.
		web("GET /signin", "/signin", webPub),
		web("POST /signin", "/signin", access{wOK, wOK, wOK, wOK, wOK}, "login=nobody&password=wrong"),
		web("POST /signout", "/signout", webPub),

		// Publishing from the web.
		web("GET /compose/alert", "/compose/alert", webOrg),
		web("POST /compose/alert", "/compose/alert", webOrg, alertForm),
		web("GET /compose/alert/:id", "/compose/alert/{clearAlert}", webOrgOwn),
		web("POST /compose/alert/:id", "/compose/alert/{clearAlert}", access{wSign, wDeny, w2xx, wDeny, wOK}, alertForm),
		web("POST /compose/alert/:id/resolve", "/compose/alert/{webAlert}/resolve", access{wSign, wDeny, w2xx, wDeny, wOK}),
		web("POST /compose/alert/:id/retract", "/compose/alert/{webAlert}/retract", access{wSign, wDeny, w2xx, wDeny, wOK}),
		web("GET /compose/note", "/compose/note", webOrg),
		web("POST /compose/note", "/compose/note", webOrg, noteForm),

		// Settings.
		web("GET /settings", "/settings", webUser),
		web("POST /settings/profile", "/settings/profile", webUser, "display_name=Table&note=Hi"),
		web("POST /settings/password", "/settings/password", webUserOK, "current_password=wrong&new_password=x&confirm_password=y"),

		// The admin console.
		web("GET /admin", "/admin", webStaff),
		web("GET /admin/review", "/admin/review", webStaff),
		web("POST /admin/review/:id/approve", "/admin/review/1/approve", webStaffK),
		web("POST /admin/review/:id/reject", "/admin/review/1/reject", webStaffK, "reason=authz"),
		web("GET /admin/reports", "/admin/reports?all=1", webStaff),
		web("POST /admin/reports/:id/resolve", "/admin/reports/{report}/resolve", webStaffK, "action=none&reason=authz"),
		web("GET /admin/domains", "/admin/domains", webStaff),
		web("POST /admin/domains", "/admin/domains", webStaffK, "domain=web-table.example&level=review&reason=authz"),
		web("POST /admin/domains/clear", "/admin/domains/clear", webStaffK, "domain=web-table.example&reason=authz"),
		web("POST /admin/domains/subscriptions/:id/apply", "/admin/domains/subscriptions/nothing/apply", webStaffK),
		web("GET /admin/peers", "/admin/peers", webStaff),
		web("GET /admin/accounts", "/admin/accounts", webAdmin),
		web("POST /admin/accounts", "/admin/accounts", webAdminK, "username=&kind=person&role=member"),
		web("POST /admin/accounts/grant", "/admin/accounts/grant", webAdminK, "publisher=victim&organization=otherorg&op=revoke"),
		web("POST /admin/accounts/:username/disable", "/admin/accounts/victim/disable", webAdmin),
		web("POST /admin/accounts/:username/enable", "/admin/accounts/victim/enable", webAdmin),
		web("GET /admin/circles", "/admin/circles", webStaff),
		web("POST /admin/circles", "/admin/circles", webAdminK, "name=tablecircle&members=otherorg@{domain}"),
		web("POST /admin/circles/delete", "/admin/circles/delete", webAdminK, "name=tablecircle"),
		web("GET /admin/audit", "/admin/audit", webStaff),
	}
	return rows
}

// authzFixtures are the ids the table's paths name.
func authzFixtures(t *testing.T, w *secWorld) map[string]string {
	t.Helper()
	s := w.srv
	f := map[string]string{"domain": s.Domain, "base": s.URL}
	jsonID := func(r response) string {
		t.Helper()
		if r.status != http.StatusOK {
			t.Fatalf("fixture: %d %s", r.status, r.body)
		}
		return r.json(t)["id"].(string)
	}
	f["victim"] = jsonID(w.apiCall(http.MethodGet, "/api/v1/accounts/lookup?acct=victim", "", nil))
	f["org"] = jsonID(w.apiCall(http.MethodGet, "/api/v1/accounts/lookup?acct=observers", "", nil))
	f["memberStatus"] = jsonID(w.apiCall(http.MethodPost, "/api/v1/statuses", w.tokens[member], map[string]any{"status": "Member's public post", "visibility": "public"}))
	f["adminStatus"] = jsonID(w.apiCall(http.MethodPost, "/api/v1/statuses", w.tokens[admin], map[string]any{"status": "Admin's public post", "visibility": "public"}))
	f["clearStatus"] = orgStatusID(t, s, w.clear.IRI)
	f["clearAlert"] = w.clear.Seq
	f["clearObject"] = strings.TrimPrefix(w.clear.IRI, s.URL)
	// The admin favourites the member's post: the member's notification.
	if r := w.apiCall(http.MethodPost, "/api/v1/statuses/"+f["memberStatus"]+"/favourite", w.tokens[admin], nil); r.status != http.StatusOK {
		t.Fatalf("favourite: %d %s", r.status, r.body)
	}
	var notes []map[string]any
	nr := w.apiCall(http.MethodGet, "/api/v1/notifications", w.tokens[member], nil)
	if err := json.Unmarshal([]byte(nr.body), &notes); err != nil || len(notes) == 0 {
		t.Fatalf("the member has no notification: %s", nr.body)
	}
	f["notification"] = notes[0]["id"].(string)
	f["report"] = jsonID(w.apiCall(http.MethodPost, "/api/v1/reports", w.tokens[member], map[string]any{"account_id": f["victim"], "comment": "fixture"}))
	f["block"] = jsonID(w.apiCall(http.MethodPost, "/api/v1/admin/domain_blocks", w.tokens[admin], map[string]any{"domain": "blocked.example", "severity": "silence"}))
	f["allow"] = jsonID(w.apiCall(http.MethodPost, "/api/v1/admin/domain_allows", w.tokens[admin], map[string]any{"domain": "allowed.example"}))
	org, err := s.Accounts.Get(w.ctx, "observers")
	if err != nil {
		t.Fatal(err)
	}
	editor, err := s.Accounts.Get(w.ctx, "editor")
	if err != nil {
		t.Fatal(err)
	}
	au := publish.Author{Org: org, Person: editor}
	for _, k := range []string{"apiAlert", "webAlert"} {
		rec, err := s.Publish.CreateAlert(w.ctx, au, alert.Alert{Title: "Transition " + k, Body: "B.", Severity: "minor",
			Confidence: "likely", Category: "other", Countries: []string{"KE"}, TLP: w.clear.Alert.TLP, Language: "en"})
		if err != nil {
			t.Fatal(err)
		}
		f[k] = rec.Seq
	}
	note, err := s.Publish.CreateNote(w.ctx, au, alert.PracticeNote{Title: "Table note", Summary: "S.", Body: "B.",
		Topics: []string{"verification"}, Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	f["note"] = note.Seq
	app := w.registerApp("read", "urn:ietf:wg:oauth:2.0:oob")
	f["clientID"] = app.ClientID
	return f
}

func fill(s string, f map[string]string) string {
	for k, v := range f {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}

// authzResult is one call's outcome.
type authzResult struct {
	status   int
	location string
	body     string
	header   http.Header
}

// call sends row's request as p. csrf is the form token to send on a web
// form ("" for none); header adds request headers.
func (w *secWorld) call(t *testing.T, r authzRow, f map[string]string, p principal, csrf string, header ...string) authzResult {
	t.Helper()
	method, _, _ := strings.Cut(r.route, " ")
	if method == "echo_route_not_found" {
		method = http.MethodGet
	}
	body := fill(r.body, f)
	contentType := ""
	switch {
	case r.kind == apRoute && body != "":
		contentType = "application/activity+json"
	case strings.HasPrefix(body, "{"):
		contentType = "application/json"
	case body != "" || (r.kind == webRoute && method == http.MethodPost):
		contentType = "application/x-www-form-urlencoded"
		if r.kind == webRoute && csrf != "" {
			if body != "" {
				body += "&"
			}
			body += "authenticity_token=" + url.QueryEscape(csrf)
		}
	}
	ctx, cancel := context.WithTimeout(w.ctx, 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, w.srv.URL+fill(r.path, f), bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	switch r.kind {
	case apiRoute:
		req.Header.Set("Accept", "application/json")
		if p != anon {
			req.Header.Set("Authorization", "Bearer "+w.tokens[p])
		} else {
			// Anonymous, but holding the admin's web session: the API
			// must not take cookies as credentials (they would make it
			// open to cross-site requests).
			for _, c := range w.sessions[admin] {
				req.AddCookie(c)
			}
		}
	case apRoute:
		req.Header.Set("Accept", "application/activity+json")
	case webRoute:
		req.Header.Set("Accept", browserAccept)
		if p != anon {
			for _, c := range w.sessions[p] {
				req.AddCookie(c)
			}
		} else {
			// Anonymous, but holding the admin's bearer token: the web
			// pages go by the session only. A CSRF cookie of its own
			// lets the form reach the sign-in check.
			req.Header.Set("Authorization", "Bearer "+w.tokens[admin])
			req.AddCookie(&http.Cookie{Name: "tocsin_web_csrf", Value: "anonymous-csrf-token-0123456789"})
		}
		// The authorisation page's form has its own CSRF cookie.
		req.AddCookie(&http.Cookie{Name: "tocsin_csrf", Value: csrfCookieValue(w, p)})
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s as %s: %v", method, req.URL, p, err)
	}
	defer resp.Body.Close()
	var b []byte
	if r.sse && resp.StatusCode == http.StatusOK {
		cancel() // an event stream: the headers are the answer
	} else {
		b, _ = io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	}
	return authzResult{resp.StatusCode, resp.Header.Get("Location"), string(b), resp.Header}
}

func csrfCookieValue(w *secWorld, p principal) string {
	if p == anon {
		return "anonymous-csrf-token-0123456789"
	}
	return w.csrf[p]
}

// check reports whether res is what wt asks, and why not.
func (wt want) check(method string, res authzResult) (bool, string) {
	toSignIn := res.status == http.StatusSeeOther && strings.HasPrefix(res.location, "/signin")
	s := res.status
	switch wt {
	case w2xx:
		return s >= 200 && s < 400 && !toSignIn, "want 2xx"
	case wOK:
		return s < 500 && s != 401 && s != 403 && !toSignIn, "want the handler to run (not 401/403/sign-in/5xx)"
	case w401:
		return s == 401, "want 401"
	case w403:
		return s == 403, "want 403"
	case w404:
		return s == 404, "want 404"
	case w4xx:
		return s >= 400 && s < 500, "want 4xx"
	case wDeny:
		return s == 403 || s == 404, "want 403 or 404"
	case wSign:
		if method == http.MethodGet {
			return toSignIn, "want a redirect to /signin"
		}
		return s == 401, "want 401 (not signed in)"
	case wUpgr:
		return s == http.StatusUpgradeRequired, "want 426"
	}
	return false, "no expectation"
}

func TestAuthorisationTableCoversEveryRoute(t *testing.T) {
	w := newSecWorld(t, withMetrics("127.0.0.2"))
	f := authzFixtures(t, w)
	e := w.srv.HTTP.Handler().(*echo.Echo)

	rows := authzTable()
	byRoute := map[string]authzRow{}
	for _, r := range rows {
		if _, dup := byRoute[r.route]; dup {
			t.Errorf("two rows for %s", r.route)
		}
		byRoute[r.route] = r
	}
	registered := map[string]bool{}
	for _, rt := range e.Routes() {
		key := rt.Method + " " + rt.Path
		registered[key] = true
		if _, ok := byRoute[key]; !ok {
			t.Errorf("route %s (%s) has no row in the authorisation table: add one", key, rt.Name)
		}
		if strings.Contains(rt.Path, "metrics") {
			t.Errorf("route %s on the public listener: metrics must be served on their own address only", key)
		}
	}
	for _, r := range rows {
		if !registered[r.route] {
			t.Errorf("row %s names no registered route", r.route)
		}
	}

	// Reads before writes, and deletions last, so that a write does not
	// take away what a later read names.
	order := map[string]int{"GET": 0, "HEAD": 0, "OPTIONS": 0, "PUT": 1, "PATCH": 1, "POST": 1, "DELETE": 2}
	sort.SliceStable(rows, func(i, j int) bool {
		mi, _, _ := strings.Cut(rows[i].route, " ")
		mj, _, _ := strings.Cut(rows[j].route, " ")
		return order[mi] < order[mj]
	})
	calls := 0
	for _, r := range rows {
		if !registered[r.route] {
			continue
		}
		method, _, _ := strings.Cut(r.route, " ")
		order := slices.Clone(principals)
		if r.owner != "" {
			order = append(slices.DeleteFunc(order, func(p principal) bool { return p == r.owner }), r.owner)
		}
		for _, p := range order {
			wt := r.access[slices.Index(principals, p)]
			csrf := ""
			if r.kind == webRoute {
				csrf = csrfCookieValue(w, p)
			}
			res := w.call(t, r, f, p, csrf)
			calls++
			if ok, why := wt.check(method, res); !ok {
				t.Errorf("%s as %s: %d (location %q), %s\n%.300s", r.route, p, res.status, res.location, why, res.body)
			}
			if res.status >= 200 && res.status < 300 {
				w.checkNoLeak(t, r.route, p, res.body)
			}
			if strings.HasPrefix(res.header.Get("Content-Type"), "text/html") && !strings.Contains(res.header.Get("Content-Security-Policy"), "default-src") {
				t.Errorf("%s as %s: an HTML answer (%d) without a Content-Security-Policy", r.route, p, res.status)
			}
		}
		// Every state-changing web form refuses, even for the admin, a
		// missing token, a wrong token and a post from another site.
		if r.kind == webRoute && method == http.MethodPost {
			for _, v := range []struct {
				name   string
				csrf   string
				header []string
			}{
				{"no CSRF token", "", nil},
				{"a wrong CSRF token", "not-the-token", nil},
				{"a cross-site post", w.csrf[admin], []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}},
				{"a same-site post from another origin", "", []string{"Sec-Fetch-Site", "same-site", "Origin", "https://sub." + w.srv.Domain}},
			} {
				res := w.call(t, r, f, admin, v.csrf, v.header...)
				calls++
				if res.status != http.StatusForbidden {
					t.Errorf("%s as admin with %s: %d, want 403\n%.300s", r.route, v.name, res.status, res.body)
				}
			}
		}
	}

	// A member who asks for the admin scopes: whether the grant drops them
	// or not, the staff routes refuse the member (the role is checked on
	// every request, not only when the token is issued).
	app := w.registerApp("read write admin:read admin:write", "urn:ietf:wg:oauth:2.0:oob")
	tr := w.postForm("/oauth/token", url.Values{"grant_type": {"password"}, "client_id": {app.ClientID},
		"client_secret": {app.ClientSecret}, "username": {"reader"}, "password": {cluster.Password},
		"scope": {"read write admin:read admin:write"}})
	if tr.status != http.StatusOK && (tr.status < 400 || tr.status >= 500 || !strings.Contains(tr.body, "invalid_scope")) {
		t.Errorf("a member asking for admin scopes: %d %s, want the grant or an invalid_scope refusal", tr.status, tr.body)
	}
	if tr.status == http.StatusOK {
		plain := w.tokens[member]
		w.tokens[member] = tr.json(t)["access_token"].(string)
		for _, r := range rows {
			if !registered[r.route] || r.kind != apiRoute || (r.access != staffRead && r.access != staffOK) {
				continue
			}
			method, _, _ := strings.Cut(r.route, " ")
			res := w.call(t, r, f, member, "")
			calls++
			if ok, _ := w403.check(method, res); !ok {
				t.Errorf("%s as a member whose token asked for admin scopes: %d, want 403", r.route, res.status)
			}
		}
		w.tokens[member] = plain
	}

	// The staff-only markers are there for the staff (so their absence
	// elsewhere means something).
	if res := w.call(t, web("GET /admin/domains", "/admin/domains", webStaff), f, admin, ""); !strings.Contains(res.body, modNoteMarker) {
		t.Errorf("the admin console does not show the moderator's private note (%d)", res.status)
	}
	if res := w.call(t, api("GET /api/v1/admin/reports", "/api/v1/admin/reports", staffRead), f, moderator, ""); !strings.Contains(res.body, reportMarker) {
		t.Errorf("the moderation API does not show the member's report (%d)", res.status)
	}

	// A moderator disabled after signing in: their token and web session
	// are worth nothing any more. Every read that needs credentials
	// answers as it does to anonymous, and what is public shows no more
	// than it shows anonymous.
	if _, err := w.srv.Accounts.SetDisabled(w.ctx, principalUser[moderator], true); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		method, _, _ := strings.Cut(r.route, " ")
		if !registered[r.route] || (method != http.MethodGet && method != "echo_route_not_found") || r.sse {
			continue
		}
		res := w.call(t, r, f, moderator, csrfCookieValue(w, moderator))
		calls++
		switch r.access[0] {
		case w401, wSign:
			if ok, why := r.access[0].check(http.MethodGet, res); !ok {
				t.Errorf("%s as a disabled moderator: %d (location %q), %s", r.route, res.status, res.location, why)
			}
		default:
			if res.status >= 200 && res.status < 300 {
				w.checkNoLeak(t, r.route+" (disabled moderator)", anon, res.body)
			}
		}
	}

	// Metrics: served on their own listener, never on the public one.
	if res := w.call(t, api("GET /metrics", "/metrics", all404), f, admin, ""); res.status != http.StatusNotFound {
		t.Errorf("GET /metrics on the public listener: %d", res.status)
	}
	if ma := w.srv.MetricsAddr(); ma == "" || ma == w.srv.Domain {
		t.Errorf("metrics address %q, public %q", ma, w.srv.Domain)
	}
	t.Logf("authorisation table: %d routes, %d rows, %d calls", len(registered), len(rows), calls)
	if len(registered) < 200 {
		t.Errorf("only %d routes registered: is the instance wired as in production?", len(registered))
	}
}

// TestModeratorsCannotSuspendAdminsThroughReports: a moderator may not
// take an admin's (or their own) account away, whether by the account
// action or by resolving a report about it with "suspend", in the API or
// in the console.
func TestModeratorsCannotSuspendAdminsThroughReports(t *testing.T) {
	w := newSecWorld(t)
	rootID, modID := w.accountID("root"), w.accountID("mod")
	report := func(target string) string {
		t.Helper()
		r := w.apiCall(http.MethodPost, "/api/v1/reports", w.tokens[member], map[string]any{"account_id": target, "comment": "takeover"})
		if r.status != http.StatusOK {
			t.Fatalf("report: %d %s", r.status, r.body)
		}
		return r.json(t)["id"].(string)
	}
	for _, target := range []struct{ name, id string }{{"root", rootID}, {"mod", modID}} {
		if r := w.apiCall(http.MethodPost, "/api/v1/admin/accounts/"+target.id+"/action", w.tokens[moderator], map[string]any{"type": "suspend"}); r.status < 400 {
			t.Errorf("moderator suspends %s by the account action: %d", target.name, r.status)
		}
		id := report(target.id)
		if r := w.apiCall(http.MethodPost, "/api/v1/admin/reports/"+id+"/resolve", w.tokens[moderator], map[string]any{"action": "suspend"}); r.status < 400 {
			t.Errorf("moderator suspends %s by resolving a report in the API: %d", target.name, r.status)
		}
		mb := newBrowser(t, w.srv.URL)
		mb.signIn("mod")
		res := mb.submit("/admin/reports", "/admin/reports/"+id+"/resolve", url.Values{"action": {"suspend"}, "reason": {"takeover"}})
		if res.status < 400 {
			t.Errorf("moderator suspends %s by resolving a report in the console: %d", target.name, res.status)
		}
		if a, err := w.srv.Accounts.Get(w.ctx, target.name); err != nil || a.Disabled {
			t.Fatalf("%s was disabled by a moderator (err %v)", target.name, err)
		}
	}
	// An admin may.
	id := report(modID)
	ab := newBrowser(t, w.srv.URL)
	ab.signIn("root")
	if res := ab.submit("/admin/reports", "/admin/reports/"+id+"/resolve", url.Values{"action": {"suspend"}, "reason": {"abuse"}}); res.status != http.StatusSeeOther {
		t.Errorf("admin suspends a moderator through a report: %d", res.status)
	}
	if a, err := w.srv.Accounts.Get(w.ctx, "mod"); err != nil || !a.Disabled {
		t.Errorf("the admin's suspension did not disable the moderator (err %v)", err)
	}
}

// TestPublishersActOnlyForTheirOrganisations: the publisher of one
// organisation can neither publish as another nor edit, resolve or retract
// another's alerts, through the API or the forms.
func TestPublishersActOnlyForTheirOrganisations(t *testing.T) {
	w := newSecWorld(t)
	other, err := w.srv.Accounts.Get(w.ctx, "otherorg")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := w.srv.Publish.CreateAlert(w.ctx, publishAuthor(other), alertFor("Other organisation's alert", tlp.Clear))
	if err != nil {
		t.Fatal(err)
	}
	body := func(as string) map[string]any {
		return map[string]any{"as": as, "title": "Hijacked", "body": "B.", "severity": "minor", "category": "other", "countries": []string{"KE"}, "tlp": "CLEAR"}
	}
	for _, as := range []string{"observers", "otherorg", ""} {
		for _, c := range []struct{ method, path string }{
			{http.MethodPut, "/api/v1/tocsin/alerts/" + rec.Seq},
			{http.MethodPost, "/api/v1/tocsin/alerts/" + rec.Seq + "/resolve"},
			{http.MethodPost, "/api/v1/tocsin/alerts/" + rec.Seq + "/retract"},
		} {
			if r := w.apiCall(c.method, c.path, w.tokens[publisher], body(as)); r.status != http.StatusForbidden && r.status != http.StatusNotFound {
				t.Errorf("%s %s as %q by observers' publisher: %d %s", c.method, c.path, as, r.status, r.body)
			}
		}
	}
	if r := w.apiCall(http.MethodPost, "/api/v1/tocsin/alerts", w.tokens[publisher], body("otherorg")); r.status != http.StatusForbidden {
		t.Errorf("publishing as another organisation: %d %s", r.status, r.body)
	}
	ed := newBrowser(t, w.srv.URL)
	ed.signIn("editor")
	if r := ed.get("/compose/alert/" + rec.Seq); r.status != http.StatusForbidden && r.status != http.StatusNotFound {
		t.Errorf("edit form of another organisation's alert: %d", r.status)
	}
	for _, action := range []string{"", "/resolve", "/retract"} {
		vals := url.Values{"authenticity_token": {w.csrf[publisher]}, "as": {"otherorg"}, "title": {"Hijacked"}, "body": {"B."},
			"severity": {"minor"}, "confidence": {"likely"}, "category": {"other"}, "countries": {"KE"}, "tlp": {"CLEAR"}, "language": {"en"}}
		res := w.call(t, web("POST /compose/alert/:id", "/compose/alert/"+rec.Seq+action, webOrgOwn, vals.Encode()), nil, publisher, "")
		if res.status != http.StatusForbidden && res.status != http.StatusNotFound {
			t.Errorf("POST /compose/alert/:id%s on another organisation's alert: %d", action, res.status)
		}
	}
	if got, err := w.srv.Publish.GetAlert(w.ctx, rec.IRI); err != nil || got.Alert.Title != "Other organisation's alert" || got.Alert.Status != "active" {
		t.Errorf("the other organisation's alert changed: %+v %v", got, err)
	}
}
