package delivery

import (
	"context"
	"time"

	"github.com/tocsin-network/tocsin/store"
)

// scheduler claims due jobs from the store and hands them to the workers,
// keeping the per-host limits and circuit breakers. It is owned by Run's
// goroutine: nothing else touches it.
//
// A job is claimed from the moment a scan returns it until its outcome is
// committed (then the store no longer lists it as due, or lists it later),
// so no job is ever in flight twice. Claimed jobs wait in per-host queues,
// at most 2×PerHostLimit per host and 2×Workers in all, so that a scan
// finds work for every free worker while one host's backlog cannot crowd
// out the others.
type scheduler struct {
	d    *Deliverer
	work chan<- *store.Delivery

	claimed  map[string]struct{} // job IDs queued, in flight, or stuck
	hosts    map[string]*hostState
	inflight int
	queued   int
	freed    int // results since the last scan

	toPause map[string]struct{} // hosts whose due jobs to pause now
}

// hostState is the scheduler's view of one peer host.
type hostState struct {
	queue    []*store.Delivery // claimed, waiting for a worker
	inflight int
	// failures counts consecutive host-level failures; at the threshold the
	// breaker opens until openUntil, then lets one probe through.
	failures  int
	openUntil time.Time
}

func newScheduler(d *Deliverer, work chan<- *store.Delivery) *scheduler {
	return &scheduler{
		d: d, work: work,
		claimed: map[string]struct{}{},
		hosts:   map[string]*hostState{},
		toPause: map[string]struct{}{},
	}
}

func (s *scheduler) host(h string) *hostState {
	hs := s.hosts[h]
	if hs == nil {
		hs = &hostState{}
		s.hosts[h] = hs
	}
	return hs
}

func (s *scheduler) open(hs *hostState, now time.Time) bool {
	return hs.failures >= s.d.opt.BreakerThreshold && now.Before(hs.openUntil)
}

// limits returns how many of the host's jobs may be in flight and claimed.
func (s *scheduler) limits(hs *hostState) (inflight, claimed int) {
	if hs.failures >= s.d.opt.BreakerThreshold {
		return 1, 1 // half-open: one probe
	}
	return s.d.opt.PerHostLimit, 2 * s.d.opt.PerHostLimit
}

func (s *scheduler) loop(ctx context.Context, done <-chan result) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	needScan := true
	var retryAt time.Time // after a store error
	for {
		s.d.opt.Observer.Beat(WorkerName) // metrics: heartbeat
		gen := s.d.kickGen()
		now := s.d.opt.Now()
		wake := now.Add(pollInterval)
		scanned, found := false, 0
		if needScan && !now.After(retryAt) {
			wake = retryAt
		}
		if needScan && now.After(retryAt) {
			next, n, err := s.scan(ctx, now)
			switch {
			case err != nil && ctx.Err() != nil:
				return
			case err != nil:
				s.d.log.Error("scan delivery queue", "err", err)
				retryAt = now.Add(time.Second)
				wake = retryAt
			default:
				scanned, found = true, n
				if !next.IsZero() && next.Before(wake) {
					wake = next
				}
			}
		}
		if until := s.pauseHosts(ctx, now); !until.IsZero() && until.Before(wake) {
			wake = until
		}
		s.dispatch(now)
		if scanned {
			s.d.publishIdle(found == 0 && s.inflight == 0 && s.queued == 0, gen)
		}
		timer.Reset(max(wake.Sub(now), 0))

		needScan = false
		select {
		case <-ctx.Done():
			return
		case <-s.d.kick:
			needScan = true
		case <-timer.C:
			needScan = true
		case r := <-done:
			s.finish(r)
			for more := true; more; {
				select {
				case r := <-done:
					s.finish(r)
				default:
					more = false
				}
			}
			// Scan again once enough slots are free to make a scan worth
			// its cost, or when nothing is left to hand out.
			needScan = s.freed >= max(1, s.d.opt.Workers/8) || s.queued == 0
		}
	}
}

