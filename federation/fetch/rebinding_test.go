package fetch

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func addrs(s ...string) []netip.Addr {
	out := make([]netip.Addr, len(s))
	for i, a := range s {
		out[i] = netip.MustParseAddr(a)
	}
	return out
}

// A name that resolves to a public address when first looked up and to a
// private one when looked up again (DNS rebinding) reaches the public host
// the first time and nothing the second: the address checked is the
// address dialled, on each new connection.
func TestDNSRebindingCannotReachPrivateAddress(t *testing.T) {
	pub, priv := twoServers(t, writeDoc, writeDoc)
	dns := NewTestDNS(t)
	dns.Set("rebind.tocsin.test", addrs("127.0.0.5"), addrs("127.0.0.6"), addrs("127.0.0.5"), addrs("127.0.0.6"))
	c := newClient(t, Options{AllowHTTP: true, Resolver: dns.Resolver()})
	c.testPublic = publicStandIn
	target := fmt.Sprintf("http://rebind.tocsin.test:%s/note", pub.port)
	ctx := context.Background()

	for round := range 2 {
		c.CloseIdleConnections() // every fetch dials, and so resolves, afresh
		if _, err := c.GetActivity(ctx, target); err != nil {
			t.Fatalf("round %d: name resolving to the public host: %v", round, err)
		}
		c.CloseIdleConnections()
		_, err := c.GetActivity(ctx, target)
		if !dialBlocked(err, "127.0.0.6:") {
			t.Fatalf("round %d: name rebound to 127.0.0.6: err = %v, want the dial guard's *BlockedError", round, err)
		}
		if !strings.Contains(err.Error(), "127.0.0.6") || !strings.Contains(err.Error(), "loopback") || !Permanent(err) {
			t.Errorf("round %d: error %q should name the address, say loopback and be permanent", round, err)
		}
	}
	if n := pub.accepts.Load(); n != 2 {
		t.Errorf("public host accepted %d connections, want 2", n)
	}
	if n := priv.accepts.Load(); n != 0 {
		t.Errorf("private service accepted %d connections, want 0", n)
	}
	if dns.Queries() < 4 {
		t.Errorf("DNS server answered %d queries: the client did not resolve through it", dns.Queries())
	}
}

// With the guard in its production setting (nothing treated as public),
// every non-public answer is refused when connecting: loopback, IPv4-mapped
// loopback, unspecified, metadata, CGNAT, ULA, link-local, multicast; and a
// name with several answers is refused on each. The server behind those
// names accepts no connection. The same names, with allow_private, reach it:
// so it is the guard that refused, not DNS.
func TestNamesResolvingToNonPublicAddressesRefusedAtDial(t *testing.T) {
	srv := startCounting(t, "127.0.0.7:0", writeDoc)
	dns := NewTestDNS(t)
	cases := map[string][]netip.Addr{
		"loopback.tocsin.test":  addrs("127.0.0.7"),
		"mapped.tocsin.test":    addrs("::ffff:127.0.0.7"),
		"compat.tocsin.test":    addrs("::127.0.0.7"),
		"nat64.tocsin.test":     addrs("64:ff9b::7f00:7"),
		"sixto4.tocsin.test":    addrs("2002:7f00:7::1"),
		"ipv6lo.tocsin.test":    addrs("::1"),
		"unspec4.tocsin.test":   addrs("0.0.0.0"),
		"unspec6.tocsin.test":   addrs("::"),
		"metadata.tocsin.test":  addrs("169.254.169.254"),
		"cgnat.tocsin.test":     addrs("100.64.0.1"),
		"rfc1918.tocsin.test":   addrs("10.0.0.1", "192.168.1.1", "172.16.0.1"),
		"ula.tocsin.test":       addrs("fd00::1"),
		"linklocal.tocsin.test": addrs("fe80::1"),
		"mcast.tocsin.test":     addrs("224.0.0.1"),
		"many.tocsin.test":      addrs("127.0.0.7", "10.1.1.1", "169.254.169.254", "0.0.0.0"),
	}
	for name, a := range cases {
		dns.Set(name, a)
	}
	strict := newClient(t, Options{AllowHTTP: true, Resolver: dns.Resolver(), Timeout: 3 * time.Second})
	ctx := context.Background()
	for name := range cases {
		target := fmt.Sprintf("http://%s:%s/note", name, srv.port)
		if err := strict.CheckURL(target); err != nil {
			t.Fatalf("CheckURL(%s) = %v: names are checked when connecting", target, err)
		}
		if _, err := strict.GetActivity(ctx, target); !dialBlocked(err, "") {
			t.Errorf("GetActivity(%s) = %v, want the dial guard's *BlockedError", target, err)
		}
		if _, err := strict.GetJSON(ctx, target); !dialBlocked(err, "") {
			t.Errorf("GetJSON(%s) = %v, want the dial guard's *BlockedError", target, err)
		}
		if _, err := strict.Post(ctx, target, []byte(`{}`), nil); !dialBlocked(err, "") {
			t.Errorf("Post(%s) = %v, want the dial guard's *BlockedError", target, err)
		}
	}
	if n := srv.accepts.Load(); n != 0 {
		t.Fatalf("server behind the names accepted %d connections, want 0", n)
	}
	lenient := newClient(t, Options{AllowHTTP: true, AllowPrivate: true, Resolver: dns.Resolver()})
	for _, name := range []string{"loopback.tocsin.test", "mapped.tocsin.test"} {
		if _, err := lenient.GetActivity(ctx, fmt.Sprintf("http://%s:%s/note", name, srv.port)); err != nil {
			t.Errorf("with allow_private, %s: %v", name, err)
		}
	}
	if srv.accepts.Load() == 0 {
		t.Error("with allow_private the server was never reached: the names did not resolve through the test DNS")
	}
}

