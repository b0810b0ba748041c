package cli

import (
	"flag"
	"fmt"
	"os"

	"github.com/rules-odp/rules_odp/tools/internal/fingerprint"
	"github.com/rules-odp/rules_odp/tools/internal/image"
	"github.com/rules-odp/rules_odp/tools/internal/layer"
	"github.com/rules-odp/rules_odp/tools/internal/sde"
)

func init() {
	register(&Command{
		Noun:    "image",
		Verb:    "assemble",
		Args:    "--out DIR [flags] LAYER...",
		Summary: "assemble an OCI image layout from a base, a config and layers",
		Help: `Writes an OCI image layout with exactly one manifest: the base's layers
(linked, never re-read or recompressed), then LAYER... in the given order,
and a config merged from the base's and CONFIG.json. The output does not
depend on the clock, user, umask or working directory. Prints the manifest
digest. See docs/image.md for the contract (media types, env merge, history,
created, launch policy).`,
		Flags: func(fs *flag.FlagSet, env *Env) func([]string) error {
			out := fs.String("out", "", "output OCI layout directory (replaced atomically)")
			base := fs.String("base", "", "base OCI layout directory (default: scratch)")
			platform := fs.String("platform", image.DefaultPlatform.String(), "os/arch[/variant] to pick from a base index, and of a scratch image")
			config := fs.String("config", "", "CONFIG.json: Entrypoint, Cmd, Env, Labels, User, WorkingDir, ExposedPorts, StopSignal")
			policy := fs.String("launch-policy", "", "POLICY.json: Confidential Space launch policy, rendered as tee.launch_policy.* labels")
			epoch := sourceDateEpochFlag(fs, "config and history `created` time")
			compression := fs.String("compression", "none", "uncompressed tar layers are kept (none) or compressed with the pinned gzip (gzip); compressed layers are never recompressed")
			verify := fs.Bool("verify-base", false, "also read uncompressed base layers in full to verify their digests (compressed ones always are)")
			digestFile := fs.String("digest-file", "", "also write the manifest digest (sha256:HEX, no newline) to this file")
			imageIDFile := fs.String("image-id-file", "", "also write the config digest, the image ID (sha256:HEX, no newline), to this file")
			return func(args []string) error {
				if *out == "" {
					return usagef(env, "--out is required")
				}
				opts := image.AssembleOptions{
					Out: *out, Base: *base, Layers: args, VerifyBase: *verify,
					DigestFile: *digestFile, ImageIDFile: *imageIDFile,
				}
				var err error
				if opts.Platform, err = image.ParsePlatform(*platform); err != nil {
					return usagef(env, "--platform: %v", err)
				}
				c, err := layer.ParseCompression(*compression)
				if err != nil {
					return usagef(env, "--compression: %v", err)
				}
				opts.Compression = image.KeepAsIs
				if c == layer.Gzip {
					opts.Compression = image.Gzip
				}
				created, err := sde.Resolve(*epoch, env.getenv)
				if err != nil {
					return usagef(env, "%v", err)
				}
				opts.Created = sde.Time(created)
				if err := fingerprint.Require(fingerprint.ProbesFor(c == layer.Gzip)...); err != nil {
					return err
				}
				if *config != "" {
					b, err := os.ReadFile(*config)
					if err != nil {
						return fmt.Errorf("reading config: %w", err)
					}
					if opts.Config, err = image.ParseConfigOverride(b); err != nil {
						return fmt.Errorf("%s: %w", *config, err)
					}
				}
				if *policy != "" {
					b, err := os.ReadFile(*policy)
					if err != nil {
						return fmt.Errorf("reading launch policy: %w", err)
					}
					opts.LaunchPolicy = b
				}
				res, err := image.Assemble(opts)
				if err != nil {
					return err
				}
				fmt.Fprintln(env.Stdout, res.ManifestDigest)
				return nil
			}
		},
	})
}
