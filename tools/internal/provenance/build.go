package provenance

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Pushed is one image as pushed: Image is REPO or REPO:TAG and Digest the
// manifest digest in OCI form ("sha256:<hex>"), as push records have them.
type Pushed struct {
	Image  string `json:"image"`
	Digest string `json:"digest"`
}

// Source is the revision the build was made from.
type Source struct {
	URI      string // e.g. git+https://github.com/org/repo; optional
	Revision string // git commit, 40 or 64 hex digits; optional
	Ref      string // e.g. refs/heads/main; optional
}

// Dependency is a resolved input named by the caller: a lock file (Digest
// is its sha256) or a base image (Digest is its manifest or index digest).
// Digest is in OCI form, "sha256:<hex>".
type Dependency struct {
	Name   string
	Digest string
}

// Inputs are everything a statement says. The zero value of an optional
// field leaves it out; nothing is filled in from the environment here.
type Inputs struct {
	// Pushed are the images to attest; at least one. Images with the
	// same repository and digest (several tags) become one subject.
	Pushed []Pushed
	// ConfigDigest, if known, is the image config digest (the image ID
	// Confidential Space reports), listed as a byproduct.
	ConfigDigest string
	Source       Source
	Locks        []Dependency
	Bases        []Dependency
	// GoVersion is the Go toolchain, as runtime.Version() prints it.
	GoVersion string
	// ExternalParameters and InternalParameters are added to the ones
	// derived from the inputs; a name may not be set twice.
	ExternalParameters map[string]string
	InternalParameters map[string]string
	BuilderID          string // required
	BuilderVersion     map[string]string
	InvocationID       string
	StartedOn          time.Time
	FinishedOn         time.Time
}

// ConfigMediaType is the media type of the config byproduct.
const ConfigMediaType = "application/vnd.oci.image.config.v1+json"

// New builds the statement for in. Lists are sorted, so that the order in
// which inputs were given does not change the bytes.
func New(in Inputs) (*Statement, error) {
	if len(in.Pushed) == 0 {
		return nil, errors.New("no pushed image to attest")
	}
	if err := checkTypeURI(in.BuilderID); err != nil {
		return nil, fmt.Errorf("builder id: %w", err)
	}
	subjects, images, err := subjectsOf(in.Pushed)
	if err != nil {
		return nil, err
	}
	ext := map[string]any{"images": images}
	if in.Source.URI != "" {
		if err := checkResourceURI(in.Source.URI); err != nil {
			return nil, fmt.Errorf("source uri: %w", err)
		}
		ext["source"] = in.Source.URI
	}
	if in.Source.Ref != "" {
		ext["ref"] = in.Source.Ref
	}
	if err := addParams(ext, in.ExternalParameters); err != nil {
		return nil, fmt.Errorf("external parameter %w", err)
	}
	var internal map[string]any
	if len(in.InternalParameters) > 0 {
		internal = map[string]any{}
		if err := addParams(internal, in.InternalParameters); err != nil {
			return nil, fmt.Errorf("internal parameter %w", err)
		}
		for k := range internal {
			if _, dup := ext[k]; dup {
				// SLSA: the same name should not be used for both.
				return nil, fmt.Errorf("parameter %q is both external and internal", k)
			}
		}
	}
	deps, err := dependencies(in)
	if err != nil {
		return nil, err
	}
	var byproducts []ResourceDescriptor
	if in.ConfigDigest != "" {
		ds, err := DigestSet(in.ConfigDigest)
		if err != nil {
			return nil, fmt.Errorf("config digest: %w", err)
		}
		byproducts = append(byproducts, ResourceDescriptor{Name: "config", Digest: ds, MediaType: ConfigMediaType})
	}
	md, err := metadata(in)
	if err != nil {
		return nil, err
	}
	return &Statement{
		Type:          StatementType,
		Subject:       subjects,
		PredicateType: PredicateType,
		Predicate: Provenance{
			BuildDefinition: BuildDefinition{
				BuildType:            BuildType,
				ExternalParameters:   ext,
				InternalParameters:   internal,
				ResolvedDependencies: deps,
			},
			RunDetails: RunDetails{
				Builder:    Builder{ID: in.BuilderID, Version: in.BuilderVersion},
				Metadata:   md,
				Byproducts: byproducts,
			},
		},
	}, nil
}

// subjectsOf turns pushed images into subjects (repository and digest,
// one per pair) and the sorted list of images as pushed.
func subjectsOf(pushed []Pushed) ([]ResourceDescriptor, []string, error) {
	type key struct{ repo, digest string }
	seen := map[key]bool{}
	seenImage := map[string]bool{}
	var subjects []ResourceDescriptor
	var images []string
	for _, p := range pushed {
		repo, _, err := SplitImage(p.Image)
		if err != nil {
			return nil, nil, err
		}
		ds, err := DigestSet(p.Digest)
		if err != nil {
			return nil, nil, fmt.Errorf("image %q: %w", p.Image, err)
		}
		if !seenImage[p.Image] {
			seenImage[p.Image] = true
			images = append(images, p.Image)
		}
		if k := (key{repo, p.Digest}); !seen[k] {
			seen[k] = true
			subjects = append(subjects, ResourceDescriptor{Name: repo, Digest: ds})
		}
	}
	sort.Slice(subjects, func(i, j int) bool {
		if subjects[i].Name != subjects[j].Name {
			return subjects[i].Name < subjects[j].Name
		}
		return subjects[i].Digest["sha256"] < subjects[j].Digest["sha256"]
	})
	sort.Strings(images)
	return subjects, images, nil
}