// Redirects are checked hop by hop: a public host cannot send the client to
// a private address, whether by literal, legacy numeric form, mapped IPv6,
// zone, user info, or a name that resolves to it.
func TestRedirectsToPrivateAddressesRefused(t *testing.T) {
	var pub *countingServer
	pub, priv := twoServers(t, func(w http.ResponseWriter, r *http.Request) {
		if loc := r.URL.Query().Get("to"); loc != "" {
			w.Header().Set("Location", strings.ReplaceAll(loc, "PORT", pub.port))
			w.WriteHeader(http.StatusFound)
			return
		}
		writeDoc(w, r)
	}, writeDoc)
	dns := NewTestDNS(t)
	dns.Set("public.tocsin.test", addrs("127.0.0.5"))
	dns.Set("inside.tocsin.test", addrs("127.0.0.6"))
	dns.Set("inside6.tocsin.test", addrs("::ffff:127.0.0.6"))
	c := newClient(t, Options{AllowHTTP: true, Resolver: dns.Resolver()})
	c.testPublic = publicStandIn
	base := "http://public.tocsin.test:" + pub.port + "/r?to="
	ctx := context.Background()

	if _, err := c.GetActivity(ctx, base+"http://public.tocsin.test:PORT/note"); err != nil {
		t.Fatalf("redirect between public URLs: %v", err)
	}
	for _, to := range []string{
		"http://127.0.0.6:PORT/note",
		"http://inside.tocsin.test:PORT/note",
		"http://inside.tocsin.test.:PORT/note",
		"http://INSIDE.tocsin.test:PORT/note",
		"http://inside6.tocsin.test:PORT/note",
		"http://[::ffff:127.0.0.6]:PORT/note",
		"http://[::ffff:7f00:6]:PORT/note",
		"http://0x7f000006:PORT/note",
		"http://2130706438:PORT/note",
		"http://0177.0.0.6:PORT/note",
		"http://127.6:PORT/note",
		"http://127.0.0.6.:PORT/note",
		"http://[fe80::1%25lo]:PORT/note",
		"http://public.tocsin.test@inside.tocsin.test:PORT/note",
		"http://x:y@127.0.0.6:PORT/note",
		"http://169.254.169.254/latest/meta-data/",
		"http://0.0.0.0:PORT/note",
		"http://[::]:PORT/note",
	} {
		for _, get := range []func(context.Context, string) (*Response, error){c.GetActivity, c.GetJSON} {
			if _, err := get(ctx, base+urlQuery(to)); !isBlocked(err) {
				t.Errorf("redirect to %s: err = %v, want *BlockedError", to, err)
			}
		}
	}
	if n := priv.accepts.Load(); n != 0 {
		t.Errorf("private service accepted %d connections, want 0", n)
	}
}

// URL tricks given directly (not by redirect) are refused too, before any
// I/O for literals and at dial for names; the server on the private address
// sees no connection.
func TestURLTricksRefused(t *testing.T) {
	srv := startCounting(t, "127.0.0.6:0", writeDoc)
	dns := NewTestDNS(t)
	dns.Set("inside.tocsin.test", addrs("127.0.0.6"))
	c := newClient(t, Options{AllowHTTP: true, Resolver: dns.Resolver()})
	ctx := context.Background()
	p := srv.port
	for _, target := range []string{
		"http://127.0.0.6:" + p + "/note",
		"http://2130706438:" + p + "/note",
		"http://0x7f000006:" + p + "/note",
		"http://0x7f.0.0.6:" + p + "/note",
		"http://0177.0.0.06:" + p + "/note",
		"http://127.6:" + p + "/note",
		"http://127.0.0.6.:" + p + "/note",
		"http://[::ffff:127.0.0.6]:" + p + "/note",
		"http://[::ffff:7f00:6]:" + p + "/note",
		"http://[fe80::1%25lo]:" + p + "/note",
		"http://[fe80::1%lo]:" + p + "/note",
		"http://user@127.0.0.6:" + p + "/note",
		"http://user:pass@inside.tocsin.test:" + p + "/note",
		"http://inside.tocsin.test:" + p + "/note",
		"http://inside.tocsin.test.:" + p + "/note",
		"http://%31%32%37.0.0.6:" + p + "/note",
		"http://１２７.０.０.６:" + p + "/note",
	} {
		if _, err := c.GetActivity(ctx, target); !isBlocked(err) {
			t.Errorf("GetActivity(%s) = %v, want *BlockedError", target, err)
		}
		if _, err := c.Post(ctx, target, []byte(`{}`), nil); !isBlocked(err) {
			t.Errorf("Post(%s) = %v, want *BlockedError", target, err)
		}
	}
	if n := srv.accepts.Load(); n != 0 {
		t.Errorf("server accepted %d connections, want 0", n)
	}
}

func urlQuery(s string) string {
	r := strings.NewReplacer("%", "%25", "&", "%26", "?", "%3F", "#", "%23", "+", "%2B", " ", "%20")
	return r.Replace(s)
}
