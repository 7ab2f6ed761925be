// Package alert owns the product's two kinds of publication: threat alerts
// (Alert) and good-practice notes (PracticeNote). It defines their fields and
// enumerations (severity, confidence, category taxonomy, status), validates
// them with one error per field, enforces the alert lifecycle (active,
// updated, resolved, retracted), renders Markdown bodies to safe HTML, and
// writes the text people see (headline, status line, content).
//
// Country and subdivision codes are checked against an embedded copy of ISO
// 3166-1 and 3166-2 from Debian's iso-codes (see iso3166.go).
//
// It is pure Go: it must not import echo, bbolt, go-fed or net/http. Storage,
// addressing (who receives what) and the ActivityStreams form belong to store/
// and federation/; the TLP audience rules are in package tlp.
package alert
