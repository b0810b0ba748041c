package debresolve_test

import (
	"bytes"
	"math/rand"
	"os"
	"testing"
	"time"

	"github.com/rules-odp/rules_odp/tools/internal/debresolve"
)

func TestScratchHang(t *testing.T) {
	if os.Getenv("SCRATCH_HANG") == "" {
		t.Skip()
	}
	a, _ := os.ReadFile(indexA)
	rng := rand.New(rand.NewSource(1))
	for iter := 0; iter < 2000; iter++ {
		data := append([]byte(nil), a...)
		for k := 0; k < 1+rng.Intn(4); k++ {
			i, j := rng.Intn(len(data)), rng.Intn(len(data))
			data[i] = data[j]
		}
		ix := debresolve.NewIndex("amd64")
		if err := ix.Read(bytes.NewReader(data), "x"); err != nil {
			continue
		}
		for _, line := range bytes.Split(data, []byte("\n")) {
			name, ok := bytes.CutPrefix(line, []byte("Package: "))
			if !ok || len(ix.Versions(string(name))) == 0 {
				continue
			}
			done := make(chan bool)
			go func() { debresolve.Resolve(ix, debresolve.Request{Roots: []string{string(name)}}); close(done) }()
			select {
			case <-done:
			case <-time.After(2 * time.Second):
				os.WriteFile("/tmp/deblock/hang.Packages", data, 0o644)
				t.Fatalf("iteration %d: resolving %s hangs", iter, name)
			}
		}
	}
}
