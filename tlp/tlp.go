package tlp

import (
	"errors"
	"fmt"
	"strings"
)

// Level is a TLP 2.0 label. Levels are ordered by restriction: Clear is the
// least restricted, Red the most, so l >= Amber means "AMBER or stricter".
//
// The zero value is not a level: a Level that was never set is caught by
// validation, and every audience rule treats an invalid Level like Red (it
// fails closed: nothing leaves the instance by mistake).
type Level int

// The five TLP 2.0 labels, least restricted first.
const (
	// Clear: "Recipients can spread this to the world, there is no limit on disclosure."
	Clear Level = iota + 1
	// Green: "Limited disclosure, recipients can spread this within their community."
	Green
	// Amber: "Limited disclosure, recipients can only spread this on a need-to-know basis within their organization and its clients."
	Amber
	// AmberStrict: "TLP:AMBER+STRICT restricts sharing to the organization only."
	AmberStrict
	// Red: "For the eyes and ears of individual recipients only, no further disclosure."
	Red
)

// ErrUnknown is wrapped by Parse and UnmarshalText when the input names no
// TLP 2.0 label.
var ErrUnknown = errors.New("unknown TLP label")

// Levels returns every level, least restricted first (for forms and help).
func Levels() []Level { return []Level{Clear, Green, Amber, AmberStrict, Red} }

var names = [...]string{Clear: "CLEAR", Green: "GREEN", Amber: "AMBER", AmberStrict: "AMBER+STRICT", Red: "RED"}

// Valid reports whether l is one of the five labels.
func (l Level) Valid() bool { return l >= Clear && l <= Red }

// String returns the canonical name without prefix ("CLEAR", "AMBER+STRICT"),
// or "tlp.Level(N)" for an invalid level.
func (l Level) String() string {
	if !l.Valid() {
		return fmt.Sprintf("tlp.Level(%d)", int(l))
	}
	return names[l]
}

// Label returns the label as FIRST asks it to be written, in capitals and
// without spaces: "TLP:CLEAR", "TLP:AMBER+STRICT". It is what people see
// before the text it labels.
func (l Level) Label() string { return "TLP:" + l.String() }

// Parse reads a label from user or peer input, case-insensitively, with or
// without the "TLP:" prefix: "TLP:AMBER+STRICT", "amber+strict", "Green".
// "WHITE" is accepted as the TLP 1.0 name of CLEAR. A space, underscore or
// hyphen in place of the "+" is accepted too, because an unencoded "+" in a
// query string or form value arrives as a space.
func Parse(s string) (Level, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSpace(strings.TrimPrefix(t, "TLP:"))
	t = separators.Replace(t)
	switch t {
	case "CLEAR", "WHITE":
		return Clear, nil
	case "GREEN":
		return Green, nil
	case "AMBER":
		return Amber, nil
	case "AMBER+STRICT":
		return AmberStrict, nil
	case "RED":
		return Red, nil
	}
	return 0, fmt.Errorf("%w %q: want CLEAR, GREEN, AMBER, AMBER+STRICT or RED", ErrUnknown, s)
}

var separators = strings.NewReplacer(" ", "+", "_", "+", "-", "+")

// MarshalText encodes l as its canonical name ("AMBER+STRICT"), so JSON, TOML
// and map keys carry the name, never the number. An invalid level is an error.
func (l Level) MarshalText() ([]byte, error) {
	if !l.Valid() {
		return nil, fmt.Errorf("marshal %s: not a TLP level", l)
	}
	return []byte(names[l]), nil
}

// UnmarshalText accepts every form Parse accepts.
func (l *Level) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}
