// Package static embeds Tocsin's templates, stylesheets, scripts and images,
// so the binary needs no files beside it.
package static

import "embed"

// Files holds everything under templates/ and assets/.
//
//go:embed templates assets
var Files embed.FS
