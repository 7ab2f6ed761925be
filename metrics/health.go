package metrics

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// Health tracks the heartbeats of the background workers. Beat and Stopped
// are called by the workers (through federation.Instruments); Check is
// /readyz's verdict.
type Health struct {
	mu      sync.Mutex
	workers map[string]*workerState
	want    []string
}

type workerState struct {
	last    time.Time
	stopped bool
}

// NewHealth tracks the named workers: Check fails until each has beaten.
func NewHealth(workers ...string) *Health {
	return &Health{workers: map[string]*workerState{}, want: workers}
}

// Beat records that worker is alive now.
func (h *Health) Beat(worker string) {
	now := time.Now()
	h.mu.Lock()
	w := h.workers[worker]
	if w == nil {
		w = &workerState{}
		h.workers[worker] = w
	}
	w.last, w.stopped = now, false
	h.mu.Unlock()
}

// Starting records that the workers are being started: they count as
// alive until their first beat is due.
func (h *Health) Starting(workers ...string) {
	for _, w := range workers {
		h.Beat(w)
	}
}

// Stopped records that worker's loop has returned.
func (h *Health) Stopped(worker string) {
	h.mu.Lock()
	w := h.workers[worker]
	if w == nil {
		w = &workerState{}
		h.workers[worker] = w
	}
	w.stopped = true
	h.mu.Unlock()
}

// WorkerStatus is one worker's state for metrics.
type WorkerStatus struct {
	Name     string
	Up       bool
	LastBeat time.Time
}

// Workers returns the state of every worker known or expected.
func (h *Health) Workers() []WorkerStatus {
	h.mu.Lock()
	defer h.mu.Unlock()
	names := slices.Clone(h.want)
	for n := range h.workers {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	out := make([]WorkerStatus, 0, len(names))
	for _, n := range names {
		s := WorkerStatus{Name: n}
		if w := h.workers[n]; w != nil {
			s.Up, s.LastBeat = !w.stopped, w.last
		}
		out = append(out, s)
	}
	return out
}

// Check returns an error naming the first expected worker that has not
// started, has stopped, or has not beaten for longer than maxAge.
func (h *Health) Check(now time.Time, maxAge time.Duration) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, n := range h.want {
		w := h.workers[n]
		switch {
		case w == nil:
			return fmt.Errorf("%s not started", n)
		case w.stopped:
			return fmt.Errorf("%s stopped", n)
		case now.Sub(w.last) > maxAge:
			return fmt.Errorf("%s stuck: no heartbeat for %s", n, now.Sub(w.last).Round(time.Second))
		}
	}
	return nil
}
