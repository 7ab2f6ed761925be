package signature

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// sigParams are the parameters of one draft-cavage Signature header.
type sigParams struct {
	keyID     string
	algorithm string   // lowercased; "" when absent
	headers   []string // lowercased, in signed order; ["date"] when absent (the spec's default)
	signature []byte   // decoded

	// created and expires keep the raw text for the signing string
	// ("(created)" and "(expires)" pseudo-headers) and the parsed Unix time
	// for the checks. Empty and 0 when absent.
	created, expires     string
	createdAt, expiresAt int64
}

// maxParamLen caps any one parameter value: a keyId is a URL, an RSA-8192
// signature is 1.4 KB of base64; anything longer is not a signature.
const maxParamLen = 8 << 10

// parseSignatureHeader parses the value of a draft-cavage Signature header
// (or an Authorization header with its "Signature " prefix removed):
// comma-separated name=value pairs, values quoted (commas allowed inside) or
// bare tokens (created=1700000000). Parameter names are matched without
// regard to case; unknown parameters are ignored, repeated ones refused.
func parseSignatureHeader(s string) (*sigParams, error) {
	m, err := splitParams(s)
	if err != nil {
		return nil, err
	}
	p := &sigParams{
		keyID:     m["keyid"],
		algorithm: strings.ToLower(m["algorithm"]),
	}
	if p.keyID == "" {
		return nil, errors.New("no keyId parameter")
	}
	sig, ok := m["signature"]
	if !ok || sig == "" {
		return nil, errors.New("no signature parameter")
	}
	if p.signature, err = decodeBase64(sig); err != nil {
		return nil, errors.New("signature parameter is not base64")
	}
	if h, ok := m["headers"]; ok {
		p.headers = strings.Fields(strings.ToLower(h))
		if len(p.headers) == 0 {
			return nil, errors.New("empty headers parameter")
		}
	} else {
		p.headers = []string{"date"}
	}
	if v, ok := m["created"]; ok {
		if p.createdAt, err = parseUnixTime(v); err != nil {
			return nil, fmt.Errorf("created parameter: %w", err)
		}
		p.created = v
	}
	if v, ok := m["expires"]; ok {
		if p.expiresAt, err = parseUnixTime(v); err != nil {
			return nil, fmt.Errorf("expires parameter: %w", err)
		}
		p.expires = v
	}
	return p, nil
}

// splitParams splits `a="x, y",b=2` into a map keyed by lowercased name.
func splitParams(s string) (map[string]string, error) {
	m := make(map[string]string, 6)
	i := 0
	skipSpace := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
	}
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == ',') {
			i++
		}
		if i >= len(s) {
			break
		}
		start := i
		for i < len(s) && s[i] != '=' && s[i] != ',' && s[i] != ' ' && s[i] != '\t' {
			i++
		}
		name := strings.ToLower(s[start:i])
		skipSpace()
		if i >= len(s) || s[i] != '=' {
			return nil, fmt.Errorf("parameter %q has no value", truncate(name))
		}
		i++
		skipSpace()
		var val string
		if i < len(s) && s[i] == '"' {
			i++
			var b strings.Builder
			closed := false
			for i < len(s) {
				c := s[i]
				if c == '\\' && i+1 < len(s) {
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				i++
				if c == '"' {
					closed = true
					break
				}
				b.WriteByte(c)
			}
			if !closed {
				return nil, fmt.Errorf("unterminated quoted value of parameter %q", truncate(name))
			}
			val = b.String()
		} else {
			start := i
			for i < len(s) && s[i] != ',' {
				i++
			}
			val = strings.TrimSpace(s[start:i])
		}
		skipSpace()
		if i < len(s) && s[i] != ',' {
			return nil, fmt.Errorf("unexpected %q after the value of parameter %q", s[i], truncate(name))
		}
		if len(val) > maxParamLen {
			return nil, fmt.Errorf("parameter %q is too long", truncate(name))
		}
		if _, dup := m[name]; dup {
			return nil, fmt.Errorf("parameter %q appears twice", truncate(name))
		}
		m[name] = val
	}
	if len(m) == 0 {
		return nil, errors.New("no parameters")
	}
	return m, nil
}

// parseUnixTime parses created/expires: Unix seconds, expires possibly with
// a fraction (draft-cavage-12 section 2.1.5). The fraction is dropped.
func parseUnixTime(v string) (int64, error) {
	whole, frac, _ := strings.Cut(v, ".")
	if whole == "" || strings.Trim(whole, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a Unix time", truncate(v))
	}
	n, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a Unix time", truncate(v))
	}
	return n, nil
}

// decodeBase64 accepts standard base64 with or without padding.
func decodeBase64(s string) ([]byte, error) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// truncate keeps attacker-supplied text short in error messages.
func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
