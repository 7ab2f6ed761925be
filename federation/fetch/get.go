package fetch

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

const (
	acceptActivity = `application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"`
	acceptJSON     = "application/jrd+json, application/json"
)

// Response is a fetched document, read whole (within MaxBytes).
type Response struct {
	Body        []byte
	ContentType string // as the server sent it
	FinalURL    string // the URL that answered, after redirects, without fragment
	Status      int
}

// GetActivity fetches the ActivityPub document at iri with a GET signed by
// the instance actor, following up to MaxRedirects redirects (each checked
// like iri and signed afresh). On a 401 for a URL with a query it retries
// once, signing the request-target without the query (Mastodon before 4.3
// verifies that). It accepts only Content-Type application/activity+json,
// application/ld+json or application/json, and only a document whose "id"
// is on the host of FinalURL: callers that expected another origin compare
// FinalURL with it. Non-2xx answers are *StatusError.
func (c *Client) GetActivity(ctx context.Context, iri string) (*Response, error) {
	return c.get(ctx, iri, acceptActivity, true)
}

// GetJSON fetches a WebFinger or NodeInfo document: unsigned, Accept
// application/jrd+json and application/json, redirects followed and checked
// as for GetActivity. It does not check the Content-Type (servers vary) or
// the body: the caller decodes it.
func (c *Client) GetJSON(ctx context.Context, url string) (*Response, error) {
	return c.get(ctx, url, acceptJSON, false)
}

func (c *Client) get(ctx context.Context, raw, accept string, activity bool) (*Response, error) {
	u, err := c.parseURL(raw)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()

	retried := false // the 401 retry without the query, at most once a call
	for redirects := 0; ; {
		resp, err := c.send(ctx, u, accept, activity, false)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode == http.StatusUnauthorized && activity && c.signer != nil && u.RawQuery != "" && !retried {
			retried = true
			discard(resp)
			if resp, err = c.send(ctx, u, accept, activity, true); err != nil {
				return nil, err
			}
		}
		if isRedirect(resp.StatusCode) {
			next, err := c.redirectTarget(u, resp)
			discard(resp)
			if err != nil {
				return nil, err
			}
			if redirects++; redirects > c.opts.MaxRedirects {
				return nil, fmt.Errorf("%w: GET %s: more than %d redirects (next: %s)",
					ErrTooManyRedirects, redactURL(raw), c.opts.MaxRedirects, next.Redacted())
			}
			u = next
			continue
		}
		defer resp.Body.Close()
		return c.finish(u, resp, activity)
	}
}

// send makes one GET of u, signed by the instance actor when sign is true.
func (c *Client) send(ctx context.Context, u *url.URL, accept string, sign, omitQuery bool) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("fetch: GET %s: %w", u.Redacted(), err)
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", c.opts.UserAgent)
	if sign && c.signer != nil {
		if err := c.signer.Sign(req, nil, omitQuery); err != nil {
			return nil, fmt.Errorf("fetch: GET %s: %w", u.Redacted(), err)
		}
	}
	resp, err := c.transport.RoundTrip(req)
	if err != nil {
		return nil, transportError(http.MethodGet, u, err)
	}
	return resp, nil
}

func (c *Client) redirectTarget(from *url.URL, resp *http.Response) (*url.URL, error) {
	loc := resp.Header.Get("Location")
	if loc == "" {
		return nil, fmt.Errorf("%w: GET %s: %d without Location", ErrRedirectMalformed, from.Redacted(), resp.StatusCode)
	}
	next, err := from.Parse(loc)
	if err != nil {
		return nil, fmt.Errorf("%w: GET %s: bad Location %q", ErrRedirectMalformed, from.Redacted(), truncate(loc))
	}
	if err := c.check(next); err != nil {
		return nil, fmt.Errorf("fetch: GET %s: redirect: %w", from.Redacted(), err)
	}
	return next, nil
}

// finish checks the final answer of a GET and reads its body.
func (c *Client) finish(u *url.URL, resp *http.Response, activity bool) (*Response, error) {
	final := *u
	final.Fragment, final.RawFragment = "", ""
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, statusError(http.MethodGet, &final, resp)
	}
	ct := resp.Header.Get("Content-Type")
	if activity && !activityType(ct) {
		return nil, fmt.Errorf("%w: GET %s: Content-Type %q", ErrContentType, final.Redacted(), truncate(ct))
	}
	body, err := readBody(resp.Body, c.opts.MaxBytes, resp.ContentLength)
	if err != nil {
		return nil, fmt.Errorf("fetch: GET %s: %w", final.Redacted(), err)
	}
	if activity {
		if err := checkOrigin(body, &final); err != nil {
			return nil, err
		}
	}
	return &Response{Body: body, ContentType: ct, FinalURL: final.String(), Status: resp.StatusCode}, nil
}

// activityType accepts the media types ActivityPub servers answer with.
func activityType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	switch mt {
	case "application/activity+json", "application/ld+json", "application/json":
		return true
	}
	return false
}

// checkOrigin refuses a document whose id is not on final's host: a server
// must not pass off documents of another origin as its own.
func checkOrigin(body []byte, final *url.URL) error {
	var doc struct {
		ID   string `json:"id"`
		AtID string `json:"@id"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return fmt.Errorf("%w: GET %s: not a JSON object: %v", ErrContentType, final.Redacted(), err)
	}
	id := doc.ID
	if id == "" {
		id = doc.AtID
	}
	if id == "" {
		return fmt.Errorf("%w: GET %s: document has no id", ErrOriginMismatch, final.Redacted())
	}
	idURL, err := url.Parse(id)
	if err != nil || !sameHost(idURL, final) {
		return fmt.Errorf("%w: GET %s: id %q", ErrOriginMismatch, final.Redacted(), truncate(id))
	}
	return nil
}

// sameHost compares host names (case-insensitively) and ports (default ones
// filled in from the scheme).
func sameHost(a, b *url.URL) bool {
	return a.Hostname() != "" && strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
}

// readBody reads at most limit bytes; more is ErrTooLarge, found by reading
// limit+1 (or from Content-Length), never by buffering the whole body. The
// buffer grows by doubling up to limit+1, so a refused body costs about
// twice the cap at most.
func readBody(r io.Reader, limit, length int64) ([]byte, error) {
	if length > limit {
		return nil, fmt.Errorf("%w: Content-Length %d exceeds %d bytes", ErrTooLarge, length, limit)
	}
	size := min(limit+1, 32<<10)
	if length >= 0 {
		size = length + 1 // +1: the read that finds EOF needs no growth
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) > limit {
				return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
			}
			buf = slices.Grow(buf, int(min(int64(2*cap(buf)), limit+1))-len(buf))
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			if int64(len(buf)) > limit {
				return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
			}
			return buf, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading body: %w", err)
		}
	}
}

func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// statusError builds a *StatusError from a non-2xx answer, reading a little
// of its body. It does not close the body.
func statusError(method string, u *url.URL, resp *http.Response) *StatusError {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, excerptLen))
	return &StatusError{
		Method:     method,
		URL:        u.Redacted(),
		Status:     resp.StatusCode,
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		Body:       excerpt(b),
	}
}

// transportError words a failure to get an answer; the cause (a
// *BlockedError from the dial guard, a context deadline, a refused
// connection) stays in the chain.
func transportError(method string, u *url.URL, err error) error {
	return fmt.Errorf("fetch: %s %s: %w", method, u.Redacted(), err)
}

// discard drains a little of a body we do not want, so the connection can
// be reused, and closes it.
func discard(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
	_ = resp.Body.Close()
}

func redactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return truncate(raw)
}

func truncate(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}
