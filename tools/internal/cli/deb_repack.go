package cli

import (
	"flag"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/rules-odp/rules_odp/tools/internal/debrepack"
)

// repackMemoryLimit is the heap size at which a repack starts collecting
// garbage: well above what real packages need (openjdk's peak is 400 MB),
// so that for them the collector never runs.
const repackMemoryLimit = 2 << 30

func init() {
	register(&Command{
		Noun: "deb", Verb: "repack",
		Args:    "--out LAYER.tar[.gz] | --out-dir DIR [--compression none|gzip] [flags] IN.deb",
		Summary: "repack a Debian package into one deterministic layer",
		Help: `Repacks the files of a .deb (its data.tar) into one layer: entries sorted,
mtime fixed, owners numeric, setuid/setgid/sticky dropped unless
--keep-special-bits. With --merged-usr (the default) bin/, sbin/ and lib*/
move under usr/ and their top-level directory entries are dropped, so the
layer does not mask a merged-/usr base's symlinks. A dpkg status record
var/lib/dpkg/status.d/<package> (+ .md5sums) is added for scanners.
Hostile packages (path traversal, devices, FIFOs, whiteouts, duplicate
paths, hard links to non-earlier entries, writes through symlinks, xattrs,
bad compression, size bombs) are refused with an error naming the package
and entry; no output is left behind.`,
		Flags: func(fs *flag.FlagSet, env *Env) func([]string) error {
			out := fs.String("out", "", "output layer, *.tar (or *.tar.gz with --compression gzip)")
			outDir := fs.String("out-dir", "", "write <package>_<arch>.tar[.gz] into this directory instead of --out")
			merged := fs.Bool("merged-usr", true, "rewrite bin/, sbin/, lib*/ to usr/ for merged-/usr bases")
			status := fs.Bool("status-record", true, "add var/lib/dpkg/status.d/<package> for scanners")
			lf := layerFlags(fs, env)
			return func(args []string) error {
				if len(args) != 1 {
					return usagef(env, "want exactly one .deb, got %d arguments", len(args))
				}
				if (*out == "") == (*outDir == "") {
					return usagef(env, "give exactly one of --out and --out-dir")
				}
				// A repack holds the package's files in memory to sort them:
				// the heap is nearly all live data and the garbage is small,
				// so the default GOGC only re-marks live data on every
				// doubling (openjdk: 4.9 s -> 4.1 s without it, same peak).
				// The collector runs only near a soft limit instead. GOGC or
				// GOMEMLIMIT, when set, win.
				if env.getenv("GOGC") == "" && env.getenv("GOMEMLIMIT") == "" {
					debug.SetGCPercent(-1)
					debug.SetMemoryLimit(repackMemoryLimit)
				}
				target := *out
				if *outDir != "" {
					st, err := os.Stat(*outDir)
					if err != nil || !st.IsDir() {
						return fmt.Errorf("--out-dir %q is not a directory", *outDir)
					}
					target = ""
				}
				lopts, err := lf.options(target)
				if err != nil {
					return err
				}
				if *outDir != "" {
					target = *outDir
				}
				opts := debrepack.DefaultOptions()
				opts.MergedUsr, opts.StatusRecord, opts.Layer = *merged, *status, lopts
				written, res, err := debrepack.RepackFile(args[0], target, opts)
				if err != nil {
					return err
				}
				return printResult(env, written, res)
			}
		},
	})
}
