package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"

	"github.com/rules-odp/rules_odp/tools/internal/buildinfo"
	"github.com/rules-odp/rules_odp/tools/internal/fingerprint"
)

func init() {
	register(&Command{
		Noun:    "version",
		Args:    "[--json]",
		Summary: "print odptool's version and the Go and module versions it was built with",
		Help: `Prints the release version (devel for a build that is not a release),
the Go toolchain, the platform and every Go module linked in, with its
go.sum hash, as the Go linker recorded them (a rules_go build records no
modules). Provenance statements list the same.`,
		Flags: func(fs *flag.FlagSet, env *Env) func([]string) error {
			asJSON := fs.Bool("json", false, "print one JSON object")
			return func(args []string) error {
				if len(args) != 0 {
					return usagef(env, "no arguments expected")
				}
				info := buildinfo.Read()
				if *asJSON {
					enc := json.NewEncoder(env.Stdout)
					enc.SetIndent("", "  ")
					return enc.Encode(info)
				}
				fmt.Fprintf(env.Stdout, "odptool %s (%s, %s)\n", info.Version, info.GoVersion, info.Platform)
				if len(info.Modules) == 0 {
					fmt.Fprintln(env.Stdout, "modules: not recorded in this binary")
				}
				for _, m := range info.Modules {
					line := fmt.Sprintf("  %s %s", m.Path, m.Version)
					if m.Replaced != "" {
						line += " (replaces " + m.Replaced + ")"
					}
					if m.Sum != "" {
						line += " " + m.Sum
					}
					fmt.Fprintln(env.Stdout, line)
				}
				return nil
			}
		},
	})
	register(&Command{
		Noun:    "selfcheck",
		Args:    "",
		Summary: "check that this odptool writes the golden bytes (tar, gzip, jar, image config)",
		Help: `Runs a fixed corpus through every path that decides output bytes (the tar
writer, the pinned gzip in one and several blocks, the jar re-deflater, the
image config and manifest) and compares the digests with the golden ones
built into odptool. Exits 1, naming the Go and compressor module versions
it was built with, when any differs: an odptool built with another
compressor would give other image digests than everyone else's. Verbs that
write bytes run the probes of their own paths first.`,
		Flags: func(fs *flag.FlagSet, env *Env) func([]string) error {
			return func(args []string) error {
				if len(args) != 0 {
					return usagef(env, "no arguments expected")
				}
				res, err := fingerprint.Verify()
				var mismatch *fingerprint.Mismatch
				if err != nil && !errors.As(err, &mismatch) {
					return err
				}
				for _, r := range res {
					status := "ok"
					if !r.OK() {
						status = "MISMATCH"
					}
					fmt.Fprintf(env.Stdout, "%-8s %-28s %s\n", status, r.Probe, r.Got)
				}
				return err
			}
		},
	})
}
