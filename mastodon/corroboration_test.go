package mastodon

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/federation/profile"
	"github.com/tocsin-network/tocsin/tlp"
)

func TestCorroboratedAlertShowsTheCountInContentAndTocsinFields(t *testing.T) {
	o, rec := publishedAlert(t, tlp.Clear)
	var obj map[string]any
	if err := json.Unmarshal(o.Raw, &obj); err != nil {
		t.Fatal(err)
	}
	profile.Corroborate(obj, o.IRI+"/sightings", profile.Tally{Confirmed: 2, Disputed: 1})
	raw, err := ap.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	o.Raw = raw
	s, err := conv.Status(o, conv.LocalAccount(elog(), AccountCounts{}), StatusOptions{Alert: rec})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.Content, "<p>TLP:CLEAR · Status: active · Expires 2027-08-10 18:00 UTC · Confirmed by 2 networks, disputed by 1</p>") {
		t.Errorf("content %q", s.Content)
	}
	c := s.Tocsin.Corroboration
	if c == nil || c.Confirmed != 2 || c.Disputed != 1 || c.Summary != "Confirmed by 2 networks, disputed by 1" {
		t.Errorf("tocsin.corroboration %+v", c)
	}
}
