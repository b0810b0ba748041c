package cli

import (
	"context"
	"crypto"
	"encoding/json"
	"flag"
	"fmt"
	"strings"

	"github.com/rules-odp/rules_odp/tools/internal/registry"
	"github.com/rules-odp/rules_odp/tools/internal/release"
	"github.com/rules-odp/rules_odp/tools/internal/sign"
)

func init() {
	register(&Command{
		Noun:    "release",
		Verb:    "verify",
		Args:    "--digests FILE --tag TAG (--repository-prefix PREFIX | --repository-for LABEL=REPO...) (--pub PUB | --skip-signatures) [--layouts DIR]",
		Summary: "check that a registry serves a release as built, signed and attested",
		Help: `For every image of the release digests file FILE (what
scripts/build_images.sh --write-expected writes: "LABEL DIGEST IMAGE_ID"
lines), checks that:
  - the registry serves REPO:TAG with that manifest digest and image ID;
  - the image is signed with --pub's key in a way the Confidential Space
    launcher accepts (sha256-<hex>.sig), and attested (sha256-<hex>.att)
    with a signed statement of each --attestation type (default
    slsaprovenance1 and spdxjson);
  - with --layouts DIR (a local build, e.g. bazel-bin), the layout at
    DIR/PACKAGE/NAME has the released digest.
On a digest mismatch the served image is compared file by file with the
local build (or with the released image, if the registry still has it),
as "odptool image diff --semantic" does, and the differences are printed.

REPO for //PACKAGE:NAME is PREFIX/NAME, unless --repository-for names it.
Exits 1 naming every image that failed.`,
		Flags: func(fs *flag.FlagSet, env *Env) func([]string) error {
			digests := fs.String("digests", "", "release digests file (required)")
			tag := fs.String("tag", "", "release tag the registry serves the images under (required)")
			prefix := fs.String("repository-prefix", "", "REGISTRY/PATH; the image //PACKAGE:NAME is at PREFIX/NAME")
			var mapping stringList
			fs.Var(&mapping, "repository-for", "LABEL=REPO: the repository of one image (repeatable; overrides --repository-prefix)")
			sigPrefix := fs.String("signature-repository-prefix", "", "REGISTRY/PATH; signatures of //PACKAGE:NAME are at PREFIX/NAME (default: the image's repository)")
			pub := fs.String("pub", "", "PEM public key of the release signer")
			skip := fs.Bool("skip-signatures", false, "do not check signatures and attestations (no --pub)")
			var atts stringList
			fs.Var(&atts, "attestation", "predicate type that must be attested: slsaprovenance1, spdxjson, cyclonedx or none (repeatable; default slsaprovenance1 and spdxjson)")
			layouts := fs.String("layouts", "", "directory of a local build holding DIR/PACKAGE/NAME layouts")
			insecure := fs.Bool("insecure", false, "allow plain HTTP to the registry")
			asJSON := fs.Bool("json", false, "print one JSON object per image instead of text")
			return func(args []string) error {
				if len(args) != 0 {
					return usagef(env, "unexpected arguments %q", args)
				}
				if *digests == "" || *tag == "" {
					return usagef(env, "--digests and --tag are required")
				}
				if (*pub == "") == !*skip {
					return usagef(env, "give --pub, or --skip-signatures to check digests only")
				}
				overrides := map[string]string{}
				for _, m := range mapping {
					l, r, ok := strings.Cut(m, "=")
					if !ok || l == "" || r == "" {
						return usagef(env, "--repository-for %q: want LABEL=REPO", m)
					}
					overrides[l] = r
				}
				images, err := release.ReadDigestsFile(*digests)
				if err != nil {
					return err
				}
				for l := range overrides {
					found := false
					for _, e := range images {
						found = found || e.Label == l
					}
					if !found {
						return usagef(env, "--repository-for %s: no such image in %s", l, *digests)
					}
				}
				opts := release.Options{
					Images:     images,
					Repository: release.PrefixRepository(*prefix, overrides),
					Tag:        *tag,
					Layouts:    *layouts,
					Insecure:   *insecure,
					Keychain:   registry.NewKeychain(env.getenv),
				}
				if *sigPrefix != "" {
					opts.SignatureRepository = func(label string) string {
						_, target := release.SplitLabel(label)
						return strings.TrimSuffix(*sigPrefix, "/") + "/" + target
					}
				}
				if *pub != "" {
					var k crypto.PublicKey
					if k, err = sign.LoadPublicKeyFile(*pub); err != nil {
						return err
					}
					opts.PublicKey = k
					if len(atts) == 0 {
						atts = stringList{"slsaprovenance1", "spdxjson"}
					}
					for _, a := range atts {
						if a == "none" {
							continue
						}
						uri, err := sign.ParsePredicateType(a)
						if err != nil {
							return usagef(env, "--attestation: %v", err)
						}
						opts.Attestations = append(opts.Attestations, uri)
					}
				}
				results, err := release.Verify(context.Background(), opts)
				if err != nil {
					return err
				}
				var failed []string
				for _, r := range results {
					if !r.OK() {
						failed = append(failed, r.Label)
					}
					if *asJSON {
						b, err := json.Marshal(r)
						if err != nil {
							return err
						}
						fmt.Fprintln(env.Stdout, string(b))
						continue
					}
					printReleaseResult(env, r, *tag, opts.PublicKey != nil)
				}
				if len(failed) > 0 {
					return fmt.Errorf("release verify: %d of %d images do not match the release: %s", len(failed), len(results), strings.Join(failed, ", "))
				}
				return nil
			}
		},
	})
}

func printReleaseResult(env *Env, r *release.Result, tag string, signed bool) {
	if r.OK() {
		extra := ""
		if signed {
			extra = " signed by key " + r.KeyID
		}
		if r.Local != "" {
			extra += ", rebuilt locally to the same digest"
		}
		fmt.Fprintf(env.Stdout, "OK %s %s:%s %s%s\n", r.Label, r.Repository, tag, r.Served, extra)
		return
	}
	fmt.Fprintf(env.Stdout, "MISMATCH %s %s:%s\n", r.Label, r.Repository, tag)
	for _, p := range r.Problems {
		fmt.Fprintf(env.Stdout, "  %s\n", p)
	}
	if r.Diff != nil {
		fmt.Fprintf(env.Stdout, "  differences %s -> %s:\n", r.Diff.A, r.Diff.B)
		for _, d := range r.Diff.Differences {
			fmt.Fprintf(env.Stdout, "    %s\n", d.String())
		}
	}
}
