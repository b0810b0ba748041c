package cli

import (
	"flag"

	"github.com/rules-odp/rules_odp/tools/internal/fingerprint"
	"github.com/rules-odp/rules_odp/tools/internal/jarnorm"
	"github.com/rules-odp/rules_odp/tools/internal/sde"
)

func init() {
	register(&Command{
		Noun:    "jar",
		Verb:    "normalize",
		Args:    "--out OUT.jar [flags] IN.jar",
		Summary: "rewrite a jar so its bytes depend only on its content",
		Help: `
Rewrites IN.jar deterministically: entries kept in the input's order (only
META-INF/ and the manifest move to the front, where JarInputStream needs
them: Spring Boot without BOOT-INF/classpath.idx builds its class path in
entry order), one fixed timestamp, no extra fields, comments or file modes, each
entry's compression method kept (deflated bytes are copied, not recompressed),
volatile manifest attributes (Built-By, Build-Jdk, Created-By, ...) removed and
nested jars (e.g. Spring Boot's BOOT-INF/lib/*.jar) normalised too. Jars that
are inconsistent or hostile (duplicate or escaping names, encrypted entries,
local headers that disagree with the central directory, order included) are
refused. --sort-entries sorts the entries by name instead, at every nesting
level: only for jars whose readers ignore the order.
Every entry's time is SOURCE_DATE_EPOCH (the flag, else the environment
variable, else 0), clamped to 1980-01-01, the earliest a zip holds.`,
		Flags: func(fs *flag.FlagSet, env *Env) func(args []string) error {
			out := fs.String("out", "", "output jar (required; written atomically)")
			epoch := sourceDateEpochFlag(fs, "time of every entry, clamped to 1980-01-01")
			var drop stringList
			fs.Var(&drop, "drop-manifest-attr", "manifest attribute to remove from the main section, in addition to the built-in list (repeatable)")
			nested := fs.Bool("nested", true, "also normalise nested *.jar entries")
			recompress := fs.Bool("recompress", false, "recompress deflated entries with the pinned deflater instead of copying their compressed bytes")
			sortEntries := fs.Bool("sort-entries", false, "sort the entries by name (META-INF/ first) instead of keeping the input's order; changes which class wins where the class path follows entry order")
			return func(args []string) error {
				if len(args) != 1 {
					return usagef(env, "want exactly one input jar, got %d arguments", len(args))
				}
				if *out == "" {
					return usagef(env, "--out is required")
				}
				opts := jarnorm.Options{
					DropManifestAttributes: drop,
					SkipNested:             !*nested,
					Recompress:             *recompress,
					SortEntries:            *sortEntries,
				}
				modified, err := sde.Resolve(*epoch, env.getenv)
				if err != nil {
					return usagef(env, "%v", err)
				}
				opts.Modified = sde.Time(modified)
				if err := fingerprint.Require(fingerprint.ProbeJarDeflate); err != nil {
					return err
				}
				return jarnorm.NormalizeFile(*out, args[0], opts)
			}
		},
	})
}
