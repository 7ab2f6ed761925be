package social_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tocsin-network/tocsin/federation"
	"github.com/tocsin-network/tocsin/mastodon"
	"github.com/tocsin-network/tocsin/social"
	"github.com/tocsin-network/tocsin/store"
)

const (
	benchObjects  = 1_000_000
	benchFollowed = 1000
	benchBase     = "https://bench.example"
)

// benchDB builds (once, cached in the temp directory) a database of
// 1,000,000 objects by 1,000 remote accounts that one local account
// follows, every object fanned out to its home timeline.
func benchDB(b *testing.B) string {
	path := filepath.Join(os.TempDir(), fmt.Sprintf("tocsin-home-bench-%d.db", benchObjects))
	if _, err := os.Stat(path + ".done"); err == nil {
		return path
	}
	os.Remove(path)
	ctx := context.Background()
	db, err := store.Open(ctx, path, store.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	reader := &store.Account{Username: "reader", Kind: "person", Role: "member"}
	if err := db.CreateAccount(ctx, reader); err != nil {
		b.Fatal(err)
	}
	readerIRI := benchBase + "/users/reader"
	authors := make([]string, benchFollowed)
	err = db.Update(ctx, func(t *store.Tx) error {
		for i := range authors {
			host := fmt.Sprintf("peer%d.example", i%50)
			iri := fmt.Sprintf("https://%s/users/u%d", host, i)
			authors[i] = iri
			if err := t.PutRemoteActor(&store.RemoteActor{IRI: iri, Type: "Person", Host: host, PreferredUsername: fmt.Sprintf("u%d", i),
				Inbox: iri + "/inbox", Followers: iri + "/followers", KeyID: iri + "#main-key", FetchedAt: time.Now()}); err != nil {
				return err
			}
			if err := t.PutFollow(&store.Follow{Followee: iri, Follower: readerIRI, State: store.FollowAccepted, CreatedAt: time.Now()}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	const batch = 20000
	for start := 0; start < benchObjects; start += batch {
		err := db.Update(ctx, func(t *store.Tx) error {
			for i := start; i < start+batch && i < benchObjects; i++ {
				author := authors[i%benchFollowed]
				iri := fmt.Sprintf("%s/statuses/%d", author, i)
				raw := fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":%q,"type":"Note","attributedTo":%q,`+
					`"content":"<p>Observation number %d from the field: polling station opened late.</p>","published":"2026-01-02T03:04:05Z",`+
					`"to":["https://www.w3.org/ns/activitystreams#Public"],"cc":[%q]}`, iri, author, i, author+"/followers")
				o := &store.Object{IRI: iri, Type: "Note", AttributedTo: author, Public: true, Raw: []byte(raw),
					Published: time.Now(), Moderation: store.ModVisible}
				if _, err := t.PutObject(o); err != nil {
					return err
				}
				if err := t.AddHome(reader.ID, o.Seq, iri); err != nil {
					return err
				}
				if err := t.AddPublic(o.Seq, iri, false); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	os.WriteFile(path+".done", nil, 0o600)
	return path
}

// BenchmarkHomeTimeline reads the first page (40) of a home timeline over
// 1,000,000 stored objects by 1,000 followed accounts, rendered as
// Mastodon statuses, and reports p50 and p99.
func BenchmarkHomeTimeline(b *testing.B) {
	path := benchDB(b)
	ctx := context.Background()
	db, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	urls := federation.URLs{Base: benchBase}
	fed, err := federation.New(db, urls, key, federation.Options{})
	if err != nil {
		b.Fatal(err)
	}
	svc := social.New(db, fed, &mastodon.Converter{URLs: urls}, nil)
	reader, err := db.AccountByUsername(ctx, "reader")
	if err != nil {
		b.Fatal(err)
	}
	v := &social.Viewer{Person: reader, Actor: reader}
	var durations []time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		list, err := svc.HomeTimeline(ctx, v, store.Page{Limit: 40})
		durations = append(durations, time.Since(start))
		if err != nil || len(list) != 40 {
			b.Fatalf("home: %v, %d statuses", err, len(list))
		}
	}
	slices.Sort(durations)
	pct := func(p float64) float64 {
		return float64(durations[int(float64(len(durations)-1)*p)].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
