package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tocsin-network/tocsin/federation/signature"
	"github.com/tocsin-network/tocsin/internal/loadgen"
)

// The crash cycles of the fault suite: kill -9 of the real `tocsin serve`
// at seeded random points during an inbound flood and during an outbound
// fan-out, restart, repeat. TOCSIN_FAULT_CYCLES sets the number of cycles
// (default 3, the CI form); TOCSIN_FAULT_SEED replays a run.

// TestCrashCyclesInboundFloodAppliesEveryAcknowledgedActivityOnce floods
// the shared inbox from 3 loopback servers (12 signing actors, 16 requests
// in flight), kills the server at a random moment, restarts it, and has the
// senders re-send what got no answer plus a random sample of what was
// acknowledged (duplicates, as real peers retry). After the last restart
// every acknowledged note is stored, and no note is on the public timeline
// twice.
func TestCrashCyclesInboundFloodAppliesEveryAcknowledgedActivityOnce(t *testing.T) {
	cycles := envInt(t, "TOCSIN_FAULT_CYCLES", 3)
	rng := newRand(faultSeed(t))
	n := faultNode(t)
	f := newFlood(t, n, 3, 4, 16)
	s := n.serve()

	var acked, unanswered []uint64
	resent, resentDup := 0, 0
	for c := range cycles {
		// Kill between 0.2 s and 1.5 s into the flood: during journal
		// appends, group commits, processing, or between them.
		// In half the cycles the flood stops a little before the kill, so
		// that it lands while the processor catches up.
		killAt := 200*time.Millisecond + time.Duration(rng.Int64N(int64(1300*time.Millisecond)))
		floodFor := killAt
		if rng.IntN(2) == 0 {
			floodFor -= time.Duration(rng.Int64N(int64(killAt / 2)))
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan loadgen.Result, 1)
		f.First = uint64(c+1) * 10_000_000
		start := time.Now()
		go func() {
			done <- f.Run(ctx, 1_000_000, func(uint64, int) bool { return time.Since(start) >= floodFor })
		}()
		time.Sleep(killAt) // the random kill point of this cycle
		s.cmd.Process.Signal(syscall.SIGKILL)
		<-s.done
		cancel()
		res := <-done
		if len(res.Acked) == 0 {
			t.Fatalf("cycle %d: nothing acknowledged in %s: %v %v\n%s", c, killAt, res.Status, res.Bodies, tail(s.stderr.String(), 2000))
		}
		for st, body := range res.Bodies {
			t.Errorf("cycle %d: inbox answered %d %q", c, st, body)
		}
		acked = append(acked, res.Acked...)
		t.Logf("cycle %d: flood for %s, killed at %s: %d acknowledged, %d unanswered", c, floodFor.Round(time.Millisecond),
			killAt.Round(time.Millisecond), len(res.Acked), len(res.Unanswered))

		s = n.serve()
		// Peers retry: what got no answer (stored or not), and a sample
		// of what was acknowledged (must not be applied twice).
		retry := slices.Clone(res.Unanswered)
		for range min(50, len(res.Acked)) {
			retry = append(retry, res.Acked[rng.IntN(len(res.Acked))])
		}
		rr := f.Resend(context.Background(), retry)
		if rr.Status[http.StatusAccepted] != rr.Sent {
			t.Fatalf("cycle %d: re-sends after restart: %v %v", c, rr.Status, rr.Bodies)
		}
		resent += len(res.Unanswered)
		resentDup += len(retry) - len(res.Unanswered)
		acked = append(acked, res.Unanswered...)
		unanswered = append(unanswered, res.Unanswered...)
	}
	n.journalDrained(t, 2*time.Minute)
	s.stop(t)
	db := checkDBFile(t, n.dbPath())
	stored := appliedOnce(t, db, f, acked)
	t.Logf("%d crash cycles: %d acknowledged (incl. %d re-sent after no answer), %d duplicates re-sent; %d notes stored, each once; bbolt check clean",
		cycles, len(acked), resent, resentDup, stored)
}

