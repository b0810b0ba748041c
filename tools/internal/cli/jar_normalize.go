package cli

import (
	"flag"

	"github.com/rules-odp/rules_odp/tools/internal/jarnorm"
)

func init() {
	register(&Command{
		Noun:    "jar",
		Verb:    "normalize",
		Args:    "--out OUT.jar [flags] IN.jar",
		Summary: "rewrite a jar so its bytes depend only on its content",
		Help: `
Rewrites IN.jar deterministically: entries sorted (META-INF/ and the manifest
first), one fixed timestamp, no extra fields, comments or file modes, each
entry's compression method kept (deflated bytes are copied, not recompressed),
volatile manifest attributes (Built-By, Build-Jdk, Created-By, ...) removed and
nested jars (e.g. Spring Boot's BOOT-INF/lib/*.jar) normalised too. Jars that
are inconsistent or hostile (duplicate or escaping names, encrypted entries,
local headers that disagree with the central directory) are refused.

The environment variable SOURCE_DATE_EPOCH is deliberately not read: pass
--source-date-epoch to choose the timestamp.`,
		Flags: func(fs *flag.FlagSet, env *Env) func(args []string) error {
			out := fs.String("out", "", "output jar (required; written atomically)")
			epoch := fs.String("source-date-epoch", "", "timestamp for every entry, in seconds since 1970-01-01 UTC (default: 1980-01-01 00:00:00, the earliest a zip can hold)")
			var drop stringList
			fs.Var(&drop, "drop-manifest-attr", "manifest attribute to remove from the main section, in addition to the built-in list (repeatable)")
			nested := fs.Bool("nested", true, "also normalise nested *.jar entries")
			recompress := fs.Bool("recompress", false, "recompress deflated entries with the pinned deflater instead of copying their compressed bytes")
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
				}
				if *epoch != "" {
					t, err := jarnorm.ParseSourceDateEpoch(*epoch)
					if err != nil {
						return usagef(env, "--source-date-epoch: %v", err)
					}
					opts.Modified = t
				}
				return jarnorm.NormalizeFile(*out, args[0], opts)
			}
		},
	})
}
