package ap

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/go-fed/activity/streams"
)

// BenchmarkParseCreateNote parses the payload of the ceilings'
// ParseCreateNote (json.Unmarshal + streams.ToType, ~150 µs there); compare
// the two in the same run. BenchmarkGoFedToTypeCreateNote is that ceiling.
func BenchmarkParseCreateNote(b *testing.B) {
	raw, err := os.ReadFile("testdata/create_note.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGoFedToTypeCreateNote(b *testing.B) {
	raw, err := os.ReadFile("testdata/create_note.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	ctx := context.Background()
	for b.Loop() {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			b.Fatal(err)
		}
		if _, err := streams.ToType(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkActorDocument(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ActorDocument(aliceInfo); err != nil {
			b.Fatal(err)
		}
	}
}
