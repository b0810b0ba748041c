package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/rules-odp/rules_odp/tools/internal/image"
	"github.com/rules-odp/rules_odp/tools/internal/imagediff"
	"github.com/rules-odp/rules_odp/tools/internal/registry"
)

func init() {
	register(&Command{
		Noun:    "image",
		Verb:    "diff",
		Args:    "[--semantic] [--json] [--platform OS/ARCH] A B",
		Summary: "compare two images: index, manifest, config fields, layers and files",
		Help: `Compares two images and prints one line per difference, naming the layer
and path of every differing file (and no unchanged one). A and B are OCI
layout directories, or registry references written
registry:HOST/REPO@sha256:... or registry:HOST/REPO:TAG (credentials, plain
HTTP and timeouts as for image push). Layers are paired by position; layers
with equal digests are not read.

--semantic ignores what does not change how the image runs: timestamps,
history, entry order, owner names, compression, image name annotations.

Exit status: 0 same, 1 different, 2 cannot compare (missing or corrupt
layout or blob, bad usage).`,
		Flags: func(fs *flag.FlagSet, env *Env) func([]string) error {
			semantic := fs.Bool("semantic", false, "ignore timestamps, history, entry order, owner names and compression")
			asJSON := fs.Bool("json", false, "print one JSON object instead of text")
			platform := fs.String("platform", "", "choose the image for OS/ARCH[/VARIANT] from an index (default: A and B must each name one image manifest)")
			timeout := fs.Duration("timeout", registry.DefaultTimeout, "fail a registry request that makes no progress for this `DURATION`")
			insecure := fs.Bool("insecure", false, "allow plain HTTP to the registries (loopback ones get it anyway) and to the hosts they send us to")
			return func(args []string) error {
				if len(args) != 2 {
					return usagef(env, "want two images A and B, got %d arguments", len(args))
				}
				if *timeout <= 0 {
					return usagef(env, "--timeout %s: want a positive duration such as 30s", *timeout)
				}
				opts := imagediff.OpenOptions{Keychain: registry.NewKeychain(env.getenv), Timeout: *timeout, Insecure: *insecure}
				if *platform != "" {
					p, err := image.ParsePlatform(*platform)
					if err != nil {
						return usagef(env, "--platform: %v", err)
					}
					opts.Platform = &p
				}
				ctx := context.Background()
				var imgs [2]*imagediff.Image
				for i, arg := range args {
					img, err := imagediff.Open(ctx, arg, opts)
					if err != nil {
						return &ExitError{Code: 2, Err: err}
					}
					imgs[i] = img
				}
				rep, err := imagediff.Compare(ctx, imgs[0], imgs[1], imagediff.Options{Semantic: *semantic})
				if err != nil {
					return &ExitError{Code: 2, Err: err}
				}
				if *asJSON {
					err = rep.WriteJSON(env.Stdout)
				} else {
					err = rep.WriteText(env.Stdout)
				}
				if err != nil {
					return &ExitError{Code: 2, Err: fmt.Errorf("writing the report: %w", err)}
				}
				if !rep.Same {
					return &ExitError{Code: 1, Err: fmt.Errorf("%s and %s differ (%d differences)", args[0], args[1], len(rep.Differences))}
				}
				return nil
			}
		},
	})
}
