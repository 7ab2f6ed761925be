package fetch

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/net/idna"
)

// BlockedError is a URL or address the guard refuses. URL is set when a URL
// was refused before any I/O, Addr when a resolved address was refused at
// connect time. Reason says why, in words fit for a log line.
type BlockedError struct {
	URL    string
	Addr   string
	Reason string
}

func (e *BlockedError) Error() string {
	if e.URL != "" {
		return "fetch: refused " + strconv.Quote(e.URL) + ": " + e.Reason
	}
	return "fetch: refused: " + e.Reason // wrapped in a *net.OpError that names Addr
}

func blockedURL(raw, reason string) *BlockedError {
	if len(raw) > 200 {
		raw = raw[:200] + "..."
	}
	return &BlockedError{URL: raw, Reason: reason}
}

// CheckURL says whether the Client would fetch from or deliver to u, without
// any I/O: the scheme is https (or http with AllowHTTP), there is a host and
// no user info, the port is in range, and unless AllowPrivate an IP literal is
// public. Numeric hosts other than dotted-decimal IPv4 ("0x7f000001",
// "2130706433", "127.1") are always refused. A name passes here; its addresses
// are checked when connecting. Every refusal is a *BlockedError.
func (c *Client) CheckURL(u string) error {
	_, err := c.parseURL(u)
	return err
}

func (c *Client) parseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, blockedURL(raw, "not a valid URL")
	}
	if err := c.check(u); err != nil {
		return nil, err
	}
	return u, nil
}

// check is CheckURL on a parsed URL; it also vets each redirect target.
func (c *Client) check(u *url.URL) error {
	refuse := func(reason string) error { return blockedURL(u.String(), reason) }
	switch u.Scheme {
	case "https":
	case "http":
		if !c.opts.AllowHTTP {
			return refuse("plain http is not allowed (allow_http is off); use https")
		}
	default:
		return refuse(fmt.Sprintf("scheme %q is not allowed; only https and http", u.Scheme))
	}
	if u.Opaque != "" {
		return refuse("not an absolute URL with a host")
	}
	if u.User != nil {
		return refuse("URLs with user info are refused")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return refuse(fmt.Sprintf("port %q is out of range", p))
		}
	}
	host := u.Hostname()
	if host == "" {
		return refuse("no host")
	}
	if !isASCII(host) {
		// The transport dials the IDNA form: check what it will dial
		// (full-width digits map to an IPv4 literal, for one).
		a, err := idna.Lookup.ToASCII(host)
		if err != nil {
			return refuse("host is not a valid domain name")
		}
		host = a
	}
	if addr, err := netip.ParseAddr(host); err == nil {
		if addr.Zone() != "" {
			return refuse("IPv6 zone identifiers are refused")
		}
		if !c.opts.AllowPrivate {
			if reason := blockedAddr(addr); reason != "" {
				return refuse(privateReason(addr, reason))
			}
		}
		return nil
	}
	if numericLastLabel(host) {
		return refuse(fmt.Sprintf("numeric host %q is not a dotted-decimal IPv4 address", host))
	}
	if strings.Trim(host, ".") == "" {
		return refuse("no host")
	}
	return nil
}

// dialControl refuses, at connect time, any address that is not public.
// address is the resolved "ip:port" the socket is about to connect to, so
// the address checked is the address dialled, on every redirect hop and
// for every address a name resolves to.
func (c *Client) dialControl(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &BlockedError{Addr: address, Reason: "not an IP address and port"}
	}
	if c.testPublic.IsValid() && ap.Addr().WithZone("").Unmap() == c.testPublic {
		return nil
	}
	if reason := blockedAddr(ap.Addr()); reason != "" {
		return &BlockedError{Addr: address, Reason: privateReason(ap.Addr(), reason)}
	}
	return nil
}

func privateReason(a netip.Addr, kind string) string {
	return a.String() + " is " + kind + " (reachable only with allow_private_addresses)"
}

type blockedPrefix struct {
	prefix netip.Prefix
	kind   string
}

// Non-public ranges that netip's predicates do not cover (IANA special-
// purpose registries). Checked after loopback, private, link-local,
// multicast and unspecified.
var blockedPrefixes = []blockedPrefix{
	{netip.MustParsePrefix("0.0.0.0/8"), `a "this network" address`},
	{netip.MustParsePrefix("100.64.0.0/10"), "a carrier-grade NAT address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol assignment"},
	{netip.MustParsePrefix("192.0.2.0/24"), "a documentation address"},
	{netip.MustParsePrefix("198.51.100.0/24"), "a documentation address"},
	{netip.MustParsePrefix("203.0.113.0/24"), "a documentation address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("255.255.255.255/32"), "the broadcast address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"},
	{netip.MustParsePrefix("::/96"), "an IPv4-compatible IPv6 address"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "a local-use NAT64 address"},
	{netip.MustParsePrefix("100::/64"), "a discard-only address"},
	{netip.MustParsePrefix("2001::/32"), "a Teredo address"},
	{netip.MustParsePrefix("2001:2::/48"), "a benchmarking address"},
	{netip.MustParsePrefix("2001:db8::/32"), "a documentation address"},
	{netip.MustParsePrefix("3fff::/20"), "a documentation address"},
	{netip.MustParsePrefix("fec0::/10"), "a site-local address"},
}

var (
	nat64  = netip.MustParsePrefix("64:ff9b::/96")
	sixto4 = netip.MustParsePrefix("2002::/16")
)

// blockedAddr says what kind of non-public address a is ("a loopback
// address"), or "" when a is public. IPv4 embedded in IPv4-mapped, NAT64
// (64:ff9b::/96) and 6to4 (2002::/16) addresses is judged as IPv4.
func blockedAddr(a netip.Addr) string {
	a = a.WithZone("").Unmap()
	switch {
	case !a.IsValid():
		return "not a valid address"
	case nat64.Contains(a):
		b := a.As16()
		return blockedAddr(netip.AddrFrom4([4]byte(b[12:16])))
	case sixto4.Contains(a):
		b := a.As16()
		return blockedAddr(netip.AddrFrom4([4]byte(b[2:6])))
	case a.IsUnspecified():
		return "the unspecified address"
	case a.IsLoopback():
		return "a loopback address"
	case a.IsPrivate():
		return "a private address"
	case a.IsLinkLocalUnicast():
		return "a link-local address" // includes 169.254.169.254, cloud metadata
	case a.IsMulticast():
		return "a multicast address"
	}
	for _, p := range blockedPrefixes {
		if p.prefix.Contains(a) {
			return p.kind
		}
	}
	return ""
}

// numericLastLabel reports whether host ends in a label of digits or 0x-hex:
// WHATWG URL parsers and inet_aton read such a host as an IPv4 address in
// some legacy form, which a DNS name never is.
func numericLastLabel(host string) bool {
	host = strings.TrimSuffix(host, ".")
	label := host[strings.LastIndexByte(host, '.')+1:]
	if label == "" {
		return false
	}
	if len(label) >= 2 && label[0] == '0' && (label[1] == 'x' || label[1] == 'X') {
		return strings.Trim(label[2:], "0123456789abcdefABCDEF") == ""
	}
	return strings.Trim(label, "0123456789") == ""
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