// TestCrashCyclesOutboundFanOutReachesEveryInboxOnce publishes
// TLP:AMBER+STRICT alerts to 30 organisations on 3 loopback servers (each
// verifies the HTTP signature and records what each inbox received) and
// to an organisation on a second real Tocsin, kills
// the server at a random moment while the deliveries go out, restarts it,
// and repeats. After the last restart the queue drains and every inbox has
// every alert; wire-level re-sends (a crash between a peer's answer and the
// job's removal) are counted, and each receiver applies each activity once.
func TestCrashCyclesOutboundFanOutReachesEveryInboxOnce(t *testing.T) {
	cycles := envInt(t, "TOCSIN_FAULT_CYCLES", 3)
	rng := newRand(faultSeed(t))
	n := faultNode(t)
	keys := &loadgen.KeyFetcher{}
	var receivers []*loadgen.Sender
	var recipients []string
	for range 3 {
		r, err := loadgen.NewSender(10)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		r.Type = "Organization"
		r.Inboxes.Delay = 40 * time.Millisecond // so that a fan-out lasts long enough to be cut
		r.Inboxes.SetVerifier(&signature.Verifier{Keys: keys})
		n.mustRun("", "domain", "set", strings.TrimPrefix(r.Base, "http://"), "trusted")
		receivers = append(receivers, r)
		for _, a := range r.Actors {
			recipients = append(recipients, a.ID)
		}
	}
	// One recipient is another real Tocsin, which applies each alert once
	// however often it is re-sent.
	peer := faultNode(t)
	peer.mustRun("", "domain", "set", n.addr, "trusted")
	peerSrv := peer.serve()
	recipients = append(recipients, peer.url("/users/org"))
	s := n.serve()
	// The receivers know the sender's key before the first crash (as
	// peers that federate already do): a delivery cut by the kill must
	// not be refused because the key could not be fetched from the dead
	// server.
	if _, err := keys.ResolveKey(context.Background(), n.url("/users/org#main-key"), false); err != nil {
		t.Fatal(err)
	}
	delivered := func() int {
		d := 0
		for _, r := range receivers {
			d += r.Inboxes.Count()
		}
		return d
	}

	alertArgs := func(i int) []string {
		args := []string{"alert", "create", "--as", "org",
			"--title", fmt.Sprintf("Coordinated inauthentic campaign %d", i),
			"--body", "Accounts amplifying a false claim about polling stations.",
			"--severity", "moderate", "--category", "disinformation", "--country", "KE",
			"--tlp", "AMBER+STRICT"}
		for _, r := range recipients {
			args = append(args, "--recipient", r)
		}
		return args
	}
	published := 0
	const perCycle = 4
	for c := range cycles {
		// Publish in the background and kill at a random point between the
		// first alert and 300 ms after the last (about 0.1 s each): while
		// alerts are queued and their 120 deliveries (40 ms each) go out.
		// An alert whose command was cut may or may not be committed; the
		// alert list after the restart says which were.
		pubDone := make(chan struct{})
		go func() {
			defer close(pubDone)
			for range perCycle {
				published++
				if r := n.run("", alertArgs(published)...); r.code != 0 {
					return // the server was killed under the command
				}
			}
		}()
		killAt := time.Duration(rng.Int64N(int64(perCycle*100*time.Millisecond + 300*time.Millisecond)))
		time.Sleep(killAt) // the random kill point of this cycle
		s.cmd.Process.Signal(syscall.SIGKILL)
		<-s.done
		<-pubDone
		t.Logf("cycle %d: killed %s into the cycle, %d deliveries made so far", c, killAt.Round(time.Millisecond), delivered())
		s = n.serve()
	}
	waitUntil(t, 2*time.Minute, "delivery queue drained", func() bool {
		v, ok := n.status()["pending_deliveries"].(float64)
		return ok && v == 0
	})
	var list struct {
		Alerts []struct {
			IRI string `json:"iri"`
		} `json:"alerts"`
	}
	if err := json.Unmarshal([]byte(n.mustRun("", "alert", "list", "--json", "--limit", "200")), &list); err != nil {
		t.Fatal(err)
	}
	committed := map[string]bool{}
	for _, a := range list.Alerts {
		committed[a.IRI] = true
	}
	if len(committed) < cycles {
		t.Fatalf("only %d alerts committed over %d cycles", len(committed), cycles)
	}
	s.stop(t)

	// Every inbox got every alert (its Create); count re-sends.
	total, resends := 0, 0
	var missing []string
	for _, r := range receivers {
		if rej, why := r.Inboxes.Rejected(); rej > 0 {
			t.Errorf("%s refused %d deliveries with bad signatures: %q", r.Base, rej, why)
		}
		posts := r.Inboxes.Posts()
		for _, a := range r.Actors {
			got := posts[strings.TrimPrefix(a.ID, r.Base)+"/inbox"]
			creates := map[string]bool{}
			for id, times := range got {
				typ, obj := r.Inboxes.Type(id)
				if typ != "Create" {
					continue
				}
				if !committed[obj] {
					t.Errorf("%s received %s, which is not a committed alert", a.ID, obj)
				}
				creates[obj] = true
				total++
				resends += times - 1
			}
			for iri := range committed {
				if !creates[iri] {
					missing = append(missing, fmt.Sprintf("%s never received %s", a.ID, iri))
				}
			}
		}
	}
	// The Tocsin recipient lists each committed alert exactly once.
	peer.journalDrained(t, time.Minute)
	var got struct {
		Alerts []struct {
			IRI string `json:"iri"`
		} `json:"alerts"`
	}
	if err := json.Unmarshal([]byte(peer.mustRun("", "alert", "list", "--json", "--limit", "200")), &got); err != nil {
		t.Fatal(err)
	}
	seenAt := map[string]int{}
	for _, a := range got.Alerts {
		seenAt[a.IRI]++
	}
	for iri := range committed {
		if seenAt[iri] != 1 {
			missing = append(missing, fmt.Sprintf("the Tocsin recipient lists %s %d times", iri, seenAt[iri]))
		}
	}
	peerSrv.stop(t)
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("inboxes missing alerts:\n%s", strings.Join(missing, "\n"))
	}
	t.Logf("%d crash cycles: %d alerts to %d inboxes (one a real Tocsin): %d deliveries to the recording inboxes, each applied once; %d wire-level re-sends (at-least-once), deduplicated by the receivers",
		cycles, len(committed), len(recipients), total, resends)
}
