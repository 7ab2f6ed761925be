package ap

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestMastodonCreateNoteKeepsTextTagsAndAddressing(t *testing.T) {
	raw, err := os.ReadFile("testdata/create_note.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	wantKind(t, doc, KindActivity, "Create")
	a := doc.Activity
	if a.Actor != "https://mastodon.example/users/alice" || !doc.Standard {
		t.Errorf("actor %q standard %v", a.Actor, doc.Standard)
	}
	wantStrings(t, "activity to", a.To, PublicIRI)
	o := a.Object
	if o == nil || o.Type != "Note" || a.ObjectIRI != o.ID {
		t.Fatalf("object = %+v, ObjectIRI %q", o, a.ObjectIRI)
	}
	// The content has colons (https: in links) and must come back byte for byte.
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	want := m["object"].(map[string]any)["content"].(string)
	if o.Content != want || !strings.Contains(o.Content, "https://other.example/@bob") {
		t.Errorf("Content = %q\nwant %q", o.Content, want)
	}
	if o.ContentMap["en"] != "<p>Flood warning.</p>" {
		t.Errorf("ContentMap = %v", o.ContentMap)
	}
	wantStrings(t, "to", o.To, PublicIRI)
	wantStrings(t, "cc", o.Cc, "https://mastodon.example/users/alice/followers", "https://other.example/users/bob")
	if len(o.Tags) != 2 || o.Tags[0] != (Tag{Type: "Mention", Name: "@bob@other.example", Href: "https://other.example/users/bob"}) ||
		o.Tags[1] != (Tag{Type: "Hashtag", Name: "#weather", Href: "https://mastodon.example/tags/weather"}) {
		t.Errorf("Tags = %+v", o.Tags)
	}
	if len(o.Attachments) != 1 || o.Attachments[0].Blurhash == "" || o.Attachments[0].Width != 1200 ||
		o.Attachments[0].Name != "Map of the flood zone" || o.Attachments[0].MediaType != "image/jpeg" {
		t.Errorf("Attachments = %+v", o.Attachments)
	}
	if o.URL != "https://mastodon.example/@alice/112233445566778899" || o.Sensitive || o.Summary != "" {
		t.Errorf("URL %q Sensitive %v Summary %q", o.URL, o.Sensitive, o.Summary)
	}
	if !o.Published.Equal(time.Date(2024, 5, 1, 12, 34, 56, 0, time.UTC)) {
		t.Errorf("Published = %v", o.Published)
	}
	if len(o.Extensions) != 0 {
		t.Errorf("Mastodon vocabulary leaked into Extensions: %v", o.Extensions)
	}
}

func TestMastodonFixturesKeepContentMapAndCW(t *testing.T) {
	name := "mastodon/create-note-reply-mention-contentmap.json"
	o := fixture(t, name).Activity.Object
	if o.Content != rawString(t, name, "object", "content") ||
		o.ContentMap["en"] != rawString(t, name, "object", "contentMap", "en") || o.Content == o.ContentMap["en"] {
		t.Errorf("content and contentMap differ in the fixture and must stay so: %q / %q", o.Content, o.ContentMap["en"])
	}
	if o.InReplyTo != "https://mamot.fr/users/retiolus/statuses/107224244380204526" {
		t.Errorf("InReplyTo = %q", o.InReplyTo)
	}

	o = fixture(t, "mastodon/update-note-edit-contentmap-multilang.json").Activity.Object
	if len(o.ContentMap) != 2 || o.ContentMap["es"] != "<p>Creando datos de prueba 🆕</p>" || o.Updated.IsZero() {
		t.Errorf("ContentMap %v Updated %v", o.ContentMap, o.Updated)
	}

	o = fixture(t, "mastodon/create-note.json").Activity.Object
	if !o.Sensitive || o.Summary != "cw" {
		t.Errorf("Sensitive %v Summary %q", o.Sensitive, o.Summary)
	}
}

func TestLemmyDocumentsWithoutContext(t *testing.T) {
	doc := fixture(t, "lemmy/follow-no-context.json")
	wantKind(t, doc, KindActivity, "Follow")
	if doc.Activity.ObjectIRI != "http://enterprise.lemmy.ml/c/main" || !doc.Standard {
		t.Errorf("Follow = %+v", doc.Activity)
	}

	a := fixture(t, "lemmy/create-note-comment-no-context.json").Activity
	if a.Object.Content != "hello" || a.Object.MediaType != "text/html" || a.Object.InReplyTo != "http://ds9.lemmy.ml/post/1" {
		t.Errorf("comment = %+v", a.Object)
	}
	wantStrings(t, "audience", a.Audience, "https://enterprise.lemmy.ml/c/main")

	a = fixture(t, "lemmy/announce-create-page-no-context.json").Activity
	inner := a.ObjectActivity
	if inner == nil || inner.Type != "Create" || inner.Actor != "http://enterprise.lemmy.ml/u/lemmy_beta" ||
		inner.Object == nil || inner.Object.Type != "Page" || inner.Object.Name != "post 4" {
		t.Fatalf("Announce(Create(Page)) = %+v", inner)
	}
	if ext := inner.Object.Extensions; string(ext["stickied"]) != "false" || string(ext["commentsEnabled"]) != "true" {
		t.Errorf("Lemmy terms not kept: %v", ext)
	}

	a = fixture(t, "lemmy/accept-follow-no-context.json").Activity
	if a.ObjectActivity == nil || a.ObjectActivity.Type != "Follow" || a.ObjectActivity.Actor != "http://ds9.lemmy.ml/u/lemmy_alpha" {
		t.Errorf("Accept(Follow) = %+v", a.ObjectActivity)
	}

	a = fixture(t, "lemmy/flag-report-no-context.json").Activity
	if a.Summary != "report this post" || a.ObjectIRI != "http://enterprise.lemmy.ml/post/7" {
		t.Errorf("Lemmy Flag = %+v", a)
	}

	actor := fixture(t, "lemmy/actor-person-no-context.json").Actor
	if actor.SharedInbox != "https://enterprise.lemmy.ml/inbox" || actor.PublicKey.Owner != actor.ID ||
		actor.IconURL != "https://enterprise.lemmy.ml/pictrs/image/ed9ej7.jpg" {
		t.Errorf("Lemmy Person = %+v", actor)
	}
	// Without @context, ActivityStreams is assumed.
	if got := fixture(t, "lemmy/follow-no-context.json").Expand("object"); got != ASNS+"object" {
		t.Errorf("Expand(object) = %q", got)
	}

	o := fixture(t, "lemmy/create-chatmessage-0.19.json").Activity.Object
	if o == nil || o.Type != "ChatMessage" || o.Content != "<p>hi!</p>\n" {
		t.Errorf("ChatMessage = %+v", o)
	}
}

func TestMisskeyQuoteKeepsQuoteFieldsInExtensions(t *testing.T) {
	doc := fixture(t, "misskey/note-quote-misskey-quote-quoteUrl.json")
	o := doc.Object
	const quoted = `"https://mastodon.local/objects/43479e20-c0f8-4f49-bf7f-13fab8234924"`
	if string(o.Extensions["_misskey_quote"]) != quoted || string(o.Extensions["quoteUrl"]) != quoted {
		t.Errorf("Extensions = %v", o.Extensions)
	}
	if got := doc.Expand("_misskey_quote"); got != "https://misskey-hub.net/ns#_misskey_quote" {
		t.Errorf("Expand(_misskey_quote) = %q", got)
	}
	if !strings.Contains(o.Content, "RE: </span>") || string(o.Extensions["_misskey_content"]) != `"i quompt u"` {
		t.Errorf("Content %q", o.Content)
	}
	o = fixture(t, "fedibird/note-quoteUri.json").Object
	if _, ok := o.Extensions["quoteUri"]; !ok || len(o.ContentMap["ja"]) == 0 {
		t.Errorf("Fedibird quote: %v", o.Extensions)
	}
}

func TestPeerTubeArrays(t *testing.T) {
	name := "peertube/video-object.json"
	o := fixture(t, name).Object
	if o.AttributedTo != "https://tilvids.com/accounts/thelinuxexperiment" {
		t.Errorf("AttributedTo = %q, want the Person of [Person, Group]", o.AttributedTo)
	}
	if o.URL != "https://tilvids.com/videos/watch/e7946124-7b72-4ad7-9d22-844a84bb2de1" {
		t.Errorf("URL = %q, want the text/html link", o.URL)
	}
	if o.Name != rawString(t, name, "name") || !strings.Contains(o.Name, "Linux: Linux") {
		t.Errorf("Name = %q", o.Name)
	}
	g := fixture(t, "peertube/actor-group-channel.json").Actor
	if g.IconURL != "https://tilvids.com/lazy-static/avatars/13b0214b-edc0-4c5b-a04d-be648a3a370a.jpg" {
		t.Errorf("IconURL = %q, want the 120px one", g.IconURL)
	}
	if !strings.HasSuffix(g.PublicKey.PEM, "-----END PUBLIC KEY-----") || g.SharedInbox != "https://tilvids.com/inbox" {
		t.Errorf("Group = %+v", g)
	}
}

func TestGoToSocialSingleValuesBecomeLists(t *testing.T) {
	o := fixture(t, "gotosocial/note-cw-to-cc-as-strings.json").Object
	wantStrings(t, "to", o.To, PublicIRI)
	wantStrings(t, "cc", o.Cc, "http://localhost:8080/users/the_mighty_zork/followers")
	if !o.Sensitive || o.Summary != "introduction post" {
		t.Errorf("CW: %v %q", o.Sensitive, o.Summary)
	}
	if want := time.Date(2021, 10, 20, 10, 40, 37, 0, time.UTC); !o.Published.Equal(want) || o.Published.Location() != time.UTC {
		t.Errorf("Published = %v, want %v", o.Published, want)
	}
	o = fixture(t, "gotosocial/note-reply-mention-tag-single-object.json").Object
	if len(o.Tags) != 1 || o.Tags[0].Href != "http://localhost:8080/users/the_mighty_zork" || o.Tags[0].Type != "Mention" {
		t.Errorf("Tags = %+v", o.Tags)
	}
	a := fixture(t, "gotosocial/move-to-as-string.json").Activity
	if a.Type != "Move" || a.Target != "https://another-server.com/users/my_new_account_hurray" || a.ObjectIRI != a.Actor {
		t.Errorf("Move = %+v", a)
	}
	wantStrings(t, "Move to", a.To, "https://example.org/users/1happyturtle/followers")
}

func TestActorsKeyEndpointsAndFlags(t *testing.T) {
	tests := []struct {
		name                   string
		manually, discoverable bool
		sharedInbox, featured  string
		pemHasNewlines         bool
	}{
		{"mastodon/actor-person-lemmy-asset.json", false, false, "https://masto.qa.urbanwildlife.biz/inbox", "https://masto.qa.urbanwildlife.biz/users/mastodon/collections/featured", true},
		{"mastodon/actor-person-pem-newlines-as-spaces.json", false, false, "https://activitypub.academy/inbox", "https://activitypub.academy/users/brauca_darradiul/collections/featured", false},
		{"friendica/actor-person.json", true, true, "https://soc.schuerz.at/inbox", "", true},
		{"misskey/actor-person-iscat.json", true, false, "https://mk.local/inbox", "https://mk.local/users/8ozbzjs3o8/collections/featured", true},
		{"gotosocial/actor-person-propertyvalue.json", true, false, "", "http://example.org/users/1happyturtle/collections/featured", true},
		{"akkoma/actor-person-capabilities.json", false, true, "https://moe.local/inbox", "https://moe.local/users/helene/collections/featured", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := fixture(t, tt.name).Actor
			if a == nil {
				t.Fatal("not an actor")
			}
			if a.ManuallyApprovesFollowers != tt.manually || a.Discoverable != tt.discoverable {
				t.Errorf("manually %v discoverable %v", a.ManuallyApprovesFollowers, a.Discoverable)
			}
			if a.SharedInbox != tt.sharedInbox || a.Featured != tt.featured {
				t.Errorf("sharedInbox %q featured %q", a.SharedInbox, a.Featured)
			}
			pk := a.PublicKey
			if pk.Owner != a.ID || pk.ID != a.ID+"#main-key" || pk.PEM != rawString(t, tt.name, "publicKey", "publicKeyPem") {
				t.Errorf("PublicKey = %+v", pk)
			}
			if strings.Contains(pk.PEM, "\n") != tt.pemHasNewlines {
				t.Errorf("PEM kept as sent? %q", pk.PEM)
			}
		})
	}
	a := fixture(t, "gotosocial/actor-person-propertyvalue.json").Actor
	if len(a.Attachments) != 2 || a.Attachments[0] != (Attachment{Type: "PropertyValue", Name: "should you follow me?", Value: "maybe!"}) {
		t.Errorf("profile fields = %+v", a.Attachments)
	}
	if a.Summary != "<p>i post about things that concern me</p>" || a.Name != "happy little turtle :3" {
		t.Errorf("text: %q %q", a.Summary, a.Name)
	}
	a = fixture(t, "wordpress/actor-group.json").Actor
	wantStrings(t, "alsoKnownAs", a.AlsoKnownAs, "https://dbzer0.com/?author=0", "https://dbzer0.com", "https://dbzer0.com/")
}

