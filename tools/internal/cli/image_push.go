package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/rules-odp/rules_odp/tools/internal/registry"
)

func init() {
	register(&Command{
		Noun:    "image",
		Verb:    "push",
		Args:    "--repository REPO [--tag TAG]... [--record PATH] LAYOUT",
		Summary: "push an OCI layout by digest, then tag it",
		Help: `Pushes the layout's one image manifest with its exact bytes to REPO by
digest (blobs the registry has are skipped; transient failures are retried
with bounded backoff), checks that the registry serves that digest, then
sets each --tag and checks it too. A tag is never set if the push failed.
Prints REPO@DIGEST as the last line.

Credentials come from, in order: $REGISTRY_AUTH_FILE,
$XDG_RUNTIME_DIR/containers/auth.json, ~/.config/containers/auth.json
($XDG_CONFIG_HOME), $DOCKER_CONFIG/config.json or ~/.docker/config.json
(credential helpers included). Registries on localhost/127.0.0.1/[::1] are
reached over plain HTTP; --insecure allows it for any registry.`,
		Flags: func(fs *flag.FlagSet, env *Env) func([]string) error {
			repo := fs.String("repository", "", "REGISTRY/PATH to push to (the registry host is required)")
			var tags stringList
			fs.Var(&tags, "tag", "tag to set after the push (repeatable)")
			record := fs.String("record", "", "write JSON Lines {\"image\": \"REPO:TAG\", \"digest\": \"sha256:...\"}, one per tag, to this file")
			insecure := fs.Bool("insecure", false, "allow plain HTTP to the registry")
			return func(args []string) error {
				if len(args) != 1 {
					return usagef(env, "want exactly one LAYOUT, got %d arguments", len(args))
				}
				if *repo == "" {
					return usagef(env, "--repository is required")
				}
				opts := registry.PushOptions{
					Repository: *repo,
					Tags:       tags,
					Insecure:   *insecure,
					Keychain:   registry.NewKeychain(env.getenv),
				}
				if registry.IsTerminal(env.Stderr) {
					opts.Progress = env.Stderr
				}
				pushed, err := registry.Push(context.Background(), args[0], opts)
				if err != nil {
					return err
				}
				if *record != "" {
					if err := registry.WriteRecord(*record, pushed); err != nil {
						return fmt.Errorf("%s was pushed, but writing the record failed: %w", pushed.Reference(), err)
					}
				}
				fmt.Fprintln(env.Stdout, pushed.Reference())
				return nil
			}
		},
	})
}
