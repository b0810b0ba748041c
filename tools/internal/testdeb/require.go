package testdeb

import (
	"fmt"
	"os"
	"testing"
)

// Unavailable stops a test that cannot run because something outside the
// repository is missing: it fails when CI=true, so that CI never passes by
// skipping, and skips otherwise.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI=true: a missing prerequisite is a failure)", msg)
	}
	t.Skip(msg)
}
