package ap

import (
	"strings"
	"time"
)

// Readers for the shapes a property takes on the wire. Each accepts
// whatever peers send (a string, an object, an array, null) and returns the
// zero value for what it cannot use; none of them fails.

// str is v when it is a string.
func str(v any) string {
	s, _ := v.(string)
	return s
}

// typeOf is the document's type, with "as:Note" or the full IRI reduced to
// "Note". Of several types, the first ActivityStreams one wins.
func typeOf(m map[string]any, ctx *termContext) string {
	switch t := m["type"].(type) {
	case string:
		return normalizeType(t, ctx)
	case []any:
		first := ""
		for _, e := range t {
			s := normalizeType(str(e), ctx)
			if s == "" {
				continue
			}
			if activityTypes[s] || actorTypes[s] || objectTypes[s] {
				return s
			}
			if first == "" {
				first = s
			}
		}
		return first
	}
	return ""
}

func normalizeType(t string, ctx *termContext) string {
	if !strings.Contains(t, ":") {
		return t
	}
	iri := normalizeNS(ctx.expand(t))
	if local, ok := strings.CutPrefix(iri, ASNS); ok && local != "" {
		return local
	}
	return t
}

// idOf is an IRI given as a string, as an object's id, or as the first
// usable element of an array.
func idOf(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if id := str(x["id"]); id != "" {
			return id
		}
		return str(x["@id"])
	case []any:
		for _, e := range x {
			if id := idOf(e); id != "" {
				return id
			}
		}
	}
	return ""
}

// actorOf is like idOf, but of an array it takes the first actor-typed
// element (PeerTube sends [Person, Group], Lemmy [Person, ...]).
func actorOf(v any) string {
	if arr, ok := v.([]any); ok {
		for _, e := range arr {
			if m, ok := e.(map[string]any); ok && actorTypes[str(m["type"])] {
				if id := idOf(m); id != "" {
					return id
				}
			}
		}
	}
	return idOf(v)
}

// addresses reads to/cc/audience: one IRI, an object, or an array of them.
// Every spelling of the public collection becomes PublicIRI.
func addresses(v any) []string {
	var out []string
	add := func(e any) {
		id := idOf(e)
		if id == "" {
			return
		}
		if IsPublic(id) {
			id = PublicIRI
		}
		out = append(out, id)
	}
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if _, nested := e.([]any); !nested {
				add(e)
			}
		}
	default:
		add(x)
	}
	return dedupe(out)
}

func dedupe(s []string) []string {
	if len(s) < 2 {
		return s
	}
	seen := make(map[string]bool, len(s))
	out := s[:0]
	for _, e := range s {
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	return out
}

// urlOf reads url: a string, a Link (href), an Image (url), or an array of
// them, preferring the text/html link (PeerTube lists HLS playlists too).
func urlOf(v any, depth int) string {
	if depth > 4 {
		return ""
	}
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if h := str(x["href"]); h != "" {
			return h
		}
		return urlOf(x["url"], depth+1)
	case []any:
		first := ""
		for _, e := range x {
			u := urlOf(e, depth+1)
			if u == "" {
				continue
			}
			if m, ok := e.(map[string]any); ok && strings.HasPrefix(str(m["mediaType"]), "text/html") {
				return u
			}
			if first == "" {
				first = u
			}
		}
		return first
	}
	return ""
}

// iconOf reads icon: an IRI, an Image, or an array of Images (PeerTube),
// taking the widest.
func iconOf(v any) string {
	arr, ok := v.([]any)
	if !ok {
		return urlOf(v, 0)
	}
	best, bestWidth := "", -1.0
	for _, e := range arr {
		u := urlOf(e, 0)
		if u == "" {
			continue
		}
		w := -0.5 // an Image without width beats nothing, loses to any width
		if m, ok := e.(map[string]any); ok {
			if f, ok := m["width"].(float64); ok {
				w = f
			}
		}
		if w > bestWidth {
			best, bestWidth = u, w
		}
	}
	return best
}

// timeOf reads an RFC 3339 date (fractional seconds and offsets allowed),
// in UTC. Missing or unreadable dates are the zero time.
func timeOf(v any) time.Time {
	s := str(v)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// langMap reads contentMap/nameMap/summaryMap; non-string values are skipped.
func langMap(v any) map[string]string {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for lang, t := range m {
		if s, ok := t.(string); ok {
			out[lang] = s
		}
	}
	return out
}

// each calls fn for v, or for each element of v when it is an array.
func each(v any, fn func(any)) {
	switch x := v.(type) {
	case nil:
	case []any:
		for _, e := range x {
			fn(e)
		}
	default:
		fn(x)
	}
}

func tagsOf(v any) []Tag {
	var out []Tag
	each(v, func(e any) {
		switch x := e.(type) {
		case string:
			out = append(out, Tag{Href: x})
		case map[string]any:
			out = append(out, Tag{
				Type:    str(x["type"]),
				Name:    str(x["name"]),
				Href:    str(x["href"]),
				ID:      str(x["id"]),
				IconURL: iconOf(x["icon"]),
			})
		}
	})
	return out
}

func attachmentsOf(v any) []Attachment {
	var out []Attachment
	each(v, func(e any) {
		switch x := e.(type) {
		case string:
			out = append(out, Attachment{URL: x})
		case map[string]any:
			w, _ := x["width"].(float64)
			h, _ := x["height"].(float64)
			out = append(out, Attachment{
				Type:      str(x["type"]),
				MediaType: str(x["mediaType"]),
				URL:       urlOf(x, 0),
				Name:      str(x["name"]),
				Blurhash:  str(x["blurhash"]),
				Width:     int(w),
				Height:    int(h),
				Value:     str(x["value"]),
			})
		}
	})
	return out
}

// publicKeyOf reads publicKey: one key or an array of them. It takes the
// first key owned by actorID; a key without owner counts as the actor's
// when its id is in the actor's document (actorID#main-key).
func publicKeyOf(v any, actorID string) PublicKey {
	var found PublicKey
	each(v, func(e any) {
		m, ok := e.(map[string]any)
		if !ok || found.ID != "" {
			return
		}
		k := PublicKey{ID: idOf(m), Owner: idOf(m["owner"]), PEM: str(m["publicKeyPem"])}
		if k.Owner == "" && actorID != "" && strings.HasPrefix(k.ID, actorID+"#") {
			k.Owner = actorID
		}
		if k.ID != "" && k.Owner == actorID && actorID != "" {
			found = k
		}
	})
	return found
}

// multikeysOf reads the embedded Multikey verification methods of the
// given properties (one method or an array), once each by id. Methods given
// only by reference, and other key types, are skipped. A method without a
// controller is the actor's when its id is in the actor's document.
func multikeysOf(actorID string, vs ...any) []Multikey {
	var out []Multikey
	seen := map[string]bool{}
	for _, v := range vs {
		each(v, func(e any) {
			m, ok := e.(map[string]any)
			if !ok || str(m["type"]) != "Multikey" {
				return
			}
			k := Multikey{ID: idOf(m), Controller: idOf(m["controller"]), PublicKeyMultibase: str(m["publicKeyMultibase"])}
			if k.Controller == "" && actorID != "" && strings.HasPrefix(k.ID, actorID+"#") {
				k.Controller = actorID
			}
			if k.ID == "" || k.PublicKeyMultibase == "" || seen[k.ID] {
				return
			}
			seen[k.ID] = true
			out = append(out, k)
		})
	}
	return out
}
