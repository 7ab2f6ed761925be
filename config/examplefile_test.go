package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

const examplePath = "../config.example.toml"

// commentedKey matches a commented-out setting in config.example.toml:
// "#key = value" (prose comments have a space after "#").
var commentedKey = regexp.MustCompile(`(?m)^#([a-z0-9_]+ = .*)$`)

func TestExampleFileLoadsAsDefaults(t *testing.T) {
	c, err := Load(examplePath, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !sameValues(*c, Default()) {
		t.Errorf("config.example.toml as shipped differs from Default(): %s", diff(*c, Default()))
	}
}

// TestExampleFileDocumentsEveryKeyWithItsDefault uncomments every setting of
// config.example.toml: the result must set every key of Keys(), each to
// its default, and each key must have a comment above it giving its
// default and its environment variable.
func TestExampleFileDocumentsEveryKeyWithItsDefault(t *testing.T) {
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	uncommented := commentedKey.ReplaceAllString(string(data), "$1")
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(uncommented), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path, nil)
	if err != nil {
		t.Fatalf("uncommented example: %v", err)
	}
	if !sameValues(*c, Default()) {
		t.Errorf("config.example.toml, uncommented, differs from Default(): %s", diff(*c, Default()))
	}

	lines := strings.Split(uncommented, "\n")
	for _, k := range Keys() {
		o, ok := c.origins[k.Name]
		if !ok {
			t.Errorf("key %q is not in config.example.toml", k.Name)
			continue
		}
		// The comment block right above the key.
		var comment []string
		for i := o.line - 2; i >= 0 && strings.HasPrefix(lines[i], "#"); i-- {
			comment = append(comment, lines[i])
		}
		text := strings.Join(comment, "\n")
		if !strings.Contains(text, "Env: "+k.Env) {
			t.Errorf("config.example.toml:%d: the comment above %q does not name %s", o.line, k.Name, k.Env)
		}
		if !strings.Contains(text, "Default: ") {
			t.Errorf("config.example.toml:%d: the comment above %q does not give its default", o.line, k.Name)
		}
	}
}

func TestExampleFileHasNoStraySettings(t *testing.T) {
	// Every "#key = value" line must be a key, so that none hides a typo.
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]any
	if _, err := toml.Decode(commentedKey.ReplaceAllString(string(data), "$1"), &top); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range top {
		if sec, ok := v.(map[string]any); ok {
			n += len(sec)
		} else {
			n++
		}
	}
	if n != len(Keys()) {
		t.Errorf("config.example.toml has %d settings, Keys() has %d", n, len(Keys()))
	}
}
