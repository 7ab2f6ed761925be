package loadgen

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Flood posts distinct Create(Note)s, round-robin over the actors of its
// senders, to one inbox. Note n is sent by Actor(n), so a note's number
// names it (and its sender) everywhere.
type Flood struct {
	Inbox   string // the receiver's inbox URL
	Mention string // the receiving account's IRI, mentioned in each note
	Senders []*Sender
	Workers int     // requests in flight (default 16)
	Rate    float64 // requests per second; 0: as fast as they are answered
	Client  *http.Client
	// First is the first note number (default 1); use distinct ranges for
	// floods that must not overlap.
	First uint64
}

// Result is what a flood saw.
type Result struct {
	// Acked holds the numbers of the notes answered 202, in no order.
	Acked []uint64
	// Unanswered holds notes sent without an answer (the connection was
	// cut): they may or may not have been stored.
	Unanswered []uint64
	// Refused holds notes answered with anything but 202.
	Refused []uint64
	// Status counts answers by HTTP status (0: no answer).
	Status map[int]int
	// Bodies keeps one response body per non-202 status, for reports.
	Bodies  map[int]string
	Sent    int
	Elapsed time.Duration
}

// Actor returns the actor that sends note n.
func (f *Flood) Actor(n uint64) *Actor {
	total := 0
	for _, s := range f.Senders {
		total += len(s.Actors)
	}
	i := int(n % uint64(total))
	for _, s := range f.Senders {
		if i < len(s.Actors) {
			return s.Actors[i]
		}
		i -= len(s.Actors)
	}
	return nil
}

// NoteID is the IRI of note n.
func (f *Flood) NoteID(n uint64) string { return f.Actor(n).NoteID(n) }

// Run floods until ctx is done, max notes have been sent, or stop returns
// true after an answer (stop may be nil; it is called by one worker at a
// time). Each request is bounded by the client's timeout.
func (f *Flood) Run(ctx context.Context, max int, stop func(n uint64, status int) bool) Result {
	return f.send(ctx, max, nil, stop)
}

// Resend posts the given notes again (same ids, bodies and numbers), as a
// sender retrying after an unanswered or refused request does.
func (f *Flood) Resend(ctx context.Context, notes []uint64) Result {
	return f.send(ctx, len(notes), notes, nil)
}

func (f *Flood) send(ctx context.Context, max int, notes []uint64, stop func(uint64, int) bool) Result {
	workers := f.Workers
	if workers <= 0 {
		workers = 16
	}
	first := f.First
	if first == 0 {
		first = 1
	}
	client := f.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	var (
		stopped atomic.Bool // stop said so: send no more, but let answers come
		next    atomic.Int64
		mu      sync.Mutex
		wg      sync.WaitGroup
		res     = Result{Status: map[int]int{}, Bodies: map[int]string{}}
	)
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && !stopped.Load() {
				i := next.Add(1) - 1
				if i >= int64(max) {
					return
				}
				n := first + uint64(i)
				if notes != nil {
					n = notes[i]
				}
				if f.Rate > 0 {
					// Pace the flood: request i leaves at start + i/Rate.
					at := start.Add(time.Duration(float64(i) / f.Rate * float64(time.Second)))
					if d := time.Until(at); d > 0 {
						select {
						case <-time.After(d):
						case <-ctx.Done():
							return
						}
					}
				}
				a := f.Actor(n)
				status, msg, _ := a.Post(ctx, client, f.Inbox, a.Note(n, f.Mention))
				mu.Lock()
				res.Sent++
				res.Status[status]++
				switch status {
				case http.StatusAccepted:
					res.Acked = append(res.Acked, n)
				case 0:
					res.Unanswered = append(res.Unanswered, n)
				default:
					res.Refused = append(res.Refused, n)
					if _, ok := res.Bodies[status]; !ok {
						res.Bodies[status] = msg
					}
				}
				if stop != nil && stop(n, status) {
					stopped.Store(true)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	slices.Sort(res.Acked)
	return res
}
