package handlers

// The Mastodon streaming API (docs.joinmastodon.org/methods/streaming):
// one websocket at /api/v1/streaming carrying any number of streams, and
// one server-sent-events URL per stream. Events come from the stream.Hub;
// what goes to which stream is decided by whoever publishes.
//
// Decisions:
//   - Public streams are open: a token is not needed (Mastodon 4 requires
//     one by default; Tocsin's public timeline is public anyway), but a bad
//     one is still 401. "user" and "user:notification" need a user token
//     with read, read:statuses (user) or read:notifications.
//   - The token comes from the Authorization header, the access_token
//     parameter, or (websocket) Sec-WebSocket-Protocol, echoed back as the
//     selected subprotocol as Mastodon does. It is looked up again at every
//     ping or heartbeat, so a revoked token ends its streams within one.
//   - The user streams are the person's (token.Account), not the
//     organisation they act for.
//   - Any origin may connect: authentication is by token, never by cookie,
//     so a page elsewhere (Elk, Phanpy) gains nothing it was not given.
//   - A client that falls a whole buffer behind is disconnected (websocket
//     close 1013 "Try Again Later"); it reconnects and catches up through
//     the REST API, as after any disconnection.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/tocsin-network/tocsin/oauth"
	"github.com/tocsin-network/tocsin/stream"
)

const (
	// wsPingInterval keeps proxies (nginx closes after 60 s idle) from
	// dropping quiet websockets, and finds dead peers.
	wsPingInterval = 30 * time.Second
	// sseHeartbeatInterval is Mastodon's for event streams.
	sseHeartbeatInterval = 15 * time.Second
	// streamWriteTimeout bounds one write to a streaming client.
	streamWriteTimeout = 10 * time.Second
	// wsReadLimit caps a client message: subscribe messages are tiny.
	wsReadLimit = 4 << 10
)

// sseStreams are the event-stream URLs under /api/v1/streaming/ and the
// Mastodon stream each serves.
var sseStreams = map[string]string{
	"user":              "user",
	"user/notification": "user:notification",
	"public":            "public",
	"public/local":      "public:local",
	"public/remote":     "public:remote",
	"hashtag":           "hashtag",
	"hashtag/local":     "hashtag:local",
}

func (s *Server) streamingRoutes() {
	if s.stream == nil {
		return
	}
	e := s.e
	e.GET("/api/v1/streaming", s.streamingWebsocket)
	e.GET("/api/v1/streaming/", s.streamingWebsocket)
	// Browser apps read event streams from their own origin.
	cors := middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOrigins: []string{"*"},
		AllowMethods: []string{http.MethodGet, http.MethodOptions},
		AllowHeaders: []string{echo.HeaderAuthorization, echo.HeaderAccept, "Last-Event-ID"},
	})
	preflight := func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }
	e.GET("/api/v1/streaming/health", func(c echo.Context) error { return c.String(http.StatusOK, "OK") }, cors)
	for path, name := range sseStreams {
		e.GET("/api/v1/streaming/"+path, s.streamingEvents(name), cors)
		e.OPTIONS("/api/v1/streaming/"+path, preflight, cors)
	}
}

// channel is one stream as a client names it: "hashtag" and its tag, or
// "user" and no tag.
type channel struct{ name, tag string }

// key identifies a channel within a connection: tags match without case.
func (ch channel) key() channel { return channel{ch.name, strings.ToLower(ch.tag)} }

// frameStream is the "stream" member of the channel's frames:
// ["hashtag","tag"] or ["user"].
func (ch channel) frameStream() []string {
	if ch.tag != "" {
		return []string{ch.name, ch.tag}
	}
	return []string{ch.name}
}

// accepts reports whether an event of the hub stream belongs on the
// channel: "user:notification" is the notifications of the user stream.
func (ch channel) accepts(event string) bool {
	return ch.name != "user:notification" || event == "notification"
}

