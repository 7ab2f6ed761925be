package mastodon

import (
	"regexp"
	"strconv"
	"testing"

	"github.com/tocsin-network/tocsin/federation"
)

// Clients (Tusky, Ivory, Elk, Phanpy, Mastodon.py) read the numeric X.Y.Z
// at the start of version to choose the API features they use.
func TestInstanceVersionStartsWithMastodonsXYZ(t *testing.T) {
	v1, v2 := conv.InstanceV1(InstanceInfo{}), conv.InstanceV2(InstanceInfo{})
	re := regexp.MustCompile(`^(\d+)\.(\d+)\.(\d+)(?:[ -+]|$)`)
	for _, v := range []string{v1.Version, v2.Version} {
		m := re.FindStringSubmatch(v)
		if m == nil {
			t.Fatalf("version %q does not start with X.Y.Z", v)
		}
		if major, _ := strconv.Atoi(m[1]); major < 4 {
			t.Errorf("version %q: clients treat < 4 as lacking the v2 instance and filters APIs", v)
		}
	}
	if v1.Version != "4.3.0 (compatible; Tocsin 0.1.0)" {
		t.Errorf("version = %q", v1.Version)
	}
}

func TestInstanceDescribesThisServer(t *testing.T) {
	info := InstanceInfo{Title: "Tocsin", ContactEmail: "a@tocsin.example", Languages: []string{"en-GB", "fr", "fr-CI", "sw"}, Registrations: true}
	v2 := conv.InstanceV2(info)
	if v2.Domain != "tocsin.example" || v2.Configuration.URLs.Streaming != "wss://tocsin.example" || v2.APIVersions["mastodon"] != 2 {
		t.Errorf("domain %s streaming %s api_versions %v", v2.Domain, v2.Configuration.URLs.Streaming, v2.APIVersions)
	}
	st := v2.Configuration.Statuses
	if st.MaxCharacters != 5000 || st.MaxMediaAttachments != 4 || st.CharactersReservedPerURL != 23 {
		t.Errorf("statuses = %+v", st)
	}
	if got := v2.Languages; len(got) != 3 || got[0] != "en" || got[1] != "fr" || got[2] != "sw" {
		t.Errorf("languages = %v", got)
	}
	if v2.Contact.Account != nil || v2.Thumbnail.URL != base+DefaultThumbnailPath || !v2.Registrations.Enabled {
		t.Errorf("contact %v thumbnail %s registrations %v", v2.Contact.Account, v2.Thumbnail.URL, v2.Registrations)
	}
	local := &Converter{URLs: federation.URLs{Base: "http://127.0.0.1:3001"}}
	v1 := local.InstanceV1(info)
	if v1.URI != "127.0.0.1:3001" || v1.URLs.StreamingAPI != "ws://127.0.0.1:3001" || v1.Email != "a@tocsin.example" {
		t.Errorf("uri %s streaming %s email %s", v1.URI, v1.URLs.StreamingAPI, v1.Email)
	}
}
