// Package faultpeer runs misbehaving HTTP peers on loopback for the fault
// tests: a peer that answers 500, hangs, resets connections, returns a huge
// body, redirects in a loop, or answers at 1 byte a second. Each is a real
// TCP listener speaking HTTP/1.1 by hand, so that it can misbehave in ways
// net/http's server would not; it counts connections (open now, most at
// once, in all) and requests. It is test support: production code never
// imports it.
package faultpeer

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Kind is a way to misbehave.
type Kind string

// The misbehaviours.
const (
	// Error500 answers every request 500 (keep-alive).
	Error500 Kind = "500"
	// Hang reads the request and never answers, holding the connection
	// until the client gives up.
	Hang Kind = "hang"
	// Reset reads the request and resets the connection (RST).
	Reset Kind = "reset"
	// HugeBody answers 200 with an ActivityStreams body of HugeSize bytes,
	// as fast as the client reads, with no Content-Length.
	HugeBody Kind = "huge"
	// RedirectLoop answers 302 to another path of its own, forever.
	RedirectLoop Kind = "redirect"
	// Slow answers 200 at once, then sends its body at 1 byte a second.
	Slow Kind = "slow"
)

// Kinds lists every misbehaviour.
var Kinds = []Kind{Error500, Hang, Reset, HugeBody, RedirectLoop, Slow}

// HugeSize is the size of a HugeBody answer: 1 GiB.
const HugeSize = 1 << 30

// Peer is one misbehaving server on 127.0.0.1.
type Peer struct {
	Kind Kind
	ln   net.Listener
	quit chan struct{}
	wg   sync.WaitGroup

	mu       sync.Mutex
	conns    map[net.Conn]bool
	open     int
	maxOpen  int
	total    int
	requests int
	followed int   // requests for a redirect target (a client that follows the loop)
	sent     int64 // body bytes written
}

// Start starts a peer of the given kind. Close stops it.
func Start(kind Kind) (*Peer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultpeer: listen: %w", err)
	}
	p := &Peer{Kind: kind, ln: ln, quit: make(chan struct{}), conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// URL returns the URL of path on the peer.
func (p *Peer) URL(path string) string { return "http://" + p.ln.Addr().String() + path }

// Host is the peer's host:port.
func (p *Peer) Host() string { return p.ln.Addr().String() }

// Stats are a peer's counters.
type Stats struct {
	Open, MaxOpen, Connections, Requests int
	// Followed counts requests for the redirect targets (/loop-a, /loop-b).
	Followed  int
	BodyBytes int64
}

// Stats returns the counters now.
func (p *Peer) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Stats{Open: p.open, MaxOpen: p.maxOpen, Connections: p.total, Requests: p.requests, Followed: p.followed, BodyBytes: p.sent}
}

// Close stops accepting, cuts every connection and waits for the handlers.
func (p *Peer) Close() error {
	close(p.quit)
	err := p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

func (p *Peer) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.conns[c] = true
		p.open++
		p.total++
		p.maxOpen = max(p.maxOpen, p.open)
		p.mu.Unlock()
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.serve(c)
			c.Close()
			p.mu.Lock()
			delete(p.conns, c)
			p.open--
			p.mu.Unlock()
		}()
	}
}

// serve answers the requests of one connection.
func (p *Peer) serve(c net.Conn) {
	br := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		io.Copy(io.Discard, io.LimitReader(req.Body, 1<<20))
		req.Body.Close()
		p.mu.Lock()
		p.requests++
		if strings.HasPrefix(req.URL.Path, "/loop-") {
			p.followed++
		}
		p.mu.Unlock()
		switch p.Kind {
		case Error500:
			if _, err := io.WriteString(c, "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nContent-Length: 21\r\n\r\nsomething went wrong\n"); err != nil {
				return
			}
		case Hang:
			// Hold the connection, answering nothing, until the client
			// goes away (a read returns) or the peer closes.
			done := make(chan struct{})
			go func() { io.Copy(io.Discard, br); close(done) }()
			select {
			case <-done:
			case <-p.quit:
			}
			return
		case Reset:
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetLinger(0) // Close sends RST
			}
			return
		case HugeBody:
			p.writeHuge(c)
			return
		case RedirectLoop:
			next := "/loop-a"
			if strings.HasSuffix(req.URL.Path, "-a") {
				next = "/loop-b"
			}
			if _, err := fmt.Fprintf(c, "HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\n\r\n", p.URL(next)); err != nil {
				return
			}
		case Slow:
			p.writeSlow(c)
			return
		}
	}
}

// writeHuge sends 200 and HugeSize bytes of one JSON string, until the
// client stops reading.
func (p *Peer) writeHuge(c net.Conn) {
	head := "HTTP/1.1 200 OK\r\nContent-Type: application/activity+json\r\nConnection: close\r\n\r\n" +
		`{"type":"Note","content":"`
	if _, err := io.WriteString(c, head); err != nil {
		return
	}
	chunk := []byte(strings.Repeat("x", 64<<10))
	for sent := int64(0); sent < HugeSize; sent += int64(len(chunk)) {
		select {
		case <-p.quit:
			return
		default:
		}
		if _, err := c.Write(chunk); err != nil {
			return
		}
		p.mu.Lock()
		p.sent += int64(len(chunk))
		p.mu.Unlock()
	}
}

// writeSlow sends 200 at once, then a small JSON body one byte a second.
func (p *Peer) writeSlow(c net.Conn) {
	body := `{"@context":"https://www.w3.org/ns/activitystreams","type":"Note","id":"` + p.URL("/slow") + `"}`
	if _, err := fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: application/activity+json\r\nContent-Length: %d\r\n\r\n", len(body)); err != nil {
		return
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for i := range len(body) {
		if _, err := c.Write([]byte{body[i]}); err != nil {
			return
		}
		p.mu.Lock()
		p.sent++
		p.mu.Unlock()
		select {
		case <-t.C:
		case <-p.quit:
			return
		}
	}
}
