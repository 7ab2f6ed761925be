package handlers_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/tocsin-network/tocsin/internal/cluster"
	"github.com/tocsin-network/tocsin/stream"
)

// status is a payload as the statuses service will publish it: a JSON
// entity in a string, with markup that must reach the client unescaped.
const status = `{"id":"1","content":"<p>Polling station moved</p>"}`

// streamingClient is a websocket client of the streaming API.
type streamingClient struct {
	t    *testing.T
	conn *websocket.Conn
}

// dialStreaming opens /api/v1/streaming with query; it fails the test
// unless the upgrade succeeds.
func dialStreaming(t *testing.T, srv *cluster.Server, path, query string, opts *websocket.DialOptions) (*streamingClient, *http.Response) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, "ws://"+srv.Domain+path+"?"+query, opts)
	if err != nil {
		t.Fatalf("dial %s?%s: %v", path, query, err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	return &streamingClient{t, conn}, resp
}

func (c *streamingClient) send(msg string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		c.t.Fatalf("send %s: %v", msg, err)
	}
}

// next reads the next message (bounded: 10 s).
func (c *streamingClient) next() string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, b, err := c.conn.Read(ctx)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return string(b)
}

func (c *streamingClient) want(frame string) {
	c.t.Helper()
	if got := c.next(); got != frame {
		c.t.Errorf("frame\n got %s\nwant %s", got, frame)
	}
}

// frame is a streaming message as Mastodon sends it.
func frame(event, payload string, stream ...string) string {
	b, _ := json.Marshal(stream)
	p, _ := json.Marshal(payload)
	return `{"stream":` + string(b) + `,"event":"` + event + `","payload":` +
		strings.NewReplacer(`\u003c`, "<", `\u003e`, ">").Replace(string(p)) + `}`
}

// waitSubscribers waits until stream has n subscribers: a subscribe
// message is applied after the client has sent it.
func waitSubscribers(t *testing.T, srv *cluster.Server, st string, n int) {
	t.Helper()
	cluster.Eventually(t, st+" subscribers", func() bool { return srv.Stream.Subscribers(st) == n })
}

func TestWebsocketStreamsAndSubscribeMessagesInMastodonFrames(t *testing.T) {
	w := newOAuthWorld(t)
	s := w.srv
	member := s.CreateAccount(t, "member", "person", "member")
	app := w.registerApp("read write", "urn:ietf:wg:oauth:2.0:oob")
	token := w.passwordToken(app, "member", "read")["access_token"].(string)
	user := stream.User(member.ID)

	// The token in Sec-WebSocket-Protocol, as Mastodon's web client sends
	// it, comes back as the selected subprotocol.
	home, resp := dialStreaming(t, s, "/api/v1/streaming", "stream=user", &websocket.DialOptions{Subprotocols: []string{token}})
	if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != token {
		t.Errorf("subprotocol = %q, want the token", got)
	}
	home.send(`{"type":"subscribe","stream":"public"}`)
	waitSubscribers(t, s, stream.Public, 1)

	// Public streams need no token.
	tags, _ := dialStreaming(t, s, "/api/v1/streaming/", "", nil)
	tags.send(`{"type":"subscribe","stream":"hashtag","tag":"Kenya"}`)
	waitSubscribers(t, s, stream.Hashtag("kenya"), 1)

	s.Stream.Publish(user, stream.Event{Event: "update", Payload: status})
	home.want(frame("update", status, "user"))
	s.Stream.Publish(stream.Public, stream.Event{Event: "update", Payload: status})
	home.want(frame("update", status, "public"))
	s.Stream.Publish(user, stream.Event{Event: "delete", Payload: "1"})
	home.want(`{"stream":["user"],"event":"delete","payload":"1"}`)
	s.Stream.Publish(stream.Hashtag("kenya"), stream.Event{Event: "update", Payload: status})
	tags.want(frame("update", status, "hashtag", "Kenya"))

	// Unsubscribed, the hashtag's events stop; the next frame is from the
	// stream subscribed to after.
	tags.send(`{"type":"unsubscribe","stream":"hashtag","tag":"kenya"}`)
	waitSubscribers(t, s, stream.Hashtag("kenya"), 0)
	tags.send(`{"type":"subscribe","stream":"public:local"}`)
	waitSubscribers(t, s, stream.PublicLocal, 1)
	s.Stream.Publish(stream.Hashtag("kenya"), stream.Event{Event: "update", Payload: `{"id":"2"}`})
	s.Stream.Publish(stream.PublicLocal, stream.Event{Event: "update", Payload: `{"id":"3"}`})
	tags.want(frame("update", `{"id":"3"}`, "public:local"))

	// user:notification is the notifications of the user stream; it stays
	// when "user" is unsubscribed.
	home.send(`{"type":"subscribe","stream":"user:notification"}`)
	home.send(`{"type":"unsubscribe","stream":"user"}`)
	home.send(`{"type":"unsubscribe","stream":"public"}`)
	waitSubscribers(t, s, stream.Public, 0)
	s.Stream.Publish(user, stream.Event{Event: "update", Payload: `{"id":"4"}`})
	s.Stream.Publish(user, stream.Event{Event: "notification", Payload: `{"id":"5"}`})
	home.want(frame("notification", `{"id":"5"}`, "user:notification"))

	// Refused subscriptions are answered on the socket, as from Mastodon.
	tags.send(`{"type":"subscribe","stream":"user"}`)
	tags.want(`{"error":"The access token is invalid","status":401}`)
	tags.send(`{"type":"subscribe","stream":"list","list":"1"}`)
	tags.want(`{"error":"Unknown stream type","status":400}`)
	tags.send(`{"type":"subscribe","stream":"hashtag"}`)
	tags.want(`{"error":"No tag for stream provided","status":400}`)
}

