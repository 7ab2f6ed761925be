package ap

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-fed/activity/streams"
)

var aliceInfo = ActorInfo{
	ID:                        "https://tocsin.example/users/kenya_watch",
	Type:                      "Organization",
	PreferredUsername:         "kenya_watch",
	Name:                      "Kenya: Election Watch",
	Summary:                   `<p>Alerts: <a href="https://tocsin.example/tags/Kenya">#Kenya</a> &amp; more</p>`,
	URL:                       "https://tocsin.example/@kenya_watch",
	Inbox:                     "https://tocsin.example/users/kenya_watch/inbox",
	Outbox:                    "https://tocsin.example/users/kenya_watch/outbox",
	Followers:                 "https://tocsin.example/users/kenya_watch/followers",
	Following:                 "https://tocsin.example/users/kenya_watch/following",
	SharedInbox:               "https://tocsin.example/inbox",
	Featured:                  "https://tocsin.example/users/kenya_watch/collections/featured",
	IconURL:                   "https://tocsin.example/media/avatar.png",
	IconMediaType:             "image/png",
	ManuallyApprovesFollowers: true,
	Discoverable:              true,
	Published:                 time.Date(2025, 3, 1, 9, 30, 15, 123, time.UTC),
	KeyID:                     "https://tocsin.example/users/kenya_watch#main-key",
	PublicKeyPEM:              "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----\n",
	AssertionMethod: []Multikey{{
		ID: "https://tocsin.example/users/kenya_watch#ed25519-key", Controller: "https://tocsin.example/users/kenya_watch",
		PublicKeyMultibase: "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
	}},
}

func TestActorDocumentRoundTrips(t *testing.T) {
	for _, typ := range []string{"Organization", "Person", "Application"} {
		t.Run(typ, func(t *testing.T) {
			info := aliceInfo
			info.Type = typ
			b, err := ActorDocument(info)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := Parse(b)
			if err != nil {
				t.Fatalf("Parse(our actor): %v\n%s", err, b)
			}
			wantKind(t, doc, KindActor, typ)
			a := doc.Actor
			got := ActorInfo{
				ID: a.ID, Type: a.Type, PreferredUsername: a.PreferredUsername, Name: a.Name, Summary: a.Summary,
				URL: a.URL, Inbox: a.Inbox, Outbox: a.Outbox, Followers: a.Followers, Following: a.Following,
				SharedInbox: a.SharedInbox, Featured: a.Featured, IconURL: a.IconURL,
				IconMediaType:             info.IconMediaType,
				ManuallyApprovesFollowers: a.ManuallyApprovesFollowers, Discoverable: a.Discoverable,
				Published: a.Published, KeyID: a.PublicKey.ID, PublicKeyPEM: a.PublicKey.PEM,
				AssertionMethod: a.AssertionMethod,
			}
			want := info
			want.Published = want.Published.Truncate(time.Second)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
			}
			if a.PublicKey.Owner != info.ID || len(a.Extensions) != 0 || !doc.Standard {
				t.Errorf("owner %q extensions %v standard %v", a.PublicKey.Owner, a.Extensions, doc.Standard)
			}

			// A strict go-fed peer accepts it, @context and all.
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			ty, err := streams.ToType(context.Background(), m)
			if err != nil || ty.GetTypeName() != typ {
				t.Fatalf("streams.ToType: %v, %v", ty, err)
			}
			wantContext(t, b, ActorContext())
			if strings.Contains(string(b), `\u003c`) {
				t.Errorf("HTML escaped: %s", b)
			}
		})
	}
}

func TestActorDocumentRefusesBadInput(t *testing.T) {
	for name, mod := range map[string]func(*ActorInfo){
		"no id":      func(a *ActorInfo) { a.ID = "" },
		"no inbox":   func(a *ActorInfo) { a.Inbox = "" },
		"group":      func(a *ActorInfo) { a.Type = "Group" },
		"bad url":    func(a *ActorInfo) { a.Followers = "followers" },
		"bad key id": func(a *ActorInfo) { a.KeyID = "#main-key" },
	} {
		info := aliceInfo
		mod(&info)
		if _, err := ActorDocument(info); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// The key id defaults to the actor's main-key.
	info := aliceInfo
	info.KeyID = ""
	b, err := ActorDocument(info)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := Parse(b); d.Actor.PublicKey.ID != info.ID+"#main-key" {
		t.Errorf("default key id = %q", d.Actor.PublicKey.ID)
	}
}

// wantOurContext checks that the document's @context is exactly Context().
func wantOurContext(t *testing.T, b []byte) {
	t.Helper()
	wantContext(t, b, Context())
}

func wantContext(t *testing.T, b []byte, ctx []any) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var want any
	cb, _ := json.Marshal(ctx)
	_ = json.Unmarshal(cb, &want)
	if !reflect.DeepEqual(m["@context"], want) {
		t.Errorf("@context = %v\nwant %v", m["@context"], want)
	}
}

