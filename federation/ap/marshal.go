package ap

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"time"
)

// arrayKeys are the properties peers expect as arrays even with one item
// (go-fed and some peers send them bare; Mastodon's and Lemmy's parsers
// have broken on that: go-fed/activity#139, mastodon#24225).
var arrayKeys = set("to", "cc", "bto", "bcc", "tag", "attachment", "items", "orderedItems", "alsoKnownAs")

// Marshal writes doc as an outbound JSON-LD document: our @context (see
// Context) at the top and nowhere else, to/cc/bto/bcc/tag/attachment/items/
// orderedItems/alsoKnownAs always arrays (a nil value becomes []), time.Time
// values as RFC 3339 UTC seconds (zero times are left out), HTML not
// escaped. doc and the maps in it are not modified.
func Marshal(doc map[string]any) ([]byte, error) {
	return marshal(doc, Context())
}

// marshal is Marshal with the @context given.
func marshal(doc map[string]any, context []any) ([]byte, error) {
	out := normalizeMap(doc, 0)
	out["@context"] = context
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return nil, fmt.Errorf("ap: marshal %v: %w", doc["type"], err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// maxMarshalDepth stops normalising a value that contains itself.
const maxMarshalDepth = 64

// normalizeMap copies m, dropping @context (go-fed puts one in embedded
// objects) and zero times, and forcing arrays where peers expect them.
func normalizeMap(m map[string]any, depth int) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		if k == "@context" {
			continue
		}
		if t, ok := v.(time.Time); ok && t.IsZero() {
			continue
		}
		v = normalizeValue(v, depth+1)
		if arrayKeys[k] {
			v = asArray(v)
		}
		out[k] = v
	}
	return out
}

func normalizeValue(v any, depth int) any {
	if depth > maxMarshalDepth {
		return v
	}
	switch x := v.(type) {
	case map[string]any:
		return normalizeMap(x, depth)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalizeValue(e, depth+1)
		}
		return out
	case []map[string]any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalizeMap(e, depth+1)
		}
		return out
	case time.Time:
		return formatTime(x)
	}
	return v
}

// asArray wraps a single value in an array; slices stay as they are and
// nil becomes an empty array.
func asArray(v any) any {
	if v == nil {
		return []any{}
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array {
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return []any{}
		}
		return v
	}
	return []any{v}
}

// formatTime is how we write dates: UTC, whole seconds, as Mastodon does.
func formatTime(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}
