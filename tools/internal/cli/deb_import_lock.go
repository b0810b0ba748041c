package cli

import (
	"flag"
	"fmt"

	"github.com/rules-odp/rules_odp/tools/internal/atomicfile"
	"github.com/rules-odp/rules_odp/tools/internal/budget"
	"github.com/rules-odp/rules_odp/tools/internal/debresolve"
)

func init() {
	register(&Command{
		Noun: "deb", Verb: "import-lock",
		Args:    "--from rules_distroless --out LOCK.json [--arch ARCH] OTHER.lock.json",
		Summary: "convert another rule set's Debian lock file into ours",
		Help: `Converts a lock written by another rule set into the lock format of
odptool deb lock (docs/deb-lock.md), keeping every package's exact version
and SHA-256, so that switching rule sets changes no .deb.

--from rules_distroless reads the *.lock.json of rules_distroless's apt
extension ("version": 1, rules_distroless 0.3 to 0.5: "url" or "urls"). Our
filename is the archive's pool path, cut from the package's URL at /pool/;
the package's architecture (all or ARCH) is read from the pool file's name.
A lock holding several architectures needs --arch. What cannot be mapped
(no /pool/ in a URL, a pool file named for another package or version, a
package listed twice, a dependency the lock does not hold) is an error
naming the package; nothing is written then.`,
		Flags: func(fs *flag.FlagSet, env *Env) func([]string) error {
			from := fs.String("from", "", "the rule set that wrote the lock: rules_distroless (required)")
			out := fs.String("out", "", "lock file to write (required; written atomically)")
			arch := fs.String("arch", "", "architecture to import (default: the lock's only one)")
			return func(args []string) error {
				if len(args) != 1 {
					return usagef(env, "want exactly one lock file, got %d arguments", len(args))
				}
				if *out == "" {
					return usagef(env, "--out is required")
				}
				if *from != debresolve.ImportedFromDistroless {
					return usagef(env, "--from %q: the only lock format known is rules_distroless", *from)
				}
				data, err := budget.ReadFile(args[0], budget.SpecJSONBytes)
				if err != nil {
					return err
				}
				lock, err := debresolve.ImportDistrolessLock(data, *arch)
				if err != nil {
					return fmt.Errorf("importing %q: %w", args[0], err)
				}
				if err := atomicfile.Write(*out, lock.Encode); err != nil {
					return err
				}
				fmt.Fprintf(env.Stdout, "imported %d packages for %s from %s into %s\n", len(lock.Packages), lock.Arch, args[0], *out)
				return nil
			}
		},
	})
}
