package fetch

import (
	"context"
	"testing"
)

// BenchmarkGetActivityLoopback measures a signed GetActivity against a
// loopback server, in parallel. The instance actor's RSA-2048 signature
// dominates: compare with signature's BenchmarkSign.
func BenchmarkGetActivityLoopback(b *testing.B) {
	srv := newServer(b, writeDoc)
	c := newClient(b, Options{AllowPrivate: true, AllowHTTP: true, MaxConnsPerHost: 64})
	url := srv.URL + "/users/bob/statuses/1"
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.GetActivity(context.Background(), url); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkGetJSONLoopback is the same fetch unsigned: the client's own cost.
func BenchmarkGetJSONLoopback(b *testing.B) {
	srv := newServer(b, writeDoc)
	c := newClient(b, Options{AllowPrivate: true, AllowHTTP: true, MaxConnsPerHost: 64})
	url := srv.URL + "/users/bob/statuses/1"
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.GetJSON(context.Background(), url); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkCheckURL(b *testing.B) {
	c := newClient(b, Options{})
	for b.Loop() {
		if err := c.CheckURL("https://example.org/users/alice/statuses/01J9Z?page=true"); err != nil {
			b.Fatal(err)
		}
	}
}
