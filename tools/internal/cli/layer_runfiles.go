package cli

import (
	"flag"
	"fmt"
	"sort"

	"github.com/rules-odp/rules_odp/tools/internal/budget"
	"github.com/rules-odp/rules_odp/tools/internal/layer"
	"github.com/rules-odp/rules_odp/tools/internal/runfiles"
)

func init() {
	register(&Command{
		Noun: "layer", Verb: "runfiles",
		Args:    "(--spec SPEC.json | --manifest MANIFEST --launcher FILE --workspace NAME) [--service NAME] [--directory /DIR] [--compression none|gzip] --interpreter-out A.tar[.gz] --packages-out B.tar[.gz] --app-out C.tar[.gz]",
		Summary: "split a py_binary's runfiles into interpreter, packages and app layers",
		Help: `Writes the three layers of a Python workload under /<service>/ (or
--directory):
interpreter (the Python toolchain repository), packages (pip package
repositories) and app (the main repository, every other repository, the
launcher /<service>/<service> and the runfiles manifest, rewritten to
in-image paths). Runfiles are classified by repository, not by path regex;
see docs/python-layers.md.

SPEC.json is written by the Starlark rule: {"service", "directory", "workspace",
"interpreter_repo", "package_repos", "launcher", "files": [{"rpath", "src",
"kind" (file|empty|symlink|root_symlink)}]}. --manifest reads Bazel's own
<binary>.runfiles_manifest instead. Fails if a runfile would land in no or
two layers, if two sources claim one runfiles path, or if a build-machine
path (the working directory, Bazel's output base, the checkout, any
--forbid-prefix) appears in a layer.`,
		Flags: func(fs *flag.FlagSet, env *Env) func([]string) error {
			spec := fs.String("spec", "", "JSON runfiles spec written by the Starlark rule")
			manifest := fs.String("manifest", "", "Bazel runfiles manifest (instead of --spec)")
			launcher := fs.String("launcher", "", "the py_binary launcher (with --manifest)")
			workspace := fs.String("workspace", "", "the main repository's runfiles directory name, e.g. _main (with --manifest)")
			service := fs.String("service", "", "service name: the launcher <directory>/<service>")
			directory := fs.String("directory", "", "absolute directory of the launcher in the image (default /<service>)")
			interp := fs.String("interpreter-repo", "", "the interpreter repository (default: recognise rules_python's)")
			var pkgRepos, forbid, rewrites stringList
			fs.Var(&pkgRepos, "package-repo", "a repository to put in the packages layer (repeatable)")
			fs.Var(&forbid, "forbid-prefix", "an absolute build-machine path no layer may contain (repeatable)")
			fs.Var(&rewrites, "rewrite", "FROM=TO: replace the absolute path FROM in the launcher by TO (repeatable; each must match)")
			noInterp := fs.Bool("no-interpreter", false, "accept runfiles without an interpreter (empty interpreter layer)")
			launcherOnly := fs.Bool("scan-launcher-only", false, "check only the launcher and manifests for build-machine paths, not every file")
			explain := fs.Bool("explain", false, "print each repository's layer and the forbidden prefixes to stderr")
			var outs [3]*string
			outs[runfiles.Interpreter] = fs.String("interpreter-out", "", "interpreter layer (*.tar, *.tar.gz with --compression gzip)")
			outs[runfiles.Packages] = fs.String("packages-out", "", "packages layer (*.tar, *.tar.gz with --compression gzip)")
			outs[runfiles.App] = fs.String("app-out", "", "app layer (*.tar, *.tar.gz with --compression gzip)")
			lf := layerFlags(fs, env)
			return func(args []string) error {
				if len(args) > 0 {
					return usagef(env, "unexpected arguments %q", args)
				}
				for i, o := range outs {
					if *o == "" {
						return usagef(env, "--%s-out is required", runfiles.Layer(i))
					}
				}
				var s *runfiles.Spec
				switch {
				case *spec != "" && *manifest != "":
					return usagef(env, "give --spec or --manifest, not both")
				case *spec != "":
					if *launcher != "" || *workspace != "" {
						return usagef(env, "--launcher and --workspace go with --manifest; the spec names them")
					}
					data, err := budget.ReadFile(*spec, budget.SpecJSONBytes)
					if err != nil {
						return fmt.Errorf("reading spec: %w", err)
					}
					if s, err = runfiles.ParseSpec(data); err != nil {
						return fmt.Errorf("%s: %w", *spec, err)
					}
				case *manifest != "":
					if *launcher == "" || *workspace == "" || *service == "" {
						return usagef(env, "--manifest needs --launcher, --workspace and --service")
					}
					f, err := budget.Open(*manifest)
					if err != nil {
						return fmt.Errorf("reading manifest: %w", err)
					}
					files, err := runfiles.ParseManifest(f)
					f.Close()
					if err != nil {
						return fmt.Errorf("%s: %w", *manifest, err)
					}
					s = &runfiles.Spec{Workspace: *workspace, Launcher: *launcher, Files: files}
				default:
					return usagef(env, "--spec or --manifest is required")
				}
				if err := mergeRunfilesFlag(&s.Service, *service, "service"); err != nil {
					return err
				}
				if err := mergeRunfilesFlag(&s.Directory, *directory, "directory"); err != nil {
					return err
				}
				if err := mergeRunfilesFlag(&s.InterpreterRepo, *interp, "interpreter repository"); err != nil {
					return err
				}
				s.PackageRepos = append(s.PackageRepos, pkgRepos...)
				cfg := runfiles.Config{ForbiddenPrefixes: forbid, AllowNoInterpreter: *noInterp, ScanLauncherOnly: *launcherOnly}
				for _, r := range rewrites {
					rw, err := runfiles.ParseRewrite(r)
					if err != nil {
						return err
					}
					cfg.Rewrites = append(cfg.Rewrites, rw)
				}
				split, err := runfiles.Plan(s, cfg)
				if err != nil {
					return err
				}
				if *explain {
					explainSplit(env, split)
				}
				var paths [3]string
				var opts [3]layer.Options
				for i, o := range outs {
					paths[i] = *o
					if opts[i], err = lf.options(*o); err != nil {
						return err
					}
				}
				res, err := split.WriteFiles(paths, opts)
				if err != nil {
					return err
				}
				for i := range paths {
					if err := printResult(env, paths[i], res[i]); err != nil {
						return err
					}
				}
				return nil
			}
		},
	})
}

func explainSplit(env *Env, sp *runfiles.Split) {
	repos := make([]string, 0, len(sp.Classification.Repos))
	for r := range sp.Classification.Repos {
		repos = append(repos, r)
	}
	sort.Strings(repos)
	for _, r := range repos {
		name := r
		if r == "" {
			name = "(root-level files)"
		}
		fmt.Fprintf(env.Stderr, "%-11s %s\n", sp.Classification.Repos[r], name)
	}
	for _, p := range sp.Forbidden {
		fmt.Fprintf(env.Stderr, "forbidden   %s\n", p)
	}
}

// mergeRunfilesFlag sets *dst from a flag, refusing a flag that contradicts the spec.
func mergeRunfilesFlag(dst *string, flagValue, what string) error {
	switch {
	case flagValue == "" || *dst == flagValue:
	case *dst == "":
		*dst = flagValue
	default:
		return fmt.Errorf("the spec's %s is %q but the flag says %q", what, *dst, flagValue)
	}
	return nil
}
