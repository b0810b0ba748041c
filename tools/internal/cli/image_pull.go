package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"

	"github.com/rules-odp/rules_odp/tools/internal/image"
	"github.com/rules-odp/rules_odp/tools/internal/registry"
)

func init() {
	register(&Command{
		Noun:    "image",
		Verb:    "pull",
		Args:    "(--reference REGISTRY/REPO@sha256:HEX | --layout DIR --digest sha256:HEX) --platform OS/ARCH[/VARIANT] --out DIR",
		Summary: "pull an image pinned by digest into an OCI layout, verifying every blob",
		Help: `Writes an OCI image layout holding one image: the manifest of the pinned
reference for --platform, with its exact bytes, its config and its layer
blobs. The reference must carry a sha256 digest (a tag alone can move and is
refused). If it names an image index, the one manifest for --platform is
chosen (an error lists the platforms the index has) and the layout's
index.json names that manifest, not the index: --json says both. If it names
an image manifest, its config must declare --platform.

Every byte is verified: the manifest (and index) against the pinned digest,
the config and each layer against the digest and size the manifest gives.
Reads are bounded (manifests and configs by the JSON budget, blobs by their
descriptor's size), and nothing is written unless all of it verified.

With --manifest-only the layout lacks the layer blobs: --json lists them
with their URLs for a downloader that checks their sha256 (odp_pull gives
them to Bazel's downloader, which keeps them in the repository cache).
--print-authorization adds to that JSON the Authorization header the
registry accepted for a blob, for that downloader: it is a credential.

With --layout DIR --digest D instead of --reference, the image of the layout
DIR for --platform, whose manifest digest must be D, is copied (blobs hard
linked where possible) after every blob was read and verified: odp_pull
makes its layout target this way.

Credentials come from, in order: $REGISTRY_AUTH_FILE,
$XDG_RUNTIME_DIR/containers/auth.json, ~/.config/containers/auth.json
($XDG_CONFIG_HOME), $DOCKER_CONFIG/config.json or ~/.docker/config.json
(credential helpers included); a refused pull names the file used or the
files searched. Registries on localhost/127.0.0.1/[::1] are reached over
plain HTTP; --insecure allows it for any registry. A request that makes no
progress for --timeout fails (transient failures are retried with bounded
backoff). Prints REPOSITORY@DIGEST of the manifest the layout names (DIGEST
alone with --layout).`,
		Flags: func(fs *flag.FlagSet, env *Env) func([]string) error {
			reference := fs.String("reference", "", "the image to pull, REGISTRY/REPOSITORY@sha256:HEX")
			layout := fs.String("layout", "", "instead of --reference: copy the image of this OCI layout `DIR`")
			digest := fs.String("digest", "", "with --layout: the manifest digest the image must have, sha256:HEX")
			platform := fs.String("platform", "", "the platform to pull, os/arch[/variant], e.g. linux/amd64 (required: never guessed)")
			out := fs.String("out", "", "the OCI layout `DIR` to write")
			manifestOnly := fs.Bool("manifest-only", false, "write the layout without its layer blobs; --json lists them with their URLs")
			printAuth := fs.Bool("print-authorization", false, "with --manifest-only --json: include the Authorization header the registry accepted (a credential) for the layer downloader")
			asJSON := fs.Bool("json", false, "print what was pulled as JSON: reference, repository, index, digest, config, platform, layout, layersMissing, layers (mediaType, digest, size, url)")
			insecure := fs.Bool("insecure", false, "allow plain HTTP to the registry, and to other hosts it redirects to or names as token realm")
			timeout := fs.Duration("timeout", registry.DefaultTimeout, "fail a registry request that makes no progress for this `DURATION` (it is retried with the bounded backoff)")
			return func(args []string) error {
				if len(args) != 0 {
					return usagef(env, "unexpected arguments %q", args)
				}
				if *out == "" {
					return usagef(env, "--out is required")
				}
				if *platform == "" {
					return usagef(env, "--platform is required (e.g. linux/amd64): the platform is never guessed")
				}
				want, err := image.ParsePlatform(*platform)
				if err != nil {
					return usagef(env, "--platform: %v", err)
				}
				if *timeout <= 0 {
					return usagef(env, "--timeout %s: want a positive duration such as 30s", *timeout)
				}
				if *printAuth && (!*manifestOnly || !*asJSON) {
					return usagef(env, "--print-authorization needs --manifest-only and --json")
				}
				switch {
				case *reference != "" && *layout != "":
					return usagef(env, "give --reference or --layout, not both")
				case *layout != "":
					if *digest == "" {
						return usagef(env, "--layout needs --digest sha256:HEX, the manifest digest the image must have")
					}
					if *manifestOnly {
						return usagef(env, "--manifest-only is for --reference")
					}
					img, err := image.CopyImage(*layout, want, *digest, *out)
					if err != nil {
						return err
					}
					if *asJSON {
						return printPullJSON(env, map[string]any{"digest": img.Descriptor.Digest, "layout": *out})
					}
					fmt.Fprintln(env.Stdout, img.Descriptor.Digest)
					return nil
				case *reference == "":
					return usagef(env, "--reference REGISTRY/REPOSITORY@sha256:HEX (or --layout DIR) is required")
				case *digest != "":
					return usagef(env, "--digest is for --layout; the digest of --reference follows its @")
				}
				pulled, err := registry.Pull(context.Background(), registry.PullOptions{
					Reference:    *reference,
					Platform:     want,
					Out:          *out,
					ManifestOnly: *manifestOnly,
					Insecure:     *insecure,
					Timeout:      *timeout,
					Keychain:     registry.NewKeychain(env.getenv),
				})
				if err != nil {
					return err
				}
				if *asJSON {
					v := struct {
						*registry.Pulled
						Authorization *string `json:"authorization,omitempty"`
					}{Pulled: pulled}
					if *printAuth {
						v.Authorization = &pulled.Authorization
					}
					return printPullJSON(env, v)
				}
				fmt.Fprintln(env.Stdout, pulled.Name())
				return nil
			}
		},
	})
}

func printPullJSON(env *Env, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(env.Stdout, "%s\n", b)
	return err
}
