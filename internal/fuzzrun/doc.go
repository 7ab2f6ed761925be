// Package fuzzrun holds the bounded fuzzing run of CI: its test runs every
// fuzz target of the module for a few seconds through `go test -fuzz`, so
// that the one CI command, `go test ./...`, also fuzzes. It has no code of
// its own; see fuzzrun_test.go for the targets and how to run them longer.
package fuzzrun
