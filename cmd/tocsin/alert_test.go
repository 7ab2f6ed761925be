package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestAlertCommandsPublishListAndRefuseBadFields(t *testing.T) {
	n := newNode(t)
	n.mustRun(pw, "account", "create", "--username", "observers", "--kind", "organization", "--role", "publisher")
	s := n.serve()

	id := strings.TrimSpace(n.mustRun("", "alert", "create", "--as", "observers",
		"--title", "Kenya: ballot boxes moved at night", "--body", "Seen in *Nakuru*.",
		"--severity", "severe", "--category", "Disinformation", "--country", "KE", "--tlp", "clear",
		"--expires", "2099-01-01T00:00:00Z", "--source", "https://example.org/r Field report"))
	if !strings.HasPrefix(id, "http://"+n.addr+"/users/observers/statuses/") {
		t.Fatalf("alert create printed %q, want its ActivityPub id", id)
	}
	status, body := httpGet(t, id, "application/activity+json")
	if status != http.StatusOK || !strings.Contains(string(body), "TLP:CLEAR") || !strings.Contains(string(body), "#Disinformation") {
		t.Errorf("GET %s: %d %s", id, status, body)
	}
	var page struct {
		Alerts []struct {
			IRI   string `json:"iri"`
			Local bool   `json:"local"`
			Alert struct {
				Title    string `json:"title"`
				Category string `json:"category"`
				TLP      string `json:"tlp"`
			} `json:"alert"`
		} `json:"alerts"`
	}
	if err := json.Unmarshal([]byte(n.mustRun("", "alert", "list", "--json", "--country", "ke")), &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Alerts) != 1 || page.Alerts[0].IRI != id || page.Alerts[0].Alert.Category != "disinformation" || page.Alerts[0].Alert.TLP != "CLEAR" {
		t.Errorf("alert list: %+v", page)
	}
	if out := n.mustRun("", "alert", "resolve", id, "--as", "observers"); !strings.Contains(out, "resolved") {
		t.Errorf("resolve: %s", out)
	}

	r := n.run("", "alert", "create", "--as", "observers", "--title", "", "--severity", "apocalyptic",
		"--category", "gossip", "--country", "XX", "--tlp", "purple", "--expires", "tomorrow",
		"--source", "javascript:alert(1)")
	if r.code != 2 {
		t.Errorf("invalid alert: exit %d, want 2\n%s", r.code, r.stderr)
	}
	for _, field := range []string{"title:", "body:", "severity:", "category:", "countries[0]:", "tlp:", "expires:", "sources[0].url:"} {
		if !strings.Contains(r.stderr, field) {
			t.Errorf("stderr lacks %q:\n%s", field, r.stderr)
		}
	}
	if err := json.Unmarshal([]byte(n.mustRun("", "alert", "list", "--json")), &page); err != nil || len(page.Alerts) != 1 {
		t.Errorf("an invalid alert was stored: %+v %v", page, err)
	}
	note := strings.TrimSpace(n.mustRun("", "note", "create", "--as", "observers", "--title", "Protecting observers' phones",
		"--body", "Use full-disk encryption.", "--topic", "digital-security"))
	if status, body := httpGet(t, note, "application/activity+json"); status != http.StatusOK || !strings.Contains(string(body), `"Article"`) {
		t.Errorf("GET note: %d %s", status, body)
	}
	s.stop(t)
}
