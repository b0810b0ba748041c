package cli

import (
	"context"
	"flag"
	"fmt"
	"runtime"

	"github.com/rules-odp/rules_odp/tools/internal/image"
	"github.com/rules-odp/rules_odp/tools/internal/provenance"
	"github.com/rules-odp/rules_odp/tools/internal/registry"
)

func init() {
	register(&Command{
		Noun:    "image",
		Verb:    "push",
		Args:    "--repository REPO [--tag TAG]... [--record PATH] [--provenance PATH [provenance flags]] LAYOUT",
		Summary: "push an OCI layout by digest, then tag it",
		Help: `Pushes the layout's one image manifest with its exact bytes to REPO by
digest (blobs the registry has are skipped; transient failures are retried
with bounded backoff), checks that the registry serves that digest, then
sets each --tag and checks it too. A tag is never set if the push failed.
Prints REPO@DIGEST as the last line.

With --provenance, writes SLSA provenance for what was pushed once all of
it is verified: the same bytes as "odptool provenance write" given the
push record, --layout LAYOUT and the same --lock, --base-layout,
--base-digest, --source-* and --builder-id flags. No provenance is written without --provenance.

Credentials come from, in order: $REGISTRY_AUTH_FILE,
$XDG_RUNTIME_DIR/containers/auth.json, ~/.config/containers/auth.json
($XDG_CONFIG_HOME), $DOCKER_CONFIG/config.json or ~/.docker/config.json
(credential helpers included). Registries on localhost/127.0.0.1/[::1] are
reached over plain HTTP; --insecure allows it for any registry, and for the
other hosts a registry sends us to (redirects, upload locations, token
realms), which are refused over plain HTTP otherwise. Credentials go only to
the registry and the token realm it names. Connecting and TLS handshakes are
bounded; a request that makes no progress for --timeout fails (and is
retried). Blobs the registry claims to have are checked by size, and the
manifest is read back by digest before anything is reported or recorded.`,
		Flags: func(fs *flag.FlagSet, env *Env) func([]string) error {
			repo := fs.String("repository", "", "REGISTRY/PATH to push to (the registry host is required)")
			var tags stringList
			fs.Var(&tags, "tag", "tag to set after the push (repeatable)")
			record := fs.String("record", "", "write JSON Lines {\"image\": \"REPO:TAG\", \"digest\": \"sha256:...\"}, one per tag, to this file")
			insecure := fs.Bool("insecure", false, "allow plain HTTP to the registry, and to other hosts it redirects to or names as token realm")
			timeout := fs.Duration("timeout", registry.DefaultTimeout, "fail a registry request that makes no progress for this `DURATION` (it is retried with the bounded backoff)")
			prov := provenanceFlags(fs)
			return func(args []string) error {
				if len(args) != 1 {
					return usagef(env, "want exactly one LAYOUT, got %d arguments", len(args))
				}
				if *repo == "" {
					return usagef(env, "--repository is required")
				}
				if *timeout <= 0 {
					return usagef(env, "--timeout %s: want a positive duration such as 30s", *timeout)
				}
				layout := args[0]
				// Everything provenance needs from the inputs is read, and
				// the statement tried, before the push: a bad flag must not
				// be found only after the registry was changed.
				in, err := prov.inputs(env, layout, *repo)
				if err != nil {
					return err
				}
				opts := registry.PushOptions{
					Repository: *repo,
					Tags:       tags,
					Insecure:   *insecure,
					Timeout:    *timeout,
					Keychain:   registry.NewKeychain(env.getenv),
				}
				if registry.IsTerminal(env.Stderr) {
					opts.Progress = env.Stderr
				}
				pushed, err := registry.Push(context.Background(), layout, opts)
				if err != nil {
					return err
				}
				if *record != "" {
					if err := registry.WriteRecord(*record, pushed); err != nil {
						return fmt.Errorf("%s was pushed, but writing the record failed: %w", pushed.Reference(), err)
					}
				}
				if in != nil {
					if err := writePushProvenance(*prov.out, in, pushed); err != nil {
						return fmt.Errorf("%s was pushed, but writing the provenance failed: %w", pushed.Reference(), err)
					}
				}
				fmt.Fprintln(env.Stdout, pushed.Reference())
				return nil
			}
		},
	})
}

// pushProvenanceFlags are --provenance FILE and the flags it shares with
// provenance write (same names, meanings and defaults).
type pushProvenanceFlags struct {
	out    *string
	common *provenanceInputFlags
}

func provenanceFlags(fs *flag.FlagSet) *pushProvenanceFlags {
	return &pushProvenanceFlags{
		out:    fs.String("provenance", "", "after a verified push, write SLSA provenance (an in-toto statement) for it to this file"),
		common: provenanceInputs(fs, "with --provenance: "),
	}
}

// inputs builds what the statement says apart from the pushed images,
// or returns nil without --provenance. The statement is built once with
// the layout's digest standing in for the push, so that every error it
// could give is given now.
func (f *pushProvenanceFlags) inputs(env *Env, layout, repo string) (*provenance.Inputs, error) {
	if *f.out == "" {
		if set := f.common.setFlags(); len(set) > 0 {
			return nil, usagef(env, "%s is for the provenance: give --provenance FILE", set[0])
		}
		return nil, nil
	}
	if *f.out == "-" {
		return nil, usagef(env, "--provenance -: stdout carries REPO@DIGEST; give a file")
	}
	in := &provenance.Inputs{GoVersion: runtime.Version()}
	if err := f.common.fill(env, in); err != nil {
		return nil, err
	}
	addBuilderVersions(in)
	info, err := image.Inspect(layout)
	if err != nil {
		return nil, err
	}
	in.ConfigDigest = info.ImageID
	trial := *in
	trial.Pushed = []provenance.Pushed{{Image: repo, Digest: info.ManifestDigest}}
	if _, err := provenance.New(trial); err != nil {
		return nil, fmt.Errorf("provenance: %w", err)
	}
	return in, nil
}

// writePushProvenance attests what the push record lists: one image per
// tag (or the bare repository), all with the verified manifest digest.
func writePushProvenance(path string, in *provenance.Inputs, pushed *registry.Pushed) error {
	full := *in
	for _, e := range pushed.Record() {
		full.Pushed = append(full.Pushed, provenance.Pushed{Image: e.Image, Digest: e.Digest})
	}
	st, err := provenance.New(full)
	if err != nil {
		return err
	}
	return st.WriteFile(path)
}
