package integrity

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/gowebpki/jcs"
)

// canonicalize returns the RFC 8785 form of a JSON text.
func canonicalize(b []byte) ([]byte, error) {
	if isCanonical(b) {
		return b, nil // already canonical: what our own encoder writes, mostly
	}
	c, err := jcs.Transform(b)
	if err != nil {
		return nil, fmt.Errorf("canonicalize (RFC 8785): %w", err)
	}
	return c, nil
}

// canonicalJSON encodes v and canonicalizes the result.
func canonicalJSON(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return canonicalize(b)
}

// member is one top-level member of a canonical JSON object: the key as
// written and the byte offsets of the member (from its key's opening quote)
// and of its value.
type member struct {
	key                string
	start, vstart, end int
}

var errNotObject = errors.New("the document is not a JSON object")

// topMembers lists the top-level members of a canonical JSON object (RFC
// 8785 output: no whitespace, already validated). Reading the few members
// a proof concerns this way spares decoding the whole document again.
func topMembers(b []byte) ([]member, error) {
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' {
		return nil, errNotObject
	}
	if len(b) == 2 {
		return nil, nil
	}
	var out []member
	for i := 1; ; {
		if b[i] != '"' {
			return nil, fmt.Errorf("unexpected %q at offset %d", b[i], i)
		}
		k, err := skipString(b, i)
		if err != nil {
			return nil, err
		}
		if k >= len(b) || b[k] != ':' {
			return nil, fmt.Errorf("no ':' after the key at offset %d", i)
		}
		end, err := skipValue(b, k+1)
		if err != nil {
			return nil, err
		}
		out = append(out, member{key: string(b[i+1 : k-1]), start: i, vstart: k + 1, end: end})
		switch {
		case end == len(b)-1:
			return out, nil
		case b[end] == ',':
			i = end + 1
		default:
			return nil, fmt.Errorf("unexpected %q at offset %d", b[end], end)
		}
	}
}

// skipString returns the offset just past the string starting at b[i]:
// the next quote not escaped by an odd run of backslashes.
func skipString(b []byte, i int) (int, error) {
	for k := i + 1; k < len(b); {
		j := bytes.IndexByte(b[k:], '"')
		if j < 0 {
			break
		}
		q := k + j
		n := 0
		for p := q - 1; p > i && b[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return q + 1, nil
		}
		k = q + 1
	}
	return 0, errors.New("unterminated string")
}

// skipValue returns the offset just past the value starting at b[i].
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errors.New("missing value")
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for k := i; k < len(b); k++ {
			switch b[k] {
			case '"':
				e, err := skipString(b, k)
				if err != nil {
					return 0, err
				}
				k = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return k + 1, nil
				}
			}
		}
		return 0, errors.New("unterminated object or array")
	}
	k := i
	for k < len(b) && b[k] != ',' && b[k] != '}' && b[k] != ']' {
		k++
	}
	return k, nil
}

// find returns the index of the member with key, or -1.
func find(ms []member, key string) int {
	for i, m := range ms {
		if m.key == key {
			return i
		}
	}
	return -1
}

// without returns the canonical object b minus its member ms[i]: still
// canonical, since the other members keep their order.
func without(b []byte, ms []member, i int) []byte {
	var from, to int
	switch {
	case i+1 < len(ms):
		from, to = ms[i].start, ms[i+1].start
	case i > 0:
		from, to = ms[i-1].end, ms[i].end
	default:
		return []byte("{}")
	}
	out := make([]byte, 0, len(b)-(to-from))
	out = append(out, b[:from]...)
	return append(out, b[to:]...)
}

// replaced returns b with the value of member m replaced by v.
func replaced(b []byte, m member, v []byte) []byte {
	out := make([]byte, 0, len(b)-(m.end-m.vstart)+len(v))
	out = append(out, b[:m.vstart]...)
	out = append(out, v...)
	return append(out, b[m.end:]...)
}

// withMemberSorted returns the canonical object b (members ms) with a
// member key: value (canonical) added where canonical order puts it, so the
// result is canonical too. b is not modified.
func withMemberSorted(b []byte, ms []member, key string, value []byte) []byte {
	at, comma := len(b)-1, len(ms) > 0 // before the closing brace
	for _, m := range ms {
		if !plainASCII(m.key) {
			break // UTF-16 order: leave it to the canonicaliser's reader
		}
		if m.key > key {
			at, comma = m.start, false
			break
		}
	}
	out := make([]byte, 0, len(b)+len(key)+len(value)+4)
	out = append(out, b[:at]...)
	if comma {
		out = append(out, ',')
	}
	out = append(out, '"')
	out = append(out, key...)
	out = append(out, '"', ':')
	out = append(out, value...)
	if !comma && len(ms) > 0 && at != len(b)-1 {
		out = append(out, ',')
	}
	return append(out, b[at:]...)
}

// withMember returns the JSON object doc with a member key: value added
// last. doc is not modified.
func withMember(doc []byte, key string, value []byte) ([]byte, error) {
	end := len(doc)
	for end > 0 && isSpace(doc[end-1]) {
		end--
	}
	if end == 0 || doc[end-1] != '}' {
		return nil, errNotObject
	}
	prev := end - 2
	for prev >= 0 && isSpace(doc[prev]) {
		prev--
	}
	if prev < 0 {
		return nil, errNotObject
	}
	out := make([]byte, 0, end+len(key)+len(value)+4)
	out = append(out, doc[:end-1]...)
	if doc[prev] != '{' {
		out = append(out, ',')
	}
	out = append(out, '"')
	out = append(out, key...)
	out = append(out, '"', ':')
	out = append(out, value...)
	return append(out, '}'), nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// contextList returns the entries of a canonical @context value (a
// string, a map or an array of them).
func contextList(v []byte) ([]json.RawMessage, error) {
	if len(v) == 0 {
		return nil, nil
	}
	if v[0] != '[' {
		return []json.RawMessage{v}, nil
	}
	var l []json.RawMessage
	for i := 1; i < len(v)-1; {
		end, err := skipValue(v, i)
		if err != nil {
			return nil, err
		}
		l = append(l, v[i:end])
		if end < len(v) && v[end] == ',' {
			end++
		}
		i = end
	}
	return l, nil
}

// canonicalObject writes the canonical JSON object of members whose values
// are canonical JSON already (cut from canonical text, or made by
// canonicalString): sorting the keys is all that is left. Keys outside
// printable ASCII go through the canonicaliser, whose ordering is by UTF-16
// code units.
func canonicalObject(members map[string]json.RawMessage) ([]byte, error) {
	keys := make([]string, 0, len(members))
	n := 2
	for k, v := range members {
		if !plainASCII(k) {
			return canonicalJSON(members)
		}
		keys = append(keys, k)
		n += len(k) + len(v) + 4
	}
	slices.Sort(keys)
	out := make([]byte, 0, n)
	out = append(out, '{')
	for i, k := range keys {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, '"')
		out = append(out, k...)
		out = append(out, '"', ':')
		out = append(out, members[k]...)
	}
	return append(out, '}'), nil
}

// canonicalString returns the canonical JSON of a string.
func canonicalString(s string) (json.RawMessage, error) {
	if plainASCII(s) {
		return json.RawMessage(`"` + s + `"`), nil
	}
	return canonicalJSON(s)
}

// plainASCII reports whether s is printable ASCII needing no escape in
// JSON, so it is written as it is.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
