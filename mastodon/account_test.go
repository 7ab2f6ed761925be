package mastodon

import (
	"strings"
	"testing"

	"github.com/tocsin-network/tocsin/store"
)

func TestLocalAccountActIsTheBareUsername(t *testing.T) {
	a := conv.LocalAccount(elog(), AccountCounts{Statuses: 4, Followers: 2, Following: 1, LastStatusAt: fixedNow})
	want := Account{ID: "01J9Z2Q7X6A0B1C2D3E4F5G6H7", Username: "elog", Acct: "elog", URL: base + "/@elog", URI: base + "/users/elog"}
	if a.ID != want.ID || a.Username != want.Username || a.Acct != want.Acct || a.URL != want.URL || a.URI != want.URI {
		t.Errorf("got %s %s %s %s %s", a.ID, a.Username, a.Acct, a.URL, a.URI)
	}
	if a.Avatar != base+DefaultAvatarPath || a.AvatarStatic != a.Avatar || a.Header != base+DefaultHeaderPath {
		t.Errorf("avatar %s header %s: want the static defaults", a.Avatar, a.Header)
	}
	if !a.Locked || a.Bot || a.Group || a.Discoverable == nil || !*a.Discoverable {
		t.Errorf("locked %v bot %v group %v discoverable %v", a.Locked, a.Bot, a.Group, a.Discoverable)
	}
	if a.CreatedAt != "2026-01-15T00:00:00.000Z" || str(a.LastStatusAt) != "2027-08-03" {
		t.Errorf("created_at %s last_status_at %s", a.CreatedAt, str(a.LastStatusAt))
	}
	if a.DisplayName != "Election Observers <League>" {
		t.Errorf("display_name = %q", a.DisplayName)
	}
	if !strings.HasPrefix(a.Note, `<p>We watch elections. <a href="https://elog.example" rel="nofollow noreferrer noopener" target="_blank">`) {
		t.Errorf("note = %q", a.Note)
	}
	if a.StatusesCount != 4 || a.FollowersCount != 2 || a.FollowingCount != 1 {
		t.Errorf("counts %d %d %d", a.StatusesCount, a.FollowersCount, a.FollowingCount)
	}
	if never := conv.LocalAccount(elog(), AccountCounts{}); never.LastStatusAt != nil {
		t.Errorf("last_status_at without statuses = %s, want null", str(never.LastStatusAt))
	}
}

func TestCredentialAccountCarriesSource(t *testing.T) {
	a := elog()
	a.Role = "admin"
	c := conv.CredentialAccount(a, AccountCounts{}, SourceOptions{Language: "fr-CI", FollowRequestsCount: 3})
	s := c.Source
	if s.Privacy != "public" || s.Language != "fr" || s.FollowRequestsCount != 3 || s.Note != "We watch elections. elog.example" {
		t.Errorf("source = %+v", s)
	}
	if c.Role.Permissions != "1" || c.Acct != "elog" {
		t.Errorf("role %+v acct %s", c.Role, c.Acct)
	}
}

func TestRemoteAcctKeepsANonDefaultPort(t *testing.T) {
	for _, tt := range []struct{ iri, want string }{
		{"https://peer.example:3001/users/alice", "alice@peer.example:3001"},
		{"http://127.0.0.1:8080/users/alice", "alice@127.0.0.1:8080"},
		{"https://Peer.Example:443/users/alice", "alice@peer.example"},
		{"http://peer.example:80/users/alice", "alice@peer.example"},
		{"https://peer.example/users/alice", "alice@peer.example"},
	} {
		r := &store.RemoteActor{IRI: tt.iri, Type: "Person", PreferredUsername: "alice", FetchedAt: fixedNow}
		a := conv.RemoteAccount(r, AccountCounts{})
		if a.Acct != tt.want || a.Username != "alice" {
			t.Errorf("%s: acct = %q, want %q", tt.iri, a.Acct, tt.want)
		}
		if a.URL != tt.iri || a.Avatar != base+DefaultAvatarPath {
			t.Errorf("%s: url %s avatar %s", tt.iri, a.URL, a.Avatar)
		}
	}
}

