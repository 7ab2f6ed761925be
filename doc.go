// Package tocsin holds what every layer of Tocsin shares: the application
// error type and its codes. It imports nothing of the project, so every
// package may depend on it; HTTP status and CLI exit codes are mapped from
// these codes in one place each (handlers and cmd/tocsin).
package tocsin
