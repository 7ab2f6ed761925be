package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestAlertCorroborateRecordsAVoteAndRefusesBadOnes(t *testing.T) {
	n := newNode(t)
	n.mustRun(pw, "account", "create", "--username", "observers", "--kind", "organization", "--role", "publisher")
	n.mustRun(pw, "account", "create", "--username", "watch", "--kind", "organization", "--role", "publisher")
	n.serve()
	id := strings.TrimSpace(n.mustRun("", "alert", "create", "--as", "observers",
		"--title", "Kenya: ballot boxes moved at night", "--body", "Seen in *Nakuru*.",
		"--severity", "severe", "--category", "disinformation", "--country", "KE", "--tlp", "clear"))

	out := n.mustRun("", "alert", "corroborate", id, "--as", "watch", "--verdict", "confirmed",
		"--where", "KE-32", "--count", "3", "--comment", "Our team saw the boxes moved.")
	if !strings.Contains(out, "recorded: Confirmed by 1 network") {
		t.Errorf("corroborate printed %q", out)
	}
	// Voting again replaces the vote.
	if out := n.mustRun("", "alert", "corroborate", id, "--as", "watch", "--verdict", "disputed"); !strings.Contains(out, "Disputed by 1 network") {
		t.Errorf("second vote printed %q", out)
	}
	var votes []struct {
		Actor   string `json:"actor"`
		Verdict string `json:"verdict"`
	}
	if err := json.Unmarshal([]byte(n.mustRun("", "alert", "sightings", id)), &votes); err != nil {
		t.Fatal(err)
	}
	if len(votes) != 1 || votes[0].Verdict != "disputed" || !strings.HasSuffix(votes[0].Actor, "/users/watch") {
		t.Errorf("sightings: %+v", votes)
	}

	r := n.run("", "alert", "corroborate", id, "--as", "watch", "--verdict", "perhaps", "--where", "ke", "--first-seen", "yesterday")
	if r.code != 2 {
		t.Errorf("invalid vote: exit %d, want 2\n%s", r.code, r.stderr)
	}
	for _, field := range []string{"first_seen:"} {
		if !strings.Contains(r.stderr, field) {
			t.Errorf("stderr lacks %q:\n%s", field, r.stderr)
		}
	}
	r = n.run("", "alert", "corroborate", id, "--as", "observers", "--verdict", "confirmed")
	if r.code == 0 || !strings.Contains(r.stderr, "own alert") {
		t.Errorf("an organisation corroborated its own alert: exit %d\n%s", r.code, r.stderr)
	}
}

// waitFor runs the command until its output contains want (bounded: 30 s).
func waitFor(t *testing.T, n *node, want string, args ...string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		out := n.mustRun("", args...)
		if strings.Contains(out, want) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v never printed %q; last:\n%s", args, want, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestTranslationOfferedAndAcceptedFromTheCommandLine(t *testing.T) {
	a, b := newNode(t), newNode(t)
	for _, n := range []*node{a, b} {
		n.env = append(n.env, "TOCSIN_ALLOW_PRIVATE_ADDRESSES=true", "TOCSIN_ALLOW_HTTP=true")
		n.mustRun(pw, "account", "create", "--username", "org", "--kind", "organization", "--role", "publisher")
		n.serve()
	}
	a.mustRun("", "peer", "add", "org@"+b.addr, "--as", "org")
	b.mustRun("", "peer", "add", "org@"+a.addr, "--as", "org")
	// B must follow A before A publishes, or the alert never reaches B.
	waitFor(t, a, `"they_follow": "accepted"`, "peer", "list", "--json")
	id := strings.TrimSpace(a.mustRun("", "alert", "create", "--as", "org",
		"--title", "Kenya: ballot boxes moved at night", "--body", "Seen in *Nakuru*.",
		"--severity", "severe", "--category", "disinformation", "--country", "KE", "--tlp", "clear"))
	waitFor(t, b, id, "alert", "list", "--json", "--origin", "peer")

	out := b.mustRun("", "alert", "translate", id, "--as", "org", "--language", "fr",
		"--title", "Kenya : urnes déplacées la nuit", "--content", "Vu à *Nakuru*.")
	if !strings.Contains(out, "offered") {
		t.Errorf("translate printed %q", out)
	}
	if r := b.run("", "alert", "translate", id, "--as", "org", "--language", "klingon", "--content", "x"); r.code != 2 || !strings.Contains(r.stderr, "language") {
		t.Errorf("bad language: exit %d\n%s", r.code, r.stderr)
	}
	listed := waitFor(t, a, `"pending"`, "alert", "translations", id, "--as", "org")
	var trs []struct {
		Seq, Translator, Language string
	}
	if err := json.Unmarshal([]byte(listed), &trs); err != nil || len(trs) != 1 || trs[0].Language != "fr" || trs[0].Translator != b.url("/users/org") {
		t.Fatalf("translations: %s (%v)", listed, err)
	}
	if out := a.mustRun("", "alert", "accept-translation", trs[0].Seq, "--as", "org"); !strings.Contains(out, "accepted") {
		t.Errorf("accept printed %q", out)
	}
	status, body := httpGet(t, id, "application/activity+json")
	var obj struct {
		ContentMap   map[string]string `json:"contentMap"`
		Translations []struct {
			Language, AttributedTo string
		} `json:"tocsin:translations"`
	}
	if err := json.Unmarshal(body, &obj); status != 200 || err != nil || obj.ContentMap["fr"] != "<p>Vu à Nakuru.</p>" ||
		len(obj.Translations) != 1 || obj.Translations[0].AttributedTo != b.url("/users/org") {
		t.Errorf("GET %s: %d %s", id, status, body)
	}
}
