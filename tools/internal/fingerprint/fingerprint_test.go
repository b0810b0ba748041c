package fingerprint_test

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rules-odp/rules_odp/tools/internal/fingerprint"
)

var update = flag.Bool("update", false, "rewrite golden.txt from this build")

// The probes give the recorded digests. A failure here means a change
// would move the digest of every image rules_odp builds.
func TestGolden(t *testing.T) {
	got, err := fingerprint.Run(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("golden.txt", []byte(fingerprint.FormatGolden(got)), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if diff := cmp.Diff(fingerprint.Golden(), got); diff != "" {
		t.Errorf("probe digests differ from golden.txt (-want +got):\n%s", diff)
	}
	if _, err := fingerprint.Verify(); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if err := fingerprint.Require(fingerprint.ProbesFor(true)...); err != nil {
		t.Errorf("Require: %v", err)
	}
}

// Every probe has a golden digest and every golden digest a probe, so a
// probe cannot be added (or dropped) without recording it.
func TestGoldenCoversProbes(t *testing.T) {
	got, err := fingerprint.Run(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	golden := fingerprint.Golden()
	if len(golden) != len(got) || len(got) < 6 {
		t.Fatalf("%d probes, %d golden digests", len(got), len(golden))
	}
	for n := range got {
		if _, ok := golden[n]; !ok {
			t.Errorf("probe %q has no golden digest", n)
		}
	}
}

// A mismatch names the probe, both digests and the modules that decide the
// bytes.
func TestMismatchMessage(t *testing.T) {
	res := fingerprint.Check(map[string]string{fingerprint.ProbeGzipSmall: "sha256:00"})
	err := &fingerprint.Mismatch{Failed: res}
	for _, want := range []string{fingerprint.ProbeGzipSmall, "got sha256:00", "github.com/klauspost/compress", "go.mod"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err.Error(), want)
		}
	}
}

// The cost Require adds to a verb (once per process).
func BenchmarkCheapProbes(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := fingerprint.Run("", fingerprint.ProbeTar, fingerprint.ProbeGzipSmall, fingerprint.ProbeJarDeflate); err != nil {
			b.Fatal(err)
		}
	}
}