// scan claims due jobs into the host queues and returns the next due time
// after now (zero if unknown) and the number of jobs claimed.
func (s *scheduler) scan(ctx context.Context, now time.Time) (time.Time, int, error) {
	room := 2*s.d.opt.Workers - s.queued - s.inflight
	if room <= 0 {
		return time.Time{}, 0, nil
	}
	s.freed = 0
	pending := map[*hostState]int{} // claimed by this scan, per host
	var taken []string
	skip := func(id, host string) bool {
		if _, ok := s.claimed[id]; ok {
			return true
		}
		hs := s.host(host)
		if s.open(hs, now) {
			s.toPause[host] = struct{}{}
			return true
		}
		if _, claimCap := s.limits(hs); len(hs.queue)+hs.inflight+pending[hs] >= claimCap {
			return true
		}
		pending[hs]++
		s.claimed[id] = struct{}{}
		taken = append(taken, id)
		return false
	}
	due, next, err := s.d.db.DueDeliveries(ctx, now, room, skip)
	if err != nil {
		// Undo this scan's claims: the jobs were not returned.
		for _, id := range taken {
			delete(s.claimed, id)
		}
		s.prune()
		return time.Time{}, 0, err
	}
	for _, j := range due {
		hs := s.host(j.Host)
		hs.queue = append(hs.queue, j)
	}
	s.queued += len(due)
	s.prune()
	return next, len(due), nil
}

// dispatch hands queued jobs to free workers, a round over the hosts at a
// time, within each host's limit.
func (s *scheduler) dispatch(now time.Time) {
	for s.inflight < s.d.opt.Workers && s.queued > 0 {
		progress := false
		for _, hs := range s.hosts {
			if s.inflight == s.d.opt.Workers {
				break
			}
			if len(hs.queue) == 0 || s.open(hs, now) {
				continue
			}
			if limit, _ := s.limits(hs); hs.inflight >= limit {
				continue
			}
			j := hs.queue[0]
			hs.queue[0] = nil
			hs.queue = hs.queue[1:]
			hs.inflight++
			s.inflight++
			s.queued--
			s.work <- j // never blocks: capacity Workers
			progress = true
		}
		if !progress {
			return
		}
	}
}

// finish takes back a worker's result: releases the claim and feeds the
// host's breaker.
func (s *scheduler) finish(r result) {
	s.freed++
	s.inflight--
	if !r.stuck {
		delete(s.claimed, r.job.ID)
	}
	hs := s.host(r.job.Host)
	hs.inflight--
	now := s.d.opt.Now()
	threshold := s.d.opt.BreakerThreshold
	switch {
	case r.hostDown:
		hs.failures++
		if hs.failures >= threshold && !now.Before(hs.openUntil) {
			// Closed -> open, or a failed probe: pause the host.
			hs.openUntil = now.Add(s.d.opt.BreakerCooldown)
			for _, j := range hs.queue {
				delete(s.claimed, j.ID)
			}
			s.queued -= len(hs.queue)
			hs.queue = nil
			s.toPause[r.job.Host] = struct{}{}
			s.d.setPaused(r.job.Host, hs.openUntil)
			s.d.log.Warn("peer paused: circuit breaker open",
				"host", r.job.Host, "consecutive_failures", hs.failures, "until", hs.openUntil)
		}
	case r.hostUp:
		if hs.failures >= threshold {
			s.d.log.Info("peer resumed: circuit breaker closed", "host", r.job.Host)
			s.d.setPaused(r.job.Host, time.Time{})
		}
		hs.failures, hs.openUntil = 0, time.Time{}
	}
	if hs.inflight == 0 && len(hs.queue) == 0 && hs.failures == 0 {
		delete(s.hosts, r.job.Host)
	}
}

// prune forgets hosts with nothing claimed and a closed breaker.
func (s *scheduler) prune() {
	for h, hs := range s.hosts {
		if hs.inflight == 0 && len(hs.queue) == 0 && hs.failures == 0 {
			delete(s.hosts, h)
		}
	}
}

// pauseHosts moves the due jobs of the hosts whose breaker is open to the
// end of their cooldown (dead-lettering those past GiveUpAfter). It returns
// the earliest such end, zero if it paused none.
func (s *scheduler) pauseHosts(ctx context.Context, now time.Time) time.Time {
	var earliest time.Time
	for host := range s.toPause {
		hs := s.hosts[host]
		delete(s.toPause, host)
		if hs == nil || !s.open(hs, now) {
			continue
		}
		deferred, dead, err := s.d.db.DeferDeliveries(ctx, store.Deferral{
			Host: host, Now: now, Until: hs.openUntil,
			GiveUpBefore: now.Add(-s.d.opt.GiveUpAfter),
			Reason:       "gave up: peer unreachable (circuit breaker open)",
		})
		if err != nil {
			s.d.log.Error("pause peer's deliveries", "host", host, "err", err)
			continue
		}
		if deferred+dead > 0 {
			s.d.log.Debug("peer's deliveries paused", "host", host, "deferred", deferred, "dead", dead)
		}
		if earliest.IsZero() || hs.openUntil.Before(earliest) {
			earliest = hs.openUntil
		}
	}
	return earliest
}
