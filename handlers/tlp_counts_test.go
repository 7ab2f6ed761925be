package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/internal/cluster"
	"github.com/tocsin-network/tocsin/publish"
	"github.com/tocsin-network/tocsin/tlp"
)

// TestCountsStrangersSeeLeaveOutConfidentialAlerts checks every count an
// anonymous caller can read: had they included AMBER or RED alerts, an
// observer polling them would learn when confidential alerts go out.
func TestCountsStrangersSeeLeaveOutConfidentialAlerts(t *testing.T) {
	ctx := context.Background()
	s := cluster.Start(t, 0)
	org := s.CreateAccount(t, "observers", "organization", "publisher")
	s.CreateAccount(t, "editor", "person", "publisher")
	if err := s.Accounts.Grant(ctx, "editor", "observers"); err != nil {
		t.Fatal(err)
	}
	editor, err := s.Accounts.Get(ctx, "editor")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Publish.SetCircle(ctx, "self", []string{"observers@" + s.Domain}); err != nil {
		t.Fatal(err)
	}
	au := publish.Author{Org: org, Person: editor}
	create := func(title string, l tlp.Level) string {
		t.Helper()
		in := alert.Alert{Title: title, Body: "Observers report pre-marked ballots.", Severity: "severe",
			Confidence: "likely", Category: "vote-buying", Countries: []string{"KE"}, TLP: l, Language: "en"}
		switch l {
		case tlp.Amber:
			in.Circle = "self"
		case tlp.Red:
			in.Recipients = []string{s.URL + "/users/editor"}
		}
		rec, err := s.Publish.CreateAlert(ctx, au, in)
		if err != nil {
			t.Fatalf("create %s: %v", title, err)
		}
		return rec.IRI
	}
	getJSON := func(path, accept string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
		req.Header.Set("Accept", accept)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		var out map[string]any
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatalf("GET %s: %v: %s", path, err, body)
		}
		return out
	}
	counts := func() map[string]float64 {
		t.Helper()
		ni := getJSON("/nodeinfo/2.1", "application/json")
		inst := getJSON("/api/v1/instance", "application/json")
		acct := getJSON("/api/v1/accounts/lookup?acct=observers", "application/json")
		outbox := getJSON("/users/observers/outbox", "application/activity+json")
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/api/v1/instance/activity", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var weeks []map[string]string
		err = json.NewDecoder(resp.Body).Decode(&weeks)
		resp.Body.Close()
		if err != nil || len(weeks) == 0 {
			t.Fatalf("instance activity: %v %v", err, weeks)
		}
		var thisWeek float64
		if err := json.Unmarshal([]byte(weeks[0]["statuses"]), &thisWeek); err != nil {
			t.Fatal(err)
		}
		return map[string]float64{
			"nodeinfo localPosts":    ni["usage"].(map[string]any)["localPosts"].(float64),
			"instance status_count":  inst["stats"].(map[string]any)["status_count"].(float64),
			"account statuses_count": acct["statuses_count"].(float64),
			"outbox totalItems":      outbox["totalItems"].(float64),
			"this week's statuses":   thisWeek,
		}
	}
	expect := func(when string, want float64) {
		t.Helper()
		for what, n := range counts() {
			if n != want {
				t.Errorf("%s: %s = %v, want %v", when, what, n, want)
			}
		}
	}

	expect("before any alert", 0)
	create("Public alert", tlp.Clear)
	expect("after a CLEAR alert", 1)
	create("Members alert", tlp.Green)
	create("Circle alert", tlp.Amber)
	create("Named alert", tlp.Red)
	expect("after GREEN, AMBER and RED alerts", 1)
	second := create("Second public alert", tlp.Clear)
	expect("after a second CLEAR alert", 2)
	if _, err := s.Publish.RetractAlert(ctx, au, second); err != nil {
		t.Fatal(err)
	}
	expect("after retracting it", 1)
	// A CLEAR alert raised to AMBER leaves every count strangers read.
	third := create("Third public alert", tlp.Clear)
	expect("after a third CLEAR alert", 2)
	rec, err := s.DB.Alert(ctx, third)
	if err != nil {
		t.Fatal(err)
	}
	raised := rec.Alert
	raised.TLP, raised.Circle = tlp.Amber, "self"
	if _, err := s.Publish.UpdateAlert(ctx, au, third, raised); err != nil {
		t.Fatal(err)
	}
	expect("after raising it to AMBER", 1)
	// Nor is the Create that carried its CLEAR version served any more.
	req, _ := http.NewRequest(http.MethodGet, third+"/activity", nil)
	req.Header.Set("Accept", "application/activity+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("the raised alert's Create: %d, want 404", resp.StatusCode)
	}
}
