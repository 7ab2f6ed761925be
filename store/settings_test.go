package store

import (
	"context"
	"errors"
	"testing"
)

func TestMarkersAreKeptPerAccountAndTimelineWithARisingVersion(t *testing.T) {
	db := newTestDB(t)
	ctx := context.Background()
	got, err := db.Markers(ctx, "A1", []string{"home", "notifications"})
	if err != nil || len(got) != 0 {
		t.Fatalf("markers before any write = %v, %v; want none", got, err)
	}
	if _, err := db.SetMarker(ctx, "A1", "home", "S1"); err != nil {
		t.Fatal(err)
	}
	m, err := db.SetMarker(ctx, "A1", "home", "S2")
	if err != nil {
		t.Fatal(err)
	}
	if m.LastReadID != "S2" || m.Version != 2 || m.UpdatedAt.IsZero() {
		t.Errorf("second write = %+v; want S2, version 2, a time", m)
	}
	if _, err := db.SetMarker(ctx, "A2", "notifications", "N9"); err != nil {
		t.Fatal(err)
	}
	got, err = db.Markers(ctx, "A1", []string{"home", "notifications"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got["home"].LastReadID != "S2" {
		t.Errorf("A1's markers = %v; want only home at S2", got)
	}
}

func TestAccountSettingsDefaultToZeroAndUpdateAtomically(t *testing.T) {
	db := newTestDB(t)
	ctx := context.Background()
	s, err := db.AccountSettings(ctx, "A1")
	if err != nil || *s != (AccountSettings{}) {
		t.Fatalf("settings of a new account = %+v, %v; want zero", s, err)
	}
	if _, err := db.UpdateAccountSettings(ctx, "A1", func(s *AccountSettings) error {
		s.Privacy, s.Language, s.Sensitive = "private", "fr", true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	refused := errors.New("refused")
	if _, err := db.UpdateAccountSettings(ctx, "A1", func(s *AccountSettings) error {
		s.Privacy = "direct"
		return refused
	}); !errors.Is(err, refused) {
		t.Fatalf("failing update returned %v; want the refusal", err)
	}
	s, err = db.AccountSettings(ctx, "A1")
	if err != nil {
		t.Fatal(err)
	}
	if want := (AccountSettings{Privacy: "private", Language: "fr", Sensitive: true}); *s != want {
		t.Errorf("settings = %+v; want %+v (the failed update saved nothing)", *s, want)
	}
}
