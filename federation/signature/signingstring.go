package signature

import (
	"fmt"
	"net/http"
	"strings"
)

// signingString builds the draft-cavage-12 signing string (section 2.3):
// one "name: value" line per signed header, in the signed order, joined by
// "\n". target is the (request-target) path and query as sent on the wire;
// host comes from r.Host (a server request keeps it there, not in Header);
// a header sent several times is joined with ", ".
func signingString(r *http.Request, p *sigParams, target string) (string, error) {
	var b strings.Builder
	b.Grow(256)
	for i, h := range p.headers {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(h)
		b.WriteString(": ")
		switch h {
		case "(request-target)":
			b.WriteString(strings.ToLower(r.Method))
			b.WriteByte(' ')
			b.WriteString(target)
		case "(created)":
			if p.created == "" {
				return "", fmt.Errorf("signed %s but has no created parameter", h)
			}
			b.WriteString(p.created)
		case "(expires)":
			if p.expires == "" {
				return "", fmt.Errorf("signed %s but has no expires parameter", h)
			}
			b.WriteString(p.expires)
		case "host":
			host := r.Host
			if host == "" {
				host = r.Header.Get("Host")
			}
			if host == "" {
				return "", fmt.Errorf("signed header %q is missing from the request", h)
			}
			b.WriteString(host)
		default:
			vals := r.Header.Values(h)
			if len(vals) == 0 {
				return "", fmt.Errorf("signed header %q is missing from the request", truncate(h))
			}
			for j, v := range vals {
				if j > 0 {
					b.WriteString(", ")
				}
				b.WriteString(strings.TrimSpace(v))
			}
		}
	}
	return b.String(), nil
}

// requestTarget is the path and query of r as written on the request line,
// without the query when omitQuery is set.
func requestTarget(r *http.Request, omitQuery bool) string {
	t := r.URL.RequestURI()
	if omitQuery {
		t, _, _ = strings.Cut(t, "?")
	}
	return t
}
