package delivery

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tocsin-network/tocsin/store"
)

// result is what a worker tells the scheduler about one dispatched job.
type result struct {
	job *store.Delivery
	// hostDown / hostUp feed the host's circuit breaker; neither is set when
	// the attempt says nothing about the host (no POST was made).
	hostDown, hostUp bool
	// aborted: nothing was posted or recorded (shutdown); the job stays due.
	aborted bool
	// stuck: the outcome could not be recorded. The job keeps its claim
	// until the process ends, so it is not posted twice in this run.
	stuck bool
}

// attempt makes one delivery attempt of j and records its outcome.
// ctx is cancelled only when shutdown's grace period ends.
func (d *Deliverer) attempt(ctx context.Context, j *store.Delivery) result {
	rec := context.WithoutCancel(ctx) // an outcome, once known, is recorded
	log := d.log.With("job", j.ID, "inbox", j.Inbox)

	body, err := d.bodies.get(ctx, d.db, j.BodyID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return d.record(rec, j, outcome{verdict: dead, errText: "body missing from the store"}, log)
		}
		return d.record(rec, j, outcome{verdict: retry, errText: fmt.Sprintf("read body: %v", err)}, log)
	}
	signer, err := d.signer(ctx, j.SignerID)
	if err != nil {
		o := outcome{verdict: retry, errText: fmt.Sprintf("signing key of %s: %v", j.SignerID, err)}
		if errors.Is(err, store.ErrNotFound) {
			o.verdict = dead
		}
		return d.record(rec, j, o, log)
	}

	actx, cancel := context.WithTimeout(ctx, d.opt.AttemptTimeout)
	status, retryAfter, err := d.poster.Post(actx, j.Inbox, body, signer)
	cancel()
	if err != nil && ctx.Err() != nil {
		return result{job: j, aborted: true} // cut off by shutdown: due again next start
	}
	o := classify(status, retryAfter, err, d.opt.Permanent)
	r := d.record(rec, j, o, log)
	r.hostDown, r.hostUp = o.hostDown, !o.hostDown
	return r
}

// record stores the outcome o of an attempt of j.
func (d *Deliverer) record(ctx context.Context, j *store.Delivery, o outcome, log interface {
	Debug(string, ...any)
	Warn(string, ...any)
	Error(string, ...any)
}) result {
	now := d.opt.Now()
	var err error
	switch o.verdict {
	case delivered:
		err = d.db.CompleteDelivery(ctx, j.ID, now)
		log.Debug("delivered", "attempts", j.Attempts+1)
	case retry:
		deadline := j.CreatedAt.Add(d.opt.GiveUpAfter)
		if !now.Before(deadline) {
			o.verdict = dead
			o.errText = fmt.Sprintf("gave up after %d attempts over %s: %s",
				j.Attempts+1, d.opt.GiveUpAfter, o.errText)
			break
		}
		next := now.Add(max(d.opt.Backoff(j.Attempts+1), o.retryAfter))
		if next.After(deadline) {
			next = deadline // one last attempt at the deadline
		}
		err = d.db.RetryDelivery(ctx, j.ID, now, next, o.errText)
		log.Debug("delivery failed, will retry", "attempts", j.Attempts+1, "next", next, "err", o.errText)
	}
	if o.verdict == dead {
		err = d.db.DeadLetterDelivery(ctx, j.ID, now, o.errText)
		log.Warn("delivery dead-lettered", "attempts", j.Attempts+1, "err", o.errText)
		if err == nil && o.gone && d.opt.OnGone != nil {
			d.opt.OnGone(ctx, j.Inbox)
		}
	}
	if err != nil {
		log.Error("record delivery outcome; the job stays queued and is retried after restart", "err", err)
		return result{job: j, stuck: true}
	}
	return result{job: j}
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
