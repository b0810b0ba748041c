package cli

import (
	"flag"

	"github.com/rules-odp/rules_odp/tools/internal/image"
)

func init() {
	register(&Command{
		Noun:    "image",
		Verb:    "archive",
		Args:    "--format docker|oci [--repo-tag REPO:TAG]... --out FILE LAYOUT",
		Summary: "write an OCI layout as a docker-archive or oci-archive tarball",
		Help: `Writes the layout's one image as a tarball that podman load, docker load and
skopeo read, with deterministic bytes. A docker archive names the image
by each --repo-tag (REPO:TAG as docker and podman name images, e.g.
aggregator_image:latest or registry.example/odp/aggregator:v1; a name
without a registry loads as localhost/NAME in podman). Blobs are
verified while they are streamed; on any error nothing is left at --out.`,
		Flags: func(fs *flag.FlagSet, env *Env) func([]string) error {
			format := fs.String("format", "", "docker (a docker save tarball, needs --repo-tag) or oci (the layout as a tarball)")
			var tags stringList
			fs.Var(&tags, "repo-tag", "REPO:TAG naming the image in a docker archive (repeatable)")
			out := fs.String("out", "", "tarball to write (replaced atomically)")
			return func(args []string) error {
				if len(args) != 1 {
					return usagef(env, "want exactly one LAYOUT, got %d arguments", len(args))
				}
				if *out == "" {
					return usagef(env, "--out is required")
				}
				switch *format {
				case "docker":
					if len(tags) == 0 {
						return usagef(env, "--format docker needs --repo-tag REPO:TAG")
					}
					return image.WriteDockerArchive(*out, args[0], tags...)
				case "oci":
					if len(tags) > 0 {
						// An oci-archive's index.json names no tag (as
						// assemble writes it); silently dropping one would
						// surprise whoever set it.
						return usagef(env, "--repo-tag is only for --format docker")
					}
					return image.WriteOCIArchive(*out, args[0])
				case "":
					return usagef(env, "--format is required (docker or oci)")
				}
				return usagef(env, "--format %q: want docker or oci", *format)
			}
		},
	})
}
