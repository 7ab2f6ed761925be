// Package config owns Tocsin's configuration: its keys, their defaults, and
// how they are read from a TOML file, the environment (TOCSIN_*) and
// command-line flags, then validated.
//
// Every key is declared once, as a tagged field of [Config] (see keys.go).
// From that declaration the package derives the key's dotted name, its
// environment variable, its parsing from TOML and from text, unknown-key
// detection and the list returned by [Keys], which the tests check against
// config.example.toml. Adding a key is adding a field with its tags and its
// default in [Default], and documenting it in config.example.toml.
//
// Precedence, lowest first: [Default], the file, the environment, flags
// (applied by the caller with [Config.Set]), then [Config.Validate].
//
// The package imports only the standard library and the TOML parser; it must
// not import any other Tocsin package, so that every package can import it.
package config
