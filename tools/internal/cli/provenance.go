package cli

import (
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/rules-odp/rules_odp/tools/internal/buildinfo"
	"github.com/rules-odp/rules_odp/tools/internal/image"
	"github.com/rules-odp/rules_odp/tools/internal/provenance"
)

func init() {
	register(&Command{
		Noun:    "provenance",
		Verb:    "write",
		Args:    "--out STATEMENT.json (--push-record RECORD.jsonl | --layout LAYOUT --repository REPO) [flags]",
		Summary: "write SLSA provenance (an in-toto statement) for a pushed image",
		Help: `Writes an in-toto Statement v1 with a SLSA provenance v1 predicate. Its
subjects are the pushed repositories with the manifest digest (hex without
"sha256:", as in-toto wants); its resolved dependencies are the source
revision, the lock files, the base images and the Go toolchain. The same
inputs give the same bytes: nothing comes from the clock or the machine
unless given by a flag.

Subjects come from --push-record (what image push --record wrote) or from
--layout and --repository. With both --push-record and --layout, every
record must carry the layout's digest.`,
		Flags: func(fs *flag.FlagSet, env *Env) func([]string) error {
			out := fs.String("out", "", "statement file to write (required; - for stdout)")
			var records stringList
			fs.Var(&records, "push-record", "JSON Lines push record of image push --record (repeatable)")
			layout := fs.String("layout", "", "the pushed OCI layout: its digest is checked or used, its config is listed as a byproduct")
			repo := fs.String("repository", "", "REGISTRY/PATH the layout was pushed to (with --layout, when there is no --push-record)")
			common := provenanceInputs(fs, "")
			var ext, internal, versions stringList
			goVersion := fs.String("go-version", runtime.Version(), "Go toolchain version to list (empty: none)")
			fs.Var(&versions, "builder-version", "NAME=VERSION of a build platform component (repeatable; odptool's own version and modules are added)")
			invocation := fs.String("invocation-id", "", "identifier of this build run (e.g. a CI job URL)")
			started := fs.String("started-on", "", "RFC 3339 time the build started")
			finished := fs.String("finished-on", "", "RFC 3339 time the build finished")
			fs.Var(&ext, "external-parameter", "NAME=VALUE added to externalParameters (repeatable)")
			fs.Var(&internal, "internal-parameter", "NAME=VALUE added to internalParameters (repeatable)")
			return func(args []string) error {
				if len(args) != 0 {
					return usagef(env, "unexpected arguments %q", args)
				}
				if *out == "" {
					return usagef(env, "--out is required")
				}
				in := provenance.Inputs{
					GoVersion:    *goVersion,
					InvocationID: *invocation,
				}
				var err error
				if in.Pushed, in.ConfigDigest, err = pushedImages(records, *layout, *repo); err != nil {
					var u provenanceUsage
					if errors.As(err, &u) {
						return usagef(env, "%s", string(u))
					}
					return err
				}
				if err := common.fill(env, &in); err != nil {
					return err
				}
				for _, p := range []struct {
					flag string
					list stringList
					dst  *map[string]string
				}{
					{"--external-parameter", ext, &in.ExternalParameters},
					{"--internal-parameter", internal, &in.InternalParameters},
					{"--builder-version", versions, &in.BuilderVersion},
				} {
					if *p.dst, err = keyValues(p.list); err != nil {
						return usagef(env, "%s: %v", p.flag, err)
					}
				}
				addBuilderVersions(&in)
				for _, t := range []struct {
					flag, value string
					dst         *time.Time
				}{{"--started-on", *started, &in.StartedOn}, {"--finished-on", *finished, &in.FinishedOn}} {
					if t.value == "" {
						continue
					}
					if *t.dst, err = time.Parse(time.RFC3339Nano, t.value); err != nil {
						return usagef(env, "%s %q: want an RFC 3339 time: %v", t.flag, t.value, err)
					}
				}
				st, err := provenance.New(in)
				if err != nil {
					return err
				}
				if *out == "-" {
					b, err := st.Marshal()
					if err != nil {
						return err
					}
					_, err = env.Stdout.Write(b)
					return err
				}
				return st.WriteFile(*out)
			}
		},
	})
}

// provenanceUsage is an error in how the flags were combined.
type provenanceUsage string

func (u provenanceUsage) Error() string { return string(u) }

// pushedImages collects the subjects from push records and/or a layout.
func pushedImages(records []string, layout, repo string) ([]provenance.Pushed, string, error) {
	var pushed []provenance.Pushed
	for _, r := range records {
		ps, err := provenance.ReadPushRecordFile(r)
		if err != nil {
			return nil, "", err
		}
		pushed = append(pushed, ps...)
	}
	var configDigest string
	if layout != "" {
		info, err := image.Inspect(layout)
		if err != nil {
			return nil, "", err
		}
		configDigest = info.ImageID
		if len(records) == 0 {
			if repo == "" {
				return nil, "", provenanceUsage("--layout without --push-record needs --repository")
			}
			pushed = []provenance.Pushed{{Image: repo, Digest: info.ManifestDigest}}
		}
		for _, p := range pushed {
			if p.Digest != info.ManifestDigest {
				return nil, "", fmt.Errorf("push record says %s is %s, but layout %q is %s", p.Image, p.Digest, layout, info.ManifestDigest)
			}
		}
	}
	if len(pushed) == 0 {
		return nil, "", provenanceUsage("give --push-record, or --layout and --repository")
	}
	if repo != "" {
		for _, p := range pushed {
			if r, _, err := provenance.SplitImage(p.Image); err != nil || r != repo {
				return nil, "", fmt.Errorf("push record names %s, not repository %s", p.Image, repo)
			}
		}
	}
	return pushed, configDigest, nil
}

