package cli

import (
	"flag"
	"fmt"

	"github.com/rules-odp/rules_odp/tools/internal/budget"
	"github.com/rules-odp/rules_odp/tools/internal/fingerprint"
	"github.com/rules-odp/rules_odp/tools/internal/image"
	"github.com/rules-odp/rules_odp/tools/internal/launchpolicy"
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
(linked, never recompressed; read to verify their digests and diff_ids, and
for the masking check), then LAYER... in the given order (checked entry by
entry, kept byte for byte), and a config merged from the base's and
CONFIG.json. A declared --launch-policy replaces the base's
tee.launch_policy.* labels; a base carrying some is refused without one
unless --inherit-launch-policy. The output does not depend on the clock,
user, umask or working directory. Prints the manifest digest. See
docs/image.md for the contract (media types, env merge, history, created,
launch policy) and docs/inputs.md for what is refused.`,
		Flags: func(fs *flag.FlagSet, env *Env) func([]string) error {
			out := fs.String("out", "", "output OCI layout directory (replaced atomically)")
			base := fs.String("base", "", "base OCI layout directory (default: scratch)")
			platform := fs.String("platform", image.DefaultPlatform.String(), "os/arch[/variant] to pick from a base index, and of a scratch image")
			config := fs.String("config", "", "CONFIG.json: Entrypoint, Cmd, Env, Labels, User, WorkingDir, ExposedPorts, StopSignal")
			policy := fs.String("launch-policy", "", "POLICY.json: Confidential Space launch policy, rendered as tee.launch_policy.* labels")
			epoch := sourceDateEpochFlag(fs, "config and history `created` time")
			compression := fs.String("compression", "none", "uncompressed tar layers are kept (none) or compressed with the pinned gzip (gzip); compressed layers are never recompressed")
			trust := fs.Bool("trust-base-layers", false, "check uncompressed base layers by size only instead of reading them in full to verify their digests and diff_ids (for huge bases already verified, e.g. by oci_pull)")
			inherit := fs.Bool("inherit-launch-policy", false, "without --launch-policy: keep (and validate) the base's tee.launch_policy.* labels instead of refusing such a base")
			digestFile := fs.String("digest-file", "", "also write the manifest digest (sha256:HEX, no newline) to this file")
			imageIDFile := fs.String("image-id-file", "", "also write the config digest, the image ID (sha256:HEX, no newline), to this file")
			return func(args []string) error {
				if *out == "" {
					return usagef(env, "--out is required")
				}
				if *inherit && *policy != "" {
					return usagef(env, "--inherit-launch-policy and --launch-policy are exclusive: a declared policy replaces the base's")
				}
				opts := image.AssembleOptions{
					Out: *out, Base: *base, Layers: args, TrustBaseLayers: *trust, InheritLaunchPolicy: *inherit,
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
					b, err := budget.ReadFile(*config, budget.ImageJSONBytes)
					if err != nil {
						return fmt.Errorf("reading config: %w", err)
					}
					if opts.Config, err = image.ParseConfigOverride(b); err != nil {
						return fmt.Errorf("%s: %w", *config, err)
					}
				}
				if *policy != "" {
					b, err := budget.ReadFile(*policy, budget.ImageJSONBytes)
					if err != nil {
						return fmt.Errorf("reading launch policy: %w", err)
					}
					// Checked here too, so that an error names the file.
					if _, err := launchpolicy.Parse(b); err != nil {
						return fmt.Errorf("launch policy %q refused: %w", *policy, err)
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
