package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// writeConfig writes content to a config.toml in a fresh directory.
func writeConfig(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// diff lists the keys whose values differ, for failure messages.
func diff(got, want Config) string {
	var out []string
	for _, f := range fields {
		if g, w := f.format(&got), f.format(&want); g != w {
			out = append(out, fmt.Sprintf("%s = %q, want %q", f.name, g, w))
		}
	}
	return strings.Join(out, "; ")
}

// sameValues reports whether a and b hold the same values, ignoring where
// they came from.
func sameValues(a, b Config) bool {
	a.origins, b.origins = nil, nil
	return reflect.DeepEqual(a, b)
}

func TestNoFileNoEnvGivesDefaultsOnLocalhost(t *testing.T) {
	c, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !sameValues(*c, Default()) {
		t.Errorf("Load(\"\", nil) differs from Default(): %s", diff(*c, Default()))
	}
	for got, want := range map[string]string{
		c.BaseURL():          "http://localhost:8080",
		c.EffectiveScheme():  "http",
		c.DatabasePath():     filepath.Join("tocsin-data", "tocsin.db"),
		c.AdminSocketPath():  filepath.Join("tocsin-data", "admin.sock"),
		c.AutocertCacheDir(): filepath.Join("tocsin-data", "autocert"),
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	d := Default()
	if d.HTTP.MaxBodyBytes != 1<<20 || d.HTTP.MaxInboxBytes != 256<<10 ||
		d.Federation.MaxFetchBytes != 4<<20 || d.Federation.SignatureWindow != 12*time.Hour {
		t.Errorf("Default() sizes or window off: %+v %+v", d.HTTP, d.Federation)
	}
}

func TestLoadAppliesFileThenEnv(t *testing.T) {
	path := writeConfig(t, `
domain = "Alerts.Example.ORG"
data_dir = "/var/lib/tocsin"
allow_http = true

[instance]
name = "Kenya Election Watch"
languages = ["en", "sw"]
registrations_open = true
contact_account = "admin"

[log]
format = "json"

[http]
read_timeout = "5s"
max_body_bytes = 2097152
max_inbox_bytes = "512KiB"

[federation]
delivery_workers = 16
max_fetch_bytes = "1MB"
mode = "allowlist"

[admin]
socket = "/run/tocsin.sock"
`)
	env := []string{
		"HOME=/root",
		"TOCSIN_LOG_FORMAT=text",               // overrides the file
		"TOCSIN_LOG_LEVEL=debug",               // not in the file
		"TOCSIN_INSTANCE_LANGUAGES=fr, pt-BR,", // comma list, blanks dropped
		"TOCSIN_CONFIG=/etc/tocsin.toml",       // not a key: ignored
		"TOCSIN_FEDERATION_SIGNATURE_WINDOW=1h",
	}
	c, err := Load(path, env)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Domain = "alerts.example.org"
	want.DataDir = "/var/lib/tocsin"
	want.AllowHTTP = true
	want.Instance.Name = "Kenya Election Watch"
	want.Instance.Languages = []string{"fr", "pt-BR"}
	want.Instance.RegistrationsOpen = true
	want.Instance.ContactAccount = "admin"
	want.Log = Log{Level: "debug", Format: "text"}
	want.HTTP.ReadTimeout = 5 * time.Second
	want.HTTP.MaxBodyBytes = 2 << 20
	want.HTTP.MaxInboxBytes = 512 << 10
	want.Federation.DeliveryWorkers = 16
	want.Federation.MaxFetchBytes = 1000 * 1000
	want.Federation.Mode = "allowlist"
	want.Federation.SignatureWindow = time.Hour
	want.Admin.Socket = "/run/tocsin.sock"
	if !sameValues(*c, want) {
		t.Errorf("%s", diff(*c, want))
	}
	if got := c.BaseURL(); got != "https://alerts.example.org" {
		t.Errorf("BaseURL = %q", got)
	}
	if got := c.AdminSocketPath(); got != "/run/tocsin.sock" {
		t.Errorf("AdminSocketPath = %q", got)
	}
}

func TestSetOverridesEnvAndNamesTheFlag(t *testing.T) {
	c, err := Read("", []string{"TOCSIN_LOG_FORMAT=json", "TOCSIN_LISTEN=:9000"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Set("log.format", "text", "--log-format"); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Log.Format != "text" || c.Listen != ":9000" {
		t.Errorf("format %q listen %q, want text and :9000", c.Log.Format, c.Listen)
	}

	// A bad flag value is reported by Validate against the flag.
	if err := c.Set("log.format", "xml", "--log-format"); err != nil {
		t.Fatal(err)
	}
	err = c.Validate()
	wantErr(t, err, "log.format", "--log-format", 0, `must be "text" or "json", got "xml"`)
	if got := err.Error(); got != `--log-format: key "log.format": must be "text" or "json", got "xml"` {
		t.Errorf("Error() = %s", got)
	}
}

func TestReadLetsAFlagFixWhatLoadWouldRefuse(t *testing.T) {
	path := writeConfig(t, "[tls]\nmode = \"autocert\"\n")
	if _, err := Load(path, nil); err == nil {
		t.Fatal("autocert on localhost loaded")
	}
	c, err := Read(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Set("domain", "alerts.example.org", "--domain"); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.BaseURL() != "https://alerts.example.org" {
		t.Errorf("BaseURL = %q", c.BaseURL())
	}
}

func TestSetParsesEveryKind(t *testing.T) {
	for _, tc := range []struct {
		key, value string
		get        func(*Config) any
		want       any
	}{
		{"domain", "example.org", func(c *Config) any { return c.Domain }, "example.org"},
		{"allow_private_addresses", "true", func(c *Config) any { return c.AllowPrivateAddresses }, true},
		{"instance.languages", "en,fr", func(c *Config) any { return c.Instance.Languages }, []string{"en", "fr"}},
		{"instance.languages", "", func(c *Config) any { return c.Instance.Languages }, []string{}},
		{"federation.delivery_workers", "4096", func(c *Config) any { return c.Federation.DeliveryWorkers }, 4096},
		{"federation.signature_window", "90m", func(c *Config) any { return c.Federation.SignatureWindow }, 90 * time.Minute},
		{"http.max_body_bytes", "1048576", func(c *Config) any { return c.HTTP.MaxBodyBytes }, int64(1 << 20)},
		{"http.max_body_bytes", "2 GiB", func(c *Config) any { return c.HTTP.MaxBodyBytes }, int64(2 << 30)},
		{"http.max_body_bytes", "3kb", func(c *Config) any { return c.HTTP.MaxBodyBytes }, int64(3000)},
	} {
		c := Default()
		if err := c.Set(tc.key, tc.value, "test"); err != nil {
			t.Errorf("Set(%q, %q): %v", tc.key, tc.value, err)
			continue
		}
		if got := tc.get(&c); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Set(%q, %q) = %#v, want %#v", tc.key, tc.value, got, tc.want)
		}
	}
}

func TestSetRejectsUnknownKeysAndUnparsableValues(t *testing.T) {
	c := Default()
	wantErr(t, c.Set("log.fromat", "json", "--log-fromat"), "log.fromat", "--log-fromat", 0, `unknown key (did you mean "log.format"?)`)
	wantErr(t, c.Set("http.read_timeout", "15", "--read-timeout"), "http.read_timeout", "--read-timeout", 0, `must be a duration`)
	wantErr(t, c.Set("allow_http", "yes", "--allow-http"), "allow_http", "--allow-http", 0, `must be true or false, got "yes"`)
	wantErr(t, c.Set("http.max_body_bytes", "99999999999999999999", "x"), "http.max_body_bytes", "x", 0, `too large`)
}

func TestEnvErrorsNameTheVariable(t *testing.T) {
	for _, tc := range []struct {
		env, key, msg string
	}{
		{"TOCSIN_SCHEME=ftp", "scheme", `must be "http" or "https", got "ftp"`},
		{"TOCSIN_FEDERATION_DELIVERY_WORKERS=many", "federation.delivery_workers", `must be an integer, got "many"`},
		{"TOCSIN_FEDERATION_DELIVERY_WORKERS=0", "federation.delivery_workers", `must be between 1 and 4096, got 0`},
		{"TOCSIN_HTTP_IDLE_TIMEOUT=forever", "http.idle_timeout", `must be a duration like "15s"`},
		{"TOCSIN_HTTP_IDLE_TIMEOUT=-1s", "http.idle_timeout", `must be a positive duration, got "-1s"`},
		{"TOCSIN_FEDERATION_MAX_FETCH_BYTES=4 parsecs", "federation.max_fetch_bytes", `must be a size like`},
		{"TOCSIN_ALLOW_HTTP=maybe", "allow_http", `must be true or false`},
		{"TOCSIN_DOMAIN=https://example.org", "domain", `without a scheme`},
		{"TOCSIN_INSTANCE_LANGUAGES=en,english language", "instance.languages", `"english language" is not a BCP-47 language tag`},
	} {
		t.Run(tc.env, func(t *testing.T) {
			name, _, _ := strings.Cut(tc.env, "=")
			_, err := Load("", []string{tc.env})
			wantErr(t, err, tc.key, name, 0, tc.msg)
		})
	}
	_, err := Load("", []string{"TOCSIN_SCHEME=ftp"})
	if got, want := err.Error(), `TOCSIN_SCHEME: key "scheme": must be "http" or "https", got "ftp"`; got != want {
		t.Errorf("Error() = %s, want %s", got, want)
	}
}

func TestEffectiveSchemeIsHTTPOnlyForLoopbackDomains(t *testing.T) {
	for _, tc := range []struct {
		domain, scheme, want string
	}{
		{"localhost:8080", "", "http"},
		{"localhost", "", "http"},
		{"LOCALHOST:8080", "", "http"},
		{"alice.localhost:8081", "", "http"},
		{"127.0.0.1:8080", "", "http"},
		{"127.3.4.5", "", "http"},
		{"[::1]:8080", "", "http"},
		{"example.org", "", "https"},
		{"10.0.0.5:8080", "", "https"},
		{"localhost.example.org", "", "https"},
		{"localhost:8443", "https", "https"},
		{"example.org", "http", "http"},
	} {
		c := Default()
		c.Domain, c.Scheme = tc.domain, tc.scheme
		if got := c.EffectiveScheme(); got != tc.want {
			t.Errorf("domain %q scheme %q: EffectiveScheme = %q, want %q", tc.domain, tc.scheme, got, tc.want)
		}
	}
}

func TestDomainIsValidatedAndNormalised(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string // want "" when err is set
	}{
		{in: "Example.ORG", want: "example.org"},
		{in: "example.org:443", want: "example.org"},   // https default port dropped
		{in: "localhost:80", want: "localhost"},        // http default port dropped
		{in: "example.org:80", want: "example.org:80"}, // not the https default
		{in: "[::1]:8080", want: "[::1]:8080"},
		{in: "[2001:DB8::1]:443", want: "[2001:db8::1]"},
		{in: "192.0.2.1:8080", want: "192.0.2.1:8080"},
		{in: "https://example.org", err: "without a scheme"},
		{in: "example.org/tocsin", err: "without a path"},
		{in: "example.org:0", err: "port must be a number from 1 to 65535"},
		{in: "example.org:http", err: "port must be"},
		{in: "exa_mple.org", err: "not a valid host name"},
		{in: "-example.org", err: "not a valid host name"},
		{in: "example..org", err: "not a valid host name"},
		{in: "2001:db8::1", err: "must be in brackets"},
		{in: "[127.0.0.1]:80", err: "not an IPv6 address"},
		{in: "admin@example.org", err: "must be host or host:port"},
		{in: "", err: "must not be empty"},
	} {
		c := Default()
		if err := c.Set("domain", tc.in, "--domain"); err != nil {
			t.Fatal(err)
		}
		err := c.Validate()
		if tc.err != "" {
			wantErr(t, err, "domain", "--domain", 0, tc.err)
			continue
		}
		if err != nil {
			t.Errorf("domain %q: %v", tc.in, err)
		} else if c.Domain != tc.want {
			t.Errorf("domain %q normalised to %q, want %q", tc.in, c.Domain, tc.want)
		}
	}
}

func TestCrossFieldRules(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  []string
		key  string
		msg  string // "" when valid
	}{
		{"autocert with public domain", []string{"TOCSIN_DOMAIN=example.org", "TOCSIN_TLS_MODE=autocert"}, "", ""},
		{"autocert on localhost", []string{"TOCSIN_TLS_MODE=autocert"}, "tls.mode",
			`"autocert" needs a public domain name, but domain is "localhost:8080" (the default)`},
		{"autocert on an IP", []string{"TOCSIN_DOMAIN=192.0.2.1", "TOCSIN_TLS_MODE=autocert"}, "tls.mode",
			`needs a public domain name, but domain is "192.0.2.1" (from TOCSIN_DOMAIN)`},
		{"autocert over http", []string{"TOCSIN_DOMAIN=example.org", "TOCSIN_SCHEME=http", "TOCSIN_TLS_MODE=autocert"}, "tls.mode",
			`"autocert" needs scheme "https", but scheme is "http" (from TOCSIN_SCHEME)`},
		{"inbox cap above body cap", []string{"TOCSIN_HTTP_MAX_INBOX_BYTES=2MiB"}, "http.max_inbox_bytes",
			`2MiB is more than http.max_body_bytes (1MiB, the default)`},
		{"bad contact email", []string{"TOCSIN_INSTANCE_CONTACT_EMAIL=Admin <a@example.org>"}, "instance.contact_email", `must be a plain address`},
		{"contact account with domain", []string{"TOCSIN_INSTANCE_CONTACT_ACCOUNT=@admin@example.org"}, "instance.contact_account", `must be the username of a local account`},
		{"empty instance name", []string{"TOCSIN_INSTANCE_NAME= "}, "instance.name", `must not be empty`},
		{"listen without port", []string{"TOCSIN_LISTEN=8080"}, "listen", `must be host:port`},
		{"listen on port 0", []string{"TOCSIN_LISTEN=127.0.0.1:0"}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load("", tc.env)
			if tc.msg == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var src string
			for _, kv := range tc.env {
				name, _, _ := strings.Cut(kv, "=")
				if f := fieldByEnv[name]; f != nil && f.name == tc.key {
					src = name
				}
			}
			wantErr(t, err, tc.key, src, 0, tc.msg)
		})
	}
}

func TestSizesAndDurationsFormatAsTheyParse(t *testing.T) {
	for n, want := range map[int64]string{1 << 20: "1MiB", 256 << 10: "256KiB", 4 << 30: "4GiB", 1000: "1000", 1536: "1536"} {
		if got := formatSize(n); got != want {
			t.Errorf("formatSize(%d) = %q, want %q", n, got, want)
		}
		if back, err := parseSize(want); err != nil || back != n {
			t.Errorf("parseSize(%q) = %d, %v", want, back, err)
		}
	}
	for d, want := range map[time.Duration]string{15 * time.Second: "15s", 2 * time.Minute: "2m", 12 * time.Hour: "12h", 90 * time.Minute: "1h30m", 1500 * time.Millisecond: "1.5s"} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestKeysAreDocumentedAndEnvNamesFollowTheRule(t *testing.T) {
	keys := Keys()
	var names []string
	for _, k := range keys {
		names = append(names, k.Name)
		want := "TOCSIN_" + strings.ToUpper(strings.ReplaceAll(k.Name, ".", "_"))
		if k.Env != want {
			t.Errorf("%s: env %q, want %q", k.Name, k.Env, want)
		}
		if k.Doc == "" || strings.Contains(k.Doc, "\n") {
			t.Errorf("%s: doc must be one non-empty line, got %q", k.Name, k.Doc)
		}
		// Every default, written as text, must be accepted by Set.
		c := Default()
		if err := c.Set(k.Name, k.Default, "default"); err != nil {
			t.Errorf("%s: Set(default %q): %v", k.Name, k.Default, err)
		} else if !sameValues(c, Default()) {
			t.Errorf("%s: default %q does not round-trip", k.Name, k.Default)
		}
	}
	// The binding names operators' scripts rely on.
	for _, n := range []string{
		"domain", "scheme", "listen", "data_dir", "allow_private_addresses", "allow_http",
		"instance.name", "instance.description", "instance.contact_email", "instance.contact_account",
		"instance.languages", "instance.registrations_open", "tls.mode", "tls.email", "tls.cache_dir",
		"log.level", "log.format", "http.read_timeout", "http.write_timeout", "http.idle_timeout",
		"http.shutdown_timeout", "http.max_body_bytes", "http.max_inbox_bytes",
		"federation.signature_window", "federation.authorized_fetch", "federation.delivery_workers",
		"federation.fetch_timeout", "federation.max_fetch_bytes", "federation.mode", "admin.socket",
	} {
		if !slices.Contains(names, n) {
			t.Errorf("key %q missing from Keys()", n)
		}
	}
}

// wantErr checks that err is an *Error for key from source (and line, when
// line > 0) whose message contains msg.
func wantErr(t *testing.T, err error, key, source string, line int, msg string) {
	t.Helper()
	var ce *Error
	if !errors.As(err, &ce) {
		t.Errorf("got %v (%T), want *Error about %q", err, err, key)
		return
	}
	if ce.Key != key || ce.Source != source || ce.Line != line || !strings.Contains(ce.Msg, msg) {
		t.Errorf("got  key %q source %q line %d msg %q\nwant key %q source %q line %d msg containing %q",
			ce.Key, ce.Source, ce.Line, ce.Msg, key, source, line, msg)
	}
}