// namedPath reads [NAME=]PATH. The default name is the path itself, which
// must then be relative: an absolute path would tie the statement to one
// machine's directories.
func namedPath(s string) (name, path string, err error) {
	if n, p, ok := strings.Cut(s, "="); ok {
		if n == "" || p == "" {
			return "", "", fmt.Errorf("%q: want NAME=PATH", s)
		}
		return n, p, nil
	}
	if filepath.IsAbs(s) {
		return "", "", fmt.Errorf("%q is absolute; give NAME=%s so the statement does not depend on where the file is", s, s)
	}
	return filepath.ToSlash(filepath.Clean(s)), s, nil
}

func keyValues(list []string) (map[string]string, error) {
	if len(list) == 0 {
		return nil, nil
	}
	m := map[string]string{}
	for _, kv := range list {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%q: want NAME=VALUE", kv)
		}
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("%q is given twice", k)
		}
		m[k] = v
	}
	return m, nil
}

// provenanceInputFlags are the provenance flags `provenance write` and
// `image push --provenance` share, with one meaning each.
type provenanceInputFlags struct {
	sourceURI, sourceRev, sourceRef, builder *string
	locks, baseLayouts, baseDigests          stringList
}

// provenanceInputs declares the shared flags; prefix starts each usage
// text (push says they need --provenance).
func provenanceInputs(fs *flag.FlagSet, prefix string) *provenanceInputFlags {
	f := &provenanceInputFlags{
		sourceURI: fs.String("source-uri", "", prefix+"source repository, e.g. git+https://github.com/org/repo"),
		sourceRev: fs.String("source-revision", "", prefix+"git commit the build was made from"),
		sourceRef: fs.String("source-ref", "", prefix+"git ref that resolved to --source-revision, e.g. refs/heads/main"),
		builder:   fs.String("builder-id", provenance.DefaultBuilderID, prefix+"URI of the build platform that ran the build"),
	}
	fs.Var(&f.locks, "lock", prefix+"[NAME=]FILE: a lock file, listed by NAME (default the relative path) and sha256 (repeatable)")
	fs.Var(&f.baseLayouts, "base-layout", prefix+"[NAME=]LAYOUT: a base image layout, listed by NAME (default the relative path) and the digest its index.json names (repeatable)")
	fs.Var(&f.baseDigests, "base-digest", prefix+"NAME@sha256:HEX: a base image given by digest (repeatable)")
	return f
}

// setFlags names the flags given, for verbs where they need --provenance.
func (f *provenanceInputFlags) setFlags() []string {
	var set []string
	for _, c := range []struct {
		flag string
		set  bool
	}{
		{"--source-uri", *f.sourceURI != ""},
		{"--source-revision", *f.sourceRev != ""},
		{"--source-ref", *f.sourceRef != ""},
		{"--builder-id", *f.builder != provenance.DefaultBuilderID},
		{"--lock", len(f.locks) > 0},
		{"--base-layout", len(f.baseLayouts) > 0},
		{"--base-digest", len(f.baseDigests) > 0},
	} {
		if c.set {
			set = append(set, c.flag)
		}
	}
	return set
}

// fill reads the files the flags name into in.
func (f *provenanceInputFlags) fill(env *Env, in *provenance.Inputs) error {
	in.Source = provenance.Source{URI: *f.sourceURI, Revision: *f.sourceRev, Ref: *f.sourceRef}
	in.BuilderID = *f.builder
	for _, l := range f.locks {
		name, file, err := namedPath(l)
		if err != nil {
			return usagef(env, "--lock: %v", err)
		}
		d, err := provenance.HashFile(file)
		if err != nil {
			return fmt.Errorf("lock file: %w", err)
		}
		in.Locks = append(in.Locks, provenance.Dependency{Name: name, Digest: d})
	}
	for _, b := range f.baseLayouts {
		name, dir, err := namedPath(b)
		if err != nil {
			return usagef(env, "--base-layout: %v", err)
		}
		d, err := image.Digest(dir)
		if err != nil {
			return fmt.Errorf("base image: %w", err)
		}
		in.Bases = append(in.Bases, provenance.Dependency{Name: name, Digest: d})
	}
	for _, b := range f.baseDigests {
		name, d, ok := strings.Cut(b, "@")
		if !ok || name == "" {
			return usagef(env, "--base-digest %q: want NAME@sha256:HEX", b)
		}
		in.Bases = append(in.Bases, provenance.Dependency{Name: name, Digest: d})
	}
	return nil
}

// addBuilderVersions records odptool's version and the Go modules it was
// built with (those decide the bytes) as builder versions, unless the
// caller named them already.
func addBuilderVersions(in *provenance.Inputs) {
	info := buildinfo.Read()
	if in.BuilderVersion == nil {
		in.BuilderVersion = map[string]string{}
	}
	set := func(k, v string) {
		if _, given := in.BuilderVersion[k]; !given && v != "" {
			in.BuilderVersion[k] = v
		}
	}
	set("odptool", info.Version)
	for _, m := range info.Modules {
		set(m.Path, m.Version)
	}
}