func TestMastodonInstanceActor(t *testing.T) {
	raw, err := os.ReadFile("testdata/fixtures/mastodon/actor-application-instance.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Parse(bytes.ReplaceAll(raw, []byte("{{DOMAIN}}"), []byte("mastodon.example")))
	if err != nil {
		t.Fatal(err)
	}
	a := doc.Actor
	if a.Type != "Application" || a.PreferredUsername != "mastodon.example" || !a.ManuallyApprovesFollowers ||
		a.PublicKey.ID != "https://mastodon.example/actor#main-key" || a.SharedInbox != "https://mastodon.example/inbox" {
		t.Errorf("instance actor = %+v", a)
	}
}

func TestPleromaNonstandardFieldsStayInExtensions(t *testing.T) {
	o := fixture(t, "pleroma/create-note-2018-nonstandard-fields.json").Activity.Object
	want := map[string]string{
		"context_id":         "8651628",
		"announcement_count": "2",
		"emoji":              "{}",
	}
	for k, v := range want {
		if got := string(o.Extensions[k]); got != v {
			t.Errorf("Extensions[%s] = %q, want %q", k, got, v)
		}
	}
	var ann []string
	if err := json.Unmarshal(o.Extensions["announcements"], &ann); err != nil || len(ann) != 2 {
		t.Errorf("announcements = %s", o.Extensions["announcements"])
	}
	for _, k := range []string{"content", "context", "conversation", "actor", "sensitive"} {
		if _, ok := o.Extensions[k]; ok {
			t.Errorf("%s is vocabulary, not an extension", k)
		}
	}
	if !strings.Contains(o.Content, "<a href='https://pleroma.site/tag/dangerzone' rel='tag'>") || len(o.Attachments) != 2 {
		t.Errorf("Content %q, %d attachments", o.Content, len(o.Attachments))
	}
	// Prefixed properties of other vocabularies are extensions too.
	o = fixture(t, "friendica/create-note.json").Activity.Object
	if _, ok := o.Extensions["diaspora:guid"]; !ok {
		t.Errorf("diaspora:guid missing: %v", o.Extensions)
	}
}

func TestFlagWithSeveralObjects(t *testing.T) {
	a := fixture(t, "mastodon/flag-report-multiple-objects.json").Activity
	wantStrings(t, "Objects", a.Objects, "https://example.com/users/1", "https://example.com/posts/380590", "https://example.com/posts/380591")
	if a.ObjectIRI != "https://example.com/users/1" || a.Content != "Please take a look at this user and their posts" {
		t.Errorf("Flag = %+v", a)
	}
	wantStrings(t, "to", a.To, "https://example.com/users/1")
}

func TestEmbeddedActorsActivitiesAndTombstones(t *testing.T) {
	a := fixture(t, "hubzilla/follow.json").Activity
	if a.Actor != "https://hubzilla.example.org/channel/kaniini" {
		t.Errorf("embedded actor {id} = %q", a.Actor)
	}
	a = fixture(t, "mastodon/undo-follow.json").Activity
	if f := a.ObjectActivity; f == nil || f.Type != "Follow" || f.ObjectIRI != "http://localtesting.pleroma.lol/users/lain" {
		t.Errorf("Undo(Follow) = %+v", f)
	}
	a = fixture(t, "mastodon/undo-announce.json").Activity
	wantStrings(t, "http:// Public", a.ObjectActivity.To, PublicIRI)
	a = fixture(t, "mastodon/update-person.json").Activity
	if p := a.ObjectActor; p == nil || p.Name != "gargle" || p.SharedInbox != "http://mastodon.example.org/inbox" ||
		p.PublicKey.Owner != "http://mastodon.example.org/users/gargron" || len(p.Attachments) != 2 {
		t.Errorf("Update(Person) = %+v", p)
	}
	a = fixture(t, "mastodon/delete-tombstone.json").Activity
	if a.Object == nil || a.Object.Type != "Tombstone" || a.ObjectIRI != "http://mastodon.example.org/users/gargron/statuses/99620895606148759" {
		t.Errorf("Delete(Tombstone) = %+v", a)
	}
	a = fixture(t, "mastodon/delete-actor.json").Activity
	if a.ObjectActor == nil || a.ObjectIRI != a.Actor {
		t.Errorf("Delete(Person) = %+v", a)
	}
	a = fixture(t, "wordpress/announce-update.json").Activity
	if u := a.ObjectActivity; u == nil || u.Type != "Update" || u.Object == nil || u.Object.Type != "Article" || u.Object.Name != "Lemmy (Part 4)" {
		t.Errorf("Announce(Update(Article)) = %+v", u)
	}
}

func TestNonStandardTypesParseWithTypeKept(t *testing.T) {
	doc := fixture(t, "pleroma/emoji-react.json")
	wantKind(t, doc, KindActivity, "EmojiReact")
	if doc.Standard || doc.Activity.Content != "👌" {
		t.Errorf("EmojiReact = %+v", doc.Activity)
	}
	doc = fixture(t, "pixelfed/story-object-nonstandard-type.json")
	wantKind(t, doc, KindObject, "Story")
	if doc.Standard || len(doc.Object.Attachments) != 1 || doc.Object.Attachments[0].MediaType != "image/jpeg" {
		t.Errorf("Story = %+v", doc.Object)
	}
	a := fixture(t, "misskey/like-custom-emoji-reaction.json").Activity
	if a.Content != ":hanapog:" || len(a.Tags) != 1 || a.Tags[0].Type != "Emoji" || a.Tags[0].IconURL == "" {
		t.Errorf("Misskey reaction = %+v", a)
	}
}

func TestWordPressArticleLanguageMaps(t *testing.T) {
	name := "wordpress/article.json"
	o := fixture(t, name).Object
	if o.NameMap["en"] != o.Name || o.SummaryMap["en"] != rawString(t, name, "summaryMap", "en") || o.ContentMap["en"] == "" {
		t.Errorf("maps: %v %v", o.NameMap, o.SummaryMap)
	}
	if _, ok := o.Extensions["interactionPolicy"]; !ok {
		t.Errorf("interactionPolicy missing from %v", o.Extensions)
	}
	if len(o.Attachments) != 4 || !strings.Contains(o.Attachments[0].URL, "&#038;") {
		t.Errorf("attachments = %+v", o.Attachments)
	}
}

func TestParseRefusesDeepNestingFast(t *testing.T) {
	for _, open := range []string{"[", `{"a":`} {
		const n = 10000
		closeTok := "]"
		if open != "[" {
			closeTok = "}"
		}
		doc := `{"type":"Note","x":` + strings.Repeat(open, n) + "1" + strings.Repeat(closeTok, n) + "}"
		start := time.Now()
		_, err := Parse([]byte(doc))
		if !errors.Is(err, ErrTooDeep) {
			t.Fatalf("%s x%d: err = %v, want ErrTooDeep", open, n, err)
		}
		if d := time.Since(start); d > 50*time.Millisecond {
			t.Errorf("refusing took %v", d)
		}
		if !strings.Contains(err.Error(), "nested too deeply") {
			t.Errorf("error does not say why: %v", err)
		}
		if err := CheckDepth([]byte(doc)); !errors.Is(err, ErrTooDeep) {
			t.Errorf("CheckDepth = %v", err)
		}
	}
	// Brackets inside strings are text, not nesting.
	ok := `{"type":"Note","id":"https://a.example/1","content":"` + strings.Repeat(`[{\"`, 100) + `"}`
	if _, err := Parse([]byte(ok)); err != nil {
		t.Errorf("brackets in a string: %v", err)
	}
	// Exactly MaxDepth levels is fine.
	atLimit := `{"type":"Note","x":` + strings.Repeat("[", MaxDepth-1) + strings.Repeat("]", MaxDepth-1) + "}"
	if _, err := Parse([]byte(atLimit)); err != nil {
		t.Errorf("%d levels: %v", MaxDepth, err)
	}
}

func TestParseErrorsSayWhatIsWrong(t *testing.T) {
	tests := []struct {
		name, doc string
		want      error
		says      string
	}{
		{"malformed", `{"type":"Note",`, ErrMalformed, "malformed"},
		{"garbage", `not json`, ErrMalformed, "malformed"},
		{"empty", ``, ErrMalformed, "malformed"},
		{"null", `null`, ErrNotObject, "not a JSON object"},
		{"array", `[{"type":"Note"}]`, ErrNotObject, "not a JSON object"},
		{"no type", `{"id":"https://a.example/1"}`, ErrNoType, "no type"},
		{"type not a string", `{"id":"https://a.example/1","type":5}`, ErrNoType, "no type"},
		{"activity without id", `{"type":"Follow","actor":"https://a.example/u","object":"https://b.example/u"}`, ErrNoID, "Follow has no id"},
		{"actor without id", `{"type":"Person","inbox":"https://a.example/inbox"}`, ErrNoID, "Person has no id"},
		{"activity without actor", `{"type":"Like","id":"https://a.example/l/1","object":"https://b.example/n/1"}`, ErrNoActor, "no actor"},
		{"relative id", `{"type":"Note","id":"/notes/1"}`, ErrBadIRI, "not an absolute"},
		{"javascript actor", `{"type":"Like","id":"https://a.example/l/1","actor":"javascript:alert(1)"}`, ErrBadIRI, "actor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("err %q does not say %q", err, tt.says)
			}
		})
	}
}

