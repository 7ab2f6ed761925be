package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/tlp"
)

// testCountries are the country codes random alerts are drawn from.
var testCountries = strings.Fields(`KE NG GH ZA UG TZ ET SN CI CM ZW ZM MW MZ BW NA RW BI CD CG
	GA ML BF NE TD SD SS SO DJ ER MG MU SC TN DZ MA LY EG MR GM GN GW SL LR TG BJ AO LS SZ CV`)

var testModeration = []string{ModVisible, ModPending, ModLimited, ModRejected}

// sampleAlert is a plausible alert about country, published at pub.
func sampleAlert(n int, country string, pub time.Time) *AlertRecord {
	return &AlertRecord{
		IRI:    fmt.Sprintf("https://peer.example/alerts/%d", n),
		Origin: "peer.example",
		Alert:  sampleAlertBody(country, pub),
	}
}

func sampleAlertBody(country string, pub time.Time) alert.Alert {
	return alert.Alert{
		Author:     "https://peer.example/users/watch",
		Title:      "Fake polling-station list circulating",
		Body:       "A list of *moved* polling stations is false.",
		BodyHTML:   "<p>A list of <em>moved</em> polling stations is false.</p>",
		Severity:   alert.SeveritySevere,
		Confidence: alert.ConfidenceObserved,
		Category:   alert.CategoryDisinformation,
		Countries:  []string{country},
		TLP:        tlp.Clear,
		Status:     alert.StatusActive,
		Published:  pub,
		Language:   "en",
	}
}

// randomAlert draws an alert whose filterable fields are spread over
// nCountries countries, every category, severity, status, TLP and
// moderation state, both origins, and a year of publication times (not in
// arrival order).
func randomAlert(rng *rand.Rand, n, nCountries int) *AlertRecord {
	cats := alert.Categories()
	countries := []string{testCountries[rng.IntN(nCountries)]}
	for rng.IntN(4) == 0 {
		countries = append(countries, testCountries[rng.IntN(nCountries)]) // may repeat
	}
	pub := t0.Add(-time.Duration(rng.Int64N(int64(365 * 24 * time.Hour)))).Truncate(time.Millisecond)
	r := &AlertRecord{
		IRI: fmt.Sprintf("https://peer%d.example/alerts/%d", rng.IntN(5), n),
		Alert: alert.Alert{
			Title:      fmt.Sprintf("Alert %d", n),
			Body:       strings.Repeat("Observers report irregularities at polling stations. ", 1+rng.IntN(12)),
			Severity:   alert.Severities()[rng.IntN(4)],
			Confidence: alert.Confidences()[rng.IntN(4)],
			Category:   cats[rng.IntN(len(cats))].Slug,
			Countries:  countries,
			TLP:        tlp.Levels()[rng.IntN(5)],
			Status:     alert.Statuses()[rng.IntN(4)],
			Published:  pub,
			Language:   "en",
			Sources:    []alert.Source{{URL: fmt.Sprintf("https://news.example/%d", n), Title: "Report"}},
		},
		Moderation: ModVisible,
	}
	r.Alert.BodyHTML = "<p>" + r.Alert.Body + "</p>"
	if rng.IntN(5) == 0 {
		r.Alert.Expires = pub.Add(time.Duration(1+rng.IntN(30*24)) * time.Hour)
	}
	if m := rng.IntN(100); m >= 85 {
		r.Moderation = testModeration[1+m%3]
	}
	if rng.IntN(3) == 0 {
		r.Local, r.AccountID = true, "01JORG0000000000000000000A"
		r.IRI = fmt.Sprintf("https://tocsin.example/users/watch/statuses/%d", n)
	} else {
		r.Origin = r.IRI[len("https://"):strings.Index(r.IRI, "/alerts")]
	}
	return r
}

func putAlert(t testing.TB, db *DB, r *AlertRecord) bool {
	t.Helper()
	var created bool
	err := db.Update(context.Background(), func(tx *Tx) error {
		var err error
		created, err = tx.PutAlert(r)
		return err
	})
	if err != nil {
		t.Fatalf("PutAlert(%s): %v", r.IRI, err)
	}
	return created
}

