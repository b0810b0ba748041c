package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/rules-odp/rules_odp/tools/internal/atomicfile"
	"github.com/rules-odp/rules_odp/tools/internal/buildinfo"
	"github.com/rules-odp/rules_odp/tools/internal/image"
	"github.com/rules-odp/rules_odp/tools/internal/sbom"
	"github.com/rules-odp/rules_odp/tools/internal/sde"
)

func init() {
	register(&Command{
		Noun:    "image",
		Verb:    "sbom",
		Args:    "--layout LAYOUT --out FILE [--format spdx|cyclonedx] [--name NAME] [--base-layout [NAME=]LAYOUT | --base-digest NAME@sha256:HEX] [--deb-lock LOCK]...",
		Summary: "write an SBOM (SPDX 2.3 or CycloneDX 1.5 JSON) from an image's layer contents",
		Help: `Lists what the image of LAYOUT holds, read from the exact bytes of its
layers applied in order (later files replace earlier ones, whiteouts
delete): Debian packages (dpkg status records and status files, license
from a machine-readable copyright file, .deb SHA-256 from --deb-lock),
Python distributions (dist-info / egg-info), jars and the jars nested in
them (Maven coordinates from pom.properties), native libraries (*.so) by
digest, and the base image by digest. Writes SPDX 2.3 JSON (default) or
CycloneDX 1.5 JSON.

The same image and flags give the same bytes: the creation time comes from
--source-date-epoch, the SPDX documentNamespace and the CycloneDX
serialNumber from the document's own content (docs/supply-chain.md).

Attach the SBOM to a pushed image with
  odptool image attest --type spdxjson --predicate FILE ...`,
		Flags: func(fs *flag.FlagSet, env *Env) func([]string) error {
			layout := fs.String("layout", "", "OCI layout of the image (required)")
			out := fs.String("out", "", "file to write (required; - for stdout)")
			format := fs.String("format", "spdx", "spdx (SPDX 2.3 JSON) or cyclonedx (CycloneDX 1.5 JSON)")
			nameFlag := fs.String("name", "", "name of the image in the document, e.g. its repository (default: its digest)")
			base := fs.String("base-layout", "", "[NAME=]LAYOUT of the base image: listed by NAME and digest; the image must start with its layers")
			baseDigest := fs.String("base-digest", "", "NAME@sha256:HEX of the base image when its layout is not at hand")
			var locks stringList
			fs.Var(&locks, "deb-lock", "lock file of odptool deb lock giving the SHA-256 of the .deb files (repeatable)")
			epoch := sourceDateEpochFlag(fs, "creation time")
			return func(args []string) error {
				if len(args) != 0 {
					return usagef(env, "unexpected arguments %q", args)
				}
				if *layout == "" || *out == "" {
					return usagef(env, "--layout and --out are required")
				}
				if *format != "spdx" && *format != "cyclonedx" {
					return usagef(env, "--format %q: want spdx or cyclonedx", *format)
				}
				if *base != "" && *baseDigest != "" {
					return usagef(env, "--base-layout and --base-digest are exclusive")
				}
				seconds, err := sde.Resolve(*epoch, env.getenv)
				if err != nil {
					return usagef(env, "%v", err)
				}
				created := sde.Time(seconds)
				opts := sbom.Options{Name: *nameFlag}
				switch {
				case *base != "":
					n, dir, err := namedPath(*base)
					if err != nil {
						return usagef(env, "--base-layout: %v", err)
					}
					img, err := image.ReadSingle(dir)
					if err != nil {
						return fmt.Errorf("base image: %w", err)
					}
					opts.Base = &sbom.Base{Name: n, Digest: img.Descriptor.Digest}
					opts.BaseLayers = []string{}
					for _, l := range img.Manifest.Layers {
						opts.BaseLayers = append(opts.BaseLayers, l.Digest)
					}
				case *baseDigest != "":
					n, d, ok := strings.Cut(*baseDigest, "@")
					if !ok || n == "" || image.CheckDigest(d) != nil {
						return usagef(env, "--base-digest %q: want NAME@sha256:<64 hex digits>", *baseDigest)
					}
					opts.Base = &sbom.Base{Name: n, Digest: d}
				}
				if len(locks) > 0 {
					if opts.DebSHA256, err = sbom.ReadDebLocks(locks); err != nil {
						return err
					}
				}
				inv, err := sbom.Scan(*layout, opts)
				if err != nil {
					return fmt.Errorf("OCI layout %q: %w", *layout, err)
				}
				meta := sbom.Meta{Created: created, ToolVersion: releaseVersion()}
				var doc []byte
				if *format == "spdx" {
					doc, err = inv.SPDX(meta)
				} else {
					doc, err = inv.CycloneDX(meta)
				}
				if err != nil {
					return err
				}
				if *out == "-" {
					_, err := env.Stdout.Write(doc)
					return err
				}
				return atomicfile.Write(*out, func(w io.Writer) error {
					_, err := w.Write(doc)
					return err
				})
			}
		},
	})
}

// releaseVersion is odptool's release version, or "" for a build that is
// not a release (documents then name no version).
func releaseVersion() string {
	if v := buildinfo.Version(); v != "devel" {
		return v
	}
	return ""
}
