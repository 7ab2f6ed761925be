package fuzzrun

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// targets are the module's fuzz targets, by package.
var targets = []struct{ pkg, name string }{
	{"federation/ap", "FuzzParse"},
	{"federation/signature", "FuzzParseSignatureHeader"},
	{"federation/signature", "FuzzVerifyRequest"},
	{"federation/fetch", "FuzzCheckURL"},
	{"federation", "FuzzInbox"},
	{"federation", "FuzzWebFingerClient"},
	{"federation", "FuzzNodeInfoClient"},
	{"alert", "FuzzRenderMarkdown"},
	{"alert", "FuzzFlattenHTML"},
	{"handlers", "FuzzWebFingerResource"},
	{"handlers", "FuzzMastodonPagination"},
	{"handlers", "FuzzMastodonStatusCreate"},
	{"handlers", "FuzzMastodonSearch"},
	{"handlers", "FuzzAlertForm"},
}

var (
	execsRE   = regexp.MustCompile(`fuzz: elapsed: \S+, execs: (\d+) `)
	crasherRE = regexp.MustCompile(`Failing input written to (testdata/fuzz/\S+)`)
)

// TestFuzzTargets runs each fuzz target for TOCSIN_FUZZTIME (default 4s;
// "0" skips), one after another, and fails on any crasher, printing the
// input Go wrote to the package's testdata/fuzz (commit it once fixed: it
// becomes a regression seed). Each package's test binary is built once,
// instrumented (`go test -c -fuzz`), and run per target with
// -test.fuzz, which is what `go test -fuzz` does without relinking for
// every target. It reports the executions of each target. Skipped with
// -short.
//
// To fuzz longer: TOCSIN_FUZZTIME=60s go test -run TestFuzzTargets -v -timeout 60m ./internal/fuzzrun/
func TestFuzzTargets(t *testing.T) {
	if testing.Short() {
		t.Skip("fuzzing is skipped with -short")
	}
	fuzztime := os.Getenv("TOCSIN_FUZZTIME")
	if fuzztime == "" {
		fuzztime = "4s"
	}
	if fuzztime == "0" {
		t.Skip("TOCSIN_FUZZTIME=0")
	}
	per, err := time.ParseDuration(fuzztime)
	if err != nil {
		t.Fatalf("TOCSIN_FUZZTIME=%q: %v", fuzztime, err)
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not at %s: %v", root, err)
	}
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		if gobin, err = exec.LookPath("go"); err != nil {
			t.Fatalf("no go command: %v", err)
		}
	}
	bins := t.TempDir()
	built := map[string]string{} // package -> instrumented test binary
	var total int64
	start := time.Now()
	for _, tg := range targets {
		t.Run(strings.ReplaceAll(tg.pkg, "/", "_")+"/"+tg.name, func(t *testing.T) {
			// Bounded: building, setting up and the fuzzing time.
			ctx, cancel := context.WithTimeout(context.Background(), per+5*time.Minute)
			defer cancel()
			bin, ok := built[tg.pkg]
			if !ok {
				bin = filepath.Join(bins, strings.ReplaceAll(tg.pkg, "/", "_")+".test")
				cmd := exec.CommandContext(ctx, gobin, "test", "-c", "-fuzz", "^"+tg.name+"$", "-o", bin, "./"+tg.pkg)
				cmd.Dir = root
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("building %s for fuzzing: %v\n%s", tg.pkg, err, out)
				}
				built[tg.pkg] = bin
			}
			cmd := exec.CommandContext(ctx, bin, "-test.run=^$", "-test.fuzz=^"+tg.name+"$",
				"-test.fuzztime="+per.String(), "-test.fuzzminimizetime=30x", "-test.timeout=10m",
				"-test.fuzzcachedir="+t.TempDir())
			cmd.Dir = filepath.Join(root, tg.pkg) // testdata/ is read and written relative to it
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			runErr := cmd.Run()
			execs := int64(0)
			if m := execsRE.FindAllStringSubmatch(out.String(), -1); len(m) > 0 {
				execs, _ = strconv.ParseInt(m[len(m)-1][1], 10, 64)
			}
			total += execs
			if runErr != nil {
				msg := fmt.Sprintf("%s %s: %v\n%s", tg.pkg, tg.name, runErr, tail(out.String(), 4000))
				if m := crasherRE.FindStringSubmatch(out.String()); m != nil {
					file := filepath.Join(root, tg.pkg, m[1])
					b, _ := os.ReadFile(file)
					msg += fmt.Sprintf("\ncrasher %s (commit it as a regression seed once fixed):\n%s", file, b)
				}
				t.Fatal(msg)
			}
			// Seeds and testdata/fuzz inputs ran and passed; with a slow
			// set-up, the time may end before new inputs are tried.
			t.Logf("%s %s: %d executions of new inputs in %s", tg.pkg, tg.name, execs, per)
		})
	}
	t.Logf("%d fuzz targets, %d executions, %s in all", len(targets), total, time.Since(start).Round(time.Second))
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
