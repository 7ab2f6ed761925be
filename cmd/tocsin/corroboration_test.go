package main

import (
	"encoding/json"
	"strings"
	"testing"
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
