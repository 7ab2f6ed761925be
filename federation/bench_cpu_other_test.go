//go:build !unix

package federation_test

import "time"

// processCPU is not measured here (no getrusage); the CPU metric is left out.
func processCPU() time.Duration { return 0 }
