// Command odptool does the byte work of rules_odp: deterministic layers,
// Debian package repacking, image assembly and publishing.
//
// Usage: odptool <noun> <verb> [flags] [args]; odptool help lists the verbs.
package main

import (
	"fmt"
	"os"

	"github.com/rules-odp/rules_odp/tools/internal/cli"
)

func main() {
	if err := cli.Run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if err != cli.ErrUsage {
			fmt.Fprintf(os.Stderr, "odptool: %v\n", err)
		}
		os.Exit(cli.ExitCode(err))
	}
}