func TestColonTextSurvivesMarshalAndParse(t *testing.T) {
	const text = "Kenya: ballot stuffing reported"
	note := map[string]any{
		"id":              "https://tocsin.example/users/kenya_watch/statuses/01J",
		"type":            "Note",
		"attributedTo":    aliceInfo.ID,
		"name":            text,
		"summary":         text,
		"content":         "<p>" + text + "</p>",
		"contentMap":      map[string]any{"en": "<p>" + text + "</p>", "sw": "<p>Kenya: kura</p>"},
		"published":       time.Date(2025, 8, 9, 6, 0, 0, 0, time.UTC),
		"sensitive":       false,
		"tocsin:severity": "high",
		"tocsin:tlp":      "CLEAR",
	}
	create := NewCreate(note["id"].(string)+"/activity", aliceInfo.ID, note, []string{PublicIRI}, []string{aliceInfo.Followers}, time.Date(2025, 8, 9, 6, 0, 0, 0, time.UTC))
	b, err := Marshal(create)
	if err != nil {
		t.Fatal(err)
	}
	wantOurContext(t, b)
	doc, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	o := doc.Activity.Object
	if o.Name != text || o.Summary != text || o.Content != "<p>"+text+"</p>" || o.ContentMap["sw"] != "<p>Kenya: kura</p>" {
		t.Errorf("text changed: %+v", o)
	}
	wantStrings(t, "object to", o.To, PublicIRI)
	wantStrings(t, "object cc", o.Cc, aliceInfo.Followers)
	ext := o.ExtensionsIn(TocsinNS)
	if string(ext["severity"]) != `"high"` || string(ext["tlp"]) != `"CLEAR"` {
		t.Errorf("tocsin extensions = %q", ext)
	}
	if !o.Published.Equal(time.Date(2025, 8, 9, 6, 0, 0, 0, time.UTC)) {
		t.Errorf("published = %v", o.Published)
	}
	if _, ok := note["to"]; ok {
		t.Error("NewCreate modified the caller's object")
	}
}

func TestMarshalForcesArraysAndOneContext(t *testing.T) {
	inner := map[string]any{
		"@context":   "https://www.w3.org/ns/activitystreams", // as go-fed leaves it
		"id":         "https://tocsin.example/n/1",
		"type":       "Note",
		"to":         PublicIRI,
		"tag":        map[string]any{"type": "Hashtag", "name": "#Kenya", "href": "https://tocsin.example/tags/Kenya"},
		"attachment": []map[string]any{{"type": "Document", "url": "https://tocsin.example/m.png"}},
		"cc":         nil,
		"updated":    time.Time{},
	}
	doc := map[string]any{
		"@context": "https://example.org/invented",
		"id":       "https://tocsin.example/c/1",
		"type":     "Create",
		"actor":    aliceInfo.ID,
		"to":       []string{PublicIRI},
		"cc":       []string(nil),
		"object":   inner,
	}
	b, err := Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	wantOurContext(t, b)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	obj := m["object"].(map[string]any)
	if _, ok := obj["@context"]; ok {
		t.Error("embedded @context kept")
	}
	for _, k := range []string{"to", "tag", "attachment", "cc"} {
		if _, ok := obj[k].([]any); !ok {
			t.Errorf("object %s = %#v, want an array", k, obj[k])
		}
	}
	if cc, ok := m["cc"].([]any); !ok || len(cc) != 0 {
		t.Errorf("nil cc = %#v, want []", m["cc"])
	}
	if _, ok := obj["updated"]; ok {
		t.Error("zero time written")
	}
	if inner["@context"] == nil || doc["@context"] != "https://example.org/invented" {
		t.Error("Marshal modified its input")
	}
}