func TestRemoteAccountFromARealActor(t *testing.T) {
	a := conv.RemoteAccount(remoteActor(t, "mastodon-actor-person.json"), AccountCounts{})
	if a.ID != RemoteAccountID("https://masto.qa.urbanwildlife.biz/users/mastodon") || !IsRemoteAccountID(a.ID) {
		t.Errorf("id = %s", a.ID)
	}
	if a.Acct != "mastodon@masto.qa.urbanwildlife.biz" || a.URL != "https://masto.qa.urbanwildlife.biz/@mastodon" || a.DisplayName != "Mastodon" {
		t.Errorf("acct %s url %s name %s", a.Acct, a.URL, a.DisplayName)
	}
	if a.Avatar != "https://masto.qa.urbanwildlife.biz/system/accounts/avatars/109/105/103/301/739/269/original/2cf61ff96e94cb1d.png" {
		t.Errorf("avatar = %s", a.Avatar)
	}
	if a.CreatedAt != "2022-10-03T00:00:00.000Z" || a.Discoverable == nil || *a.Discoverable {
		t.Errorf("created_at %s discoverable %v", a.CreatedAt, a.Discoverable)
	}

	g := conv.RemoteAccount(remoteActor(t, "gotosocial-actor-person-propertyvalue.json"), AccountCounts{})
	if g.Acct != "1happyturtle@example.org" || !g.Locked || g.Note != "<p>i post about things that concern me</p>" {
		t.Errorf("acct %s locked %v note %q", g.Acct, g.Locked, g.Note)
	}
	if len(g.Fields) != 2 || g.Fields[0] != (Field{Name: "should you follow me?", Value: "maybe!"}) {
		t.Errorf("fields = %+v", g.Fields)
	}
	// No published: the day it was fetched.
	if g.CreatedAt != "2027-08-03T00:00:00.000Z" {
		t.Errorf("created_at = %s", g.CreatedAt)
	}

	proxied := *conv
	proxied.ProxyMedia = func(u string) string { return base + "/media/proxy?url=" + u }
	p := proxied.RemoteAccount(remoteActor(t, "mastodon-actor-person.json"), AccountCounts{})
	if !strings.HasPrefix(p.Avatar, base+"/media/proxy?url=https://masto.qa") || p.Header != base+DefaultHeaderPath {
		t.Errorf("proxied avatar %s header %s", p.Avatar, p.Header)
	}
}

func TestRemoteAccountIDs(t *testing.T) {
	a, b := RemoteAccountID("https://peer.example/users/alice"), RemoteAccountID("https://peer.example/users/alicf")
	if a == b || len(a) != 26 || a != RemoteAccountID("https://peer.example/users/alice") {
		t.Errorf("ids %s %s: want stable, distinct, 26 characters", a, b)
	}
	if IsRemoteAccountID(elog().ID) || !IsRemoteAccountID(a) {
		t.Errorf("IsRemoteAccountID confuses local and remote IDs")
	}
}

func TestRelationshipFromFollowsBothWays(t *testing.T) {
	acc, pend := &store.Follow{State: store.FollowAccepted}, &store.Follow{State: store.FollowPending}
	for _, tt := range []struct {
		name                                          string
		out, in                                       *store.Follow
		following, requested, followedBy, requestedBy bool
	}{
		{"none", nil, nil, false, false, false, false},
		{"mutual", acc, acc, true, false, true, false},
		{"we asked", pend, nil, false, true, false, false},
		{"they asked", nil, pend, false, false, false, true},
		{"they follow, we asked", pend, acc, false, true, true, false},
	} {
		r := conv.Relationship("R1", tt.out, tt.in, RelationshipExtras{Blocking: true})
		if r.Following != tt.following || r.Requested != tt.requested || r.FollowedBy != tt.followedBy || r.RequestedBy != tt.requestedBy || !r.Blocking || r.ID != "R1" {
			t.Errorf("%s: %+v", tt.name, r)
		}
	}
}

func TestPlainLocalSummaryBecomesAParagraph(t *testing.T) {
	a := elog()
	a.Summary = "Observers & friends\nsince 2026"
	if got := conv.LocalAccount(a, AccountCounts{}).Note; got != "<p>Observers &amp; friends<br>since 2026</p>" {
		t.Errorf("note = %q", got)
	}
}
