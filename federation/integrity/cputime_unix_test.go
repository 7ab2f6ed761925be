//go:build unix

package integrity

import (
	"syscall"
	"testing"
	"time"
)

// reportCPU reports the process CPU time (user and system, GC included)
// per operation as cpu-ns/op, from when it is called to the end of the
// benchmark: on a machine shared with other work, wall time per op
// measures the neighbours as much as the code.
func reportCPU(b *testing.B) {
	start := cpuNow()
	b.Cleanup(func() {
		if b.N > 0 {
			b.ReportMetric(float64((cpuNow()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
	})
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
