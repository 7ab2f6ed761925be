package tlp

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestParseAcceptsEveryForm(t *testing.T) {
	tests := []struct {
		in   string
		want Level
	}{
		{"CLEAR", Clear}, {"clear", Clear}, {"TLP:CLEAR", Clear}, {"tlp:clear", Clear},
		{"WHITE", Clear}, {"TLP:WHITE", Clear}, {" White ", Clear},
		{"GREEN", Green}, {"TLP:GREEN", Green}, {"Green", Green},
		{"AMBER", Amber}, {"tlp:amber", Amber},
		{"AMBER+STRICT", AmberStrict}, {"TLP:AMBER+STRICT", AmberStrict}, {"amber+strict", AmberStrict},
		{"amber strict", AmberStrict}, {"AMBER_STRICT", AmberStrict}, {"tlp: amber-strict", AmberStrict},
		{"RED", Red}, {"TLP:RED", Red}, {"red", Red},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseRefusesUnknownLabels(t *testing.T) {
	for _, in := range []string{"", "TLP:", "YELLOW", "AMBER+", "STRICT", "TLP:AMBER+STRICT+RED", "0", "TLP CLEAR"} {
		if l, err := Parse(in); err == nil || !errors.Is(err, ErrUnknown) {
			t.Errorf("Parse(%q) = %v, %v; want ErrUnknown", in, l, err)
		}
	}
}

func TestStringAndLabelAreCanonical(t *testing.T) {
	tests := []struct {
		l           Level
		name, label string
	}{
		{Clear, "CLEAR", "TLP:CLEAR"},
		{Green, "GREEN", "TLP:GREEN"},
		{Amber, "AMBER", "TLP:AMBER"},
		{AmberStrict, "AMBER+STRICT", "TLP:AMBER+STRICT"},
		{Red, "RED", "TLP:RED"},
	}
	for _, tt := range tests {
		if tt.l.String() != tt.name || tt.l.Label() != tt.label {
			t.Errorf("%d: String %q Label %q; want %q %q", int(tt.l), tt.l.String(), tt.l.Label(), tt.name, tt.label)
		}
		back, err := Parse(tt.l.Label())
		if err != nil || back != tt.l {
			t.Errorf("Parse(Label()) round trip of %v = %v, %v", tt.l, back, err)
		}
	}
	if Level(0).Valid() || Level(6).Valid() {
		t.Error("0 and 6 must not be valid levels")
	}
}

func TestLevelsAreOrderedByRestriction(t *testing.T) {
	ls := Levels()
	for i := 1; i < len(ls); i++ {
		if ls[i-1] >= ls[i] {
			t.Errorf("%v is not less restricted than %v", ls[i-1], ls[i])
		}
	}
}

func TestJSONCarriesTheName(t *testing.T) {
	type doc struct {
		TLP Level `json:"tlp"`
	}
	b, err := json.Marshal(doc{AmberStrict})
	if err != nil || string(b) != `{"tlp":"AMBER+STRICT"}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var d doc
	if err := json.Unmarshal([]byte(`{"tlp":"tlp:white"}`), &d); err != nil || d.TLP != Clear {
		t.Fatalf("Unmarshal white = %v, %v", d.TLP, err)
	}
	if err := json.Unmarshal([]byte(`{"tlp":"PURPLE"}`), &d); err == nil {
		t.Fatal("Unmarshal PURPLE: want error")
	}
	if err := json.Unmarshal([]byte(`{"tlp":3}`), &d); err == nil {
		t.Fatal("Unmarshal of a number: want error")
	}
	if _, err := json.Marshal(doc{}); err == nil {
		t.Fatal("Marshal of the zero Level: want error")
	}
}

// TestAudienceRules is design.md's table, row by row. An invalid level is
// treated like RED.
func TestAudienceRules(t *testing.T) {
	tests := []struct {
		l          Level
		public     bool
		federates  bool
		boost      bool
		visibility string
		audience   Audience
	}{
		{Clear, true, true, true, "public", PublicAndFollowers},
		{Green, false, true, false, "private", ApprovedFollowers},
		{Amber, false, true, false, "direct", PeerCircle},
		{AmberStrict, false, true, false, "direct", NamedOrganisations},
		{Red, false, false, false, "direct", LocalAccounts},
		{Level(0), false, false, false, "direct", LocalAccounts},
		{Level(42), false, false, false, "direct", LocalAccounts},
	}
	for _, tt := range tests {
		if got := PublicVisible(tt.l); got != tt.public {
			t.Errorf("PublicVisible(%v) = %v", tt.l, got)
		}
		if got := Federates(tt.l); got != tt.federates {
			t.Errorf("Federates(%v) = %v", tt.l, got)
		}
		if got := MayBoost(tt.l); got != tt.boost {
			t.Errorf("MayBoost(%v) = %v", tt.l, got)
		}
		if got := MastodonVisibility(tt.l); got != tt.visibility {
			t.Errorf("MastodonVisibility(%v) = %q", tt.l, got)
		}
		if got := AudienceKind(tt.l); got != tt.audience {
			t.Errorf("AudienceKind(%v) = %v", tt.l, got)
		}
	}
}

func TestGreenNeverReachesAPublicPage(t *testing.T) {
	if PublicVisible(Green) || MayBoost(Green) || MastodonVisibility(Green) == "public" {
		t.Fatal("TLP:GREEN must never be public or boostable")
	}
}

func TestRedNeverFederates(t *testing.T) {
	if Federates(Red) {
		t.Fatal("TLP:RED must never federate")
	}
}

// Only CLEAR is public; everything stricter is not.
func TestOnlyClearIsPublic(t *testing.T) {
	for _, l := range Levels() {
		if PublicVisible(l) != (l == Clear) || MayBoost(l) != (l == Clear) {
			t.Errorf("%v: public %v boost %v", l, PublicVisible(l), MayBoost(l))
		}
	}
}
