package publish

import (
	"testing"

	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/store"
	"github.com/tocsin-network/tocsin/tlp"
)

func TestCanReadFollowsTLP(t *testing.T) {
	org := "org1"
	member := &Viewer{Account: &store.Account{Username: "m", Role: "member"}, Actor: "https://h/users/m"}
	publisher := &Viewer{Account: &store.Account{Username: "p", Role: "publisher", ActsFor: []string{org}}, Actor: "https://h/users/p"}
	moderator := &Viewer{Account: &store.Account{Username: "mod", Role: "moderator"}, Actor: "https://h/users/mod"}
	named := &Viewer{Account: &store.Account{Username: "n", Role: "member"}, Actor: "https://h/users/n"}
	disabled := &Viewer{Account: &store.Account{Username: "d", Role: "admin", Disabled: true}, Actor: "https://h/users/d"}
	rec := func(l tlp.Level, mod string) *store.AlertRecord {
		return &store.AlertRecord{Local: true, AccountID: org, Moderation: mod,
			Alert: alert.Alert{TLP: l, Recipients: []string{"https://h/users/n"}}}
	}
	viewers := []struct {
		name string
		v    *Viewer
	}{{"anyone", nil}, {"member", member}, {"publisher", publisher}, {"moderator", moderator}, {"named", named}, {"disabled", disabled}}
	// want[level][viewer index]
	want := map[tlp.Level][]bool{
		tlp.Clear:       {true, true, true, true, true, true},
		tlp.Green:       {false, true, true, true, true, false},
		tlp.Amber:       {false, false, true, true, false, false},
		tlp.AmberStrict: {false, false, true, true, false, false},
		tlp.Red:         {false, false, true, false, true, false},
	}
	for l, row := range want {
		for i, vw := range viewers {
			if got := CanRead(vw.v, rec(l, store.ModVisible)); got != row[i] {
				t.Errorf("%s read by %s: %v, want %v", l.Label(), vw.name, got, row[i])
			}
		}
	}
	for _, mod := range []string{store.ModPending, store.ModRejected} {
		if CanRead(nil, rec(tlp.Clear, mod)) || CanRead(member, rec(tlp.Clear, mod)) {
			t.Errorf("%s content shown to non-staff", mod)
		}
		if !CanRead(moderator, rec(tlp.Clear, mod)) {
			t.Errorf("%s content hidden from moderators", mod)
		}
	}
	if got := ReadableLevels(nil); len(got) != 1 || got[0] != tlp.Clear {
		t.Errorf("anonymous levels: %v", got)
	}
}
