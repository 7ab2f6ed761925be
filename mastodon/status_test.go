package mastodon

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tocsin-network/tocsin/store"
)

func mentionAccts(s Status) []string {
	var out []string
	for _, m := range s.Mentions {
		out = append(out, m.Acct)
	}
	return out
}

func tagNames(s Status) []string {
	var out []string
	for _, tg := range s.Tags {
		out = append(out, tg.Name)
	}
	return out
}

func str(p *string) string {
	if p == nil {
		return "<null>"
	}
	return *p
}

// TestStatusesFromPeers converts what real servers send.
func TestStatusesFromPeers(t *testing.T) {
	tests := []struct {
		file       string
		content    []string // substrings the content keeps
		spoiler    string
		sensitive  bool
		tags       []string
		mentions   []string
		language   string // "<null>" for null
		visibility string
		editedAt   string // "<null>" for null
		url        string
	}{
		{
			file:    "create-note.json",
			content: []string{`<span class="h-card"><a href="http://localtesting.pleroma.lol/users/lain" class="u-url mention"`, `@<span>lain</span></a></span>`},
			spoiler: "cw", sensitive: true, mentions: []string{"lain@localtesting.pleroma.lol"},
			language: "<null>", visibility: "public", editedAt: "<null>",
			url: "http://mastodon.example.org/@admin/99512778738411822",
		},
		{
			file:    "create-note-cw-sensitive-hashtag.json",
			content: []string{`@<span>lain</span></a></span> #moo</p>`},
			// No "sensitive" in the object: a content warning makes it so.
			spoiler: "cw", sensitive: true, tags: []string{"NSFW"}, mentions: []string{"lain@localtesting.pleroma.lol"},
			language: "<null>", visibility: "public", editedAt: "<null>",
		},
		{
			file: "create-note-reply-mention-contentmap.json",
			// content is kept as sent, not replaced by contentMap's (different) text.
			content:  []string{"i have never been disappointed by a thinkpad.", `<a href="https://mamot.fr/@retiolus" class="u-url mention"`},
			mentions: []string{"retiolus@mamot.fr"}, language: "en",
			// to: followers, cc: Public
			visibility: "unlisted", editedAt: "<null>",
		},
		{
			file:     "note-direct-message.json",
			content:  []string{`<span class="h-card"><a href="https://ds9.lemmy.ml/u/nutomic" class="u-url mention"`, "</span> 444</p>"},
			mentions: []string{"nutomic@ds9.lemmy.ml"}, language: "es", visibility: "direct", editedAt: "<null>",
		},
		{
			file:    "misskey-note-mfm-source-no-context.json",
			content: []string{"this does not get replaced"},
			tags:    []string{"dancedance"},
			// Misskey names mentions without a host: it comes from href, port and all.
			mentions: []string{"akkoma_user@localhost:4001", "remote_user@misskey.local", "full_tag_remote_user@misskey.local"},
			language: "<null>", visibility: "public", editedAt: "<null>",
			url: "https://misskey.local/notes/92j1n3owja_x",
		},
		{
			file:     "misskey-note-quote.json",
			content:  []string{"<p><span>i quompt u<br><br>RE: </span>", `<a href="https://mastodon.local/objects/30c543fb-a165-40dd-87fd-4e249ec5a40b"`},
			language: "<null>", visibility: "public", editedAt: "<null>",
		},
		{
			file:     "pleroma-create-note-2018-nonstandard-fields.json",
			content:  []string{`acts like sudo requiring periodic password verification. <a href="https://pleroma.site/tag/dangerzone" rel="tag nofollow noreferrer noopener" target="_blank">#dangerZone</a>`},
			tags:     []string{"dangerzone"},
			language: "<null>", visibility: "public", editedAt: "<null>",
		},
		{
			file:     "friendica-update-note.json",
			content:  []string{"This is an edited comment."},
			mentions: []string{"test8@pirati.ca", "testcom@ds9.lemmy.ml"},
			// contentMap has only "de".
			language: "de", visibility: "unlisted", editedAt: "2022-03-24T21:37:34.000Z",
		},
	}
	author := sampleRemoteAccount(t)
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			o := object(t, tt.file, "01J9Z3C0000000000000000000")
			s, err := conv.Status(o, author, StatusOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range tt.content {
				if !strings.Contains(s.Content, want) {
					t.Errorf("content lacks %q:\n%s", want, s.Content)
				}
			}
			if s.SpoilerText != tt.spoiler || s.Sensitive != tt.sensitive {
				t.Errorf("spoiler_text %q sensitive %v, want %q %v", s.SpoilerText, s.Sensitive, tt.spoiler, tt.sensitive)
			}
			if got := tagNames(s); !slices.Equal(got, tt.tags) {
				t.Errorf("tags = %v, want %v", got, tt.tags)
			}
			for _, tg := range s.Tags {
				if tg.URL != base+"/tags/"+strings.ToLower(tg.Name) {
					t.Errorf("tag url %q: not this instance's tag page", tg.URL)
				}
			}
			if got := mentionAccts(s); !slices.Equal(got, tt.mentions) {
				t.Errorf("mentions = %v, want %v", got, tt.mentions)
			}
			for _, m := range s.Mentions {
				if !IsRemoteAccountID(m.ID) || m.Username == "" || !strings.HasPrefix(m.Acct, m.Username+"@") {
					t.Errorf("mention %+v", m)
				}
			}
			if got := str(s.Language); got != tt.language {
				t.Errorf("language = %s, want %s", got, tt.language)
			}
			if s.Visibility != tt.visibility {
				t.Errorf("visibility = %s, want %s", s.Visibility, tt.visibility)
			}
			if got := str(s.EditedAt); got != tt.editedAt {
				t.Errorf("edited_at = %s, want %s", got, tt.editedAt)
			}
			if s.ID != o.Seq || s.URI != o.IRI || s.CreatedAt != Datetime(o.Published) {
				t.Errorf("id %s uri %s created_at %s; want the Seq, IRI and published (%s)", s.ID, s.URI, s.CreatedAt, Datetime(o.Published))
			}
			if tt.url != "" && str(s.URL) != tt.url {
				t.Errorf("url = %s, want %s", str(s.URL), tt.url)
			}
			if s.Reblog != nil || s.Card != nil || s.Poll != nil || s.Application != nil || s.InReplyToID != nil {
				t.Errorf("reblog, card, poll, application, in_reply_to_id should be null for a peer's status")
			}
		})
	}
}