func listAlerts(t testing.TB, db *DB, f AlertFilter) ([]*AlertRecord, string) {
	t.Helper()
	recs, next, err := db.ListAlerts(context.Background(), f)
	if err != nil {
		t.Fatalf("ListAlerts(%+v): %v", f, err)
	}
	return recs, next
}

// listedIRIs lists every alert f selects, following the cursor page by page,
// and checks the pages keep their contract.
func listedIRIs(t testing.TB, db *DB, f AlertFilter) []string {
	t.Helper()
	var out []string
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = DefaultListLimit
	case limit > MaxListLimit:
		limit = MaxListLimit
	}
	for page := 0; ; page++ {
		if page > 5000 {
			t.Fatalf("listing %+v does not end", f)
		}
		recs, next := listAlerts(t, db, f)
		if len(recs) > limit {
			t.Fatalf("page of %d alerts, limit %d", len(recs), limit)
		}
		for _, r := range recs {
			out = append(out, r.IRI)
		}
		if next == "" {
			return out
		}
		if len(recs) != limit || next != recs[len(recs)-1].Seq {
			t.Fatalf("page of %d (limit %d) with cursor %q, last seq %q", len(recs), limit, next, recs[len(recs)-1].Seq)
		}
		f.MaxSeq = next
	}
}

func iriList(recs []*AlertRecord) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.IRI
	}
	return out
}

