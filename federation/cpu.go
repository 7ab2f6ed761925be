package federation

import (
	"runtime"
	"runtime/metrics"
)

// cpuContended reports whether goroutines other than the processor's
// working lanes (and the caller) want every core: the runnable and running
// counts of runtime/metrics, minus the lanes at work. The counts are
// approximate and cheap to read (a lock and a look at each P's run queue).
func cpuContended(working int) bool {
	s := [2]metrics.Sample{
		{Name: "/sched/goroutines/runnable:goroutines"},
		{Name: "/sched/goroutines/running:goroutines"},
	}
	metrics.Read(s[:])
	if s[0].Value.Kind() != metrics.KindUint64 {
		return false // an older runtime: no pacing
	}
	want := int(s[0].Value.Uint64()+s[1].Value.Uint64()) - 1 - working
	return want >= runtime.GOMAXPROCS(0)
}
