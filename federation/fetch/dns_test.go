package fetch

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// TestDNS is a real DNS server on loopback UDP, for tests of what the guard
// does with what names resolve to. Each name has a script of answers given
// in turn, the last one repeated: a name can resolve to one address and
// then to another, as an attacker's rebinding DNS server does. Unknown
// names are NXDOMAIN. It is exported for the external tests of this
// directory (paths_test.go), which reach it through the test build.
type TestDNS struct {
	conn    net.PacketConn
	mu      sync.Mutex
	script  map[dnsKey][][]netip.Addr
	served  map[dnsKey]int
	queries atomic.Int64
}

type dnsKey struct {
	name  string // lower case, with the final dot
	qtype dnsmessage.Type
}

// NewTestDNS starts a DNS server on 127.0.0.1, stopped when t ends.
func NewTestDNS(t testing.TB) *TestDNS {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := &TestDNS{conn: conn, script: map[dnsKey][][]netip.Addr{}, served: map[dnsKey]int{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		for {
			n, from, err := conn.ReadFrom(buf)
			if err != nil {
				return // closed
			}
			if resp := d.answer(buf[:n]); resp != nil {
				_, _ = conn.WriteTo(resp, from)
			}
		}
	}()
	t.Cleanup(func() { conn.Close(); <-done })
	return d
}

// Set scripts name's answers: the first lookup gets steps[0], the second
// steps[1], and so on, the last step repeated. IPv4 addresses answer A
// queries, IPv6 ones (IPv4-mapped included) AAAA queries, each counted
// separately: give a name addresses of one family only, since a resolver
// asks both at once.
func (d *TestDNS) Set(name string, steps ...[]netip.Addr) {
	name = strings.ToLower(strings.TrimSuffix(name, ".")) + "."
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, qt := range []dnsmessage.Type{dnsmessage.TypeA, dnsmessage.TypeAAAA} {
		k := dnsKey{name, qt}
		d.script[k] = nil
		d.served[k] = 0
		for _, step := range steps {
			var s []netip.Addr
			for _, a := range step {
				if a.Is4() == (qt == dnsmessage.TypeA) {
					s = append(s, a)
				}
			}
			d.script[k] = append(d.script[k], s)
		}
	}
}

// Queries is how many queries the server has answered.
func (d *TestDNS) Queries() int64 { return d.queries.Load() }

// Resolver is a pure-Go resolver that asks only this server.
func (d *TestDNS) Resolver() *net.Resolver {
	addr := d.conn.LocalAddr().String()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var dialer net.Dialer
		return dialer.DialContext(ctx, "udp", addr)
	}}
}

func (d *TestDNS) answer(req []byte) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(req)
	if err != nil {
		return nil
	}
	q, err := p.Question()
	if err != nil {
		return nil
	}
	d.queries.Add(1)
	k := dnsKey{strings.ToLower(q.Name.String()), q.Type}
	d.mu.Lock()
	steps, known := d.script[k]
	var addrs []netip.Addr
	if len(steps) > 0 {
		addrs = steps[min(d.served[k], len(steps)-1)]
		d.served[k]++
	}
	d.mu.Unlock()
	if !known { // a name we do not script, or a type we do not answer
		_, known = d.script[dnsKey{k.name, dnsmessage.TypeA}]
	}
	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired, RecursionAvailable: true}
	if !known {
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(make([]byte, 0, 512), rh)
	b.EnableCompression()
	_ = b.StartQuestions()
	_ = b.Question(q)
	_ = b.StartAnswers()
	rr := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 0}
	for _, a := range addrs {
		if a.Is4() {
			_ = b.AResource(rr, dnsmessage.AResource{A: a.As4()})
		} else {
			_ = b.AAAAResource(rr, dnsmessage.AAAAResource{AAAA: a.As16()})
		}
	}
	out, err := b.Finish()
	if err != nil {
		return nil
	}
	return out
}

// countingServer is an HTTP server on a given loopback address that counts
// the connections it accepts: "no connection made" is accepts == 0.
type countingServer struct {
	*httptest.Server
	accepts atomic.Int64
	port    string
}

// CountAccepts wraps ln so that n counts the connections it accepts (also
// for the external tests of this directory).
func CountAccepts(ln net.Listener, n *atomic.Int64) net.Listener { return countingListener{ln, n} }

type countingListener struct {
	net.Listener
	n *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// startCounting serves h on addr ("127.0.0.6:0" or with a fixed port).
func startCounting(t testing.TB, addr string, h http.HandlerFunc) *countingServer {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen on %s: %v", addr, err)
	}
	s := &countingServer{}
	s.Server = httptest.NewUnstartedServer(h)
	s.Server.Listener = countingListener{Listener: ln, n: &s.accepts}
	s.Start()
	t.Cleanup(s.Close)
	_, s.port, _ = net.SplitHostPort(ln.Addr().String())
	return s
}

// twoServers starts one server on 127.0.0.5 (the tests' stand-in for a
// public host) and one on 127.0.0.6 (a private service) on the same port,
// so one URL can reach either, depending on what its name resolves to.
func twoServers(t testing.TB, public, private http.HandlerFunc) (*countingServer, *countingServer) {
	t.Helper()
	for range 20 { // the port free on .5 is almost always free on .6
		pub := startCounting(t, "127.0.0.5:0", public)
		ln, err := net.Listen("tcp", "127.0.0.6:"+pub.port)
		if err != nil {
			pub.Close()
			continue
		}
		ln.Close()
		return pub, startCounting(t, "127.0.0.6:"+pub.port, private)
	}
	t.Fatal("no port free on both 127.0.0.5 and 127.0.0.6")
	return nil, nil
}

var (
	publicStandIn = netip.MustParseAddr("127.0.0.5")
	privateAddr   = netip.MustParseAddr("127.0.0.6")
)

// dialBlocked reports whether err is the dial guard's refusal of addr.
func dialBlocked(err error, addr string) bool {
	var be *BlockedError
	return errors.As(err, &be) && be.URL == "" && strings.HasPrefix(be.Addr, addr)
}
