package config

import (
	"net"
	"path/filepath"
	"strings"
	"time"
)

// Config is Tocsin's whole configuration. Each tagged field is one key:
//
//	key:"name"         the key's name in its section (required)
//	doc:"..."          one line for Keys() and the docs (required)
//	kind:"size"        an int64 byte size ("256KiB" or an integer)
//	oneof:"a|b"        allowed values; a leading "|" also allows ""
//	range:"1..4096"    inclusive bounds of an int
//	check:"domain"     a named check from checks (validate.go)
//
// Durations (time.Duration fields) and sizes must be positive. The kind of
// any other key follows from its Go type: string, bool, int, []string.
// Load and Set record where each value came from so that Validate can point
// at the file line, environment variable or flag of a bad value; because of
// that record, compare two Configs field by field, not with reflect.DeepEqual,
// and note that a copy of a Config shares the record with the original.
type Config struct {
	Domain                string `key:"domain" check:"domain" doc:"public host[:port] of this instance, as in actor IDs and acct: handles"`
	Scheme                string `key:"scheme" oneof:"|http|https" doc:"scheme of public URLs; empty means http for localhost and loopback domains, else https"`
	Listen                string `key:"listen" check:"listen" doc:"host:port the HTTP server listens on"`
	DataDir               string `key:"data_dir" check:"nonempty" doc:"directory for the database, keys and caches, relative to the working directory unless absolute"`
	AllowPrivateAddresses bool   `key:"allow_private_addresses" doc:"federate with loopback and private-network hosts (local fleets, tests)"`
	AllowHTTP             bool   `key:"allow_http" doc:"fetch from and deliver to plain-http peers (local fleets, tests)"`

	Instance   Instance   `key:"instance"`
	TLS        TLS        `key:"tls"`
	Log        Log        `key:"log"`
	HTTP       HTTP       `key:"http"`
	Federation Federation `key:"federation"`
	Admin      Admin      `key:"admin"`
	Metrics    Metrics    `key:"metrics"`
	Limits     Limits     `key:"limits"`

	origins map[string]origin // dotted key -> where its current value came from
}

// Instance describes the instance to people and to other servers (NodeInfo,
// the Mastodon instance API, the about page).
type Instance struct {
	Name              string   `key:"name" check:"nonempty" doc:"name of the instance shown to people and peers"`
	Description       string   `key:"description" doc:"one or two sentences about the instance"`
	ContactEmail      string   `key:"contact_email" check:"email" doc:"public contact address of the administrators"`
	ContactAccount    string   `key:"contact_account" check:"username" doc:"username of the local account shown as the contact"`
	Languages         []string `key:"languages" check:"languages" doc:"BCP-47 tags of the instance's languages (env: comma-separated)"`
	RegistrationsOpen bool     `key:"registrations_open" doc:"let anyone sign up; when false, accounts are created by admins or invites"`
}

// TLS says who terminates TLS.
type TLS struct {
	Mode     string `key:"mode" oneof:"none|autocert" doc:"none (plain HTTP, behind a reverse proxy) or autocert (Let's Encrypt)"`
	Email    string `key:"email" check:"email" doc:"contact address given to Let's Encrypt for autocert"`
	CacheDir string `key:"cache_dir" doc:"where autocert keeps certificates; empty means <data_dir>/autocert"`
}

// Log configures the process log.
type Log struct {
	Level  string `key:"level" oneof:"debug|info|warn|error" doc:"least severe level logged: debug, info, warn or error"`
	Format string `key:"format" oneof:"text|json" doc:"log line format: text or json"`
}

// HTTP configures the HTTP server.
type HTTP struct {
	ReadTimeout     time.Duration `key:"read_timeout" doc:"longest time to read a whole request"`
	WriteTimeout    time.Duration `key:"write_timeout" doc:"longest time to write a response"`
	IdleTimeout     time.Duration `key:"idle_timeout" doc:"how long an idle keep-alive connection stays open"`
	ShutdownTimeout time.Duration `key:"shutdown_timeout" doc:"how long shutdown waits for requests in flight"`
	MaxBodyBytes    int64         `key:"max_body_bytes" kind:"size" doc:"cap on request bodies"`
	MaxInboxBytes   int64         `key:"max_inbox_bytes" kind:"size" doc:"cap on ActivityPub inbox POST bodies"`
	TrustedProxies  []string      `key:"trusted_proxies" doc:"CIDRs of reverse proxies whose X-Forwarded-For gives the client IP (env: comma-separated); empty trusts none"`
}

