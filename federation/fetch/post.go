package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/tocsin-network/tocsin/federation/signature"
)

// postBodyLimit caps what Post keeps of an answer: inboxes answer with
// little or nothing, and a delivery that got a 2xx has succeeded whatever
// follows.
const postBodyLimit = 64 << 10

// Post delivers body (an activity) to inbox, signed by signer (the sending
// actor's; nil signs as the instance actor) over (request-target), host,
// date and digest. It follows no redirect. A 2xx answer is a Response whose
// Body holds at most its first 64 KiB; any other status is a *StatusError,
// and Permanent(err) tells the delivery queue whether to retry.
func (c *Client) Post(ctx context.Context, inbox string, body []byte, signer *signature.Signer) (*Response, error) {
	if signer == nil {
		signer = c.signer
	}
	if signer == nil {
		return nil, errors.New("fetch: Post needs a signer and the client has no instance key")
	}
	u, err := c.parseURL(inbox)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("fetch: POST %s: %w", u.Redacted(), err)
	}
	req.Header.Set("Content-Type", "application/activity+json")
	req.Header.Set("Accept", acceptActivity)
	req.Header.Set("User-Agent", c.opts.UserAgent)
	if body == nil {
		body = []byte{}
	}
	if err := signer.Sign(req, body, false); err != nil {
		return nil, fmt.Errorf("fetch: POST %s: %w", u.Redacted(), err)
	}
	resp, err := c.transport.RoundTrip(req)
	if err != nil {
		return nil, transportError(http.MethodPost, u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, statusError(http.MethodPost, u, resp)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, postBodyLimit))
	if err != nil {
		// Delivered: the peer answered 2xx. Keep what was read.
		b = nil
	}
	return &Response{Body: b, ContentType: resp.Header.Get("Content-Type"), FinalURL: u.String(), Status: resp.StatusCode}, nil
}

// PostStatus is Post for a delivery queue that judges statuses itself
// (delivery.Poster, through delivery.PosterFunc(client.PostStatus)): it
// returns the status of any answer and its Retry-After delay, and an error
// only when there was no answer: a refused URL or address, a connection
// failure, a timeout. Permanent tells which of those errors are for good.
func (c *Client) PostStatus(ctx context.Context, inbox string, body []byte, signer *signature.Signer) (status int, retryAfter time.Duration, err error) {
	resp, err := c.Post(ctx, inbox, body, signer)
	var se *StatusError
	switch {
	case err == nil:
		return resp.Status, 0, nil
	case errors.As(err, &se):
		return se.Status, se.RetryAfter, nil
	}
	return 0, 0, err
}
