package stream

import (
	"context"
	"errors"
	"sync"
)

// DefaultBuffer is how many events a subscription holds when NewHub is
// given no size: a few seconds of a busy public timeline.
const DefaultBuffer = 64

// Why a subscription's Events channel was closed (see Subscription.Err).
var (
	// ErrSlow: the subscriber let its buffer fill up, so its buffered
	// events were dropped. Its client should reconnect and catch up
	// through the REST API.
	ErrSlow = errors.New("stream: subscriber too slow, events dropped")
	// ErrClosed: the hub was closed (the server is shutting down).
	ErrClosed = errors.New("stream: hub closed")
)

// Hub fans events out to subscriptions. All its methods, and those of its
// subscriptions, are safe for concurrent use. It owns no goroutine:
// Publish delivers on the caller's goroutine and never blocks on a
// subscriber.
type Hub struct {
	buffer int

	mu      sync.Mutex
	streams map[string]map[*Subscription]struct{} // stream -> subscribed, not ended
	subs    map[*Subscription]struct{}            // not yet released by Subscription.Close
	closed  bool
	drained chan struct{} // closed once the hub is closed and subs is empty
}

// NewHub returns a hub whose subscriptions buffer up to buffer events
// each (DefaultBuffer when buffer <= 0).
func NewHub(buffer int) *Hub {
	if buffer <= 0 {
		buffer = DefaultBuffer
	}
	return &Hub{
		buffer:  buffer,
		streams: make(map[string]map[*Subscription]struct{}),
		subs:    make(map[*Subscription]struct{}),
		drained: make(chan struct{}),
	}
}

// Publish delivers ev, its Stream set to stream, to every subscription of
// stream. It never blocks: a subscription whose buffer is full is ended
// with ErrSlow (its buffered events dropped) and the others still get ev.
// Publishing to a stream nobody reads, or on a closed hub, does nothing.
func (h *Hub) Publish(stream string, ev Event) {
	ev.Stream = stream
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.streams[stream] {
		select {
		case s.events <- ev:
		default:
			h.end(s, ErrSlow)
		}
	}
}

// Subscribe returns a subscription to streams (more can be added later).
// On a closed hub the subscription is already ended with ErrClosed. The
// subscriber must call Close when done with it.
func (h *Hub) Subscribe(streams ...string) *Subscription {
	s := &Subscription{hub: h, events: make(chan Event, h.buffer), streams: make(map[string]struct{})}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.subs[s] = struct{}{}
	if h.closed {
		h.end(s, ErrClosed)
		return s
	}
	for _, st := range streams {
		h.add(s, st)
	}
	return s
}

// Subscribers is the number of live subscriptions to stream.
func (h *Hub) Subscribers(stream string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.streams[stream])
}

// Close ends every subscription with ErrClosed, and any later one at
// once; Publish then does nothing. It does not wait for subscribers: see
// Wait. Calling it again does nothing.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	for s := range h.subs {
		if !s.ended {
			h.end(s, ErrClosed)
		}
	}
	h.checkDrained()
}

// Wait returns nil once the hub is closed and every subscriber has
// released its subscription (Subscription.Close), or ctx's error first.
// A server calls it after Close to know its streaming connections have
// ended.
func (h *Hub) Wait(ctx context.Context) error {
	select {
	case <-h.drained:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// add subscribes s to stream; h.mu is held.
func (h *Hub) add(s *Subscription, stream string) {
	if s.ended {
		return
	}
	set := h.streams[stream]
	if set == nil {
		set = make(map[*Subscription]struct{})
		h.streams[stream] = set
	}
	set[s] = struct{}{}
	s.streams[stream] = struct{}{}
}

// remove unsubscribes s from stream; h.mu is held.
func (h *Hub) remove(s *Subscription, stream string) {
	delete(s.streams, stream)
	if set := h.streams[stream]; set != nil {
		delete(set, s)
		if len(set) == 0 {
			delete(h.streams, stream)
		}
	}
}

// end unsubscribes s from everything and closes its channel, dropping
// what it buffered unless err is nil (the subscriber closed it); h.mu is
// held. Sends and the close both happen under h.mu, so they never race.
func (h *Hub) end(s *Subscription, err error) {
	for st := range s.streams {
		h.remove(s, st)
	}
	if err != nil {
	drain:
		for {
			select {
			case <-s.events:
			default:
				break drain
			}
		}
	}
	s.ended, s.err = true, err
	close(s.events)
}

// checkDrained closes h.drained when the hub is closed and nothing is
// subscribed; h.mu is held.
func (h *Hub) checkDrained() {
	if h.closed && len(h.subs) == 0 {
		select {
		case <-h.drained:
		default:
			close(h.drained)
		}
	}
}

// Subscription is one subscriber's view of a Hub: the events of the
// streams it is subscribed to, in publication order per stream, until it
// ends.
type Subscription struct {
	hub    *Hub
	events chan Event

	// guarded by hub.mu
	streams map[string]struct{}
	ended   bool
	err     error
}

// Events delivers the subscription's events. It is closed when the
// subscription ends: Err says why.
func (s *Subscription) Events() <-chan Event { return s.events }

// Err is why the subscription ended: ErrSlow, ErrClosed, or nil while it
// runs or after the subscriber closed it.
func (s *Subscription) Err() error {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	return s.err
}

// Add subscribes to stream too; subscribing twice is subscribing once.
// Nothing happens once the subscription has ended.
func (s *Subscription) Add(stream string) {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.hub.add(s, stream)
}

// Remove unsubscribes from stream: its later events no longer arrive (one
// already buffered still may).
func (s *Subscription) Remove(stream string) {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.hub.remove(s, stream)
}

// Close ends the subscription and releases it; the subscriber must call
// it when done, even after the subscription ended on its own. Calling it
// again does nothing.
func (s *Subscription) Close() {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if !s.ended {
		h.end(s, nil)
	}
	delete(h.subs, s)
	h.checkDrained()
}