// checkListingIndexes recomputes every summary, index entry and count of
// both families from the records and compares them with the buckets.
func checkListingIndexes(t testing.TB, db *DB) {
	t.Helper()
	err := db.bolt.View(func(tx *bolt.Tx) error {
		want := map[string]map[string]string{} // bucket -> key -> value
		add := func(b []byte, k, v []byte) {
			if want[string(b)] == nil {
				want[string(b)] = map[string]string{}
			}
			want[string(b)][string(k)] = string(v)
		}
		counts := map[string]int64{}
		for _, fam := range []*family{&alertFamily, &noteFamily} {
			for _, name := range append([][]byte{fam.bySeq}, fam.fields...) {
				want[string(name)] = map[string]string{}
			}
			err := tx.Bucket(fam.records).ForEach(func(k, v []byte) error {
				var e *entry
				if fam == &alertFamily {
					var r AlertRecord
					if err := json.Unmarshal(v, &r); err != nil {
						return err
					}
					e = alertEntry(&r)
					if ek := expiryKey(&r); ek != nil {
						add(bucketAlertsByExpiry, ek, nil)
					}
				} else {
					var r NoteRecord
					if err := json.Unmarshal(v, &r); err != nil {
						return err
					}
					e = noteEntry(&r)
				}
				if string(k) != e.iri {
					return fmt.Errorf("record at %q has IRI %q", k, e.iri)
				}
				sum, err := summarize(tx.Bucket(bucketListingCodes), fam, e, false)
				if err != nil {
					return err
				}
				add(fam.bySeq, []byte(e.seq), append(slices.Clip(sum), e.iri...))
				counts[string(fam.bySeq)]++
				for i, name := range fam.fields {
					for _, val := range e.fields[i] {
						add(name, postingKey(val, e.seq), sum)
						counts[string(countKey(name, val))]++
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		if want[string(bucketAlertsByExpiry)] == nil {
			want[string(bucketAlertsByExpiry)] = map[string]string{}
		}
		for name, keys := range want {
			got := map[string]string{}
			_ = tx.Bucket([]byte(name)).ForEach(func(k, v []byte) error {
				got[string(k)] = string(v)
				return nil
			})
			for k, v := range keys {
				if g, ok := got[k]; !ok {
					t.Errorf("%s: missing key %q", name, k)
				} else if g != v {
					t.Errorf("%s %q: value %q, want %q", name, k, g, v)
				}
			}
			for k := range got {
				if _, ok := keys[k]; !ok {
					t.Errorf("%s: stale key %q", name, k)
				}
			}
		}
		_ = tx.Bucket(bucketListingCounts).ForEach(func(k, v []byte) error {
			if n := int64(binary.BigEndian.Uint64(v)); n != counts[string(k)] {
				t.Errorf("count %q = %d, want %d", k, n, counts[string(k)])
			}
			delete(counts, string(k))
			return nil
		})
		for k, n := range counts {
			t.Errorf("count %q missing, want %d", k, n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPutAlertAssignsSeqOnceAndRoundTrips(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	r := sampleAlert(1, "KE", t0)
	r.Extensions = map[string]json.RawMessage{"https://other.example/ns#witnesses": json.RawMessage(`[{"n":3}]`)}
	if !putAlert(t, db, r) {
		t.Fatal("first PutAlert: created = false")
	}
	if _, err := ulid.ParseStrict(r.Seq); err != nil {
		t.Fatalf("Seq %q is not a ULID: %v", r.Seq, err)
	}
	if r.Alert.ID != r.Seq || r.Alert.URI != r.IRI || r.Moderation != ModVisible || r.StoredAt.IsZero() {
		t.Fatalf("stamped record: id %q uri %q moderation %q stored %v", r.Alert.ID, r.Alert.URI, r.Moderation, r.StoredAt)
	}
	got, err := db.Alert(ctx, r.IRI)
	if err != nil {
		t.Fatal(err)
	}
	if got.Seq != r.Seq || got.Alert.Title != r.Alert.Title || !got.Alert.Published.Equal(t0) ||
		string(got.Extensions["https://other.example/ns#witnesses"]) != `[{"n":3}]` {
		t.Fatalf("read back %+v", got)
	}

	seq := r.Seq
	got.Seq = "" // an update never moves an alert
	got.Revisions = append(got.Revisions, alert.Revision{At: t0.Add(time.Hour), By: "01JSTAFF", Changes: []alert.Change{{Field: "title", From: "a", To: "b"}}})
	if putAlert(t, db, got) {
		t.Fatal("second PutAlert: created = true")
	}
	if got.Seq != seq {
		t.Fatalf("Seq changed from %s to %s", seq, got.Seq)
	}
	again, err := db.Alert(ctx, r.IRI)
	if err != nil || len(again.Revisions) != 1 || again.Revisions[0].By != "01JSTAFF" {
		t.Fatalf("revisions after update: %+v, %v", again, err)
	}
	if _, err := db.Alert(ctx, "https://peer.example/alerts/none"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing alert: %v, want ErrNotFound", err)
	}
	checkListingIndexes(t, db)
}

func TestUpdatedAlertIsListedOnlyUnderItsNewValues(t *testing.T) {
	db := newTestDB(t)
	r := sampleAlert(1, "KE", t0)
	r.Alert.Expires = t0.Add(time.Hour)
	other := sampleAlert(2, "KE", t0) // keeps the old values listed
	putAlert(t, db, r)
	putAlert(t, db, other)

	r.Alert.Countries = []string{"NG", "GH"}
	r.Alert.Category = alert.CategoryCyberIncident
	r.Alert.Severity = alert.SeverityMinor
	r.Alert.Status = alert.StatusResolved
	r.Alert.TLP = tlp.Amber
	r.Alert.Circle = "west-africa"
	r.Moderation = ModLimited
	putAlert(t, db, r)
	checkListingIndexes(t, db)

	old := []AlertFilter{
		{Countries: []string{"KE"}},
		{Categories: []string{string(alert.CategoryDisinformation)}},
		{Severities: []string{string(alert.SeveritySevere)}},
		{Statuses: []string{string(alert.StatusActive)}},
		{TLPs: []tlp.Level{tlp.Clear}},
		{Moderation: []string{ModVisible}},
	}
	for _, f := range old {
		if got := listedIRIs(t, db, f); !slices.Equal(got, []string{other.IRI}) {
			t.Errorf("by old value %+v: %v, want only the other alert", f, got)
		}
	}
	now := []AlertFilter{
		{Countries: []string{"NG"}, Moderation: []string{ModLimited}},
		{Countries: []string{"GH"}, Moderation: []string{ModLimited}},
		{Categories: []string{string(alert.CategoryCyberIncident)}, Moderation: []string{ModLimited}},
		{Severities: []string{string(alert.SeverityMinor)}, Moderation: []string{ModLimited}},
		{Statuses: []string{string(alert.StatusResolved)}, Moderation: []string{ModLimited}},
		{TLPs: []tlp.Level{tlp.Amber}, Moderation: []string{ModLimited}},
	}
	for _, f := range now {
		if got := listedIRIs(t, db, f); !slices.Equal(got, []string{r.IRI}) {
			t.Errorf("by new value %+v: %v, want the updated alert", f, got)
		}
	}
	if due, err := db.AlertsDueToExpire(context.Background(), t0.Add(2*time.Hour), 0); err != nil || len(due) != 0 {
		t.Errorf("a resolved alert is due to expire: %v, %v", iriList(due), err)
	}
}

func TestDeleteAlertRemovesRecordAndEveryIndexEntry(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	r := sampleAlert(1, "KE", t0)
	r.Alert.Countries = []string{"KE", "UG"}
	r.Alert.Expires = t0.Add(time.Hour)
	putAlert(t, db, r)
	if err := db.Update(ctx, func(tx *Tx) error { return tx.DeleteAlert(r.IRI) }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Alert(ctx, r.IRI); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted alert: %v, want ErrNotFound", err)
	}
	if got, _ := listAlerts(t, db, AlertFilter{}); len(got) != 0 {
		t.Fatalf("deleted alert still listed: %v", iriList(got))
	}
	if due, _ := db.AlertsDueToExpire(ctx, t0.Add(2*time.Hour), 0); len(due) != 0 {
		t.Fatalf("deleted alert still due to expire")
	}
	checkListingIndexes(t, db)
	_ = db.bolt.View(func(tx *bolt.Tx) error {
		for _, name := range append([][]byte{bucketAlertsBySeq, bucketAlertsByExpiry, bucketListingCounts}, alertFamily.fields...) {
			if k, _ := tx.Bucket(name).Cursor().First(); k != nil {
				t.Errorf("%s still holds %q", name, k)
			}
		}
		return nil
	})
	err := db.Update(ctx, func(tx *Tx) error { return tx.DeleteAlert(r.IRI) })
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v, want ErrNotFound", err)
	}
}

func TestPutAlertRefusesBadRecordsAndWritesNothing(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	taken := sampleAlert(1, "KE", t0)
	putAlert(t, db, taken)
	cases := []struct {
		name   string
		change func(r *AlertRecord)
		want   func(error) bool
	}{
		{"no IRI", func(r *AlertRecord) { r.IRI = "" }, isInvalid},
		{"uri differs", func(r *AlertRecord) { r.Alert.URI = "https://elsewhere.example/a" }, isInvalid},
		{"NUL in a country", func(r *AlertRecord) { r.Alert.Countries = []string{"K\x00E"} }, isInvalid},
		{"seq not a ULID", func(r *AlertRecord) { r.Seq = "42" }, isInvalid},
		{"seq taken", func(r *AlertRecord) { r.Seq = taken.Seq }, func(err error) bool { return errors.Is(err, ErrConflict) }},
		{"TLP unset", func(r *AlertRecord) { r.Alert.TLP = 0 }, func(err error) bool { return err != nil }},
	}
	for _, c := range cases {
		r := sampleAlert(2, "NG", t0)
		c.change(r)
		err := db.Update(ctx, func(tx *Tx) error {
			_, err := tx.PutAlert(r)
			if err != nil {
				checkListingIndexesTx(t, tx) // nothing half-written, even before rollback
			}
			return err
		})
		if !c.want(err) {
			t.Errorf("%s: err %v", c.name, err)
		}
	}
	if got := listedIRIs(t, db, AlertFilter{Limit: 50}); !slices.Equal(got, []string{taken.IRI}) {
		t.Fatalf("after refused writes: %v", got)
	}
	checkListingIndexes(t, db)
}

// checkListingIndexesTx checks the indexes as seen inside a write
// transaction that has not committed.
func checkListingIndexesTx(t *testing.T, tx *Tx) {
	t.Helper()
	n := 0
	_ = tx.tx.Bucket(bucketAlerts).ForEach(func(k, v []byte) error { n++; return nil })
	m := 0
	_ = tx.tx.Bucket(bucketAlertsBySeq).ForEach(func(k, v []byte) error { m++; return nil })
	if n != m || readCount(tx.tx.Bucket(bucketListingCounts), bucketAlertsBySeq) != int64(n) {
		t.Errorf("half-written alert: %d records, %d summaries", n, m)
	}
}

func isInvalid(err error) bool { return tocsin.ErrorCode(err) == tocsin.EINVALID }

func TestListAlertsFiltersEachFieldAndCombinations(t *testing.T) {
	db := newTestDB(t)
	day := 24 * time.Hour
	mk := func(n int, country string, pub time.Time, change func(r *AlertRecord)) *AlertRecord {
		r := sampleAlert(n, country, pub)
		if change != nil {
			change(r)
		}
		putAlert(t, db, r)
		return r
	}
	a1 := mk(1, "KE", t0, nil)
	a2 := mk(2, "NG", t0.Add(day), func(r *AlertRecord) { r.Alert.Category = alert.CategoryVoteBuying })
	a3 := mk(3, "KE", t0.Add(2*day), func(r *AlertRecord) {
		r.Alert.Countries = []string{"KE", "NG"}
		r.Alert.Severity = alert.SeverityExtreme
		r.Local, r.Origin, r.AccountID = true, "", "01JORG"
	})
	a4 := mk(4, "GH", t0.Add(-day), func(r *AlertRecord) {
		r.Alert.Status = alert.StatusRetracted
		r.Alert.TLP = tlp.Green
	})
	a5 := mk(5, "KE", t0.Add(3*day), func(r *AlertRecord) { r.Moderation = ModPending })
	a6 := mk(6, "KE", t0.Add(4*day), func(r *AlertRecord) { r.Moderation = ModRejected })
	a7 := mk(7, "UG", t0.Add(5*day), func(r *AlertRecord) {
		r.Local, r.Origin = true, ""
		r.Alert.TLP = tlp.AmberStrict
		r.Alert.Recipients = []string{"https://peer.example/users/org"}
		r.Alert.Status = alert.StatusUpdated
	})
	ids := func(rs ...*AlertRecord) []string { return iriList(rs) }

	cases := []struct {
		name string
		f    AlertFilter
		want []string // newest Seq first
	}{
		{"none: visible only", AlertFilter{}, ids(a7, a4, a3, a2, a1)},
		{"country", AlertFilter{Countries: []string{"KE"}}, ids(a3, a1)},
		{"either country", AlertFilter{Countries: []string{"NG", "GH", "NG"}}, ids(a4, a3, a2)},
		{"category", AlertFilter{Categories: []string{"vote-buying"}}, ids(a2)},
		{"severity", AlertFilter{Severities: []string{"extreme"}}, ids(a3)},
		{"status", AlertFilter{Statuses: []string{"retracted", "updated"}}, ids(a7, a4)},
		{"TLP", AlertFilter{TLPs: []tlp.Level{tlp.Green, tlp.AmberStrict}}, ids(a7, a4)},
		{"origin local", AlertFilter{Origin: OriginLocal}, ids(a7, a3)},
		{"origin peer", AlertFilter{Origin: OriginPeer}, ids(a4, a2, a1)},
		{"since", AlertFilter{Since: t0.Add(day)}, ids(a7, a3, a2)},
		{"until (exclusive)", AlertFilter{Until: t0.Add(day)}, ids(a4, a1)},
		{"since and until", AlertFilter{Since: t0, Until: t0.Add(2*day + time.Nanosecond)}, ids(a3, a2, a1)},
		{"empty range", AlertFilter{Since: t0.Add(day), Until: t0}, nil},
		{"pending", AlertFilter{Moderation: []string{ModPending}}, ids(a5)},
		{"every state", AlertFilter{Moderation: testModeration}, ids(a7, a6, a5, a4, a3, a2, a1)},
		{"country and category", AlertFilter{Countries: []string{"NG"}, Categories: []string{"disinformation"}}, ids(a3)},
		{"country and origin", AlertFilter{Countries: []string{"KE", "NG"}, Origin: OriginPeer}, ids(a2, a1)},
		{"country, moderation and time", AlertFilter{Countries: []string{"KE"}, Moderation: testModeration, Since: t0.Add(2 * day)}, ids(a6, a5, a3)},
		{"nothing matches", AlertFilter{Countries: []string{"ZA"}}, nil},
		{"unknown value", AlertFilter{Categories: []string{"weather"}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := listedIRIs(t, db, c.f); !slices.Equal(got, c.want) {
				t.Errorf("got %v\nwant %v", got, c.want)
			}
			c.f.Limit = 1
			if got := listedIRIs(t, db, c.f); !slices.Equal(got, c.want) {
				t.Errorf("one per page: got %v\nwant %v", got, c.want)
			}
		})
	}
	if _, _, err := db.ListAlerts(context.Background(), AlertFilter{Origin: "remote"}); !isInvalid(err) {
		t.Errorf("unknown origin: %v, want EINVALID", err)
	}
}

// matchesAlert is AlertFilter's meaning, written plainly.
func matchesAlert(r *AlertRecord, f AlertFilter) bool {
	a := &r.Alert
	anyOf := func(set []string, vals ...string) bool {
		if len(set) == 0 {
			return true
		}
		for _, v := range vals {
			if slices.Contains(set, v) {
				return true
			}
		}
		return false
	}
	mod := f.Moderation
	if len(mod) == 0 {
		mod = []string{ModVisible}
	}
	switch {
	case !anyOf(f.Countries, a.Countries...),
		!anyOf(f.Categories, string(a.Category)),
		!anyOf(f.Severities, string(a.Severity)),
		!anyOf(f.Statuses, string(a.Status)),
		len(f.TLPs) > 0 && !slices.Contains(f.TLPs, a.TLP),
		f.Origin == OriginLocal && !r.Local,
		f.Origin == OriginPeer && r.Local,
		!f.Since.IsZero() && a.Published.Before(f.Since),
		!f.Until.IsZero() && !a.Published.Before(f.Until),
		!slices.Contains(mod, r.Moderation):
		return false
	}
	return true
}

// randomFilter draws a filter over the values randomAlert uses.
func randomFilter(rng *rand.Rand, nCountries int) AlertFilter {
	var f AlertFilter
	pick := func(n int, value func() string) []string {
		var out []string
		for range n {
			out = append(out, value())
		}
		return out
	}
	some := func() int { // how many values a field filters on: usually none
		if rng.IntN(3) > 0 {
			return 0
		}
		return 1 + rng.IntN(3)
	}
	f.Countries = pick(some(), func() string { return testCountries[rng.IntN(nCountries)] })
	cats := alert.Categories()
	f.Categories = pick(some(), func() string { return string(cats[rng.IntN(len(cats))].Slug) })
	f.Severities = pick(some(), func() string { return string(alert.Severities()[rng.IntN(4)]) })
	f.Statuses = pick(some(), func() string { return string(alert.Statuses()[rng.IntN(4)]) })
	for range some() {
		f.TLPs = append(f.TLPs, tlp.Levels()[rng.IntN(5)])
	}
	f.Moderation = pick(some(), func() string { return testModeration[rng.IntN(4)] })
	f.Origin = []string{"", "", OriginLocal, OriginPeer}[rng.IntN(4)]
	if rng.IntN(4) == 0 {
		f.Since = t0.Add(-time.Duration(rng.Int64N(int64(365 * 24 * time.Hour))))
	}
	if rng.IntN(4) == 0 {
		f.Until = t0.Add(-time.Duration(rng.Int64N(int64(365 * 24 * time.Hour))))
	}
	f.Limit = []int{0, 1, 3, 20, 40, 500}[rng.IntN(6)]
	return f
}

func TestListAlertsPagesMatchBruteForceOverRandomAlerts(t *testing.T) {
	rng := rand.New(rand.NewPCG(20260301, 1))
	db := newTestDB(t)
	const n, nCountries = 2000, 12
	stored := map[string]*AlertRecord{}
	ctx := context.Background()
	// Stored in batches, then a few hundred edits (moving alerts between
	// index values) and deletions, so the indexes are checked after churn.
	for lo := 0; lo < n; lo += 250 {
		err := db.Update(ctx, func(tx *Tx) error {
			for i := lo; i < lo+250; i++ {
				r := randomAlert(rng, i, nCountries)
				if _, err := tx.PutAlert(r); err != nil {
					return err
				}
				stored[r.IRI] = r
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	keys := make([]string, 0, len(stored))
	for k := range stored {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	for i, iri := range keys[:400] {
		if i%4 == 0 {
			if err := db.Update(ctx, func(tx *Tx) error { return tx.DeleteAlert(iri) }); err != nil {
				t.Fatal(err)
			}
			delete(stored, iri)
			continue
		}
		r := randomAlert(rng, 0, nCountries)
		r.IRI, r.Local, r.Origin, r.AccountID = iri, stored[iri].Local, stored[iri].Origin, stored[iri].AccountID
		putAlert(t, db, r)
		if r.Seq != stored[iri].Seq {
			t.Fatalf("update moved %s from seq %s to %s", iri, stored[iri].Seq, r.Seq)
		}
		stored[iri] = r
	}
	checkListingIndexes(t, db)

	bySeq := make([]*AlertRecord, 0, len(stored))
	for _, r := range stored {
		bySeq = append(bySeq, r)
	}
	slices.SortFunc(bySeq, func(a, b *AlertRecord) int { return strings.Compare(b.Seq, a.Seq) })
	for i := range 300 {
		f := randomFilter(rng, nCountries)
		var want []string
		for _, r := range bySeq {
			if matchesAlert(r, f) {
				want = append(want, r.IRI)
			}
		}
		got := listedIRIs(t, db, f)
		if !slices.Equal(got, want) {
			t.Fatalf("filter %d %+v:\n got %d alerts %v\nwant %d alerts %v", i, f, len(got), got, len(want), want)
		}
	}
}

func TestAlertsDueToExpireListsLiveExpiredAlertsSoonestFirst(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	now := t0.Add(10 * 24 * time.Hour)
	mk := func(n int, expires time.Time, status alert.Status) *AlertRecord {
		r := sampleAlert(n, "KE", t0)
		r.Alert.Expires, r.Alert.Status = expires, status
		putAlert(t, db, r)
		return r
	}
	late := mk(1, now.Add(-time.Hour), alert.StatusActive)
	early := mk(2, now.Add(-48*time.Hour), alert.StatusUpdated)
	exact := mk(3, now, alert.StatusActive)
	mk(4, now.Add(-time.Hour), alert.StatusResolved)
	mk(5, now.Add(-time.Hour), alert.StatusRetracted)
	mk(6, time.Time{}, alert.StatusActive)
	mk(7, now.Add(time.Hour), alert.StatusActive)
	mk(8, now.Add(300*time.Millisecond), alert.StatusActive) // same second as now, but later
	handled := mk(9, now.Add(-time.Hour), alert.StatusActive)
	handled.ExpiredAt = now.Add(-30 * time.Minute)
	putAlert(t, db, handled)

	due, err := db.AlertsDueToExpire(ctx, now, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := iriList(due), iriList([]*AlertRecord{early, late, exact}); !slices.Equal(got, want) {
		t.Fatalf("due %v, want %v", got, want)
	}
	if due, _ := db.AlertsDueToExpire(ctx, now, 2); len(due) != 2 || due[0].IRI != early.IRI {
		t.Fatalf("limit 2: %v", iriList(due))
	}

	// The scheduler marks what it handled; a new expiry makes it due again.
	late.ExpiredAt = now
	putAlert(t, db, late)
	handled.Alert.Expires = now.Add(-time.Minute)
	putAlert(t, db, handled)
	if !handled.ExpiredAt.IsZero() {
		t.Fatal("changing Expires kept ExpiredAt")
	}
	due, _ = db.AlertsDueToExpire(ctx, now, 0)
	if got, want := iriList(due), iriList([]*AlertRecord{early, handled, exact}); !slices.Equal(got, want) {
		t.Fatalf("after marking: due %v, want %v", got, want)
	}
	checkListingIndexes(t, db)
}

func TestNotesAreListedByCountryTopicAndOrigin(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	put := func(r *NoteRecord) bool {
		t.Helper()
		var created bool
		if err := db.Update(ctx, func(tx *Tx) error {
			var err error
			created, err = tx.PutNote(r)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return created
	}
	list := func(f NoteFilter) []string {
		t.Helper()
		recs, _, err := db.ListNotes(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range recs {
			out = append(out, r.IRI)
		}
		return out
	}
	note := func(n int, topics []string, countries ...string) *NoteRecord {
		return &NoteRecord{
			IRI:    fmt.Sprintf("https://peer.example/notes/%d", n),
			Origin: "peer.example",
			Note: alert.PracticeNote{
				Title: "Verifying a rumour", Body: "Call two sources.", Topics: topics,
				Countries: countries, Language: "en", Published: t0.Add(time.Duration(n) * time.Hour),
			},
		}
	}
	n1 := note(1, []string{"Voter education"}, "KE")
	n2 := note(2, []string{"observer safety", "phones"})
	n3 := note(3, []string{"Phones"}, "NG", "KE")
	n3.Local, n3.Origin = true, ""
	for _, n := range []*NoteRecord{n1, n2, n3} {
		if !put(n) {
			t.Fatalf("PutNote(%s): created = false", n.IRI)
		}
	}
	if n1.Note.ID != n1.Seq || n1.Note.URI != n1.IRI {
		t.Fatalf("note not stamped: %+v", n1)
	}
	cases := []struct {
		f    NoteFilter
		want []string
	}{
		{NoteFilter{}, []string{n3.IRI, n2.IRI, n1.IRI}},
		{NoteFilter{Countries: []string{"KE"}}, []string{n3.IRI, n1.IRI}},
		{NoteFilter{Topics: []string{"PHONES"}}, []string{n3.IRI, n2.IRI}},
		{NoteFilter{Topics: []string{"phones"}, Origin: OriginPeer}, []string{n2.IRI}},
		{NoteFilter{Since: t0.Add(2 * time.Hour)}, []string{n3.IRI, n2.IRI}},
		{NoteFilter{Limit: 1, MaxSeq: n3.Seq}, []string{n2.IRI}},
	}
	for _, c := range cases {
		if got := list(c.f); !slices.Equal(got, c.want) {
			t.Errorf("%+v: %v, want %v", c.f, got, c.want)
		}
	}

	n3.Note.Topics = []string{"Voter education"}
	n3.Moderation = ModPending
	if put(n3) {
		t.Fatal("update: created = true")
	}
	if got := list(NoteFilter{Topics: []string{"phones"}}); !slices.Equal(got, []string{n2.IRI}) {
		t.Errorf("after update, phones: %v", got)
	}
	if got := list(NoteFilter{Moderation: []string{ModPending}}); !slices.Equal(got, []string{n3.IRI}) {
		t.Errorf("after update, pending: %v", got)
	}
	if err := db.Update(ctx, func(tx *Tx) error { return tx.DeleteNote(n2.IRI) }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Note(ctx, n2.IRI); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted note: %v", err)
	}
	if got, err := db.Note(ctx, n1.IRI); err != nil || got.Note.Topics[0] != "Voter education" {
		t.Fatalf("Note(%s): %+v, %v", n1.IRI, got, err)
	}
	checkListingIndexes(t, db)
}

func TestSummaryIsCompactAndMatchesByCode(t *testing.T) {
	db := newTestDB(t)
	r := sampleAlert(1, "KE", t0)
	r.Alert.Countries = []string{"KE", "NG"}
	putAlert(t, db, r)
	err := db.View(context.Background(), func(tx *Tx) error {
		v := tx.tx.Bucket(bucketAlertsBySeq).Get([]byte(r.Seq))
		if n := len(v) - len(r.IRI); n > 32 {
			t.Errorf("summary is %d bytes", n)
		}
		q := newQuery(alertFieldCount, t0, t0.Add(time.Second), 20, "")
		q.codes = make([][]uint64, alertFieldCount)
		q.codes[alertCountry] = []uint64{99, 2} // NG got code 2
		end, ok, err := q.match(v)
		if err != nil || !ok || string(v[end:]) != r.IRI {
			t.Errorf("match: %q %v %v", v[end:], ok, err)
		}
		q.codes[alertCountry] = []uint64{3}
		if _, ok, _ := q.match(v); ok {
			t.Error("matched a country the alert does not list")
		}
		if _, _, err := q.match(v[:12]); err == nil {
			t.Error("truncated summary read without error")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestAlertAndNoteBySeq(t *testing.T) {
	db := newTestDB(t)
	ctx := context.Background()
	var recs []*AlertRecord
	for i := range 3 {
		r := sampleAlert(i, "KE", time.Now().Add(time.Duration(i)*time.Minute))
		if err := db.Update(ctx, func(t *Tx) error { _, err := t.PutAlert(r); return err }); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	for _, r := range recs {
		got, err := db.AlertBySeq(ctx, r.Seq)
		if err != nil || got.IRI != r.IRI {
			t.Errorf("AlertBySeq(%s) = %v, %v; want %s", r.Seq, got, err, r.IRI)
		}
	}
	if _, err := db.AlertBySeq(ctx, "01ZZZZZZZZZZZZZZZZZZZZZZZZ"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown seq: %v", err)
	}
}
