package mastodon

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/tocsin-network/tocsin/store"
)

// A peer's account and a reply of theirs, every documented field filled.
func sampleRemoteAccount(t *testing.T) Account {
	return conv.RemoteAccount(remoteActor(t, "gotosocial-actor-person-propertyvalue.json"),
		AccountCounts{Statuses: 12, Followers: 3, Following: 4, LastStatusAt: fixedNow})
}

func sampleStatus(t *testing.T) Status {
	t.Helper()
	o := object(t, "create-note-reply-mention-contentmap.json", "01J9Z3A0000000000000000001")
	s, err := conv.Status(o, sampleRemoteAccount(t), StatusOptions{
		InReplyTo: &StatusRef{ID: "01J9Z39ZZZZZZZZZZZZZZZZZZZ", AccountID: RemoteAccountID("https://mamot.fr/users/retiolus")},
		Counts:    StatusCounts{Replies: 1, Reblogs: 2, Favourites: 3},
		Viewer:    &ViewerState{Favourited: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestEntitiesHaveEveryDocumentedField compares what we emit with the
// example of each entity's documentation page: every key it has, with the
// same JSON type.
func TestEntitiesHaveEveryDocumentedField(t *testing.T) {
	info := InstanceInfo{
		Title: "Tocsin", Description: "Electoral-integrity alerts", ContactEmail: "admins@tocsin.example",
		Languages: []string{"en", "fr-CI"}, Rules: []Rule{{ID: "1", Text: "No disinformation", Hint: "Cite sources."}},
		UserCount: 10, ActiveMonth: 7, StatusCount: 120, DomainCount: 9, VapidKey: "BKey=",
	}
	local := conv.LocalAccount(elog(), AccountCounts{Statuses: 5, LastStatusAt: fixedNow})
	info.ContactAccount = &local

	tests := []struct {
		name, file string
		got        func(t *testing.T) any
		rules      shapeRules
	}{
		{"Account", "account.json", func(t *testing.T) any { return sampleRemoteAccount(t) },
			shapeRules{nullable: []string{"fields[].verified_at"}}},
		{"CredentialAccount", "credential_account.jsonc", func(t *testing.T) any {
			return conv.CredentialAccount(elog(), AccountCounts{}, SourceOptions{Language: "en", FollowRequestsCount: 2})
		}, shapeRules{}},
		{"Status", "status.json", func(t *testing.T) any { return sampleStatus(t) },
			shapeRules{nullable: []string{"card", "application", "account.fields[].verified_at"}}},
		{"Relationship", "relationship.json", func(t *testing.T) any {
			return conv.Relationship("1", &store.Follow{State: store.FollowAccepted}, nil, RelationshipExtras{})
		}, shapeRules{}},
		{"Notification (mention)", "notification-mention.jsonc", func(t *testing.T) any {
			s := sampleStatus(t)
			return conv.Notification("01J9Z3B0000000000000000000", NotifyMention, fixedNow, s.Account, &s)
		}, shapeRules{}},
		{"Notification (favourite)", "notification-favourite.jsonc", func(t *testing.T) any {
			s := sampleStatus(t)
			return conv.Notification("01J9Z3B0000000000000000001", NotifyFavourite, fixedNow, local, &s)
		}, shapeRules{}},
		{"Context", "context.jsonc", func(t *testing.T) any {
			first := sampleStatus(t)
			first.InReplyToID, first.InReplyToAccountID = nil, nil
			return NewContext([]Status{first, sampleStatus(t)}, []Status{sampleStatus(t)})
		}, shapeRules{nullable: []string{"ancestors[].in_reply_to_id"}}},
		{"Tag", "tag.json", func(t *testing.T) any { return conv.Tag("#Kenya", ptr(false)) }, shapeRules{}},
		{"Instance (v2)", "instance_v2.json", func(t *testing.T) any { return conv.InstanceV2(info) },
			shapeRules{optional: []string{"thumbnail.blurhash", "thumbnail.versions"}}},
		{"Instance (v1)", "instance_v1.json", func(t *testing.T) any { return conv.InstanceV1(info) }, shapeRules{}},
		{"Marker", "marker.json", func(t *testing.T) any { return NewMarker("01J9Z3A0000000000000000001", 3, fixedNow) }, shapeRules{}},
		{"Error", "error.json", func(t *testing.T) any {
			return Error{Error: "invalid_grant", Description: "The provided authorization grant is invalid."}
		}, shapeRules{}},
		{"Application", "application.json", func(t *testing.T) any {
			return Application{Name: "Tusky", Website: ptr("https://tusky.app"), VapidKey: "BKey="}
		}, shapeRules{}},
		{"CustomEmoji", "custom_emoji.json", func(t *testing.T) any {
			return CustomEmoji{Shortcode: "tocsin", URL: base + "/e.png", StaticURL: base + "/e.png", Category: ptr("Tocsin")}
		}, shapeRules{}},
		{"MediaAttachment", "media_attachment-image.json", func(t *testing.T) any {
			return MediaAttachment{ID: "1", Type: "image", URL: base + "/m.png", PreviewURL: ptr(base + "/s.png"), Meta: map[string]any{}}
		}, shapeRules{
			// text_url was removed in Mastodon 3.5.0; meta is free-form.
			optional: []string{"text_url", "meta.original", "meta.small", "meta.focus"},
			nullable: []string{"description", "blurhash"},
		}},
		{"Preferences", "preferences.json", func(t *testing.T) any {
			src := conv.CredentialAccount(elog(), AccountCounts{}, SourceOptions{}).Source
			return PreferencesOf(src)
		}, shapeRules{}},
		{"FilterResult", "filter_result.json", func(t *testing.T) any {
			return FilterResult{
				Filter:         Filter{ID: "1", Title: "t", Context: []string{"home"}, ExpiresAt: ptr(Datetime(fixedNow)), FilterAction: "warn"},
				KeywordMatches: []string{"fraud"}, StatusMatches: []string{},
			}
		}, shapeRules{}},
		{"Rule", "rule.json", func(t *testing.T) any { return info.Rules[0] }, shapeRules{}},
		{"Role", "role.json", func(t *testing.T) any { return RoleOf("admin") }, shapeRules{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sameShape(t, "", example(t, tt.file), asJSON(t, tt.got(t)), tt.rules)
		})
	}
}

// TestMentionAndFieldHaveTheirDocumentedAttributes checks the two entities
// the documentation describes without an example.
func TestMentionAndFieldHaveTheirDocumentedAttributes(t *testing.T) {
	for _, tt := range []struct {
		v    any
		want []string
	}{
		{Mention{}, []string{"acct", "id", "url", "username"}},
		{Field{}, []string{"name", "value", "verified_at"}},
		{StatusTag{}, []string{"name", "url"}},
	} {
		m := asJSON(t, tt.v).(map[string]any)
		var got []string
		for k := range m {
			got = append(got, k)
		}
		slices.Sort(got)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%T keys = %v, want %v", tt.v, got, tt.want)
		}
	}
}

// TestListsAreNeverNull: an entity built from nothing still sends [] for
// every list a client iterates.
func TestListsAreNeverNull(t *testing.T) {
	o := &store.Object{IRI: base + "/users/elog/statuses/01J9Z3A0000000000000000009", Seq: "01J9Z3A0000000000000000009", Local: true,
		Raw: json.RawMessage(`{"type":"Note","id":"` + base + `/users/elog/statuses/01J9Z3A0000000000000000009","content":"<p>hi</p>","to":["` + base + `/users/elog/followers"]}`)}
	s, err := conv.Status(o, conv.LocalAccount(elog(), AccountCounts{}), StatusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []any{s, conv.InstanceV2(InstanceInfo{}), conv.InstanceV1(InstanceInfo{}), NewContext(nil, nil),
		conv.Relationship("x", nil, nil, RelationshipExtras{}), conv.CredentialAccount(elog(), AccountCounts{}, SourceOptions{})} {
		checkNoNullLists(t, "", asJSON(t, v))
	}
}

// Keys whose value is a list in Mastodon's documentation.
var listKeys = []string{"fields", "emojis", "roles", "media_attachments", "mentions", "tags", "filtered", "languages",
	"rules", "icon", "supported_mime_types", "ancestors", "descendants", "history"}

func checkNoNullLists(t *testing.T, path string, v any) {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil && slices.Contains(listKeys, k) {
				t.Errorf("%s is null, want []", join(path, k))
			}
			checkNoNullLists(t, join(path, k), e)
		}
	case []any:
		for _, e := range x {
			checkNoNullLists(t, path+"[]", e)
		}
	}
}

func TestDatetimeIsMastodonsFormat(t *testing.T) {
	got := Datetime(time.Date(2019, 12, 8, 4, 48, 33, 901e6, time.FixedZone("CET", 3600)))
	if got != "2019-12-08T03:48:33.901Z" {
		t.Errorf("Datetime = %q", got)
	}
}
