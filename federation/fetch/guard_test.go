package fetch

import (
	"context"
	"errors"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/idna"
)

func TestCheckURL(t *testing.T) {
	strict := newClient(t, Options{})
	withHTTP := newClient(t, Options{AllowHTTP: true})
	private := newClient(t, Options{AllowPrivate: true, AllowHTTP: true})

	cases := []struct {
		url                       string
		strict, withHTTP, private bool // allowed by each client
	}{
		{"https://example.org/users/alice", true, true, true},
		{"https://EXAMPLE.org:8443/inbox?x=1", true, true, true},
		{"https://93.184.215.14/", true, true, true},
		{"https://[2606:4700::1111]/", true, true, true},
		{"https://xn--bcher-kva.example/", true, true, true},
		{"https://bücher.example/", true, true, true},
		{"http://example.org/", false, true, true},
		{"HTTP://example.org/", false, true, true},

		// Schemes and shapes refused whatever the options.
		{"file:///etc/passwd", false, false, false},
		{"gopher://example.org/", false, false, false},
		{"ftp://example.org/", false, false, false},
		{"javascript:alert(1)", false, false, false},
		{"https:example.org", false, false, false},
		{"//example.org/", false, false, false},
		{"/relative", false, false, false},
		{"", false, false, false},
		{"https://", false, false, false},
		{"https://:443/", false, false, false},
		{"https://./", false, false, false},
		{"https://user:pass@example.org/", false, false, false},
		{"https://user@example.org/", false, false, false},
		{"https://example.org:0/", false, false, false},
		{"https://example.org:65536/", false, false, false},
		{"https://example.org:99999999999999999999/", false, false, false},
		{"https://example.org:-1/", false, false, false},
		{"https://exa mple.org/", false, false, false},
		{"https://[fe80::1%25eth0]/", false, false, false},

		// Legacy numeric IPv4 forms: never a DNS name, always refused.
		{"http://0x7f000001/", false, false, false},
		{"http://2130706433/", false, false, false},
		{"http://0177.0.0.1/", false, false, false},
		{"http://127.1/", false, false, false},
		{"http://127.0.0.1./", false, false, false},
		{"http://1.2.3.0x4/", false, false, false},
		{"https://example.123/", false, false, false},

		// Non-public literals: refused unless AllowPrivate.
		{"http://127.0.0.1:8080/", false, false, true},
		{"https://127.0.0.1/", false, false, true},
		{"http://[::1]/", false, false, true},
		{"http://169.254.169.254/latest/meta-data/", false, false, true},
		{"http://10.0.0.1/", false, false, true},
		{"https://172.16.5.4/", false, false, true},
		{"https://192.168.1.1/", false, false, true},
		{"https://100.64.0.1/", false, false, true},
		{"https://0.0.0.0/", false, false, true},
		{"https://0.1.2.3/", false, false, true},
		{"https://255.255.255.255/", false, false, true},
		{"https://224.0.0.1/", false, false, true},
		{"https://[fe80::1]/", false, false, true},
		{"https://[fc00::1]/", false, false, true},
		{"https://[fd12:3456::1]/", false, false, true},
		{"https://[::]/", false, false, true},
		{"https://[::ffff:127.0.0.1]/", false, false, true},
		{"https://[::ffff:a9fe:a9fe]/", false, false, true},
		{"https://[64:ff9b::10.0.0.1]/", false, false, true},
		{"https://[2002:7f00:1::]/", false, false, true},
		{"https://[ff02::1]/", false, false, true},
		// Full-width digits: the transport's IDNA mapping would dial 127.0.0.1.
		{"https://１２７.０.０.１/", false, false, true},
	}
	for _, tc := range cases {
		for _, v := range []struct {
			name string
			c    *Client
			want bool
		}{{"strict", strict, tc.strict}, {"allow_http", withHTTP, tc.withHTTP}, {"allow_private", private, tc.private}} {
			err := v.c.CheckURL(tc.url)
			if (err == nil) != v.want {
				t.Errorf("%s: CheckURL(%q) = %v, want allowed=%v", v.name, tc.url, err, v.want)
			}
			if err != nil && !isBlocked(err) {
				t.Errorf("%s: CheckURL(%q) = %T %v, want *BlockedError", v.name, tc.url, err, err)
			}
		}
	}
}

