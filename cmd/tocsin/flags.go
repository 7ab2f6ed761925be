package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tocsin-network/tocsin/config"
)

// configFlags are the flags every command takes: --config, and overrides of
// the keys an operator most often sets on the command line.
type configFlags struct {
	path      string
	overrides []override
	given     []string // the flags as given, to repeat them in printed advice
}

type override struct {
	flag, key string
	value     *string
}

func (c *cli) newFlagSet(name string) (*flag.FlagSet, *configFlags) {
	fs := flag.NewFlagSet("tocsin "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	cf := &configFlags{}
	fs.StringVar(&cf.path, "config", "", "configuration file (TOML)")
	for _, o := range []struct{ flag, key, help string }{
		{"domain", "domain", "public host[:port] of this instance"},
		{"scheme", "scheme", "public scheme: https, or http for local fleets"},
		{"listen", "listen", "address to listen on"},
		{"data-dir", "data_dir", "data directory"},
		{"log-level", "log.level", "debug, info, warn or error"},
		{"log-format", "log.format", "text or json"},
	} {
		v := new(string)
		fs.StringVar(v, o.flag, "", o.help)
		cf.overrides = append(cf.overrides, override{flag: o.flag, key: o.key, value: v})
	}
	return fs, cf
}

// parse parses args, allowing flags after positional arguments
// ("backup FILE --config x"), and returns the positional arguments.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, &usageError{"help requested"}
			}
			return nil, &usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// load reads the configuration: defaults, the file, TOCSIN_* variables, then
// the flags, and validates the result.
func (cf *configFlags) load() (*config.Config, error) {
	// Read, then flags, then one Validate: a flag may mend what the file
	// alone would fail (autocert in the file, --domain on the command line).
	cfg, err := config.Read(cf.path, os.Environ())
	if err != nil {
		return nil, err
	}
	for _, o := range cf.overrides {
		if *o.value == "" {
			continue
		}
		if err := cfg.Set(o.key, *o.value, "--"+o.flag); err != nil {
			return nil, err
		}
		cf.given = append(cf.given, "--"+o.flag+" "+shellQuote(*o.value))
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cf.path != "" {
		abs, err := filepath.Abs(cf.path)
		if err == nil {
			cf.given = append([]string{"--config " + shellQuote(abs)}, cf.given...)
		}
	}
	return cfg, nil
}

// advice returns the command prefix a person should type to reach this
// same instance again.
func (cf *configFlags) advice() string {
	prog := "tocsin"
	if exe := os.Args[0]; strings.Contains(exe, "go-build") {
		prog = "go run ./cmd/tocsin"
	} else if filepath.Base(exe) != "tocsin" || strings.Contains(exe, "/") {
		prog = exe
	}
	return prog
}

func (cf *configFlags) flagsText() string {
	if len(cf.given) == 0 {
		return ""
	}
	return " " + strings.Join(cf.given, " ")
}

func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`;&|<>*?()[]{}!#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func requireFlag(name, value string) error {
	if strings.TrimSpace(value) == "" {
		return &usageError{fmt.Sprintf("--%s is required", name)}
	}
	return nil
}
