package publish

import (
	"slices"

	"github.com/tocsin-network/tocsin/store"
	"github.com/tocsin-network/tocsin/tlp"
)

// Viewer is who reads: nil for anyone without signing in.
type Viewer struct {
	Account *store.Account
	// Actor is the viewer's actor IRI (to match named recipients).
	Actor string
}

// staff reports whether the viewer works for this instance's organisations:
// admins and moderators, and publishers granted an organisation.
func (v *Viewer) staff() bool {
	if v == nil || v.Account == nil || v.Account.Disabled {
		return false
	}
	a := v.Account
	return a.Role == "admin" || a.Role == "moderator" || (a.Role == "publisher" && len(a.ActsFor) > 0)
}

// CanRead applies TLP 2.0 to a stored alert and a viewer, in one place for
// every read path (API, web pages, feeds, search):
//   - CLEAR: anyone, once approved by moderation;
//   - GREEN: signed-in members of this instance (the community it was shared with);
//   - AMBER and AMBER+STRICT: this instance's staff (the organisation it was shared with);
//   - RED: the named recipients, and the staff of the organisation that wrote it.
//
// Content held for review, or rejected, is shown to staff only.
func CanRead(v *Viewer, rec *store.AlertRecord) bool {
	if rec.Moderation != "" && rec.Moderation != store.ModVisible && !v.staff() {
		return false
	}
	signedIn := v != nil && v.Account != nil && !v.Account.Disabled
	switch rec.Alert.TLP {
	case tlp.Clear:
		return true
	case tlp.Green:
		return signedIn
	case tlp.Amber, tlp.AmberStrict:
		return v.staff()
	case tlp.Red:
		if !signedIn {
			return false
		}
		if slices.Contains(rec.Alert.Recipients, v.Actor) {
			return true
		}
		return rec.Local && (v.Account.Role == "admin" || slices.Contains(v.Account.ActsFor, rec.AccountID))
	}
	return false
}

// ReadableLevels returns the TLP levels a viewer may list (RED is then
// checked record by record with CanRead).
func ReadableLevels(v *Viewer) []tlp.Level {
	signedIn := v != nil && v.Account != nil && !v.Account.Disabled
	switch {
	case v.staff():
		return []tlp.Level{tlp.Clear, tlp.Green, tlp.Amber, tlp.AmberStrict, tlp.Red}
	case signedIn:
		return []tlp.Level{tlp.Clear, tlp.Green, tlp.Red}
	}
	return []tlp.Level{tlp.Clear}
}
