package cli

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/rules-odp/rules_odp/tools/internal/atomicfile"
	"github.com/rules-odp/rules_odp/tools/internal/debresolve"
	"github.com/rules-odp/rules_odp/tools/internal/image"
	"github.com/rules-odp/rules_odp/tools/internal/registry"
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
a dependency cannot be satisfied.

--exclude-installed LAYOUT reads the dpkg database of the OCI image layout
(the base the layers go on; every layer, whiteouts applied) and takes its
packages as present in the version it has: they are left out of the lock,
and a dependency they do not satisfy in that version is an error (a layer
cannot replace a package of the base). The packages dropped are printed on
stderr, with the base's version and the one the lock would have taken, and
listed under "dropped" in the lock. See docs/deb-lock.md.`,
		Flags: func(fs *flag.FlagSet, env *Env) func(args []string) error {
			var indexes, dists, components, excludes stringList
			fs.Var(&indexes, "index", "Packages index: file path or http(s) URL (repeatable)")
			mirror := fs.String("mirror", "", "Debian mirror base URL or directory; with --dist and --component")
			fs.Var(&dists, "dist", "suite under --mirror, e.g. bookworm (repeatable)")
			fs.Var(&components, "component", "component under --mirror (repeatable; default main)")
			arch := fs.String("arch", "amd64", "architecture to resolve for (packages of \"all\" are included)")
			fs.Var(&excludes, "exclude", "package taken as present already and left out of the lock (repeatable)")
			var bases stringList
			fs.Var(&bases, "exclude-installed", "OCI image layout whose installed Debian packages are taken as present in their versions and left out of the lock (repeatable: only packages every layout has count)")
			out := fs.String("out", "", "lock file to write (required)")
			timeout := fs.Duration("timeout", registry.DefaultTimeout, "fail an index download that makes no progress for this `DURATION`")
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
				req := debresolve.Request{Roots: args, Exclude: excludes}
				if len(bases) > 0 {
					var err error
					if req.Installed, err = installedPackages(bases, *arch); err != nil {
						return err
					}
				}
				return runDebLock(env, *arch, sources, req, *out, *timeout)
			}
		},
	})
}

func runDebLock(env *Env, arch string, sources []string, req debresolve.Request, out string, timeout time.Duration) error {
	// A mirror that stops answering fails the lock after timeout without
	// progress (not after a fixed total: a large index on a slow link is
	// fine), and a redirect may not downgrade an https index to plain http.
	client := &http.Client{
		Transport:     registry.NewIdleTimeoutTransport(timeout, "mirror"),
		CheckRedirect: checkMirrorRedirect,
	}
	ix, err := debresolve.ReadIndexes(context.Background(), arch, sources, client)
	if err != nil {
		return err
	}
	res, err := debresolve.Solve(ix, req)
	if err != nil {
		return err
	}
	lock := debresolve.NewLock(arch, req, sources, res.Packages)
	lock.Dropped = debresolve.DroppedPackages(res.Dropped)
	for _, d := range res.Dropped {
		took := "the lock would take " + d.IndexVersion
		switch d.IndexVersion {
		case "":
			took = "the indexes have no " + d.Name
		case d.Version:
			took = "the version the lock would take"
		}
		fmt.Fprintf(env.Stderr, "dropped %s (%s): the base has %s, %s; needed by %s\n", d.Name, d.Arch, d.Version, took, strings.Join(d.RequiredBy, ", "))
	}
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

// checkMirrorRedirect follows at most 10 redirects, as Go does, and never
// from an https index to plain http: the index decides which .deb files
// the lock pins, so it must not be open to whoever sits on the path.
func checkMirrorRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return fmt.Errorf("stopped after 10 redirects")
	}
	if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
		return fmt.Errorf("refusing the redirect from %s to plain http %s: give the mirror's https URL", via[0].URL.Redacted(), req.URL.Redacted())
	}
	return nil
}

// debPlatforms maps Debian architectures to the OCI platform of an image
// for them.
var debPlatforms = map[string]image.Platform{
	"amd64":    {OS: "linux", Architecture: "amd64"},
	"arm64":    {OS: "linux", Architecture: "arm64"},
	"armhf":    {OS: "linux", Architecture: "arm", Variant: "v7"},
	"armel":    {OS: "linux", Architecture: "arm", Variant: "v5"},
	"i386":     {OS: "linux", Architecture: "386"},
	"ppc64el":  {OS: "linux", Architecture: "ppc64le"},
	"s390x":    {OS: "linux", Architecture: "s390x"},
	"riscv64":  {OS: "linux", Architecture: "riscv64"},
	"mips64el": {OS: "linux", Architecture: "mips64le"},
}

// installedPackages reads the packages of arch (or "all") installed in
// every one of the layouts.
func installedPackages(layouts []string, arch string) ([]debresolve.Installed, error) {
	platform, ok := debPlatforms[arch]
	if !ok {
		return nil, fmt.Errorf("--exclude-installed: no OCI platform is known for the Debian architecture %q", arch)
	}
	count := map[string]int{}
	var all []debresolve.Installed
	for _, l := range layouts {
		db, err := image.InstalledPackages(l, platform)
		if err != nil {
			return nil, fmt.Errorf("--exclude-installed: %w", err)
		}
		seen := map[string]bool{}
		for _, r := range db.Packages {
			if r.Architecture != arch && r.Architecture != "all" {
				continue
			}
			all = append(all, debresolve.Installed{Name: r.Package, Version: r.Version, Arch: r.Architecture, MultiArch: r.MultiArch, Provides: r.Provides})
			if !seen[r.Package] {
				seen[r.Package] = true
				count[r.Package]++
			}
		}
	}
	var out []debresolve.Installed
	for _, in := range all {
		if count[in.Name] == len(layouts) {
			out = append(out, in)
		}
	}
	return out, nil
}