func TestStreamingRefusesBadTokensAndScopesBeforeTheUpgrade(t *testing.T) {
	w := newOAuthWorld(t)
	s := w.srv
	s.CreateAccount(t, "member", "person", "member")
	app := w.registerApp("read write", "urn:ietf:wg:oauth:2.0:oob")
	writeOnly := w.passwordToken(app, "member", "write")["access_token"].(string)

	for _, tc := range []struct {
		name, query string
		opts        *websocket.DialOptions
		status      int
		body        string
	}{
		{"unknown token in the query", "stream=public&access_token=nope", nil, http.StatusUnauthorized, invalidTokenBody},
		{"unknown token as subprotocol", "stream=public", &websocket.DialOptions{Subprotocols: []string{"nope"}}, http.StatusUnauthorized, invalidTokenBody},
		{"unknown bearer token", "", &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer nope"}}}, http.StatusUnauthorized, invalidTokenBody},
		{"user stream without a token", "stream=user", nil, http.StatusUnauthorized, invalidTokenBody},
		{"user stream without read scope", "stream=user&access_token=" + writeOnly, nil, http.StatusForbidden, outsideScopesBody},
		{"unknown stream", "stream=direct", nil, http.StatusBadRequest, `{"error":"Unknown stream type"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			conn, resp, err := websocket.Dial(ctx, "ws://"+s.Domain+"/api/v1/streaming?"+tc.query, tc.opts)
			if err == nil {
				conn.CloseNow()
				t.Fatal("upgraded")
			}
			if resp == nil {
				t.Fatalf("no HTTP response: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || strings.TrimSpace(string(body)) != tc.body {
				t.Errorf("got %d %s, want %d %s", resp.StatusCode, body, tc.status, tc.body)
			}
		})
	}
	r := w.getWithToken(s.URL, "/api/v1/streaming/user", "nope")
	if r.status != http.StatusUnauthorized || strings.TrimSpace(r.body) != invalidTokenBody {
		t.Errorf("event stream with a bad token: %d %s", r.status, r.body)
	}
	if r := w.getWithToken(s.URL, "/api/v1/streaming", ""); r.status != http.StatusUpgradeRequired {
		t.Errorf("plain GET of the websocket: %d %s", r.status, r.body)
	}
}

// eventStream is an open text/event-stream response.
type eventStream struct {
	t    *testing.T
	body io.ReadCloser
	r    *bufio.Reader
}

func openEventStream(t *testing.T, srv *cluster.Server, pathAndQuery, token string) *eventStream {
	t.Helper()
	// Every read of the stream is bounded by this deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+pathAndQuery, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s %s", pathAndQuery, resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	es := &eventStream{t, resp.Body, bufio.NewReader(resp.Body)}
	if line := es.line(); line != ":)" {
		t.Fatalf("first line %q", line)
	}
	return es
}

// line reads one line (bounded by the request's deadline).
func (es *eventStream) line() string {
	es.t.Helper()
	l, err := es.r.ReadString('\n')
	if err != nil {
		es.t.Fatalf("event stream: %v", err)
	}
	return strings.TrimSuffix(l, "\n")
}

// want reads the next event, skipping heartbeats.
func (es *eventStream) want(event, data string) {
	es.t.Helper()
	l := es.line()
	for strings.HasPrefix(l, ":") {
		l = es.line()
	}
	got := []string{l, es.line(), es.line()}
	want := []string{"event: " + event, "data: " + data, ""}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		es.t.Errorf("event\n got %q\nwant %q", got, want)
	}
}

func TestEventStreamsDeliverMastodonEvents(t *testing.T) {
	w := newOAuthWorld(t)
	s := w.srv
	member := s.CreateAccount(t, "member", "person", "member")
	app := w.registerApp("read write", "urn:ietf:wg:oauth:2.0:oob")
	token := w.passwordToken(app, "member", "read:notifications")["access_token"].(string)
	user := stream.User(member.ID)

	if r := w.getWithToken(s.URL, "/api/v1/streaming/health", ""); r.status != http.StatusOK || r.body != "OK" {
		t.Errorf("health: %d %q", r.status, r.body)
	}
	if r := w.getWithToken(s.URL, "/api/v1/streaming/user", token); r.status != http.StatusForbidden {
		t.Errorf("user stream with read:notifications only: %d %s", r.status, r.body)
	}
	notes := openEventStream(t, s, "/api/v1/streaming/user/notification", token)
	tag := openEventStream(t, s, "/api/v1/streaming/hashtag/local?tag=Elections", "")
	waitSubscribers(t, s, user, 1)
	waitSubscribers(t, s, stream.HashtagLocal("elections"), 1)

	s.Stream.Publish(user, stream.Event{Event: "update", Payload: status})
	s.Stream.Publish(user, stream.Event{Event: "notification", Payload: `{"id":"9","type":"mention"}`})
	notes.want("notification", `{"id":"9","type":"mention"}`)
	for _, st := range stream.PublicStreams(true, "elections") {
		s.Stream.Publish(st, stream.Event{Event: "delete", Payload: "1"})
	}
	tag.want("delete", "1")
}

func TestSlowWebsocketClientIsDroppedWithoutBlockingPublish(t *testing.T) {
	w := newOAuthWorld(t)
	s := w.srv
	slow, _ := dialStreaming(t, s, "/api/v1/streaming", "stream=public", nil)
	slow.conn.SetReadLimit(-1)

	// The client reads nothing: its TCP buffers fill, the server's write
	// blocks, the hub buffer fills, and the hub drops the subscription.
	// Publish must return every time; a deadline catches one that hangs.
	big := `{"content":"` + strings.Repeat("x", 256<<10) + `"}`
	done := make(chan int)
	go func() {
		n := 0
		for ; n < 4096 && s.Stream.Subscribers(stream.Public) > 0; n++ {
			s.Stream.Publish(stream.Public, stream.Event{Event: "update", Payload: big})
		}
		done <- n
	}()
	select {
	case n := <-done:
		if s.Stream.Subscribers(stream.Public) != 0 {
			t.Fatalf("still subscribed after %d events", n)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Publish blocked on a slow subscriber")
	}

	// Once it reads, the client finds its connection closed with "try
	// again later", after what was already on the wire.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		_, _, err := slow.conn.Read(ctx)
		if err == nil {
			continue
		}
		if websocket.CloseStatus(err) != websocket.StatusTryAgainLater {
			t.Errorf("closed with %v, want 1013", err)
		}
		break
	}
}

func TestShutdownEndsStreamsPromptly(t *testing.T) {
	s := cluster.Start(t, 0)
	ws, _ := dialStreaming(t, s, "/api/v1/streaming", "stream=public", nil)
	sse := openEventStream(t, s, "/api/v1/streaming/public", "")
	waitSubscribers(t, s, stream.Public, 2)

	wsClosed := make(chan error, 1)
	go func() {
		_, _, err := ws.conn.Read(context.Background())
		wsClosed <- err
	}()
	sseClosed := make(chan error, 1)
	go func() {
		_, err := io.ReadAll(sse.r)
		sseClosed <- err
	}()

	// The drain timeout is 20 s: streams holding it would show.
	start := time.Now()
	s.Stop(t)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("shutdown took %v", d)
	}
	if err := <-wsClosed; websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Errorf("websocket ended with %v, want 1001", err)
	}
	if err := <-sseClosed; err != nil {
		t.Errorf("event stream ended with %v, want a clean end", err)
	}
}

func TestStreamsOutliveTheServerTimeouts(t *testing.T) {
	s := cluster.Start(t, 0, func(c *cluster.Config) {
		c.HTTP.ReadTimeout = 300 * time.Millisecond
		c.HTTP.WriteTimeout = 300 * time.Millisecond
	})
	ws, _ := dialStreaming(t, s, "/api/v1/streaming", "stream=public", nil)
	sse := openEventStream(t, s, "/api/v1/streaming/public", "")
	waitSubscribers(t, s, stream.Public, 2)

	// What is checked is that time passing past both timeouts does not end
	// the streams, so the test lets it pass.
	<-time.After(time.Second)
	s.Stream.Publish(stream.Public, stream.Event{Event: "update", Payload: status})
	ws.want(frame("update", status, "public"))
	sse.want("update", status)
}

// The routes resolve through echo with and without the trailing slash,
// and other paths under /api/v1/streaming/ are JSON 404s.
func TestStreamingPaths(t *testing.T) {
	w := newOAuthWorld(t)
	s := w.srv
	dialStreaming(t, s, "/api/v1/streaming/", "stream=public:remote", nil)
	waitSubscribers(t, s, stream.PublicRemote, 1)
	r := w.getWithToken(s.URL, "/api/v1/streaming/direct", "")
	if r.status != http.StatusNotFound || !strings.HasPrefix(r.body, `{"error":`) {
		t.Errorf("unknown event stream: %d %s", r.status, r.body)
	}
	if r := w.getWithToken(s.URL, "/api/v1/streaming/hashtag", ""); r.status != http.StatusBadRequest || strings.TrimSpace(r.body) != `{"error":"No tag for stream provided"}` {
		t.Errorf("hashtag without tag: %d %s", r.status, r.body)
	}
}
