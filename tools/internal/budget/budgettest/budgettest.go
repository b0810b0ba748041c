// Package budgettest checks, in tests, that a refusal of a hostile input
// stays within a budget of memory and does not panic.
package budgettest

import (
	"runtime"
	"runtime/debug"
	"testing"
)

// Bounded runs fn and returns its error. The test fails if fn panics or if
// the memory allocated while it ran (runtime.MemStats.TotalAlloc, which
// counts every allocation, freed or not, so it bounds the peak from above)
// exceeds limit bytes. No wall-clock time is measured.
func Bounded(t testing.TB, limit uint64, fn func() error) (err error) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("panic: %v\n%s", r, debug.Stack())
			}
		}()
		err = fn()
	}()
	runtime.ReadMemStats(&after)
	if used := after.TotalAlloc - before.TotalAlloc; used > limit {
		t.Errorf("allocated %d MiB, more than the %d MiB allowed", used>>20, limit>>20)
	}
	return err
}
