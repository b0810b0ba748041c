package cli

import (
	"flag"
	"fmt"

	"github.com/rules-odp/rules_odp/tools/internal/image"
)

func init() {
	register(&Command{
		Noun:    "image",
		Verb:    "digest",
		Args:    "LAYOUT",
		Summary: "print the manifest digest of an OCI layout",
		Help: `Prints the digest (sha256:...) of the one manifest the layout's index.json
lists, after verifying that blob. This is the digest a push publishes and
Confidential Space attests to.`,
		Flags: func(fs *flag.FlagSet, env *Env) func([]string) error {
			return func(args []string) error {
				if len(args) != 1 {
					return usagef(env, "want exactly one LAYOUT, got %d arguments", len(args))
				}
				d, err := image.Digest(args[0])
				if err != nil {
					return err
				}
				fmt.Fprintln(env.Stdout, d)
				return nil
			}
		},
	})
}
