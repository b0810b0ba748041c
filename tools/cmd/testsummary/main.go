// Command testsummary reads `go test -json` on stdin, prints the output of
// failed tests and ends with "go: N passed, N failed" counting top-level
// tests. CI reads one plain line; go test's own summary is per package.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

func main() {
	passed, failed := 0, 0
	output := map[string][]string{}
	var failedTests, buildErrors []string
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			buildErrors = append(buildErrors, sc.Text()) // compiler output is not JSON
			continue
		}
		key := e.Package + " " + e.Test
		switch e.Action {
		case "output":
			if e.Test != "" {
				output[key] = append(output[key], e.Output)
			} else if strings.Contains(e.Output, "FAIL") || strings.Contains(e.Output, "panic") {
				output[key] = append(output[key], e.Output)
			}
		case "pass", "fail":
			if e.Test == "" {
				if e.Action == "fail" && len(output[key]) > 0 {
					buildErrors = append(buildErrors, output[key]...)
				}
				continue
			}
			if strings.Contains(e.Test, "/") {
				continue
			}
			if e.Action == "pass" {
				passed++
				delete(output, key)
			} else {
				failed++
				failedTests = append(failedTests, key)
			}
		}
	}
	sort.Strings(failedTests)
	for _, k := range failedTests {
		fmt.Printf("--- FAIL: %s\n%s", k, strings.Join(output[k], ""))
	}
	for _, l := range buildErrors {
		fmt.Println(strings.TrimRight(l, "\n"))
	}
	if len(buildErrors) > 0 && failed == 0 {
		failed++
	}
	fmt.Printf("go: %d passed, %d failed\n", passed, failed)
}
