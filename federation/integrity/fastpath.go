package integrity

import (
	"bytes"
	"strconv"
	"unicode/utf8"

	"github.com/gowebpki/jcs"
)

// isCanonical reports whether b is already in RFC 8785 form, so that
// canonicalize can hash it as it is instead of rebuilding it: what Go's
// encoding/json writes for a map (ap.Marshal, our proofs) usually is. It is
// conservative: it accepts only members with printable-ASCII keys, strictly
// increasing at each level (UTF-16 and byte order agree there), no
// whitespace, strings with exactly the escapes RFC 8785 writes and valid
// UTF-8, and numbers that jcs.NumberToJSON writes identically. Anything
// else goes through the canonicaliser; FuzzCanonicalFastPath checks that
// whatever this accepts, jcs.Transform leaves unchanged.
func isCanonical(b []byte) bool {
	c := canonChecker{b: b}
	return c.value(0) && c.i == len(b)
}

type canonChecker struct {
	b []byte
	i int
}

// maxCanonDepth matches the canonicaliser's nesting limit well enough:
// deeper documents take the library path (which refuses them).
const maxCanonDepth = 64

func (c *canonChecker) value(depth int) bool {
	if c.i >= len(c.b) || depth > maxCanonDepth {
		return false
	}
	switch ch := c.b[c.i]; {
	case ch == '{':
		return c.object(depth)
	case ch == '[':
		return c.array(depth)
	case ch == '"':
		_, ok := c.str()
		return ok
	case ch == 't':
		return c.literal("true")
	case ch == 'f':
		return c.literal("false")
	case ch == 'n':
		return c.literal("null")
	case ch == '-' || (ch >= '0' && ch <= '9'):
		return c.number()
	}
	return false
}

func (c *canonChecker) literal(s string) bool {
	if !bytes.HasPrefix(c.b[c.i:], []byte(s)) {
		return false
	}
	c.i += len(s)
	return true
}

func (c *canonChecker) object(depth int) bool {
	c.i++ // {
	if c.i < len(c.b) && c.b[c.i] == '}' {
		c.i++
		return true
	}
	var prev []byte
	for first := true; ; first = false {
		if c.i >= len(c.b) || c.b[c.i] != '"' {
			return false
		}
		key, ok := c.str()
		if !ok || !plainASCII(string(key)) || (!first && bytes.Compare(prev, key) >= 0) {
			return false
		}
		prev = key
		if c.i >= len(c.b) || c.b[c.i] != ':' {
			return false
		}
		c.i++
		if !c.value(depth + 1) {
			return false
		}
		if c.i >= len(c.b) {
			return false
		}
		switch c.b[c.i] {
		case ',':
			c.i++
		case '}':
			c.i++
			return true
		default:
			return false
		}
	}
}

func (c *canonChecker) array(depth int) bool {
	c.i++ // [
	if c.i < len(c.b) && c.b[c.i] == ']' {
		c.i++
		return true
	}
	for {
		if !c.value(depth+1) || c.i >= len(c.b) {
			return false
		}
		switch c.b[c.i] {
		case ',':
			c.i++
		case ']':
			c.i++
			return true
		default:
			return false
		}
	}
}

// str checks a string at c.i and returns its raw content (between the
// quotes).
func (c *canonChecker) str() ([]byte, bool) {
	start := c.i + 1
	for k := start; k < len(c.b); {
		ch := c.b[k]
		switch {
		case ch == '"':
			c.i = k + 1
			return c.b[start:k], true
		case ch == '\\':
			if k+1 >= len(c.b) {
				return nil, false
			}
			switch c.b[k+1] {
			case '"', '\\', 'b', 'f', 'n', 'r', 't':
				k += 2
			case 'u':
				// RFC 8785 writes \u00xx (lowercase hex) for the control
				// characters without a short escape, and nothing else.
				if k+6 > len(c.b) || string(c.b[k+2:k+4]) != "00" {
					return nil, false
				}
				v, err := strconv.ParseUint(string(c.b[k+4:k+6]), 16, 8)
				if err != nil || v >= 0x20 || v == '\b' || v == '\f' || v == '\n' || v == '\r' || v == '\t' ||
					string(c.b[k+4:k+6]) != strconv.FormatUint(v|0x100, 16)[1:] {
					return nil, false
				}
				k += 6
			default:
				return nil, false
			}
		case ch < 0x20:
			return nil, false
		case ch < utf8.RuneSelf:
			k++
		default:
			r, size := utf8.DecodeRune(c.b[k:])
			if r == utf8.RuneError && size <= 1 {
				return nil, false
			}
			k += size
		}
	}
	return nil, false
}

func (c *canonChecker) number() bool {
	start := c.i
	for c.i < len(c.b) {
		ch := c.b[c.i]
		if (ch >= '0' && ch <= '9') || ch == '-' || ch == '+' || ch == '.' || ch == 'e' || ch == 'E' {
			c.i++
			continue
		}
		break
	}
	tok := string(c.b[start:c.i])
	f, err := strconv.ParseFloat(tok, 64)
	if err != nil {
		return false
	}
	s, err := jcs.NumberToJSON(f)
	return err == nil && s == tok
}
