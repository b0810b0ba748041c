package cli

import (
	"flag"
	"fmt"
	"time"

	"github.com/rules-odp/rules_odp/tools/internal/budget"
	"github.com/rules-odp/rules_odp/tools/internal/image"
	"github.com/rules-odp/rules_odp/tools/internal/launchpolicy"
	"github.com/rules-odp/rules_odp/tools/internal/layer"
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
			created := fs.String("created", "", "config and history created `TIME`, RFC 3339 (default 1970-01-01T00:00:00Z)")
			sde := fs.String("source-date-epoch", "", "created time as `SECONDS` since the epoch (default: $SOURCE_DATE_EPOCH if set)")
			compress := fs.String("compress", "none", "what to do with uncompressed tar layers: none (keep) or gzip (pinned gzip, level 6)")
			trust := fs.Bool("trust-base-layers", false, "check uncompressed base layers by size only instead of reading them in full to verify their digests and diff_ids (for huge bases already verified, e.g. by oci_pull)")
			inherit := fs.Bool("inherit-launch-policy", false, "without --launch-policy: keep (and validate) the base's tee.launch_policy.* labels instead of refusing such a base")
			dockerArchive := fs.String("docker-archive", "", "also write a docker-archive tarball (needs --tag)")
			ociArchive := fs.String("oci-archive", "", "also write an oci-archive tarball")
			tag := fs.String("tag", "", "REPO:TAG naming the image in --docker-archive")
			digestFile := fs.String("digest-file", "", "also write the manifest digest (sha256:HEX, no newline) to this file")
			imageIDFile := fs.String("image-id-file", "", "also write the config digest, the image ID (sha256:HEX, no newline), to this file")
			return func(args []string) error {
				if *out == "" {
					return usagef(env, "--out is required")
				}
				if *created != "" && *sde != "" {
					return usagef(env, "--created and --source-date-epoch are exclusive")
				}
				if *dockerArchive != "" && *tag == "" {
					return usagef(env, "--docker-archive needs --tag REPO:TAG")
				}
				if *inherit && *policy != "" {
					return usagef(env, "--inherit-launch-policy and --launch-policy are exclusive: a declared policy replaces the base's")
				}
				opts := image.AssembleOptions{
					Out: *out, Base: *base, Layers: args, TrustBaseLayers: *trust, InheritLaunchPolicy: *inherit,
					DockerArchive: *dockerArchive, OCIArchive: *ociArchive, Tag: *tag,
					DigestFile: *digestFile, ImageIDFile: *imageIDFile,
				}
				var err error
				if opts.Platform, err = image.ParsePlatform(*platform); err != nil {
					return usagef(env, "--platform: %v", err)
				}
				if opts.Compression, err = image.ParseCompression(*compress); err != nil {
					return usagef(env, "--compress: %v", err)
				}
				if *created == "" && *sde == "" {
					*sde = env.getenv("SOURCE_DATE_EPOCH")
				}
				switch {
				case *created != "":
					t, err := time.Parse(time.RFC3339Nano, *created)
					if err != nil {
						return usagef(env, "--created: %v", err)
					}
					if t.Unix() < 0 {
						return usagef(env, "--created %q is before the epoch", *created)
					}
					opts.Created = t
				case *sde != "":
					s, err := layer.ParseSourceDateEpoch(*sde)
					if err != nil {
						return usagef(env, "--source-date-epoch: %v", err)
					}
					opts.Created = time.Unix(s, 0)
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
