package config

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

func TestFileErrorsNameKeyAndLine(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		key        string
		line       int
		msg        string
	}{
		{"syntax error", "domain = \"example.org\"\n\n[log]\nformat = \"json\n", "log.format", 4, "strings cannot contain newlines"},
		{"missing value", "# hello\nlisten =\n", "listen", 2, "expected value"},
		{"duplicate key", "[log]\nformat = \"json\"\nformat = \"text\"\n", "log.format", 3, "already been defined"},
		{"unknown top-level key", "domain = \"example.org\"\ndomian = \"example.org\"\n", "domian", 2, `unknown key (did you mean "domain"?)`},
		{"unknown key in section", "[log]\nlevel = \"info\"\n\nfromat = \"json\"\n", "log.fromat", 4, `unknown key (did you mean "log.format"?)`},
		{"unknown section", "\n\n[federaton]\nmode = \"open\"\n", "federaton", 3, `unknown key (did you mean "federation"?)`},
		{"unknown dotted section", "\n\nfederaton.mode = \"open\"\n", "federaton", 3, `unknown key`},
		{"table nested in a section", "[federation]\nmode = \"open\"\n[federation.peers]\nx = 1\n", "federation.peers", 3, `unknown key`},
		{"section given a value", "\nlog = \"json\"\n", "log", 2, `must be a table ([log]), got string "json"`},
		{"array of tables", "\n[[log]]\nformat = \"json\"\n", "log", 2, `must be a table ([log]), got an array of tables`},
		{"wrong type: string for int", "[federation]\n\ndelivery_workers = \"many\"\n", "federation.delivery_workers", 3, `must be an integer, got string "many"`},
		{"wrong type: float for int", "[federation]\ndelivery_workers = 1.5\n", "federation.delivery_workers", 2, `must be an integer, got float 1.5`},
		{"wrong type: string for bool", "\nallow_http = \"true\"\n", "allow_http", 2, `must be true or false, got string "true"`},
		{"wrong type: int for string", "domain = 8080\n", "domain", 1, `must be a string, got integer 8080`},
		{"wrong type: table for value", "[instance]\nname = { x = 1 }\n", "instance.name", 2, `must be a string, got a table`},
		{"languages not an array", "[instance]\nlanguages = \"en\"\n", "instance.languages", 2, `must be an array of strings like ["en"]`},
		{"languages with a number", "[instance]\nlanguages = [\n  \"en\",\n  3,\n]\n", "instance.languages", 2, `element 2 is integer 3`},
		{"bad enum", "domain = \"example.org\"\n\nscheme = \"ftp\"\n", "scheme", 3, `must be "http" or "https", got "ftp"`},
		{"bad enum in section", "[log]\nlevel = \"verbose\"\n", "log.level", 2, `must be "debug", "info", "warn" or "error", got "verbose"`},
		{"bad enum in inline table", "\nlog = { format = \"xml\" }\n", "log.format", 2, `must be "text" or "json", got "xml"`},
		{"bad enum as dotted key", "\n\nlog.format = \"xml\"\n", "log.format", 3, `must be "text" or "json", got "xml"`},
		{"bad duration", "[http]\nread_timeout = \"15 seconds\"\n", "http.read_timeout", 2, `must be a duration like "15s", "2m" or "12h", got "15 seconds"`},
		{"duration as integer", "[http]\n\n\nread_timeout = 15\n", "http.read_timeout", 4, `must be a duration string like "15s" or "2m", got integer 15`},
		{"zero duration", "[federation]\nsignature_window = \"0s\"\n", "federation.signature_window", 2, `must be a positive duration`},
		{"bad size", "[federation]\nmax_fetch_bytes = \"4 MiBs\"\n", "federation.max_fetch_bytes", 2, `must be a size like 1048576, "256KiB", "4MiB" or "1MB", got "4 MiBs"`},
		{"negative size", "[http]\nmax_body_bytes = -1\n", "http.max_body_bytes", 2, `must be a positive size, got -1`},
		{"workers out of range", "[federation]\ndelivery_workers = 5000\n", "federation.delivery_workers", 2, `must be between 1 and 4096, got 5000`},
		{"domain with scheme", "domain = \"https://example.org\"\n", "domain", 1, `must be a host name without a scheme`},
		{"domain with path", "# c\ndomain = \"example.org/tocsin\"\n", "domain", 2, `without a path`},
		{"autocert on localhost", "domain = \"localhost:8080\"\n[tls]\nmode = \"autocert\"\n", "tls.mode", 3, `"autocert" needs a public domain name, but domain is "localhost:8080" (from `},
		{"multi-line string does not confuse lines", "[instance]\ndescription = \"\"\"\nformat = \"xml\"\n[log]\n\"\"\"\n\n[log]\nformat = \"xml\"\n", "log.format", 8, `must be "text" or "json"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeConfig(t, tc.file)
			_, err := Load(path, nil)
			wantErr(t, err, tc.key, path, tc.line, tc.msg)
		})
	}
}

func TestFileErrorTextShowsFileLineAndKey(t *testing.T) {
	path := writeConfig(t, "[log]\nlevel = \"info\"\n\n\n\n\nformat = \"xml\"\n")
	_, err := Load(path, nil)
	want := path + `:7: key "log.format": must be "text" or "json", got "xml"`
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}

func TestEnvOverridesABadFileValue(t *testing.T) {
	path := writeConfig(t, "[log]\nformat = \"xml\"\n")
	c, err := Load(path, []string{"TOCSIN_LOG_FORMAT=json"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Log.Format != "json" {
		t.Errorf("format = %q", c.Log.Format)
	}
}

func TestMissingFileIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.toml")
	_, err := Load(path, nil)
	var ce *Error
	if !errors.As(err, &ce) || ce.Source != path || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("got %v, want *Error for %s wrapping fs.ErrNotExist", err, path)
	}
}

func TestEmptyFileGivesDefaults(t *testing.T) {
	c, err := Load(writeConfig(t, "# nothing set\n\n[log]\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !sameValues(*c, Default()) {
		t.Errorf("%s", diff(*c, Default()))
	}
	if strings.Contains(c.BaseURL(), "https") {
		t.Errorf("BaseURL = %q", c.BaseURL())
	}
}
