package stream_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/tocsin-network/tocsin/stream"
)

// next receives one event, failing if the channel is closed or empty:
// Publish delivers synchronously, so anything published is already there.
func next(t *testing.T, s *stream.Subscription) stream.Event {
	t.Helper()
	select {
	case ev, ok := <-s.Events():
		if !ok {
			t.Fatalf("subscription ended: %v", s.Err())
		}
		return ev
	default:
		t.Fatal("no event buffered")
		return stream.Event{}
	}
}

func wantNone(t *testing.T, s *stream.Subscription) {
	t.Helper()
	select {
	case ev, ok := <-s.Events():
		t.Fatalf("unexpected event %+v (open %v)", ev, ok)
	default:
	}
}

func TestSubscribersGetTheEventsOfTheirStreamsInOrder(t *testing.T) {
	h := stream.NewHub(8)
	defer h.Close()
	alice := h.Subscribe(stream.User("1"), stream.Public)
	defer alice.Close()
	bob := h.Subscribe(stream.Hashtag("Kenya"))
	defer bob.Close()

	h.Publish(stream.Public, stream.Event{Event: "update", Payload: `{"id":"1"}`})
	h.Publish(stream.User("1"), stream.Event{Event: "notification", Payload: `{"id":"2"}`})
	h.Publish(stream.User("2"), stream.Event{Event: "notification", Payload: `{"id":"3"}`})
	h.Publish(stream.Hashtag("kenya"), stream.Event{Event: "delete", Payload: "7"})

	if ev := next(t, alice); ev != (stream.Event{Event: "update", Payload: `{"id":"1"}`, Stream: "public"}) {
		t.Errorf("first: %+v", ev)
	}
	if ev := next(t, alice); ev != (stream.Event{Event: "notification", Payload: `{"id":"2"}`, Stream: "user:1"}) {
		t.Errorf("second: %+v", ev)
	}
	wantNone(t, alice)
	if ev := next(t, bob); ev.Stream != "hashtag:kenya" || ev.Payload != "7" {
		t.Errorf("hashtag: %+v", ev)
	}
	wantNone(t, bob)
}

func TestAddAndRemoveChangeWhatArrives(t *testing.T) {
	h := stream.NewHub(8)
	defer h.Close()
	s := h.Subscribe()
	defer s.Close()
	h.Publish(stream.PublicLocal, stream.Event{Event: "update"})
	wantNone(t, s)
	s.Add(stream.PublicLocal)
	s.Add(stream.PublicLocal)
	h.Publish(stream.PublicLocal, stream.Event{Event: "update", Payload: "a"})
	if ev := next(t, s); ev.Payload != "a" {
		t.Errorf("after Add: %+v", ev)
	}
	wantNone(t, s) // added twice, delivered once
	s.Remove(stream.PublicLocal)
	h.Publish(stream.PublicLocal, stream.Event{Event: "update"})
	wantNone(t, s)
	if n := h.Subscribers(stream.PublicLocal); n != 0 {
		t.Errorf("subscribers after Remove: %d", n)
	}
}

func TestSlowSubscriberIsDroppedWithoutBlockingPublish(t *testing.T) {
	h := stream.NewHub(2)
	defer h.Close()
	slow := h.Subscribe(stream.Public)
	defer slow.Close()
	fast := h.Subscribe(stream.Public)
	defer fast.Close()

	// Publish runs on this goroutine: if it blocked on the full buffer, the
	// test would hang rather than reach the checks.
	for i := range 3 {
		h.Publish(stream.Public, stream.Event{Event: "update", Payload: fmt.Sprint(i)})
		if i < 2 {
			next(t, fast)
		}
	}
	if ev, ok := <-slow.Events(); ok {
		t.Errorf("slow subscriber kept its buffer: %+v", ev)
	}
	if !errors.Is(slow.Err(), stream.ErrSlow) {
		t.Errorf("Err = %v, want ErrSlow", slow.Err())
	}
	if ev := next(t, fast); ev.Payload != "2" {
		t.Errorf("fast subscriber: %+v", ev)
	}
	if n := h.Subscribers(stream.Public); n != 1 {
		t.Errorf("subscribers = %d, want 1", n)
	}
	slow.Add(stream.Public) // an ended subscription stays ended
	if n := h.Subscribers(stream.Public); n != 1 {
		t.Errorf("subscribers after Add on ended = %d, want 1", n)
	}
}

func TestCloseEndsSubscriptionsAndWaitForTheirRelease(t *testing.T) {
	h := stream.NewHub(4)
	s := h.Subscribe(stream.Public)
	h.Publish(stream.Public, stream.Event{Event: "update"})
	h.Close()
	h.Close()
	if _, ok := <-s.Events(); ok {
		t.Error("events left after Close")
	}
	if !errors.Is(s.Err(), stream.ErrClosed) {
		t.Errorf("Err = %v, want ErrClosed", s.Err())
	}
	late := h.Subscribe(stream.Public)
	if _, ok := <-late.Events(); ok || !errors.Is(late.Err(), stream.ErrClosed) {
		t.Errorf("subscription on a closed hub: open %v, err %v", ok, late.Err())
	}
	h.Publish(stream.Public, stream.Event{Event: "update"}) // no panic, no effect

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := h.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait with subscriptions held = %v", err)
	}
	s.Close()
	late.Close()
	late.Close()
	if err := h.Wait(context.Background()); err != nil {
		t.Errorf("Wait after release = %v", err)
	}
}

func TestConcurrentPublishersAndSubscribers(t *testing.T) {
	h := stream.NewHub(1024)
	const publishers, events = 4, 200
	var subs []*stream.Subscription
	for range 4 {
		subs = append(subs, h.Subscribe(stream.Public))
	}
	var wg sync.WaitGroup
	got := make([][]string, len(subs))
	for i, s := range subs {
		wg.Go(func() {
			for ev := range s.Events() {
				got[i] = append(got[i], ev.Payload)
				if len(got[i]) == publishers*events {
					s.Close()
				}
			}
		})
	}
	var pubs sync.WaitGroup
	for p := range publishers {
		pubs.Go(func() {
			for i := range events {
				h.Publish(stream.Public, stream.Event{Event: "update", Payload: fmt.Sprintf("%d-%04d", p, i)})
			}
		})
	}
	// Churn alongside: subscribe, add, remove, close.
	pubs.Go(func() {
		for range events {
			s := h.Subscribe(stream.Public)
			s.Add(stream.PublicLocal)
			s.Remove(stream.Public)
			s.Close()
		}
	})
	pubs.Wait()
	wg.Wait()
	for i, g := range got {
		if len(g) != publishers*events {
			t.Fatalf("subscriber %d got %d events", i, len(g))
		}
		// Per publisher, order is kept.
		for p := range publishers {
			var mine []string
			for _, v := range g {
				if v[0] == byte('0'+p) {
					mine = append(mine, v)
				}
			}
			if !slices.IsSorted(mine) {
				t.Errorf("subscriber %d: publisher %d out of order", i, p)
			}
		}
	}
	h.Close()
	if err := h.Wait(context.Background()); err != nil {
		t.Error(err)
	}
}

func TestPublicStreamsOfAStatus(t *testing.T) {
	if got := stream.PublicStreams(true, "Kenya"); !slices.Equal(got, []string{"public", "public:local", "hashtag:kenya", "hashtag:local:kenya"}) {
		t.Errorf("local: %v", got)
	}
	if got := stream.PublicStreams(false, "Kenya"); !slices.Equal(got, []string{"public", "public:remote", "hashtag:kenya"}) {
		t.Errorf("remote: %v", got)
	}
}