func TestReplyPointsAtItsStoredParent(t *testing.T) {
	s := sampleStatus(t)
	if str(s.InReplyToID) != "01J9Z39ZZZZZZZZZZZZZZZZZZZ" || str(s.InReplyToAccountID) != RemoteAccountID("https://mamot.fr/users/retiolus") {
		t.Errorf("in_reply_to = %s / %s", str(s.InReplyToID), str(s.InReplyToAccountID))
	}
	if !s.Favourited || s.Reblogged || s.RepliesCount != 1 || s.ReblogsCount != 2 || s.FavouritesCount != 3 {
		t.Errorf("viewer state and counts not carried: %+v", s)
	}
	if s.Pinned != nil {
		t.Errorf("pinned sent for a status the viewer cannot pin")
	}
}

func TestBoostWrapsTheBoostedStatus(t *testing.T) {
	inner := sampleStatus(t)
	o := object(t, "announce-object-iri.json", "01J9Z3D0000000000000000000")
	s, err := conv.Status(o, sampleRemoteAccount(t), StatusOptions{Reblog: &inner})
	if err != nil {
		t.Fatal(err)
	}
	if s.Reblog == nil || s.Reblog.ID != inner.ID || s.Visibility != "public" || s.Content != "" || s.ID != o.Seq {
		t.Errorf("boost = %+v", s)
	}
	if _, err := conv.Status(o, sampleRemoteAccount(t), StatusOptions{}); !errors.Is(err, ErrNotStatus) {
		t.Errorf("an Announce without the boosted status: err = %v, want ErrNotStatus", err)
	}
}

func TestDeletedAndUnsequencedObjectsAreNotStatuses(t *testing.T) {
	o := object(t, "create-note.json", "")
	if _, err := conv.Status(o, sampleRemoteAccount(t), StatusOptions{}); !errors.Is(err, ErrNoID) {
		t.Errorf("no Seq: err = %v", err)
	}
	o = object(t, "create-note.json", "01J9Z3C0000000000000000000")
	o.Deleted = fixedNow
	if _, err := conv.Status(o, sampleRemoteAccount(t), StatusOptions{}); !errors.Is(err, ErrNotStatus) {
		t.Errorf("deleted: err = %v", err)
	}
}