// hubStream checks that tok may read ch and returns the hub stream behind
// it, or Mastodon's status and message for a refusal.
func hubStream(ch channel, tok *oauth.TokenInfo) (string, *echo.HTTPError) {
	switch ch.name {
	case "user", "user:notification":
		if tok == nil {
			return "", echo.NewHTTPError(http.StatusUnauthorized, msgInvalidToken)
		}
		scope := "read:statuses"
		if ch.name == "user:notification" {
			scope = "read:notifications"
		}
		if !tok.Allows("read", scope) {
			return "", echo.NewHTTPError(http.StatusForbidden, msgOutsideScopes)
		}
		if tok.Account == nil {
			return "", echo.NewHTTPError(http.StatusUnprocessableEntity, msgRequiresUser)
		}
		return stream.User(tok.Account.ID), nil
	case "public":
		return stream.Public, nil
	case "public:local":
		return stream.PublicLocal, nil
	case "public:remote":
		return stream.PublicRemote, nil
	case "hashtag", "hashtag:local":
		if strings.TrimSpace(ch.tag) == "" {
			return "", echo.NewHTTPError(http.StatusBadRequest, "No tag for stream provided")
		}
		if ch.name == "hashtag" {
			return stream.Hashtag(ch.tag), nil
		}
		return stream.HashtagLocal(ch.tag), nil
	}
	return "", echo.NewHTTPError(http.StatusBadRequest, "Unknown stream type")
}

// channelStream is hubStream for an HTTP request: a refusal is its error,
// with WWW-Authenticate as from any other endpoint.
func channelStream(c echo.Context, ch channel, tok *oauth.TokenInfo) (string, error) {
	hs, he := hubStream(ch, tok)
	switch {
	case he == nil:
		return hs, nil
	case he.Code == http.StatusUnauthorized:
		return "", invalidToken(c)
	case he.Code == http.StatusForbidden:
		return "", outsideScopes(c)
	}
	return "", he
}

// streamToken resolves the request's token: Authorization header,
// access_token parameter, else protocol (a websocket's offered
// subprotocol). (nil, "", nil) without one; 401 for a bad one.
func (s *Server) streamToken(c echo.Context, protocol string) (info *oauth.TokenInfo, raw string, err error) {
	r := c.Request()
	raw = bearerToken(r)
	if raw == "" {
		raw = protocol
	}
	if raw == "" {
		return nil, "", nil
	}
	if s.oauth == nil {
		return nil, "", invalidToken(c)
	}
	info, err = s.oauth.Lookup(r.Context(), raw)
	if errors.Is(err, oauth.ErrInvalidToken) {
		return nil, "", invalidToken(c)
	}
	if err != nil {
		return nil, "", err
	}
	c.Set(tokenInfoKey, info)
	return info, raw, nil
}

// tokenRevoked reports whether raw no longer resolves (revoked, account
// disabled). A store error is not a revocation: the stream goes on.
func (s *Server) tokenRevoked(ctx context.Context, raw string) bool {
	if raw == "" {
		return false
	}
	_, err := s.oauth.Lookup(ctx, raw)
	return errors.Is(err, oauth.ErrInvalidToken)
}

// clearDeadlines lifts the server's read and write timeouts, which are
// for ordinary requests, from a long-lived one. (net/http also clears them
// on hijack, and the read deadline once the body is read, but documents
// neither; a read deadline passing would cancel the request's context.)
func clearDeadlines(w http.ResponseWriter) error {
	rc := http.NewResponseController(w)
	if err := rc.SetReadDeadline(time.Time{}); err != nil {
		return err
	}
	return rc.SetWriteDeadline(time.Time{})
}

// errShuttingDown answers a stream opened while the hub is closing.
var errShuttingDown = echo.NewHTTPError(http.StatusServiceUnavailable, "The server is shutting down")

// --- server-sent events ---

// streamingEvents serves one stream as text/event-stream until the client
// leaves, falls behind, or the server shuts down.
func (s *Server) streamingEvents(name string) echo.HandlerFunc {
	return func(c echo.Context) error {
		tok, raw, err := s.streamToken(c, "")
		if err != nil {
			return err
		}
		ch := channel{name: name, tag: c.QueryParam("tag")}
		hs, err := channelStream(c, ch, tok)
		if err != nil {
			return err
		}
		sub := s.stream.Subscribe(hs)
		defer sub.Close()
		if sub.Err() != nil {
			return errShuttingDown
		}
		w := c.Response()
		if err := clearDeadlines(w); err != nil {
			return fmt.Errorf("event stream: %w", err)
		}
		rc := http.NewResponseController(w)
		h := w.Header()
		h.Set(echo.HeaderContentType, "text/event-stream")
		h.Set(echo.HeaderCacheControl, "no-store")
		h.Set("X-Accel-Buffering", "no") // nginx: pass events on at once
		w.WriteHeader(http.StatusOK)
		// The last write's deadline may have passed by the time the handler
		// returns; net/http still has the end of the chunked body to write.
		defer rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		write := func(text string) error {
			if err := rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout)); err != nil {
				return err
			}
			if _, err := w.Write([]byte(text)); err != nil {
				return err
			}
			return rc.Flush()
		}
		ctx := c.Request().Context()
		if err := write(":)\n"); err != nil {
			return nil // the client left
		}
		heartbeat := time.NewTicker(sseHeartbeatInterval)
		defer heartbeat.Stop()
		for {
			var text string
			select {
			case <-ctx.Done():
				return nil
			case <-heartbeat.C:
				if s.tokenRevoked(ctx, raw) {
					return nil
				}
				text = ":thump\n"
			case ev, ok := <-sub.Events():
				if !ok {
					s.log.DebugContext(ctx, "event stream ended", "stream", name, "reason", sub.Err())
					return nil
				}
				if !ch.accepts(ev.Event) {
					continue
				}
				text = sseEvent(ev)
			}
			if err := write(text); err != nil {
				return nil
			}
		}
	}
}

