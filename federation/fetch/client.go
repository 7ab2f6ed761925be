package fetch

import (
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/tocsin-network/tocsin/federation/signature"
)

// Defaults for zero Options fields.
const (
	DefaultTimeout         = 10 * time.Second
	DefaultMaxBytes        = 4 << 20
	DefaultMaxRedirects    = 3
	DefaultMaxConnsPerHost = 8
	DefaultUserAgent       = "tocsin"
)

// Fixed transport timeouts; Options.Timeout bounds the whole request on top.
const (
	dialTimeout           = 5 * time.Second
	tlsHandshakeTimeout   = 5 * time.Second
	responseHeaderTimeout = 10 * time.Second
)

// Options configure a Client. Zero fields take the defaults above.
type Options struct {
	// AllowPrivate allows loopback, private, link-local, CGNAT, ULA and other
	// non-public addresses (config allow_private_addresses): tests and local
	// fleets only.
	AllowPrivate bool
	// AllowHTTP allows plain http:// URLs (config allow_http); https is
	// always allowed.
	AllowHTTP bool
	// Timeout bounds a whole call: connect, every redirect hop, the retry
	// of a 401, and reading the body.
	Timeout time.Duration
	// MaxBytes caps a response body; a larger one fails with ErrTooLarge.
	MaxBytes int64
	// MaxRedirects is how many redirects a GET follows; negative follows none.
	MaxRedirects int
	// UserAgent is sent with every request, e.g. "tocsin/0.1.0 (+https://host/)".
	UserAgent string
	// MaxConnsPerHost caps connections to one host, so that one slow peer
	// cannot hold every connection of the delivery workers.
	MaxConnsPerHost int
	// RootCAs verifies TLS servers; nil means the system roots. For local
	// fleets with their own CA, and tests.
	RootCAs *x509.CertPool
	// Resolver looks up host names when connecting; nil is the system
	// resolver. Whatever it answers, every address is checked by the guard
	// just before the socket connects, so a resolver (or a DNS server that
	// rebinds a name between two lookups) cannot open a way around it.
	Resolver *net.Resolver
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	switch {
	case o.MaxRedirects == 0:
		o.MaxRedirects = DefaultMaxRedirects
	case o.MaxRedirects < 0:
		o.MaxRedirects = 0
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	if o.MaxConnsPerHost <= 0 {
		o.MaxConnsPerHost = DefaultMaxConnsPerHost
	}
	return o
}

// Client is the guarded HTTP client. It is safe for concurrent use; make one
// per process and share it, so connections are pooled.
type Client struct {
	opts      Options
	transport *http.Transport
	signer    *signature.Signer // the instance actor's; nil: GETs go unsigned
	// testPublic, set only by this package's tests, is one loopback
	// address the dial guard treats as public: a stand-in for the
	// internet in tests that must stay on loopback.
	testPublic netip.Addr
}

// New builds a Client. keyID and key (the instance actor's publicKey id and
// private key) sign every GetActivity, since peers in authorized-fetch mode
// refuse unsigned fetches; with a nil key, GETs go unsigned.
func New(opts Options, keyID string, key *rsa.PrivateKey) (*Client, error) {
	c := &Client{opts: opts.withDefaults()}
	if key != nil {
		s, err := signature.NewSigner(keyID, key)
		if err != nil {
			return nil, fmt.Errorf("fetch: instance key: %w", err)
		}
		c.signer = s
	}
	// The transport is used without an http.Client: redirects are followed
	// by hand (get.go) so that each hop is checked, counted and signed
	// afresh, and POSTs follow none; and there is no cookie jar.
	dialer := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second, Resolver: c.opts.Resolver}
	if !c.opts.AllowPrivate {
		// Control sees each address the dialer tries, after resolution and
		// just before connect(2), whatever DNS said: this is the check that
		// DNS rebinding cannot get around.
		dialer.Control = c.dialControl
	}
	c.transport = &http.Transport{
		Proxy:                 nil, // a proxy would be the only address the guard checks
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: c.opts.RootCAs},
		TLSHandshakeTimeout:   tlsHandshakeTimeout,
		ResponseHeaderTimeout: responseHeaderTimeout,
		ExpectContinueTimeout: time.Second,
		MaxConnsPerHost:       c.opts.MaxConnsPerHost,
		MaxIdleConnsPerHost:   c.opts.MaxConnsPerHost,
		MaxIdleConns:          256,
		IdleConnTimeout:       90 * time.Second,
	}
	return c, nil
}

// CloseIdleConnections closes pooled connections that are idle, for shutdown.
func (c *Client) CloseIdleConnections() { c.transport.CloseIdleConnections() }
