package budget_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/budget"
)

// TestDocsListEveryBudget keeps docs/inputs.md in step with the constants:
// each has a row naming it, with its value.
func TestDocsListEveryBudget(t *testing.T) {
	if os.Getenv("TEST_SRCDIR") != "" {
		t.Skip("under Bazel the docs are not in the test's inputs; scripts/test.sh runs this with go test")
	}
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "inputs.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	bytes := func(v int64) string {
		for _, u := range []struct {
			name string
			size int64
		}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
			if v >= u.size && v%u.size == 0 {
				return fmt.Sprintf("%d %s", v/u.size, u.name)
			}
		}
		return fmt.Sprint(v)
	}
	count := func(v int64) string { return fmt.Sprint(v) }
	for name, want := range map[string]string{
		"ImageJSONBytes":    bytes(budget.ImageJSONBytes),
		"SpecJSONBytes":     bytes(budget.SpecJSONBytes),
		"JSONDepth":         count(budget.JSONDepth),
		"IndexDepth":        count(budget.IndexDepth),
		"IndexEntries":      count(budget.IndexEntries),
		"TarEntries":        count(budget.TarEntries),
		"TarNameBytes":      count(budget.TarNameBytes),
		"TarPAXBytes":       bytes(budget.TarPAXBytes),
		"TarHeaderBytes":    bytes(budget.TarHeaderBytes),
		"RunTarEntries":     count(budget.RunTarEntries),
		"RunHeaderBytes":    bytes(budget.RunHeaderBytes),
		"Ratio":             count(budget.Ratio),
		"RatioFloor":        bytes(budget.RatioFloor),
		"JarNesting":        count(budget.JarNesting),
		"JarHeldBytes":      bytes(budget.JarHeldBytes),
		"JarEntries":        count(budget.JarEntries),
		"JarManifestBytes":  bytes(budget.JarManifestBytes),
		"DebEntries":        count(budget.DebEntries),
		"DebFileBytes":      bytes(budget.DebFileBytes),
		"DebTotalSize":      bytes(budget.DebTotalSize),
		"DpkgFileBytes":     bytes(budget.DpkgFileBytes),
		"DpkgTotalBytes":    bytes(budget.DpkgTotalBytes),
		"ManifestLineBytes": bytes(budget.ManifestLineBytes),
		"LauncherBytes":     bytes(budget.LauncherBytes),
	} {
		var row string
		for _, line := range strings.Split(doc, "\n") {
			if strings.Contains(line, "| `budget."+name+"` |") {
				row = line
			}
		}
		if row == "" {
			t.Errorf("docs/inputs.md has no row for budget.%s", name)
			continue
		}
		if cells := strings.Split(row, "|"); len(cells) < 4 || strings.TrimSpace(cells[2]) != want {
			t.Errorf("docs/inputs.md gives budget.%s as %q, the constant is %s", name, strings.TrimSpace(cells[2]), want)
		}
	}
}