func TestBlockedAddr(t *testing.T) {
	blocked := []string{
		"127.0.0.1", "127.255.255.254", "10.1.2.3", "172.31.255.255", "192.168.0.1",
		"169.254.169.254", "100.64.0.1", "100.127.255.255", "0.0.0.0", "0.255.255.255",
		"255.255.255.255", "224.0.0.251", "239.255.255.250", "240.0.0.1", "192.0.0.170",
		"192.0.2.1", "198.51.100.7", "203.0.113.9", "198.18.0.1",
		"::", "::1", "fe80::1", "fe80::1%eth0", "fc00::1", "fdff::1", "ff02::1", "::ffff:10.0.0.1",
		"::ffff:169.254.169.254", "::127.0.0.1", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe",
		"64:ff9b:1::1", "2002:0a00:0001::1", "2001:db8::1", "2001::1", "100::1", "fec0::1", "3fff::1",
	}
	for _, s := range blocked {
		if blockedAddr(netip.MustParseAddr(s)) == "" {
			t.Errorf("blockedAddr(%s) = allowed, want refused", s)
		}
	}
	public := []string{
		"93.184.215.14", "1.1.1.1", "8.8.8.8", "100.63.255.255", "100.128.0.0", "172.32.0.1",
		"2606:4700::1111", "2a01:4f8::1", "::ffff:93.184.215.14", "64:ff9b::808:808", "2002:0808:0808::1",
	}
	for _, s := range public {
		if r := blockedAddr(netip.MustParseAddr(s)); r != "" {
			t.Errorf("blockedAddr(%s) = %q, want allowed", s, r)
		}
	}
}

// A private literal is refused before any request leaves: the server,
// on that very address, sees nothing.
func TestPrivateLiteralRefusedBeforeAnyRequest(t *testing.T) {
	srv := newServer(t, writeDoc)
	c := newClient(t, Options{AllowHTTP: true})
	u, _ := url.Parse(srv.URL)
	ctx := context.Background()
	for _, target := range []string{srv.URL + "/note", "http://[::1]:" + u.Port() + "/note"} {
		if _, err := c.GetActivity(ctx, target); !isBlocked(err) {
			t.Errorf("GetActivity(%s) = %v, want *BlockedError", target, err)
		}
		if _, err := c.GetJSON(ctx, target); !isBlocked(err) {
			t.Errorf("GetJSON(%s) = %v, want *BlockedError", target, err)
		}
		if _, err := c.Post(ctx, target, []byte(`{}`), nil); !isBlocked(err) {
			t.Errorf("Post(%s) = %v, want *BlockedError", target, err)
		}
		if err := c.CheckURL(target); !isBlocked(err) {
			t.Errorf("CheckURL(%s) = %v, want *BlockedError", target, err)
		}
	}
	if n := srv.hits.Load(); n != 0 {
		t.Errorf("server got %d requests, want 0", n)
	}
}

// A name that passes CheckURL but resolves to loopback is refused when
// connecting, whatever DNS answered: the guard against DNS rebinding.
func TestNameResolvingToLoopbackRefusedAtDial(t *testing.T) {
	srv := newServer(t, writeDoc)
	c := newClient(t, Options{AllowHTTP: true})
	u, _ := url.Parse(srv.URL)
	target := "http://localhost:" + u.Port() + "/note"
	if err := c.CheckURL(target); err != nil {
		t.Fatalf("CheckURL(%s) = %v; a name is checked when connecting", target, err)
	}
	_, err := c.GetActivity(context.Background(), target)
	var be *BlockedError
	if !errors.As(err, &be) || be.Addr == "" || be.URL != "" {
		t.Fatalf("GetActivity(%s) = %v, want a *BlockedError from the dial guard", target, err)
	}
	if !strings.Contains(err.Error(), "loopback") || !Permanent(err) {
		t.Errorf("error %q: want it to say loopback and be permanent", err)
	}
	if _, err := c.Post(context.Background(), target, []byte(`{}`), nil); !isBlocked(err) {
		t.Errorf("Post(%s) = %v, want *BlockedError", target, err)
	}
	if n := srv.hits.Load(); n != 0 {
		t.Errorf("server got %d requests, want 0", n)
	}

	// The same name with AllowPrivate is fetched.
	if _, err := newClient(t, loopback).GetActivity(context.Background(), target); err != nil {
		t.Fatalf("with AllowPrivate: %v", err)
	}
}

func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{
		"https://example.org/users/alice", "http://127.0.0.1:8080/", "http://0x7f000001/",
		"https://[::ffff:127.0.0.1]/", "https://[fe80::1%25eth0]:1/", "file:///etc/passwd",
		"https://user:pw@host/", "https://１２７.０.０.１/", "https://bücher.example/", "http://%31%32%37.0.0.1/",
		"https://a..b/", "https://[64:ff9b::a00:1]/", "https://example.org:65535/", ":", "https://[",
	} {
		f.Add(s)
	}
	strict := newClient(f, Options{AllowHTTP: true})
	private := newClient(f, loopback)
	f.Fuzz(func(t *testing.T, s string) {
		err := strict.CheckURL(s)
		if err != nil && !isBlocked(err) {
			t.Fatalf("CheckURL(%q) = %T, want *BlockedError", s, err)
		}
		if err == nil {
			// What passed must be dialable as checked: an IP literal host
			// is public.
			u, perr := url.Parse(s)
			if perr != nil {
				t.Fatalf("CheckURL(%q) passed an unparsable URL", s)
			}
			host := u.Hostname()
			if h, perr := idna.Lookup.ToASCII(host); perr == nil {
				host = h // what the transport dials
			}
			if a, perr := netip.ParseAddr(host); perr == nil && blockedAddr(a) != "" {
				t.Fatalf("CheckURL(%q) passed non-public %s", s, a)
			}
		}
		_ = private.CheckURL(s)
	})
}