// Federation configures server-to-server ActivityPub.
type Federation struct {
	SignatureWindow  time.Duration `key:"signature_window" doc:"how far a signed request's Date may be from now"`
	AuthorizedFetch  bool          `key:"authorized_fetch" doc:"require an HTTP Signature on GETs of ActivityPub objects"`
	DeliveryWorkers  int           `key:"delivery_workers" range:"1..4096" doc:"number of concurrent outbound deliveries"`
	FetchTimeout     time.Duration `key:"fetch_timeout" doc:"timeout of one fetch from a remote server"`
	MaxFetchBytes    int64         `key:"max_fetch_bytes" kind:"size" doc:"cap on a response fetched from a remote server"`
	Mode             string        `key:"mode" oneof:"open|allowlist" doc:"open (federate with any server not blocked) or allowlist (only with allowed peers)"`
	TrustListRefresh time.Duration `key:"trust_list_refresh" doc:"how often the trust lists this instance subscribes to are fetched again"`
}

// Admin configures local administration.
type Admin struct {
	Socket string `key:"socket" doc:"path of the local admin socket; empty means <data_dir>/admin.sock"`
}

// Metrics configures the Prometheus metrics endpoint.
type Metrics struct {
	Listen string `key:"listen" doc:"host:port of a separate, admin-only listener serving /metrics; empty means no metrics listener"`
}

// Limits configures the in-memory rate limits. 0 turns a limit off.
// Limits keyed by IP never apply to loopback clients.
type Limits struct {
	APIPer5Min           int `key:"api_per_5min" range:"0..100000000" doc:"unauthenticated API and OAuth requests per client IP per 5 minutes"`
	APIPerAccountPer5Min int `key:"api_per_account_per_5min" range:"0..100000000" doc:"authenticated API requests per account per 5 minutes"`
	SigninPerIPPer15Min  int `key:"signin_per_ip_per_15min" range:"0..100000000" doc:"sign-in attempts (POST /oauth/token, /oauth/authorize, /auth/sign_in) per client IP per 15 minutes"`
	SignupPerIPPerHour   int `key:"signup_per_ip_per_hour" range:"0..100000000" doc:"registrations and app registrations per client IP per hour"`
	InboxPerDomainPerMin int `key:"inbox_per_domain_per_min" range:"0..100000000" doc:"inbox POSTs per remote domain (signature keyId host) per minute"`
	InboxPerIPPerMin     int `key:"inbox_per_ip_per_min" range:"0..100000000" doc:"inbox POSTs per client IP per minute"`
	MaxTrackedKeys       int `key:"max_tracked_keys" range:"100..100000000" doc:"most IPs, accounts or domains each limit remembers; idle ones are forgotten first"`
}

// Default returns the configuration used when nothing is set: an instance
// at http://localhost:8080 keeping its data in ./tocsin-data.
func Default() Config {
	return Config{
		Domain:  "localhost:8080",
		Listen:  "localhost:8080",
		DataDir: "tocsin-data",
		Instance: Instance{
			Name:        "Tocsin",
			Description: "A Tocsin instance: threat alerts and good practice from electoral-integrity networks.",
			Languages:   []string{"en"},
		},
		TLS: TLS{Mode: "none"},
		Log: Log{Level: "info", Format: "text"},
		HTTP: HTTP{
			ReadTimeout:     15 * time.Second,
			WriteTimeout:    30 * time.Second,
			IdleTimeout:     120 * time.Second,
			ShutdownTimeout: 20 * time.Second,
			MaxBodyBytes:    1 << 20,
			MaxInboxBytes:   256 << 10,
			TrustedProxies:  []string{},
		},
		Federation: Federation{
			SignatureWindow:  12 * time.Hour,
			DeliveryWorkers:  128,
			FetchTimeout:     10 * time.Second,
			MaxFetchBytes:    4 << 20,
			Mode:             "open",
			TrustListRefresh: 6 * time.Hour,
		},
		Limits: Limits{
			APIPer5Min:           300,
			APIPerAccountPer5Min: 1500,
			SigninPerIPPer15Min:  30,
			SignupPerIPPerHour:   10,
			InboxPerDomainPerMin: 1200,
			InboxPerIPPerMin:     1200,
			MaxTrackedKeys:       50000,
		},
	}
}

