package ap

import "strings"

// Context returns Tocsin's outbound @context: ActivityStreams, the security
// vocabulary (publicKey) and one inline map with the Mastodon terms go-fed
// lacks and the tocsin: prefix. Each call returns a fresh value, so callers
// may modify it.
func Context() []any {
	return []any{
		ASContext,
		SecurityContext,
		map[string]any{
			"toot":                      TootNS,
			"schema":                    SchemaNS,
			"tocsin":                    TocsinNS,
			"sensitive":                 "as:sensitive",
			"Hashtag":                   "as:Hashtag",
			"manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
			"alsoKnownAs":               map[string]any{"@id": "as:alsoKnownAs", "@type": "@id"},
			"movedTo":                   map[string]any{"@id": "as:movedTo", "@type": "@id"},
			"discoverable":              "toot:discoverable",
			"featured":                  map[string]any{"@id": "toot:featured", "@type": "@id"},
			"PropertyValue":             "schema:PropertyValue",
			"value":                     "schema:value",
		},
	}
}

// ExpandTerm expands a property name of the JSON-LD document raw to a full
// IRI using raw's @context: a string, an array, inline maps, or none at all
// (then the ActivityStreams context is assumed). "x:severity" with
// "x": TocsinNS gives TocsinNS+"severity", and so does "severity" when an
// inline map defines it as "x:severity" or {"@id": ...}. Terms of the
// ActivityStreams, security and Mastodon vocabularies expand to their
// namespaces; a term nothing defines gives "". Keywords ("@id") come back
// unchanged.
//
// Only contexts inside the document count: remote context documents other
// than ActivityStreams and security/v1 are not fetched.
func ExpandTerm(raw map[string]any, key string) string {
	return newTermContext(raw["@context"]).expand(key)
}

// termContext is a document's active JSON-LD context, reduced to what
// expanding property names needs.
type termContext struct {
	terms map[string]string // term -> definition (IRI, compact IRI or term); "" = undefined
	vocab string            // @vocab, if any
}

// newTermContext builds the active context from an @context value. A nil
// value means no @context: ActivityStreams is assumed.
func newTermContext(v any) *termContext {
	return (&termContext{}).extend(v)
}

// extend returns the context with v's definitions added on top (an embedded
// object's own @context). c is not modified.
func (c *termContext) extend(v any) *termContext {
	if v == nil && c.terms != nil {
		return c
	}
	n := &termContext{terms: make(map[string]string, len(c.terms)+8), vocab: c.vocab}
	for k, d := range c.terms {
		n.terms[k] = d
	}
	n.add(v, 0)
	return n
}

func (c *termContext) add(v any, depth int) {
	if depth > 4 { // a context array nested in arrays: nonsense, stop
		return
	}
	switch x := v.(type) {
	case string:
		// Remote contexts: only the ones we know by heart add terms. Their
		// terms are the known vocabulary, expanded in expand's fallback.
	case []any:
		for _, e := range x {
			c.add(e, depth+1)
		}
	case map[string]any:
		for k, d := range x {
			switch {
			case k == "@vocab":
				c.vocab, _ = d.(string)
			case strings.HasPrefix(k, "@"):
				// @language, @version, @base...: nothing to expand.
			default:
				switch def := d.(type) {
				case string:
					c.terms[k] = def
				case map[string]any:
					id, _ := def["@id"].(string)
					c.terms[k] = id
				case nil:
					c.terms[k] = ""
				}
			}
		}
	}
}

// expand returns the full IRI of a property name, or "" when nothing
// defines it.
func (c *termContext) expand(key string) string {
	return c.expandDepth(key, 0)
}

func (c *termContext) expandDepth(key string, depth int) string {
	if key == "" || depth > 8 { // definitions that loop: give up
		return ""
	}
	if key[0] == '@' {
		return key
	}
	if def, ok := c.terms[key]; ok {
		if def == "" || def == key {
			return def
		}
		return c.expandDepth(def, depth+1)
	}
	if prefix, suffix, ok := strings.Cut(key, ":"); ok {
		if strings.HasPrefix(suffix, "//") || prefix == "_" {
			if prefix == "_" { // blank node: no IRI
				return ""
			}
			return key // absolute IRI
		}
		if def, ok := c.terms[prefix]; ok && def != "" {
			return c.expandDepth(def, depth+1) + suffix
		}
		if prefix == "as" {
			return ASNS + suffix
		}
		return key // an IRI with a scheme nobody defined as a prefix (urn:, tag:)
	}
	if iri, ok := knownTerms[key]; ok {
		return iri
	}
	if c.vocab != "" {
		return c.vocab + key
	}
	return ""
}

// known reports whether a property belongs to the ActivityStreams,
// Mastodon or security vocabulary, so it is not an extension.
func (c *termContext) known(key string) bool {
	if key == "" || key[0] == '@' {
		return true
	}
	if _, defined := c.terms[key]; !defined && !strings.Contains(key, ":") {
		_, ok := knownTerms[key]
		return ok
	}
	iri := c.expand(key)
	return iri == "@id" || iri == "@type" || knownIRIs[normalizeNS(iri)]
}

// normalizeNS maps the spellings peers use for a known namespace to ours
// (http/https variants), so that known() does not depend on them.
func normalizeNS(iri string) string {
	switch {
	case strings.HasPrefix(iri, "http://www.w3.org/ns/activitystreams#"):
		return ASNS + strings.TrimPrefix(iri, "http://www.w3.org/ns/activitystreams#")
	case strings.HasPrefix(iri, "https://joinmastodon.org/ns#"):
		return TootNS + strings.TrimPrefix(iri, "https://joinmastodon.org/ns#")
	case strings.HasPrefix(iri, "https://schema.org/"):
		return SchemaNS + strings.TrimPrefix(iri, "https://schema.org/")
	case strings.HasPrefix(iri, "http://schema.org/"):
		return SchemaNS + strings.TrimPrefix(iri, "http://schema.org/")
	}
	return iri
}