func TestBuildersProduceWhatParseReads(t *testing.T) {
	const actor = "https://tocsin.example/users/kenya_watch"
	const peer = "https://mastodon.example/users/bob"
	at := time.Date(2025, 8, 9, 6, 0, 0, 0, time.UTC)
	follow := NewFollow("https://mastodon.example/follows/1", peer, actor)
	tests := []struct {
		name  string
		doc   map[string]any
		check func(t *testing.T, d *Document)
	}{
		{"Follow", follow, func(t *testing.T, d *Document) {
			if d.Activity.ObjectIRI != actor || d.Activity.Actor != peer {
				t.Errorf("%+v", d.Activity)
			}
		}},
		{"Accept", NewAccept(actor+"#accepts/1", actor, follow), func(t *testing.T, d *Document) {
			if f := d.Activity.ObjectActivity; f == nil || f.Type != "Follow" || f.ID != "https://mastodon.example/follows/1" {
				t.Errorf("%+v", f)
			}
		}},
		{"Reject", NewReject(actor+"#rejects/1", actor, "https://mastodon.example/follows/1"), func(t *testing.T, d *Document) {
			if d.Activity.ObjectIRI != "https://mastodon.example/follows/1" {
				t.Errorf("%+v", d.Activity)
			}
		}},
		{"Undo", NewUndo(actor+"#follows/2/undo", actor, NewFollow(actor+"#follows/2", actor, peer)), func(t *testing.T, d *Document) {
			if f := d.Activity.ObjectActivity; f == nil || f.ObjectIRI != peer {
				t.Errorf("%+v", f)
			}
		}},
		{"Update", NewUpdate(actor+"/statuses/1#updates/1", actor, map[string]any{"id": actor + "/statuses/1", "type": "Note", "content": "resolved: ok"}, []string{PublicIRI}, nil, at), func(t *testing.T, d *Document) {
			if o := d.Activity.Object; o == nil || o.Content != "resolved: ok" || !d.Activity.Published.Equal(at) {
				t.Errorf("%+v", d.Activity)
			}
		}},
		{"Delete", NewDelete(actor+"/statuses/1#delete", actor, Tombstone(actor+"/statuses/1", at, "Note"), []string{PublicIRI}, nil), func(t *testing.T, d *Document) {
			o := d.Activity.Object
			if o == nil || o.Type != "Tombstone" || o.Raw["formerType"] != "Note" || o.Raw["deleted"] != "2025-08-09T06:00:00Z" {
				t.Errorf("%+v", o)
			}
		}},
		{"Announce", NewAnnounce(actor+"/statuses/2/activity", actor, peer+"/statuses/9", []string{PublicIRI}, []string{peer}, at), func(t *testing.T, d *Document) {
			wantStrings(t, "cc", d.Activity.Cc, peer)
		}},
		{"Like", NewLike(actor+"#likes/1", actor, peer+"/statuses/9"), func(t *testing.T, d *Document) {
			if d.Activity.ObjectIRI != peer+"/statuses/9" {
				t.Errorf("%+v", d.Activity)
			}
		}},
		{"Flag", NewFlag("https://tocsin.example/reports/1", "https://tocsin.example/actor", []string{peer, peer + "/statuses/9"}, "spam: yes", []string{peer}), func(t *testing.T, d *Document) {
			wantStrings(t, "objects", d.Activity.Objects, peer, peer+"/statuses/9")
			if d.Activity.Content != "spam: yes" {
				t.Errorf("content %q", d.Activity.Content)
			}
		}},
		{"OrderedCollection", OrderedCollection(actor+"/outbox", 42, actor+"/outbox?page=true"), func(t *testing.T, d *Document) {
			if d.Kind != KindObject || d.Object.Raw["totalItems"] != 42.0 || d.Object.Raw["first"] != actor+"/outbox?page=true" {
				t.Errorf("%+v", d.Object.Raw)
			}
		}},
		{"OrderedCollectionPage", OrderedCollectionPage(actor+"/outbox?page=1", actor+"/outbox", "", "", []any{"https://a.example/1"}), func(t *testing.T, d *Document) {
			items, _ := d.Object.Raw["orderedItems"].([]any)
			if len(items) != 1 || d.Object.Raw["partOf"] != actor+"/outbox" {
				t.Errorf("%+v", d.Object.Raw)
			}
			if _, ok := d.Object.Raw["next"]; ok {
				t.Error("empty next written")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Marshal(tt.doc)
			if err != nil {
				t.Fatal(err)
			}
			d, err := Parse(b)
			if err != nil {
				t.Fatalf("Parse: %v\n%s", err, b)
			}
			if d.Type() != tt.name || !d.Standard {
				t.Fatalf("type %q standard %v", d.Type(), d.Standard)
			}
			tt.check(t, d)
		})
	}
	// An empty page still has an orderedItems array.
	b, _ := Marshal(OrderedCollectionPage(actor+"/outbox?page=9", actor+"/outbox", "", actor+"/outbox?page=8", nil))
	if !strings.Contains(string(b), `"orderedItems":[]`) {
		t.Errorf("empty page: %s", b)
	}
}
