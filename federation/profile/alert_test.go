package profile

import (
	"encoding/json"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/tlp"
)

func TestAlertRoundTripsAtEveryTLPLevel(t *testing.T) {
	for _, l := range tlp.Levels() {
		for _, create := range []bool{false, true} {
			name := l.Label()
			if create {
				name += " in a Create"
			}
			t.Run(name, func(t *testing.T) {
				want, to, cc := fullAlert(l)
				got := mustParseAlert(t, marshalAlert(t, want, to, cc, create))
				sameAlert(t, got, want)
			})
		}
	}
}

func TestAlertWithOnlyRequiredFieldsRoundTrips(t *testing.T) {
	want := &alert.Alert{
		URI: org + "/statuses/1", Author: org, Title: "Rumour: polls closed early",
		Body: "Untrue.", Severity: alert.SeverityMinor, Confidence: alert.ConfidencePossible,
		Category: alert.CategoryOther, Countries: []string{"BF"}, TLP: tlp.Clear,
		Published: published, Language: "en",
	}
	want.Normalize()
	got := mustParseAlert(t, marshalAlert(t, want, []string{ap.PublicIRI}, nil, true))
	sameAlert(t, got, want)
}

// rewritePrefix rewrites an alert as a peer would that names our namespace
// "x" instead of "tocsin". With plain, it goes further and defines each term
// in its @context ("severity": "x:severity"), writing the bare term.
func rewritePrefix(t *testing.T, b []byte, plain bool) []byte {
	t.Helper()
	doc := decodeJSON(t, b)
	ctx := doc["@context"].([]any)
	inline := ctx[2].(map[string]any)
	delete(inline, "tocsin")
	inline["x"] = ap.TocsinNS
	var rename func(m map[string]any)
	rename = func(m map[string]any) {
		for k, v := range m {
			if term, ok := strings.CutPrefix(k, "tocsin:"); ok {
				delete(m, k)
				if plain {
					inline[term] = "x:" + term
					m[term] = v
				} else {
					m["x:"+term] = v
				}
			}
			if o, ok := v.(map[string]any); ok && k == "object" {
				rename(o)
			}
		}
	}
	rename(doc)
	out := encodeJSON(t, doc)
	if strings.Contains(string(out), "tocsin:") {
		t.Fatalf("rewrite left a tocsin: prefix: %s", out)
	}
	return out
}

func TestAlertReadsUnderAPeersPrefix(t *testing.T) {
	for _, tt := range []struct {
		name          string
		plain, create bool
	}{
		{"x: prefix", false, false},
		{"x: prefix in a Create", false, true},
		{"plain terms defined in @context", true, false},
		{"plain terms defined in the Create's @context", true, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want, to, cc := fullAlert(tlp.Amber)
			b := rewritePrefix(t, marshalAlert(t, want, to, cc, tt.create), tt.plain)
			sameAlert(t, mustParseAlert(t, b), want)
		})
	}
}

func TestMastodonNoteIsNotAnAlert(t *testing.T) {
	o := parseObject(t, readFile(t, "testdata/mastodon-create-note.json"))
	if o.Type != "Note" {
		t.Fatalf("fixture object is a %s", o.Type)
	}
	if a, ok, err := ParseAlert(o); ok || a != nil || err != nil {
		t.Errorf("ParseAlert = %v, %v, %v; want a plain post (nil, false, nil)", a, ok, err)
	}
	if n, ok, err := ParsePracticeNote(o); ok || n != nil || err != nil {
		t.Errorf("ParsePracticeNote = %v, %v, %v; want nil, false, nil", n, ok, err)
	}
	if k := Kind(o); k != "" {
		t.Errorf("Kind = %q", k)
	}
}