// sseEvent formats ev as Mastodon does: "event: update\ndata: {...}\n\n".
// A payload never holds a newline (JSON, or an id), but one would end the
// data line early, so each line gets its own "data:".
func sseEvent(ev stream.Event) string {
	var b strings.Builder
	b.WriteString("event: " + ev.Event + "\n")
	for line := range strings.SplitSeq(ev.Payload, "\n") {
		b.WriteString("data: " + line + "\n")
	}
	b.WriteString("\n")
	return b.String()
}

// --- websocket ---

// wsFrame is a message to the client, exactly Mastodon's shape.
type wsFrame struct {
	Stream  []string `json:"stream"`
	Event   string   `json:"event"`
	Payload string   `json:"payload,omitempty"`
}

// wsError reports a refused subscribe message, as Mastodon does.
type wsError struct {
	Error  string `json:"error"`
	Status int    `json:"status"`
}

// wsRequest is a message from the client.
type wsRequest struct {
	Type   string `json:"type"`
	Stream string `json:"stream"`
	Tag    string `json:"tag"`
}

// streamingWebsocket upgrades to a websocket carrying the stream named by
// the stream (and tag) parameters, if any, and those the client
// subscribes to later. Token and initial-stream errors are answered
// before the upgrade, as HTTP errors.
func (s *Server) streamingWebsocket(c echo.Context) error {
	r := c.Request()
	if !headerHasToken(r.Header, "Connection", "upgrade") || !headerHasToken(r.Header, "Upgrade", "websocket") {
		c.Response().Header().Set("Upgrade", "websocket")
		return echo.NewHTTPError(http.StatusUpgradeRequired, "This endpoint is a websocket: see /api/v1/streaming/public for an event stream")
	}
	// The first subprotocol offered is selected, as Mastodon's server
	// (Node's ws) does: clients that send the token there expect it back.
	protocol, _, _ := strings.Cut(r.Header.Get("Sec-WebSocket-Protocol"), ",")
	protocol = strings.TrimSpace(protocol)
	tok, raw, err := s.streamToken(c, protocol)
	if err != nil {
		return err
	}
	ws := &wsSession{s: s, tok: tok, raw: raw, channels: make(map[channel]wsChannel)}
	var initial []string
	if name := c.QueryParam("stream"); name != "" {
		ch := channel{name: name, tag: c.QueryParam("tag")}
		hs, err := channelStream(c, ch, tok)
		if err != nil {
			return err
		}
		ws.channels[ch.key()] = wsChannel{channel: ch, hubStream: hs}
		initial = append(initial, hs)
	}
	ws.sub = s.stream.Subscribe(initial...)
	defer ws.sub.Close()
	if ws.sub.Err() != nil {
		return errShuttingDown
	}
	if err := clearDeadlines(c.Response()); err != nil {
		return fmt.Errorf("websocket: %w", err)
	}
	opts := &websocket.AcceptOptions{InsecureSkipVerify: true} // any origin: see the file comment
	if protocol != "" {
		opts.Subprotocols = []string{protocol}
	}
	conn, err := websocket.Accept(c.Response(), r, opts)
	if err != nil {
		// Accept has answered the client.
		s.log.DebugContext(r.Context(), "websocket upgrade refused", "error", err)
		return nil
	}
	conn.SetReadLimit(wsReadLimit)
	ws.conn = conn
	// The connection is hijacked: its lifetime is the session's, ended by
	// the client, the hub (shutdown) or an error, not by the request.
	ws.run(context.WithoutCancel(r.Context()))
	return nil
}

// wsChannel is a stream a websocket is subscribed to.
type wsChannel struct {
	channel
	hubStream string
}