// TestHostileHTMLFromAPeerIsRemoved: whatever a peer puts in content, a
// client gets p, br, a and span with Mastodon's classes, and nothing that
// runs.
func TestHostileHTMLFromAPeerIsRemoved(t *testing.T) {
	hostile := `<p><span class="h-card"><a href="https://peer.example/@amina" class="u-url mention" onclick="steal()">@<span>amina</span></a></span> ` +
		`<a href="https://peer.example/tags/kenya" class="mention hashtag" rel="tag">#<span>Kenya</span></a></p>` +
		`<script>alert(document.cookie)</script><iframe src="https://evil.example/">fallback</iframe>` +
		`<img src="x" onerror="alert(1)"><a href="javascript:alert(1)">click</a><a href="JaVaScRiPt:alert(2)">again</a>` +
		`<a href="data:text/html;base64,PHNjcmlwdD4=">data</a><p style="position:fixed;top:0">styled</p>` +
		`<style>body{display:none}</style><span class="invisible">https://</span><span class="ellipsis">example.org</span>` +
		`<span class="evil mention">x</span><svg><script>alert(3)</script></svg><form action="https://evil.example"><input name=p></form>` +
		`<a href="/relative">relative</a><object data="x.swf">obj</object>`
	raw, _ := json.Marshal(map[string]any{
		"type": "Note", "id": "https://peer.example/notes/1", "attributedTo": "https://peer.example/users/x",
		"content": hostile, "summary": `<b>warning</b> &amp; more`, "to": []string{"https://www.w3.org/ns/activitystreams#Public"},
		"published": "2027-08-01T09:30:00Z",
	})
	o := &store.Object{IRI: "https://peer.example/notes/1", Seq: "01J9Z3E0000000000000000000", Raw: raw}
	s, err := conv.Status(o, sampleRemoteAccount(t), StatusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lower := strings.ToLower(s.Content)
	for _, bad := range []string{"<script", "alert(", "<iframe", "fallback", "onerror", "onclick", "javascript:", "data:",
		"style=", "<style", "display:none", "<img", "<svg", "<form", "<input", "evil", "/relative\"", "<object", "obj<"} {
		if strings.Contains(lower, bad) {
			t.Errorf("content keeps %q:\n%s", bad, s.Content)
		}
	}
	for _, good := range []string{
		`<span class="h-card"><a href="https://peer.example/@amina" class="u-url mention" rel="nofollow noreferrer noopener" target="_blank">@<span>amina</span></a></span>`,
		`<a href="https://peer.example/tags/kenya" class="mention hashtag" rel="tag nofollow noreferrer noopener" target="_blank">#<span>Kenya</span></a>`,
		`<span class="invisible">https://</span><span class="ellipsis">example.org</span>`,
		"<p>styled</p>", "click", "again", "relative",
	} {
		if !strings.Contains(s.Content, good) {
			t.Errorf("content lost %q:\n%s", good, s.Content)
		}
	}
	if s.SpoilerText != "warning & more" {
		t.Errorf("spoiler_text = %q, want plain text", s.SpoilerText)
	}
}

func TestSanitize(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`<p>a<br>b<br/>c</p>`, `<p>a<br>b<br/>c</p>`},
		{`<h1>Title</h1><ul><li>one</li></ul>`, `Titleone`},
		{`<a href="https://x.example" target="_self" rel="me">x</a>`, `<a href="https://x.example" rel="me nofollow noreferrer noopener" target="_blank">x</a>`},
		{`<a href="https://x.example" class="status-link">x</a>`, `<a href="https://x.example" rel="nofollow noreferrer noopener" target="_blank">x</a>`},
		{`<span class="">y</span>`, `<span>y</span>`},
		{`<span class="h-card" translate="no">z</span>`, `<span class="h-card">z</span>`},
	} {
		if got := Sanitize(tt.in); got != tt.want {
			t.Errorf("Sanitize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
