// Package release checks a published release against its digests file:
// that the registry serves every image under the release tag with the
// expected digest, that each is signed (as Confidential Space will check)
// and attested with the release key, and that a local rebuild gives the
// same digests. On a mismatch it explains the difference file by file
// with package imagediff.
package release

import (
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/rules-odp/rules_odp/tools/internal/image"
	"github.com/rules-odp/rules_odp/tools/internal/imagediff"
	"github.com/rules-odp/rules_odp/tools/internal/registry"
	"github.com/rules-odp/rules_odp/tools/internal/sign"
)

// Expected is one line of a release digests file.
type Expected struct {
	Label   string `json:"label"`
	Digest  string `json:"digest"`
	ImageID string `json:"image_id"`
}

var (
	digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	labelRE  = regexp.MustCompile(`^//[A-Za-z0-9_./+-]*:[A-Za-z0-9_.+-]+$`)
)

// maxDigestsFile bounds the file read into memory.
const maxDigestsFile = 16 << 20

// ParseDigestsFile reads the file scripts/build_images.sh
// --write-expected writes: comment lines starting with '#', then one line
// per image, "LABEL MANIFEST_DIGEST IMAGE_ID". Anything else, a label
// twice, or no image at all is an error.
func ParseDigestsFile(data []byte) ([]Expected, error) {
	if len(data) > maxDigestsFile {
		return nil, fmt.Errorf("larger than %d bytes", maxDigestsFile)
	}
	var out []Expected
	seen := map[string]int{}
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			return nil, fmt.Errorf("line %d: want LABEL DIGEST IMAGE_ID, got %d fields", n, len(f))
		}
		e := Expected{Label: f[0], Digest: f[1], ImageID: f[2]}
		switch {
		case !labelRE.MatchString(e.Label):
			return nil, fmt.Errorf("line %d: %q is not a Bazel label //PACKAGE:NAME", n, e.Label)
		case !digestRE.MatchString(e.Digest):
			return nil, fmt.Errorf("line %d: digest %q is not sha256:<64 hex digits>", n, e.Digest)
		case !digestRE.MatchString(e.ImageID):
			return nil, fmt.Errorf("line %d: image ID %q is not sha256:<64 hex digits>", n, e.ImageID)
		}
		if prev, dup := seen[e.Label]; dup {
			return nil, fmt.Errorf("line %d: %s again (first on line %d)", n, e.Label, prev)
		}
		seen[e.Label] = n
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil, errors.New("no images listed")
	}
	return out, nil
}

// ReadDigestsFile reads and parses a digests file.
func ReadDigestsFile(path string) ([]Expected, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading release digests: %w", err)
	}
	e, err := ParseDigestsFile(data)
	if err != nil {
		return nil, fmt.Errorf("release digests %q: %w", path, err)
	}
	return e, nil
}

// SplitLabel returns the package and name of //PACKAGE:NAME.
func SplitLabel(label string) (pkg, target string) {
	pkg, target, _ = strings.Cut(strings.TrimPrefix(label, "//"), ":")
	return pkg, target
}

// LayoutFor is where a local build keeps the layout of label under dir,
// as bazel-bin does and build_images.sh --expected-layouts expects:
// DIR/PACKAGE/NAME.
func LayoutFor(dir, label string) string {
	pkg, target := SplitLabel(label)
	return filepath.Join(dir, filepath.FromSlash(pkg), target)
}

// Options configure Verify.
type Options struct {
	Images []Expected
	// Repository maps a label to the image's REGISTRY/PATH.
	Repository func(label string) (string, error)
	// SignatureRepository maps a label to where its .sig and .att live;
	// nil or "" means the image's repository.
	SignatureRepository func(label string) string
	// Tag is the release tag every image is served under.
	Tag string
	// PublicKey verifies signatures and attestations; nil skips both.
	PublicKey crypto.PublicKey
	// Attestations are the predicate type URIs that must be attested.
	Attestations []string
	// Layouts, if set, holds a local build (see LayoutFor).
	Layouts  string
	Insecure bool
	Keychain authn.Keychain
}

// Result is the verdict on one image.
type Result struct {
	Label      string `json:"label"`
	Repository string `json:"repository"`
	Expected   string `json:"expected"`
	// Served is what the registry serves under the tag ("" if nothing).
	Served        string `json:"served,omitempty"`
	ServedImageID string `json:"served_image_id,omitempty"`
	// Local is the digest of the local build, if one was given.
	Local string `json:"local,omitempty"`
	// KeyID of the release key's signature, if verified.
	KeyID string `json:"key_id,omitempty"`
	// Problems is empty when the image is as released.
	Problems []string `json:"problems"`
	// Diff explains a digest mismatch file by file (nil if none or if no
	// reference image could be read).
	Diff *imagediff.Report `json:"diff,omitempty"`
}

// OK reports whether the image passed.
func (r *Result) OK() bool { return len(r.Problems) == 0 }

func (r *Result) problem(format string, a ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, a...))
}

// Verify checks every image; it returns one result per image in order
// and an error only for failures that are not about an image (bad
// options). Callers fail if any result is not OK.
func Verify(ctx context.Context, opts Options) ([]*Result, error) {
	if opts.Tag == "" {
		return nil, errors.New("no release tag")
	}
	if opts.Repository == nil {
		return nil, errors.New("no repository mapping")
	}
	var out []*Result
	for _, e := range opts.Images {
		r := &Result{Label: e.Label, Expected: e.Digest, Problems: []string{}}
		out = append(out, r)
		repo, err := opts.Repository(e.Label)
		if err != nil {
			r.problem("%v", err)
			continue
		}
		r.Repository = repo
		verifyOne(ctx, opts, e, r)
	}
	return out, nil
}

