package cli

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"time"

	"github.com/rules-odp/rules_odp/tools/internal/atomicfile"
	"github.com/rules-odp/rules_odp/tools/internal/debresolve"
)

func init() {
	register(&Command{
		Noun:    "deb",
		Verb:    "lock",
		Args:    "[flags] --out LOCK.json PACKAGE...",
		Summary: "resolve Debian packages and their dependencies into a lock file",
		Help: `Resolves the closure of PACKAGE... over Pre-Depends and Depends from
Debian Packages indexes, choosing as apt does on an empty system with
--no-install-recommends, and writes the lock (name, version, arch, pool
filename, sha256, size and resolved depends of every package) to --out.

Indexes are files (plain, .gz or .xz) or http(s) URLs given with --index,
or built from --mirror BASE, --dist and --component as
BASE/dists/DIST/COMPONENT/binary-ARCH/Packages.xz. Nothing is written if
a dependency cannot be satisfied. See docs/deb-lock.md.`,
		Flags: func(fs *flag.FlagSet, env *Env) func(args []string) error {
			var indexes, dists, components, excludes stringList
			fs.Var(&indexes, "index", "Packages index: file path or http(s) URL (repeatable)")
			mirror := fs.String("mirror", "", "Debian mirror base URL or directory; with --dist and --component")
			fs.Var(&dists, "dist", "suite under --mirror, e.g. bookworm (repeatable)")
			fs.Var(&components, "component", "component under --mirror (repeatable; default main)")
			arch := fs.String("arch", "amd64", "architecture to resolve for (packages of \"all\" are included)")
			fs.Var(&excludes, "exclude", "package taken as present already and left out of the lock (repeatable)")
			out := fs.String("out", "", "lock file to write (required)")
			return func(args []string) error {
				if *out == "" {
					return usagef(env, "--out is required")
				}
				if len(args) == 0 {
					return usagef(env, "no packages given")
				}
				if *arch == "" || *arch == "all" {
					return usagef(env, "--arch must name an architecture, got %q", *arch)
				}
				sources := append([]string(nil), indexes...)
				switch {
				case *mirror != "" && len(dists) == 0:
					return usagef(env, "--mirror needs --dist")
				case *mirror == "" && (len(dists) > 0 || len(components) > 0):
					return usagef(env, "--dist and --component need --mirror")
				case *mirror != "":
					if len(components) == 0 {
						components = stringList{"main"}
					}
					for _, d := range dists {
						for _, c := range components {
							sources = append(sources, debresolve.MirrorIndex(*mirror, d, c, *arch))
						}
					}
				}
				if len(sources) == 0 {
					return usagef(env, "no index given: use --index or --mirror")
				}
				return runDebLock(env, *arch, sources, debresolve.Request{Roots: args, Exclude: excludes}, *out)
			}
		},
	})
}

func runDebLock(env *Env, arch string, sources []string, req debresolve.Request, out string) error {
	client := &http.Client{Timeout: 10 * time.Minute}
	ix, err := debresolve.ReadIndexes(context.Background(), arch, sources, client)
	if err != nil {
		return err
	}
	pkgs, err := debresolve.Resolve(ix, req)
	if err != nil {
		return err
	}
	lock := debresolve.NewLock(arch, req, sources, pkgs)
	if err := atomicfile.Write(out, lock.Encode); err != nil {
		return err
	}
	var size int64
	for _, p := range lock.Packages {
		size += p.Size
	}
	fmt.Fprintf(env.Stdout, "locked %d packages (%d bytes of .deb files) in %s\n", len(lock.Packages), size, out)
	return nil
}
