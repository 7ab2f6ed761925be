package config

import (
	"fmt"
	"strings"
)

// Error is a configuration problem an operator can act on. It names the key
// and where its value came from: the file and line for file values, the
// environment variable or flag otherwise. Source is empty for values that
// were never set (defaults), Key is empty for problems not tied to a key
// (an unreadable file, a TOML syntax error outside any key).
type Error struct {
	Key    string // dotted key, e.g. "log.format"
	Source string // file path, "TOCSIN_LOG_FORMAT", "--log-format", or ""
	Line   int    // line in Source when it is a file, else 0
	Msg    string
	Err    error // underlying cause, if any (e.g. fs.ErrNotExist)
}

// Error formats as `config.toml:7: key "log.format": must be "text" or
// "json", got "xml"` or `TOCSIN_SCHEME: key "scheme": ...`.
func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.Source != "" && e.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", e.Source, e.Line)
	case e.Source != "":
		b.WriteString(e.Source + ": ")
	}
	if e.Key != "" {
		fmt.Fprintf(&b, "key %q: ", e.Key)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.Err }