func verifyOne(ctx context.Context, opts Options, e Expected, r *Result) {
	rem := sign.Remote{Insecure: opts.Insecure, Keychain: opts.Keychain}
	if err := served(ctx, opts, r); err != nil {
		r.problem("%v", err)
	} else {
		if r.Served != e.Digest {
			r.problem("registry serves %s:%s as %s, but the release says %s", r.Repository, opts.Tag, r.Served, e.Digest)
		}
		if r.ServedImageID != e.ImageID {
			r.problem("registry serves %s:%s with image ID %s, but the release says %s", r.Repository, opts.Tag, r.ServedImageID, e.ImageID)
		}
		if opts.PublicKey != nil {
			t := sign.Target{Repository: r.Repository, Digest: r.Served}
			if opts.SignatureRepository != nil {
				t.SignatureRepository = opts.SignatureRepository(e.Label)
			}
			if chk, err := sign.VerifySignatures(ctx, t, opts.PublicKey, rem); err != nil {
				r.problem("signature: %v", err)
			} else {
				r.KeyID = chk.Verified.KeyID
			}
			if len(opts.Attestations) > 0 {
				if _, err := sign.VerifyAttestations(ctx, t, opts.PublicKey, opts.Attestations, rem); err != nil {
					r.problem("attestations: %v", err)
				}
			}
		}
	}
	var local string
	if opts.Layouts != "" {
		dir := LayoutFor(opts.Layouts, e.Label)
		d, err := image.Digest(dir)
		if err != nil {
			r.problem("local build: %v", err)
		} else {
			local, r.Local = dir, d
			if d != e.Digest {
				r.problem("the local build %s gives %s, but the release says %s", dir, d, e.Digest)
			}
		}
	}
	// Explain a mismatch file by file: what is served against the local
	// build, or else the released image (if the registry still has it)
	// against what is served or built.
	at := func(d string) string { return imagediff.RegistryPrefix + r.Repository + "@" + d }
	var a, b string
	switch {
	case r.Served != "" && local != "" && r.Served != r.Local:
		a, b = at(r.Served), local
	case r.Served != "" && r.Served != e.Digest:
		a, b = at(e.Digest), at(r.Served)
	case r.Served == "" && local != "" && r.Local != e.Digest:
		a, b = at(e.Digest), local
	}
	if a != "" {
		rep, err := diff(ctx, a, b, opts.Keychain)
		if err != nil {
			r.problem("explaining the difference: %v", err)
		} else {
			r.Diff = rep
		}
	}
}

// served resolves the release tag and checks the manifest bytes.
func served(ctx context.Context, opts Options, r *Result) error {
	repo, err := registry.ParseRepository(r.Repository, opts.Insecure)
	if err != nil {
		return err
	}
	tag := repo.Tag(opts.Tag)
	if tag.TagStr() != opts.Tag {
		return fmt.Errorf("invalid tag %q", opts.Tag)
	}
	keychain := opts.Keychain
	if keychain == nil {
		keychain = authn.NewMultiKeychain()
	}
	desc, err := remote.Get(tag, remote.WithContext(ctx), remote.WithAuthFromKeychain(keychain), remote.WithUserAgent("rules_odp"), remote.WithRetryBackoff(registry.DefaultBackoff))
	if err != nil {
		return fmt.Errorf("fetching %s: %w", tag, err)
	}
	sum := sha256.Sum256(desc.Manifest)
	if got := "sha256:" + hex.EncodeToString(sum[:]); got != desc.Digest.String() {
		return fmt.Errorf("%s: registry says %s, but the manifest hashes to %s", tag, desc.Digest, got)
	}
	r.Served = desc.Digest.String()
	var m struct {
		Config struct {
			Digest string `json:"digest"`
		} `json:"config"`
	}
	if err := json.Unmarshal(desc.Manifest, &m); err != nil {
		return fmt.Errorf("%s: parsing manifest: %w", tag, err)
	}
	r.ServedImageID = m.Config.Digest
	return nil
}

func diff(ctx context.Context, a, b string, keychain authn.Keychain) (*imagediff.Report, error) {
	oo := imagediff.OpenOptions{Keychain: keychain}
	ia, err := imagediff.Open(ctx, a, oo)
	if err != nil {
		return nil, err
	}
	ib, err := imagediff.Open(ctx, b, oo)
	if err != nil {
		return nil, err
	}
	return imagediff.Compare(ctx, ia, ib, imagediff.Options{Semantic: true})
}

// PrefixRepository maps //PACKAGE:NAME to PREFIX/NAME, with per-label
// overrides.
func PrefixRepository(prefix string, overrides map[string]string) func(string) (string, error) {
	return func(label string) (string, error) {
		if r, ok := overrides[label]; ok {
			return r, nil
		}
		if prefix == "" {
			return "", fmt.Errorf("no repository for %s: give a repository prefix or a mapping for it", label)
		}
		_, target := SplitLabel(label)
		r := strings.TrimSuffix(prefix, "/") + "/" + target
		if _, err := name.NewRepository(r); err != nil {
			return "", fmt.Errorf("repository %q for %s: %w", r, label, err)
		}
		return r, nil
	}
}
