package cli

import (
	"flag"

	"github.com/rules-odp/rules_odp/tools/internal/image"
)

func init() {
	register(&Command{
		Noun:    "image",
		Verb:    "archive",
		Args:    "--format docker|oci [--tag REPO:TAG] --out FILE LAYOUT",
		Summary: "write an OCI layout as a docker-archive or oci-archive tarball",
		Help: `Writes the layout's one image as a tarball that podman load, docker load and
skopeo read: the same deterministic bytes image assemble writes with
--docker-archive or --oci-archive. Blobs are verified while they are
streamed; on any error nothing is left at --out.`,
		Flags: func(fs *flag.FlagSet, env *Env) func([]string) error {
			format := fs.String("format", "", "docker (a docker save tarball, needs --tag) or oci (the layout as a tarball)")
			tag := fs.String("tag", "", "REPO:TAG naming the image in a docker archive")
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
					if *tag == "" {
						return usagef(env, "--format docker needs --tag REPO:TAG")
					}
					return image.WriteDockerArchive(*out, args[0], *tag)
				case "oci":
					if *tag != "" {
						// An oci-archive's index.json names no tag (as
						// assemble writes it); silently dropping one would
						// surprise whoever set it.
						return usagef(env, "--tag is only for --format docker")
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
