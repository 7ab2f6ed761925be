package alert

import (
	"strings"

	tocsin "github.com/tocsin-network/tocsin"
)

// The enumerations are strings holding their slug, so stored and federated
// forms are readable and a value a peer sends that we do not know survives a
// round trip (Validate reports it). The zero value "" means "not set".

// Severity is how much harm the threat may do; the values are CAP's
// Severity (OASIS CAP 1.2) without "Unknown".
type Severity string

// Severities, least severe first.
const (
	SeverityMinor    Severity = "minor"    // minimal threat to life, rights or the integrity of the vote
	SeverityModerate Severity = "moderate" // possible threat
	SeveritySevere   Severity = "severe"   // significant threat
	SeverityExtreme  Severity = "extreme"  // extraordinary threat
)

// Severities returns every severity, least severe first.
func Severities() []Severity {
	return []Severity{SeverityMinor, SeverityModerate, SeveritySevere, SeverityExtreme}
}

// Rank orders severities: 1 for minor up to 4 for extreme, 0 if invalid.
func (s Severity) Rank() int {
	for i, v := range Severities() {
		if v == s {
			return i + 1
		}
	}
	return 0
}

// Valid reports whether s is one of the four severities.
func (s Severity) Valid() bool { return s.Rank() > 0 }

// CAP returns the CAP 1.2 <severity> value ("Severe").
func (s Severity) CAP() string { return capitalise(string(s)) }

// ParseSeverity reads a severity from user input, case-insensitively
// ("severe", "Severe", "SEVERE").
func ParseSeverity(in string) (Severity, error) {
	return parseEnum(in, "severity", Severities())
}

// Confidence is how sure the author is that the threat is real; the values
// are CAP's Certainty (OASIS CAP 1.2) without "Unknown".
type Confidence string

// Confidences, most certain first.
const (
	ConfidenceObserved Confidence = "observed" // determined to have occurred or to be ongoing
	ConfidenceLikely   Confidence = "likely"   // likely (probability > ~50%)
	ConfidencePossible Confidence = "possible" // possible but not likely (probability <= ~50%)
	ConfidenceUnlikely Confidence = "unlikely" // not expected to occur (probability ~ 0)
)

// Confidences returns every confidence, most certain first.
func Confidences() []Confidence {
	return []Confidence{ConfidenceObserved, ConfidenceLikely, ConfidencePossible, ConfidenceUnlikely}
}

// Valid reports whether c is one of the four confidences.
func (c Confidence) Valid() bool { return contains(Confidences(), c) }

// CAP returns the CAP 1.2 <certainty> value ("Likely").
func (c Confidence) CAP() string { return capitalise(string(c)) }

// ParseConfidence reads a confidence from user input, case-insensitively.
func ParseConfidence(in string) (Confidence, error) {
	return parseEnum(in, "confidence", Confidences())
}

// Status is where an alert is in its life; see CanTransition.
type Status string

// Statuses.
const (
	StatusActive    Status = "active"    // published, nothing changed since
	StatusUpdated   Status = "updated"   // published and since edited, or reopened
	StatusResolved  Status = "resolved"  // the threat is over
	StatusRetracted Status = "retracted" // withdrawn as wrong; final
)

// Statuses returns every status in lifecycle order.
func Statuses() []Status {
	return []Status{StatusActive, StatusUpdated, StatusResolved, StatusRetracted}
}

// Valid reports whether s is one of the four statuses.
func (s Status) Valid() bool { return contains(Statuses(), s) }

// ParseStatus reads a status from user input, case-insensitively.
func ParseStatus(in string) (Status, error) {
	return parseEnum(in, "status", Statuses())
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func capitalise(s string) string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// parseEnum matches in, trimmed and lower-cased, against the slugs in list.
func parseEnum[T ~string](in, what string, list []T) (T, error) {
	key := strings.ToLower(strings.TrimSpace(in))
	for _, v := range list {
		if string(v) == key {
			return v, nil
		}
	}
	return "", tocsin.Errorf(tocsin.EINVALID, "unknown %s %q: want %s", what, in, orList(list))
}

// orList writes "a, b, c or d".
func orList[T ~string](list []T) string {
	var b strings.Builder
	for i, v := range list {
		switch {
		case i == 0:
		case i == len(list)-1:
			b.WriteString(" or ")
		default:
			b.WriteString(", ")
		}
		b.WriteString(string(v))
	}
	return b.String()
}