// wsSession is one websocket connection. Its goroutines (a reader for
// client messages and a pinger) are owned by run, which stops them before
// returning.
type wsSession struct {
	s        *Server
	conn     *websocket.Conn
	sub      *stream.Subscription
	tok      *oauth.TokenInfo
	raw      string
	channels map[channel]wsChannel // by channel.key(); only run touches it
}

// wsClose is why a session ends, sent as the close frame.
type wsClose struct {
	code   websocket.StatusCode
	reason string
	// now skips the close handshake: the peer is gone or already closed.
	now bool
}

func (ws *wsSession) run(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	log := ws.s.log
	msgs := make(chan []byte)
	ended := make(chan wsClose, 2)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			typ, b, err := ws.conn.Read(ctx)
			if err != nil {
				// The peer closed (coder/websocket has replied) or the
				// connection failed: either way there is nobody to tell.
				ended <- wsClose{now: true}
				return
			}
			if typ != websocket.MessageText {
				continue
			}
			select {
			case msgs <- b:
			case <-ctx.Done():
				return
			}
		}
	})
	wg.Go(func() {
		t := time.NewTicker(wsPingInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			pctx, pcancel := context.WithTimeout(ctx, streamWriteTimeout)
			err := ws.conn.Ping(pctx)
			pcancel()
			if err != nil {
				ended <- wsClose{now: true}
				return
			}
			if ws.s.tokenRevoked(ctx, ws.raw) {
				ended <- wsClose{code: websocket.StatusPolicyViolation, reason: msgInvalidToken}
				return
			}
		}
	})

	why := ws.loop(ctx, msgs, ended)
	log.DebugContext(ctx, "websocket closed", "code", why.code, "reason", why.reason)
	if why.now {
		ws.conn.CloseNow()
	} else {
		ws.conn.Close(why.code, why.reason)
	}
	cancel()
	wg.Wait()
}

// loop relays events and handles client messages until the session ends.
func (ws *wsSession) loop(ctx context.Context, msgs <-chan []byte, ended <-chan wsClose) wsClose {
	for {
		select {
		case why := <-ended:
			return why
		case b := <-msgs:
			if err := ws.handle(ctx, b); err != nil {
				return wsClose{now: true}
			}
		case ev, ok := <-ws.sub.Events():
			if !ok {
				if errors.Is(ws.sub.Err(), stream.ErrSlow) {
					return wsClose{code: websocket.StatusTryAgainLater, reason: "Too slow: events were dropped"}
				}
				return wsClose{code: websocket.StatusGoingAway, reason: "Server shutting down"}
			}
			for _, ch := range ws.channels {
				if ch.hubStream != ev.Stream || !ch.accepts(ev.Event) {
					continue
				}
				if err := ws.send(ctx, wsFrame{Stream: ch.frameStream(), Event: ev.Event, Payload: ev.Payload}); err != nil {
					return wsClose{now: true}
				}
			}
		}
	}
}

// handle applies one client message; a refused one is answered with an
// error message. The error is a failed write.
func (ws *wsSession) handle(ctx context.Context, b []byte) error {
	var req wsRequest
	if err := json.Unmarshal(b, &req); err != nil {
		return ws.send(ctx, wsError{Error: "Invalid JSON message", Status: http.StatusBadRequest})
	}
	ch := channel{name: req.Stream, tag: req.Tag}
	switch req.Type {
	case "subscribe":
		if _, ok := ws.channels[ch.key()]; ok {
			return nil
		}
		hs, he := hubStream(ch, ws.tok)
		if he != nil {
			return ws.send(ctx, wsError{Error: fmt.Sprint(he.Message), Status: he.Code})
		}
		ws.channels[ch.key()] = wsChannel{channel: ch, hubStream: hs}
		ws.sub.Add(hs)
	case "unsubscribe":
		old, ok := ws.channels[ch.key()]
		if !ok {
			return nil
		}
		delete(ws.channels, ch.key())
		for _, other := range ws.channels {
			if other.hubStream == old.hubStream {
				return nil // "user" and "user:notification" share one
			}
		}
		ws.sub.Remove(old.hubStream)
	default:
		return ws.send(ctx, wsError{Error: "Unknown message type", Status: http.StatusBadRequest})
	}
	return nil
}

// send writes v as one text message, JSON encoded as Mastodon's (Node's)
// encoder does: "<" and ">" in a payload are not escaped.
func (ws *wsSession) send(ctx context.Context, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, streamWriteTimeout)
	defer cancel()
	return ws.conn.Write(wctx, websocket.MessageText, bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

// headerHasToken reports whether a comma-separated header lists token.
func headerHasToken(h http.Header, key, token string) bool {
	for _, v := range h.Values(key) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