func dependencies(in Inputs) ([]ResourceDescriptor, error) {
	var deps []ResourceDescriptor
	if in.Source.URI != "" || in.Source.Revision != "" {
		d := ResourceDescriptor{Name: "source", URI: in.Source.URI}
		if in.Source.Revision != "" {
			if !gitCommitRE.MatchString(in.Source.Revision) {
				return nil, fmt.Errorf("source revision %q is not a git commit (40 or 64 lower-case hex digits)", in.Source.Revision)
			}
			d.Digest = map[string]string{"gitCommit": in.Source.Revision}
		}
		deps = append(deps, d)
	}
	if in.GoVersion != "" {
		// The purl of the Go standard library, as SBOM tools name it.
		v := strings.TrimPrefix(in.GoVersion, "go")
		deps = append(deps, ResourceDescriptor{Name: "go", URI: "pkg:golang/stdlib@" + url.PathEscape(v)})
	}
	for _, group := range []struct {
		what string
		deps []Dependency
	}{{"lock file", in.Locks}, {"base image", in.Bases}} {
		for _, d := range group.deps {
			if d.Name == "" {
				return nil, fmt.Errorf("%s %s has no name", group.what, d.Digest)
			}
			ds, err := DigestSet(d.Digest)
			if err != nil {
				return nil, fmt.Errorf("%s %q: %w", group.what, d.Name, err)
			}
			deps = append(deps, ResourceDescriptor{Name: d.Name, Digest: ds})
		}
	}
	sort.Slice(deps, func(i, j int) bool { return deps[i].Name < deps[j].Name })
	for i := 1; i < len(deps); i++ {
		if deps[i].Name == deps[i-1].Name {
			return nil, fmt.Errorf("two resolved dependencies are named %q", deps[i].Name)
		}
	}
	return deps, nil
}

func metadata(in Inputs) (*BuildMetadata, error) {
	md := BuildMetadata{InvocationID: in.InvocationID}
	if !in.StartedOn.IsZero() {
		md.StartedOn = formatTime(in.StartedOn)
	}
	if !in.FinishedOn.IsZero() {
		md.FinishedOn = formatTime(in.FinishedOn)
	}
	if !in.StartedOn.IsZero() && !in.FinishedOn.IsZero() && in.FinishedOn.Before(in.StartedOn) {
		return nil, fmt.Errorf("finished on %s, before it started on %s", md.FinishedOn, md.StartedOn)
	}
	if md == (BuildMetadata{}) {
		return nil, nil
	}
	return &md, nil
}

// formatTime writes an in-toto Timestamp: RFC 3339 in UTC ("Z").
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func addParams(dst map[string]any, src map[string]string) error {
	for k, v := range src {
		if k == "" {
			return errors.New("with an empty name")
		}
		if _, dup := dst[k]; dup {
			return fmt.Errorf("%q is already set", k)
		}
		dst[k] = v
	}
	return nil
}

var (
	hexRE       = regexp.MustCompile(`^[0-9a-f]{64}$`)
	gitCommitRE = regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64})$`)
	schemeRE    = regexp.MustCompile(`^[a-z][a-z0-9+.-]*:`)
)

// DigestSet converts an OCI digest ("sha256:<hex>") to an in-toto digest
// set ({"sha256": "<hex>"}): in-toto keys by algorithm and wants the bare
// hex, so keeping the prefix would name a digest no verifier matches.
func DigestSet(ociDigest string) (map[string]string, error) {
	alg, hex, ok := strings.Cut(ociDigest, ":")
	if !ok || alg != "sha256" || !hexRE.MatchString(hex) {
		return nil, fmt.Errorf("digest %q: want sha256:<64 lower-case hex digits>", ociDigest)
	}
	return map[string]string{"sha256": hex}, nil
}

// SplitImage splits REPO:TAG (or REPO) as push records spell images. The
// tag is what follows the last ":" after the last "/", so a registry port
// is not taken for a tag. A digest reference (REPO@sha256:...) is refused:
// records name tags, and the digest is given separately.
func SplitImage(ref string) (repo, tag string, err error) {
	if strings.Contains(ref, "@") {
		return "", "", fmt.Errorf("image %q: want REPO or REPO:TAG, not a digest reference", ref)
	}
	slash := strings.LastIndex(ref, "/")
	if slash < 0 {
		return "", "", fmt.Errorf("image %q does not start with a registry host", ref)
	}
	repo = ref
	if i := strings.LastIndex(ref, ":"); i > slash {
		repo, tag = ref[:i], ref[i+1:]
		if tag == "" {
			return "", "", fmt.Errorf("image %q has an empty tag", ref)
		}
	}
	if strings.ContainsAny(repo, " \t\n") || strings.HasSuffix(repo, "/") {
		return "", "", fmt.Errorf("image %q: malformed repository", ref)
	}
	return repo, tag, nil
}

// checkTypeURI applies the in-toto rule that TypeURIs and ResourceURIs
// have a lower-case scheme.
func checkTypeURI(s string) error {
	if s == "" {
		return errors.New("empty")
	}
	return checkResourceURI(s)
}

func checkResourceURI(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URI: %w", s, err)
	}
	if !schemeRE.MatchString(s) || u.Scheme == "" {
		return fmt.Errorf("%q is not an absolute URI with a lower-case scheme", s)
	}
	if strings.ToLower(u.Host) != u.Host {
		return fmt.Errorf("%q: the host must be lower case", s)
	}
	return nil
}