func TestParseNormalisesTypesAndPublic(t *testing.T) {
	doc, err := Parse([]byte(`{"@context":["https://www.w3.org/ns/activitystreams",{"x":"https://w3id.org/tocsin/ns#"}],
		"id":"https://a.example/n/1","type":["as:Note","x:Alert"],"to":["as:Public"],"cc":"Public"}`))
	if err != nil {
		t.Fatal(err)
	}
	wantKind(t, doc, KindObject, "Note")
	wantStrings(t, "to", doc.Object.To, PublicIRI)
	wantStrings(t, "cc", doc.Object.Cc, PublicIRI)
	if !doc.Standard {
		t.Error("as:Note is a standard type")
	}
}

func TestIsPublic(t *testing.T) {
	for _, s := range []string{PublicIRI, "http://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"} {
		if !IsPublic(s) {
			t.Errorf("IsPublic(%q) = false", s)
		}
	}
	for _, s := range []string{"", "https://a.example/users/x/followers", "public", "https://www.w3.org/ns/activitystreams"} {
		if IsPublic(s) {
			t.Errorf("IsPublic(%q) = true", s)
		}
	}
}

func TestParseIsSafeConcurrently(t *testing.T) {
	var docs [][]byte
	for _, name := range []string{"mastodon/create-note.json", "peertube/video-object.json", "mastodon/actor-person-lemmy-asset.json", "pleroma/create-note-2018-nonstandard-fields.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "fixtures", name))
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, b)
	}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				if _, err := Parse(docs[(i+j)%len(docs)]); err != nil {
					t.Error(err)
					return
				}
			}
		}(i)
	}
	wg.Wait()
}

func TestPublicKeyMustBeOwnedByTheActor(t *testing.T) {
	doc, err := Parse([]byte(`{"type":"Person","id":"https://a.example/u/1","inbox":"https://a.example/u/1/inbox",
		"publicKey":[
			{"id":"https://evil.example/k","owner":"https://evil.example/u","publicKeyPem":"EVIL"},
			{"id":"https://a.example/u/1#main-key","publicKeyPem":"GOOD"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if k := doc.Actor.PublicKey; k != (PublicKey{ID: "https://a.example/u/1#main-key", Owner: "https://a.example/u/1", PEM: "GOOD"}) {
		t.Errorf("PublicKey = %+v", k)
	}
	doc, err = Parse([]byte(`{"type":"Person","id":"https://a.example/u/1","inbox":"https://a.example/u/1/inbox",
		"publicKey":{"id":"https://evil.example/k","owner":"https://evil.example/u","publicKeyPem":"EVIL"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if k := doc.Actor.PublicKey; k != (PublicKey{}) {
		t.Errorf("someone else's key taken: %+v", k)
	}
}
