package delivery

import (
	"context"
	"errors"
	"fmt"

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
	aborted := result{job: j, aborted: true}

	body, err := d.bodies.get(ctx, d.db, j.BodyID)
	switch {
	case err != nil && ctx.Err() != nil:
		return aborted
	case errors.Is(err, store.ErrNotFound):
		return d.record(rec, j, outcome{verdict: dead, errText: "body missing from the store"})
	case err != nil:
		return d.record(rec, j, outcome{verdict: retry, errText: fmt.Sprintf("read body: %v", err)})
	}
	signer, err := d.signer(ctx, j.SignerID)
	if err != nil {
		if ctx.Err() != nil {
			return aborted
		}
		o := outcome{verdict: retry, errText: fmt.Sprintf("signing key of %s: %v", j.SignerID, err)}
		if errors.Is(err, store.ErrNotFound) {
			o.verdict = dead
		}
		return d.record(rec, j, o)
	}

	actx, cancel := context.WithTimeout(ctx, d.opt.AttemptTimeout)
	status, retryAfter, err := d.poster.Post(actx, j.Inbox, body, signer)
	cancel()
	if err != nil && ctx.Err() != nil {
		return aborted // cut off by shutdown: due again at the next start
	}
	o := classify(status, retryAfter, err, d.opt.Permanent)
	r := d.record(rec, j, o)
	r.hostDown, r.hostUp = o.hostDown, !o.hostDown
	return r
}

// record stores the outcome o of an attempt of j.
func (d *Deliverer) record(ctx context.Context, j *store.Delivery, o outcome) result {
	now := d.opt.Now()
	attempts := j.Attempts + 1
	if o.verdict == retry {
		deadline := j.CreatedAt.Add(d.opt.GiveUpAfter)
		next := now.Add(max(d.opt.Backoff(attempts), o.retryAfter))
		switch {
		case !now.Before(deadline):
			o.verdict = dead
			o.errText = fmt.Sprintf("gave up after %d attempts over %s: %s", attempts, d.opt.GiveUpAfter, o.errText)
		case next.After(deadline):
			next = deadline // one last attempt at the deadline
		}
		if o.verdict == retry {
			if err := d.db.RetryDelivery(ctx, j.ID, now, next, o.errText); err != nil {
				return d.stuck(j, err)
			}
			d.opt.Observer.Delivery(j.Host, "retry") // metrics
			d.log.Debug("delivery failed, will retry", "inbox", j.Inbox, "job", j.ID,
				"attempts", attempts, "next", next, "err", o.errText)
			return result{job: j}
		}
	}
	if o.verdict == delivered {
		if err := d.db.CompleteDelivery(ctx, j.ID, now); err != nil {
			return d.stuck(j, err)
		}
		d.opt.Observer.Delivery(j.Host, "delivered") // metrics
		d.log.Debug("delivered", "inbox", j.Inbox, "job", j.ID, "attempts", attempts)
		return result{job: j}
	}
	if err := d.db.DeadLetterDelivery(ctx, j.ID, now, o.errText); err != nil {
		return d.stuck(j, err)
	}
	d.opt.Observer.Delivery(j.Host, "dead") // metrics
	d.log.Warn("delivery dead-lettered", "inbox", j.Inbox, "job", j.ID, "activity", j.ActivityID,
		"attempts", attempts, "err", o.errText)
	if o.gone && d.opt.OnGone != nil {
		d.opt.OnGone(ctx, j.Inbox)
	}
	return result{job: j}
}

func (d *Deliverer) stuck(j *store.Delivery, err error) result {
	d.log.Error("record delivery outcome; the job stays queued and is tried again after a restart",
		"inbox", j.Inbox, "job", j.ID, "err", err)
	return result{job: j, stuck: true}
}
