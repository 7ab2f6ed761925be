//go:build !unix

package integrity

import "testing"

// reportCPU reports nothing where getrusage is missing.
func reportCPU(*testing.B) {}
