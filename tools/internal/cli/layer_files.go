package cli

import (
	"flag"
	"fmt"

	"github.com/rules-odp/rules_odp/tools/internal/budget"
	"github.com/rules-odp/rules_odp/tools/internal/filespec"
	"github.com/rules-odp/rules_odp/tools/internal/layer"
)

func init() {
	register(&Command{
		Noun: "layer", Verb: "files",
		Args:    "--out LAYER.tar[.gz] [--file IMAGE_PATH=SRC[:MODE]]... [--spec SPEC.json]",
		Summary: "write a layer from an explicit list of files",
		Help: `Writes one deterministic layer from files given explicitly, e.g. the
workload layer binary_tar.tar holding /<service>_application.jar and
native libraries. A SRC directory is copied recursively. SPEC.json is a
JSON array of {"path", "src", "type" (file|dir|symlink), "target",
"mode" (octal string), "uid", "gid"} objects; unknown fields are errors.
Modes default to 0755 for directories and owner-executable sources and
0644 otherwise, whatever the umask gave the source.`,
		Flags: func(fs *flag.FlagSet, env *Env) func([]string) error {
			out := fs.String("out", "", "output layer, *.tar (or *.tar.gz with --compression gzip)")
			var files stringList
			fs.Var(&files, "file", "IMAGE_PATH=SRC[:MODE] (repeatable)")
			spec := fs.String("spec", "", "JSON file spec (see above)")
			lf := layerFlags(fs, env)
			return func(args []string) error {
				if *out == "" {
					return usagef(env, "--out is required")
				}
				if len(args) > 0 {
					return usagef(env, "unexpected arguments %q", args)
				}
				var entries []layer.Entry
				given := len(files)
				if *spec != "" {
					data, err := budget.ReadFile(*spec, budget.SpecJSONBytes)
					if err != nil {
						return fmt.Errorf("reading spec: %w", err)
					}
					items, err := filespec.Parse(data)
					if err != nil {
						return fmt.Errorf("%s: %w", *spec, err)
					}
					given += len(items)
					if entries, err = filespec.Entries(items); err != nil {
						return fmt.Errorf("%s: %w", *spec, err)
					}
				}
				var items []filespec.Item
				for _, f := range files {
					it, err := filespec.ParseFlag(f)
					if err != nil {
						return err
					}
					items = append(items, it)
				}
				flagged, err := filespec.Entries(items)
				if err != nil {
					return err
				}
				entries = append(entries, flagged...)
				if given == 0 {
					return usagef(env, "no files given (use --file or --spec)")
				}
				opts, err := lf.options(*out)
				if err != nil {
					return err
				}
				res, err := layer.WriteFile(*out, entries, opts)
				if err != nil {
					return fmt.Errorf("writing %s: %w", *out, err)
				}
				return printResult(env, *out, res)
			}
		},
	})
}
