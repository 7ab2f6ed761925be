package social_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/tocsin-network/tocsin/internal/cluster"
	"github.com/tocsin-network/tocsin/social"
)

// createWriters is how many statuses are created at once in the parallel
// cases, as many clients posting together.
const createWriters = 64

// BenchmarkStatusCreate creates public statuses (with a hashtag, fanned
// out to the author's home, the public and the hashtag timelines) on a
// real instance: bbolt on disk with fsync on every commit, delivery
// workers and streaming hub running. An operation ends when the status is
// durably committed and rendered. Cases: the social service with one
// writer and with 64, and the HTTP API (POST /api/v1/statuses, a real
// password-grant token) with 64 keep-alive clients. It reports
// statuses/s; compare with the ceilings module's BoltUpdateFsync_* and
// BoltBatchFsync_64w* measured in the same session.
func BenchmarkStatusCreate(b *testing.B) {
	srv := cluster.Start(b, 0, cluster.NoLimits)
	author := srv.CreateAccount(b, "author", "person", "member")
	v := &social.Viewer{Person: author, Actor: author}
	ctx := context.Background()
	var n atomic.Int64
	text := func() string {
		return fmt.Sprintf("Polling station %d opened two hours late in #Nairobi; observers on site.", n.Add(1))
	}

	b.Run("service_1w", func(b *testing.B) {
		for b.Loop() {
			if _, err := srv.Social.PostStatus(ctx, v, social.PostInput{Status: text(), Visibility: "public"}); err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b)
	})

	b.Run(fmt.Sprintf("service_%dw", createWriters), func(b *testing.B) {
		setWriters(b)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := srv.Social.PostStatus(ctx, v, social.PostInput{Status: text(), Visibility: "public"}); err != nil {
					b.Error(err)
					return
				}
			}
		})
		reportRate(b)
	})

	b.Run(fmt.Sprintf("http_%dc", createWriters), func(b *testing.B) {
		token := passwordToken(b, srv, "author")
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: createWriters}}
		defer client.CloseIdleConnections()
		setWriters(b)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				body, _ := json.Marshal(map[string]string{"status": text(), "visibility": "public"})
				req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/statuses", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("POST /api/v1/statuses: %d", resp.StatusCode)
					return
				}
			}
		})
		reportRate(b)
	})
}

// setWriters makes RunParallel run createWriters goroutines.
func setWriters(b *testing.B) {
	p := runtime.GOMAXPROCS(0)
	b.SetParallelism((createWriters + p - 1) / p)
}

func reportRate(b *testing.B) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "statuses/s")
	}
}

// passwordToken registers an app and signs username in with the password
// grant, as a Mastodon client does.
func passwordToken(b *testing.B, srv *cluster.Server, username string) string {
	b.Helper()
	post := func(path string, form url.Values) map[string]any {
		resp, err := http.PostForm(srv.URL+path, form)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("POST %s: %d %v", path, resp.StatusCode, err)
		}
		return out
	}
	app := post("/api/v1/apps", url.Values{"client_name": {"bench"}, "redirect_uris": {"urn:ietf:wg:oauth:2.0:oob"}, "scopes": {"read write"}})
	tok := post("/oauth/token", url.Values{
		"grant_type": {"password"}, "client_id": {fmt.Sprint(app["client_id"])}, "client_secret": {fmt.Sprint(app["client_secret"])},
		"username": {username}, "password": {cluster.Password}, "scope": {"read write"},
	})
	return fmt.Sprint(tok["access_token"])
}
