package cli

import (
	"encoding/json"
	"flag"

	"github.com/rules-odp/rules_odp/tools/internal/image"
)

func init() {
	register(&Command{
		Noun:    "image",
		Verb:    "inspect",
		Args:    "[--json] LAYOUT",
		Summary: "show manifest digest, image ID and layers of an OCI layout",
		Help: `Prints the manifest digest, the image ID (config digest), the platform and,
per layer, its digest, diff_id, size and media type. The layout must hold
exactly one image manifest.`,
		Flags: func(fs *flag.FlagSet, env *Env) func([]string) error {
			asJSON := fs.Bool("json", false, "print one JSON object instead of text")
			return func(args []string) error {
				if len(args) != 1 {
					return usagef(env, "want exactly one LAYOUT, got %d arguments", len(args))
				}
				info, err := image.Inspect(args[0])
				if err != nil {
					return err
				}
				if *asJSON {
					enc := json.NewEncoder(env.Stdout)
					enc.SetIndent("", "  ")
					return enc.Encode(info)
				}
				return info.WriteText(env.Stdout)
			}
		},
	})
}
