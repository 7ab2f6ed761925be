package profile

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/tlp"
)

// The TLP of an alert and its addressing must tell the same story, both
// ways (design.md, "TLP decides the audience"):
//
//   - TLP:CLEAR goes to the public (as:Public in to or cc). Inbound, a CLEAR
//     alert not addressed to the public is read as TLP:GREEN: the sender
//     chose a narrower audience than the label allows, and the narrower one
//     wins, so we never show publicly or boost what its author did not
//     publish. Outbound we refuse to write one.
//   - Every other level is never addressed to the public: an alert marked
//     GREEN, AMBER, AMBER+STRICT or RED with as:Public in to or cc is a
//     contradiction and is refused, both ways.
//   - TLP:AMBER+STRICT and TLP:RED name their recipients. Outbound, to and
//     cc address no one else (a RED object, never delivered, may address no
//     one). Inbound, Recipients is read from to, so an alert written with
//     to = its recipients reads back the same, and cc names no one else.
//   - TLP:RED never leaves its server: inbound, every address in to, cc and
//     audience must be on the author's host (so a peer's RED alert addressed
//     to us is refused).

// isPublic reports whether any address is the public collection.
func isPublic(lists ...[]string) bool {
	for _, l := range lists {
		if slices.ContainsFunc(l, ap.IsPublic) {
			return true
		}
	}
	return false
}

// outboundAddressing checks that to and cc fit a's TLP.
func outboundAddressing(a *alert.Alert, to, cc []string) []alert.FieldError {
	var p []alert.FieldError
	add := func(field, format string, args ...any) {
		p = append(p, alert.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	public := isPublic(to, cc)
	switch {
	case a.TLP == tlp.Clear && !public:
		add("tlp", "a TLP:CLEAR alert is addressed to the public (as:Public in to)")
	case a.TLP != tlp.Clear && public:
		add("tlp", "%s must not be addressed to the public (as:Public in to or cc)", a.TLP.Label())
	}
	if named(a.TLP) {
		for _, addr := range slices.Concat(to, cc) {
			if !ap.IsPublic(addr) && !slices.Contains(a.Recipients, addr) {
				add("to", "%s goes to its recipients only: %q is not one", a.TLP.Label(), addr)
				break
			}
		}
	}
	return p
}

// inboundAddressing applies the rules to an alert read from a peer: it may
// narrow CLEAR to GREEN, fills Recipients of a named level from to, and
// returns the contradictions.
func inboundAddressing(a *alert.Alert, o *ap.Object) []alert.FieldError {
	var p []alert.FieldError
	public := isPublic(o.To, o.Cc, o.Audience)
	switch {
	case a.TLP == tlp.Clear && !public:
		a.TLP = tlp.Green
	case a.TLP.Valid() && a.TLP != tlp.Clear && public:
		p = append(p, alert.FieldError{Field: "tlp", Message: fmt.Sprintf(
			"%s is addressed to the public (as:Public in to, cc or audience): a contradiction", a.TLP.Label())})
	}
	if named(a.TLP) {
		a.Recipients = slices.Clone(o.To)
		for _, addr := range slices.Concat(o.Cc, o.Audience) {
			if !ap.IsPublic(addr) && !slices.Contains(o.To, addr) {
				p = append(p, alert.FieldError{Field: "cc", Message: fmt.Sprintf(
					"%s goes to its recipients (to) only: %q is not one", a.TLP.Label(), addr)})
				break
			}
		}
	}
	if a.TLP == tlp.Red {
		if addr := offHost(a.Author, o.To, o.Cc, o.Audience); addr != "" {
			p = append(p, alert.FieldError{Field: "to", Message: fmt.Sprintf(
				"TLP:RED never leaves its server: %q is not on the author's host", addr)})
		}
	}
	return p
}

// named reports whether level l names its recipients one by one.
func named(l tlp.Level) bool { return l == tlp.AmberStrict || l == tlp.Red }

// offHost returns the first address not on author's host ("" if none, or
// when author has no host: Validate reports that).
func offHost(author string, lists ...[]string) string {
	u, err := url.Parse(author)
	if err != nil || u.Host == "" {
		return ""
	}
	for _, l := range lists {
		for _, addr := range l {
			if v, err := url.Parse(addr); err != nil || !strings.EqualFold(v.Host, u.Host) {
				return addr
			}
		}
	}
	return ""
}