// Load returns the configuration from the defaults, the TOML file at path
// ("" for none), then the TOCSIN_* entries of env (a list like
// os.Environ()), validated. Errors are *Error.
//
// A caller that applies flags on top should use Read, then Set, then
// Validate, so that a flag can still correct a value from the file or env.
func Load(path string, env []string) (*Config, error) {
	c, err := Read(path, env)
	if err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Read is Load without the validation: defaults, then the file at path
// ("" for none), then env. Values that do not parse (a bad duration, a
// string where a number belongs, an unknown key) are still errors. Call
// Validate before using the result.
func Read(path string, env []string) (*Config, error) {
	c := Default()
	if path != "" {
		if err := c.readFile(path); err != nil {
			return nil, err
		}
	}
	if err := c.applyEnv(env); err != nil {
		return nil, err
	}
	return &c, nil
}

// applyEnv applies every TOCSIN_* entry of env that names a key. Other
// TOCSIN_* variables are ignored: the CLI may define its own (a config path).
func (c *Config) applyEnv(env []string) error {
	for _, kv := range env {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, envPrefix) {
			continue
		}
		f := fieldByEnv[name]
		if f == nil {
			continue
		}
		if err := c.Set(f.name, value, name); err != nil {
			return err
		}
	}
	return nil
}

// EffectiveScheme returns the scheme of public URLs: Scheme if set, else
// "http" when the domain's host is localhost (or *.localhost) or a loopback
// IP, else "https".
func (c *Config) EffectiveScheme() string {
	if c.Scheme != "" {
		return c.Scheme
	}
	host, _ := splitDomain(strings.ToLower(c.Domain))
	if isLoopbackHost(host) {
		return "http"
	}
	return "https"
}

// BaseURL returns the public origin of the instance, e.g.
// "http://localhost:8080" or "https://example.org", without a trailing slash.
func (c *Config) BaseURL() string {
	return c.EffectiveScheme() + "://" + c.Domain
}

// AdminSocketPath returns Admin.Socket, or <data_dir>/admin.sock when unset.
func (c *Config) AdminSocketPath() string {
	if c.Admin.Socket != "" {
		return c.Admin.Socket
	}
	return filepath.Join(c.DataDir, "admin.sock")
}

// AutocertCacheDir returns TLS.CacheDir, or <data_dir>/autocert when unset.
func (c *Config) AutocertCacheDir() string {
	if c.TLS.CacheDir != "" {
		return c.TLS.CacheDir
	}
	return filepath.Join(c.DataDir, "autocert")
}

// DatabasePath returns the path of the bbolt database: <data_dir>/tocsin.db.
func (c *Config) DatabasePath() string {
	return filepath.Join(c.DataDir, "tocsin.db")
}

// splitDomain splits "host", "host:port" or "[v6]:port" into host and port.
// It does not validate; the host of "[::1]:8080" is "::1".
func splitDomain(d string) (host, port string) {
	if strings.HasPrefix(d, "[") {
		end := strings.IndexByte(d, ']')
		if end < 0 {
			return d, ""
		}
		host, rest := d[1:end], d[end+1:]
		return host, strings.TrimPrefix(rest, ":")
	}
	if strings.Count(d, ":") == 1 {
		host, port, _ = strings.Cut(d, ":")
		return host, port
	}
	return d, ""
}

// isLoopbackHost reports whether host names this machine: "localhost",
// a name under .localhost (RFC 6761) or a loopback IP.
func isLoopbackHost(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