// textAndTags walks parsed HTML: the text in document order, and every
// element name met.
func textAndTags(n *html.Node, text *strings.Builder, tags map[string]bool) {
	switch n.Type {
	case html.TextNode:
		text.WriteString(n.Data)
	case html.ElementNode:
		tags[n.Data] = true
		if n.DataAtom == atom.Br || n.DataAtom == atom.P {
			text.WriteString("\n")
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		textAndTags(c, text, tags)
	}
}

func TestAlertContentReadsInOrderInTheFederatedSubset(t *testing.T) {
	a, to, cc := fullAlert(tlp.Amber)
	obj := decodeJSON(t, marshalAlert(t, a, to, cc, false))
	content, _ := obj["content"].(string)

	nodes, err := html.ParseFragment(strings.NewReader(content), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	tags := map[string]bool{}
	for _, n := range nodes {
		textAndTags(n, &text, tags)
	}
	for tag := range tags {
		switch tag {
		case "p", "br", "a", "span":
		default:
			t.Errorf("content has <%s>; only p, br, a and span are kept by every server", tag)
		}
	}
	s := strings.TrimSpace(text.String())
	if !strings.HasPrefix(s, "TLP:AMBER") {
		t.Errorf("content must start with the TLP label, starts %q", s[:min(len(s), 30)])
	}
	// In order: TLP label, status, headline (severity, category, country
	// names, title), body, sources.
	order := []string{
		"TLP:AMBER", "Status: updated",
		"SEVERE · Disinformation · Kenya, Côte d'Ivoire: Kenya: ballot stuffing",
		"Des bulletins pré-remplis", "Bureau nº 13",
		"Sources:", "Nation: « Ballot stuffing » in Nairobi", "https://cei.example/communiqué",
	}
	at := 0
	for _, want := range order {
		i := strings.Index(s[at:], want)
		if i < 0 {
			t.Fatalf("content lacks %q after position %d:\n%s", want, at, s)
		}
		at += i + len(want)
	}
	for _, href := range []string{`href="https://news.example/ke/stuffing?id=1&amp;lang=fr"`, `href="https://cei.example/communiqu`} {
		if !strings.Contains(content, href) {
			t.Errorf("content lacks the source link %s:\n%s", href, content)
		}
	}
	if cm, _ := obj["contentMap"].(map[string]any); cm["fr-CI"] != content {
		t.Errorf("contentMap = %v, want {fr-CI: content}", obj["contentMap"])
	}
}

func TestAlertIsANoteWithHashtagsAndNoSummary(t *testing.T) {
	a, to, cc := fullAlert(tlp.Clear)
	raw := marshalAlert(t, a, to, cc, false)
	obj := decodeJSON(t, raw)
	if obj["type"] != "Note" {
		t.Errorf("type = %v", obj["type"])
	}
	if _, ok := obj["summary"]; ok {
		t.Errorf("summary = %v: Mastodon would hide the alert behind a content warning", obj["summary"])
	}
	tags, ok := obj["tag"].([]any)
	if !ok {
		t.Fatalf("tag = %#v, want an array", obj["tag"])
	}
	var names []string
	for _, tag := range tags {
		m := tag.(map[string]any)
		name, _ := m["name"].(string)
		if m["type"] != "Hashtag" || m["href"] != tagURL(strings.TrimPrefix(name, "#")) {
			t.Errorf("tag %v: want a Hashtag with href %s", m, tagURL(strings.TrimPrefix(name, "#")))
		}
		names = append(names, name)
	}
	if got, want := strings.Join(names, " "), "#Disinformation #Kenya #CôteDIvoire"; got != want {
		t.Errorf("hashtags %q, want %q", got, want)
	}
	for k, want := range map[string]any{
		"name": "Kenya: ballot stuffing", "url": a.URI, "attributedTo": org,
		"published": "2027-08-01T09:30:00Z", "updated": "2027-08-02T14:05:07Z",
		"tocsin:kind": "alert", "tocsin:tlp": "CLEAR", "tocsin:severity": "severe",
		"tocsin:expires": "2027-08-10T18:00:00Z",
	} {
		if obj[k] != want {
			t.Errorf("%s = %v, want %v", k, obj[k], want)
		}
	}
	src, _ := obj["source"].(map[string]any)
	if src["mediaType"] != Markdown || src["content"] != a.Body {
		t.Errorf("source = %v, want the Markdown body", src)
	}
	for _, k := range []string{"to", "cc", "tocsin:countries", "tocsin:sources"} {
		if _, ok := obj[k].([]any); !ok {
			t.Errorf("%s = %v, want an array", k, obj[k])
		}
	}
}

// inbound renders a valid alert at level l, lets edit change the decoded
// Create, and parses the result.
func inbound(t *testing.T, l tlp.Level, edit func(create, obj map[string]any)) (*alert.Alert, bool, error) {
	t.Helper()
	a, to, cc := fullAlert(l)
	create := decodeJSON(t, marshalAlert(t, a, to, cc, true))
	edit(create, create["object"].(map[string]any))
	return ParseAlert(parseObject(t, encodeJSON(t, create)))
}

func TestInvalidInboundAlertsAreRefusedByField(t *testing.T) {
	tests := []struct {
		name  string
		level tlp.Level
		edit  func(create, obj map[string]any)
		field string
	}{
		{"unknown severity", tlp.Green, func(_, o map[string]any) { o["tocsin:severity"] = "catastrophic" }, "severity"},
		{"severity not a string", tlp.Green, func(_, o map[string]any) { o["tocsin:severity"] = 4 }, "severity"},
		{"unknown country", tlp.Green, func(_, o map[string]any) { o["tocsin:countries"] = []any{"KE", "CI", "ZZ"} }, "countries[2]"},
		{"country in lower case", tlp.Green, func(_, o map[string]any) { o["tocsin:countries"] = []any{"ke", "CI"} }, "countries[0]"},
		{"countries not strings", tlp.Green, func(_, o map[string]any) { o["tocsin:countries"] = map[string]any{"KE": true} }, "countries"},
		{"no countries", tlp.Green, func(_, o map[string]any) { delete(o, "tocsin:countries"); delete(o, "tocsin:subdivisions") }, "countries"},
		{"unknown category", tlp.Green, func(_, o map[string]any) { o["tocsin:category"] = "gossip" }, "category"},
		{"unknown TLP", tlp.Green, func(_, o map[string]any) { o["tocsin:tlp"] = "PURPLE" }, "tlp"},
		{"no TLP", tlp.Green, func(_, o map[string]any) { delete(o, "tocsin:tlp") }, "tlp"},
		{"unknown status", tlp.Green, func(_, o map[string]any) { o["tocsin:status"] = "pending" }, "status"},
		{"election date not a day", tlp.Green, func(_, o map[string]any) {
			o["tocsin:election"] = map[string]any{"name": "General", "date": "2027-02-30"}
		}, "election.date"},
		{"expires not a date-time", tlp.Green, func(_, o map[string]any) { o["tocsin:expires"] = "next week" }, "expires"},
		{"source URL not http", tlp.Green, func(_, o map[string]any) {
			o["tocsin:sources"] = []any{map[string]any{"url": "javascript:alert(1)"}}
		}, "sources[0].url"},
		{"no Markdown source", tlp.Green, func(_, o map[string]any) { delete(o, "source") }, "body"},
		{"HTML source", tlp.Green, func(_, o map[string]any) {
			o["source"] = map[string]any{"content": "<p>x</p>", "mediaType": "text/html"}
		}, "body"},
		{"no language", tlp.Green, func(_, o map[string]any) { delete(o, "contentMap") }, "language"},
		{"no title", tlp.Green, func(_, o map[string]any) { delete(o, "name") }, "title"},
		{"an Article", tlp.Green, func(_, o map[string]any) { o["type"] = "Article" }, "type"},
		{"GREEN addressed to Public", tlp.Green, func(c, o map[string]any) {
			o["to"] = []any{ap.PublicIRI}
			c["to"] = o["to"]
		}, "tlp"},
		{"GREEN unlisted (Public in cc)", tlp.Green, func(_, o map[string]any) { o["cc"] = []any{"as:Public"} }, "tlp"},
		{"AMBER addressed to Public", tlp.Amber, func(_, o map[string]any) { o["to"] = append(o["to"].([]any), ap.PublicIRI) }, "tlp"},
		{"RED addressed to Public", tlp.Red, func(_, o map[string]any) { o["cc"] = []any{ap.PublicIRI} }, "tlp"},
		{"RED sent to another server", tlp.Red, func(_, o map[string]any) { o["to"] = []any{peerOrg1} }, "to"},
		{"AMBER+STRICT cc followers", tlp.AmberStrict, func(_, o map[string]any) { o["cc"] = []any{followers} }, "cc"},
		{"AMBER+STRICT to nobody", tlp.AmberStrict, func(_, o map[string]any) { o["to"] = []any{} }, "recipients"},
		{"AMBER without circle", tlp.Amber, func(_, o map[string]any) { delete(o, "tocsin:circle") }, "circle"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, ok, err := inbound(t, tt.level, tt.edit)
			if !ok {
				t.Fatal("ok = false: the object still claims to be an alert")
			}
			if err == nil || a != nil {
				t.Fatalf("ParseAlert = %v, %v; want refused", a, err)
			}
			problems := problemsOf(t, err)
			if _, named := problems[tt.field]; !named {
				t.Errorf("error names %v, want %q: %v", keys(problems), tt.field, err)
			}
		})
	}
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestSeveralProblemsAreReportedAtOnce(t *testing.T) {
	_, _, err := inbound(t, tlp.Green, func(_, o map[string]any) {
		o["tocsin:severity"] = "catastrophic"
		o["tocsin:countries"] = []any{"KE", "CI", "ZZ"}
		o["cc"] = []any{ap.PublicIRI}
	})
	p := problemsOf(t, err)
	for _, f := range []string{"severity", "countries[2]", "tlp"} {
		if _, ok := p[f]; !ok {
			t.Errorf("%q not reported: %v", f, err)
		}
	}
}

func TestClearAlertNotAddressedToPublicIsReadAsGreen(t *testing.T) {
	a, ok, err := inbound(t, tlp.Clear, func(c, o map[string]any) {
		o["to"], o["cc"] = []any{followers}, []any{}
		c["to"], c["cc"] = o["to"], o["cc"]
	})
	if !ok || err != nil {
		t.Fatalf("ParseAlert = %v, %v", ok, err)
	}
	if a.TLP != tlp.Green || tlp.PublicVisible(a.TLP) || tlp.MayBoost(a.TLP) {
		t.Errorf("TLP = %v, want GREEN: the narrower audience wins", a.TLP)
	}
}

func TestAlertObjectRefusesAddressingThatContradictsTLP(t *testing.T) {
	tests := []struct {
		name   string
		level  tlp.Level
		to, cc []string
		field  string
	}{
		{"GREEN to Public", tlp.Green, []string{ap.PublicIRI}, []string{followers}, "tlp"},
		{"GREEN unlisted", tlp.Green, []string{followers}, []string{ap.PublicIRI}, "tlp"},
		{"AMBER to Public", tlp.Amber, []string{peerOrg1, ap.PublicIRI}, nil, "tlp"},
		{"CLEAR to followers only", tlp.Clear, []string{followers}, nil, "tlp"},
		{"AMBER+STRICT to someone else", tlp.AmberStrict, []string{peerOrg1, "https://third.example/users/x"}, nil, "to"},
		{"AMBER+STRICT cc followers", tlp.AmberStrict, []string{peerOrg1, peerOrg2}, []string{followers}, "to"},
		{"RED to a remote account", tlp.Red, []string{staff1, staff2, peerOrg1}, nil, "to"},
		{"RED cc followers", tlp.Red, nil, []string{followers}, "to"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _, _ := fullAlert(tt.level)
			obj, err := AlertObject(a, a.URI, a.Author, tt.to, tt.cc, tagURL)
			if obj != nil || err == nil {
				t.Fatalf("AlertObject = %v, %v; want refused", obj != nil, err)
			}
			if _, ok := problemsOf(t, err)[tt.field]; !ok {
				t.Errorf("error %v does not name %q", err, tt.field)
			}
		})
	}
	// A RED alert is never delivered: addressed to no one is fine, and so is
	// a subset of its recipients.
	for _, to := range [][]string{nil, {staff2}} {
		a, _, _ := fullAlert(tlp.Red)
		if _, err := AlertObject(a, a.URI, a.Author, to, nil, tagURL); err != nil {
			t.Errorf("RED addressed to %v: %v", to, err)
		}
	}
	a, to, cc := fullAlert(tlp.Green)
	a.Severity = "dire"
	if _, err := AlertObject(a, a.URI, a.Author, to, cc, tagURL); err == nil {
		t.Error("AlertObject of an invalid alert: want the validation error")
	} else if _, ok := problemsOf(t, err)["severity"]; !ok {
		t.Errorf("error %v does not name severity", err)
	}
}

func TestUnknownExtensionFieldsSurvive(t *testing.T) {
	want, to, cc := fullAlert(tlp.Clear)
	create := decodeJSON(t, marshalAlert(t, want, to, cc, true))
	inline := create["@context"].([]any)[2].(map[string]any)
	inline["y"] = "https://other.example/ns#"
	obj := create["object"].(map[string]any)
	obj["tocsin:impact"] = map[string]any{"voters": 1200, "note": "à vérifier"} // a later Tocsin's term
	obj["y:score"] = 7                                                          // another vocabulary
	obj["tocsin:severity"] = "severe"                                           // read: not an extra
	o := parseObject(t, encodeJSON(t, create))

	got, ok, err := ParseAlert(o)
	if !ok || err != nil {
		t.Fatalf("ParseAlert = %v, %v", ok, err)
	}
	sameAlert(t, got, want)
	extras := Extras(o)
	wantExtras := map[string]string{
		"tocsin:impact":                  `{"note":"à vérifier","voters":1200}`,
		"https://other.example/ns#score": `7`,
	}
	if len(extras) != len(wantExtras) {
		t.Errorf("Extras = %s, want %v", extras, wantExtras)
	}
	for k, v := range wantExtras {
		if string(extras[k]) != v {
			t.Errorf("Extras[%q] = %s, want %s", k, extras[k], v)
		}
	}

	// Written out again by us, with our @context, and read back: the extras
	// are still there and mean the same; ours are not overridden.
	extras["tocsin:severity"] = json.RawMessage(`"minor"`)
	out, err := AlertObject(got, got.URI, got.Author, to, cc, tagURL)
	if err != nil {
		t.Fatal(err)
	}
	AddExtras(out, extras)
	b, err := ap.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	again := parseObject(t, b)
	sameAlert(t, mustParseAlert(t, b), want)
	for k, v := range wantExtras {
		if string(Extras(again)[k]) != v {
			t.Errorf("after re-serialising, Extras[%q] = %s, want %s", k, Extras(again)[k], v)
		}
	}
}

func TestExtrasDropsTermsThatWouldChangeMeaning(t *testing.T) {
	// "tocsin:x" where the peer never defined "tocsin": written back under
	// our @context it would become our term.
	doc := `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://peer.example/n/1",
		"type":"Note","content":"hi","tocsin:kind":"alert","nickname":"lain"}`
	o := parseObject(t, []byte(doc))
	if a, ok, err := ParseAlert(o); ok || a != nil || err != nil {
		t.Errorf("an undefined tocsin: prefix is not our namespace: ParseAlert = %v, %v, %v", a, ok, err)
	}
	if e := Extras(o); len(e) != 0 {
		t.Errorf("Extras = %s, want none", e)
	}
	if _, ok := o.Extensions["nickname"]; !ok {
		t.Error("ap.Object.Extensions lost the undefined term")
	}
}
