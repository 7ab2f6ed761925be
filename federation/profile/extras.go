package profile

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/tocsin-network/tocsin/federation/ap"
)

// Extras returns the extension members of o that ParseAlert or
// ParsePracticeNote do not read, so that a caller who stores the parsed
// alert or note, and later writes it out again, loses nothing a peer sent:
// terms of our namespace a later Tocsin defines, and other namespaces'
// terms. Keys are written to keep their meaning under our @context: our
// namespace's terms as "tocsin:NAME", others by full IRI (the peer's prefix
// is not declared in ours). A plain term the peer's @context leaves
// undefined has no IRI, hence no meaning in JSON-LD, and is not returned
// (o.Extensions and the stored raw document still hold it); nor is a
// compact IRI with a prefix the peer left undefined and our @context
// defines ("tocsin:x" without "tocsin"), which written back would change
// meaning. nil when there is nothing to keep.
func Extras(o *ap.Object) map[string]json.RawMessage {
	if o == nil {
		return nil
	}
	read := termsRead[Kind(o)]
	var out map[string]json.RawMessage
	for iri, v := range o.ExtensionsIn("") {
		if p, _, ok := strings.Cut(iri, ":"); ok && ourPrefixes[p] {
			continue // not expanded, so the peer never defined p
		}
		key := iri
		if local, ok := strings.CutPrefix(iri, ap.TocsinNS); ok {
			if slices.Contains(read, local) {
				continue
			}
			key = prefixed(local)
		}
		if out == nil {
			out = make(map[string]json.RawMessage)
		}
		out[key] = v
	}
	return out
}

// AddExtras adds extras (from Extras) to obj, an object from AlertObject or
// NoteObject, leaving every member obj already has as it is: a peer's extra
// never overrides what we write.
func AddExtras(obj map[string]any, extras map[string]json.RawMessage) {
	for k, v := range extras {
		if _, taken := obj[k]; !taken {
			obj[k] = v
		}
	}
}

// ourPrefixes are the prefixes ap.Context declares ("tocsin", "toot"...).
var ourPrefixes = func() map[string]bool {
	m := map[string]bool{"as": true}
	for _, c := range ap.Context() {
		if defs, ok := c.(map[string]any); ok {
			for k, v := range defs {
				if s, ok := v.(string); ok && strings.Contains(s, "://") {
					m[k] = true
				}
			}
		}
	}
	return m
}()
