package imagediff

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/rules-odp/rules_odp/tools/internal/budget"
	"github.com/rules-odp/rules_odp/tools/internal/image"
	"github.com/rules-odp/rules_odp/tools/internal/registry"
	"github.com/rules-odp/rules_odp/tools/internal/strictjson"
)

// openRemote reads an image from a registry. go-containerregistry checks
// the manifest against the digest it was asked for (or the registry
// reported) and verifies every blob's digest as it streams; we check the
// sizes against the descriptors, which it does not for plain blob reads.
func openRemote(ctx context.Context, arg, ref string, opts OpenOptions) (*Image, error) {
	if err := checkRegistryHost(ref); err != nil {
		return nil, err
	}
	nopts := []name.Option{name.StrictValidation}
	if opts.Insecure {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.ParseReference(ref, nopts...)
	if err != nil {
		return nil, fmt.Errorf("registry reference %q: %w", ref, err)
	}
	tr := registry.NewTransport(r.Context().Registry, registry.TransportOptions{Timeout: opts.Timeout, Insecure: opts.Insecure})
	keychain := opts.Keychain
	if keychain == nil {
		keychain = authn.NewMultiKeychain()
	}
	optsFor := func(ctx context.Context) []remote.Option {
		return []remote.Option{
			remote.WithContext(ctx),
			remote.WithAuthFromKeychain(keychain),
			remote.WithUserAgent("rules_odp"),
			remote.WithTransport(tr),
		}
	}
	ropts := optsFor(ctx)
	desc, err := remote.Get(r, ropts...)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", r, err)
	}
	raw := desc.Manifest
	d := image.Descriptor{MediaType: string(desc.MediaType), Digest: desc.Digest.String(), Size: desc.Size}
	if isIndexType(d.MediaType) {
		if opts.Platform == nil {
			return nil, fmt.Errorf("%s is an image index (%s); choose an image with --platform", r, d.Digest)
		}
		p := v1.Platform{OS: opts.Platform.OS, Architecture: opts.Platform.Architecture, Variant: opts.Platform.Variant}
		desc, err := remote.Get(r, append(ropts, remote.WithPlatform(p))...)
		if err != nil {
			return nil, fmt.Errorf("fetching %s: %w", r, err)
		}
		img, err := desc.Image()
		if err != nil {
			return nil, fmt.Errorf("choosing %s from %s: %w", opts.Platform, r, err)
		}
		if raw, err = img.RawManifest(); err != nil {
			return nil, fmt.Errorf("fetching the %s manifest of %s: %w", opts.Platform, r, err)
		}
		mt, err := img.MediaType()
		if err != nil {
			return nil, err
		}
		d = image.Descriptor{MediaType: string(mt), Digest: digestOf(raw), Size: int64(len(raw))}
	}
	if len(raw) > budget.ImageJSONBytes {
		return nil, fmt.Errorf("%s: manifest %s: %w", r, d.Digest, &budget.Error{Budget: "bytes of an image JSON document", Limit: budget.ImageJSONBytes, Got: int64(len(raw))})
	}
	if got := digestOf(raw); got != d.Digest {
		return nil, fmt.Errorf("%s: manifest hashes to %s, not %s", r, got, d.Digest)
	}
	m, err := parseManifest(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: parsing manifest %s: %w", r, d.Digest, err)
	}
	repo := r.Context()
	open := func(ctx context.Context, bd image.Descriptor) (io.ReadCloser, error) {
		l, err := remote.Layer(repo.Digest(bd.Digest), optsFor(ctx)...)
		if err != nil {
			return nil, fmt.Errorf("%s: blob %s: %w", repo, bd.Digest, err)
		}
		rc, err := l.Compressed()
		if err != nil {
			return nil, fmt.Errorf("%s: blob %s: %w", repo, bd.Digest, err)
		}
		return &sizedReader{rc: rc, desc: bd, where: repo.String()}, nil
	}
	if m.Config.Size > budget.ImageJSONBytes {
		return nil, fmt.Errorf("%s: config %s declares size %d: %w", r, m.Config.Digest, m.Config.Size,
			&budget.Error{Budget: "bytes of an image JSON document", Limit: budget.ImageJSONBytes, Got: m.Config.Size})
	}
	rc, err := open(ctx, m.Config)
	if err != nil {
		return nil, err
	}
	cfg, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: reading config %s: %w", r, m.Config.Digest, err)
	}
	if err := strictjson.Check(cfg); err != nil {
		return nil, fmt.Errorf("%s: parsing config %s: %w", r, m.Config.Digest, err)
	}
	if opts.Platform != nil {
		if err := checkConfigPlatform(cfg, *opts.Platform); err != nil {
			return nil, fmt.Errorf("%s: config %s: %w", r, m.Config.Digest, err)
		}
	}
	return &Image{Name: arg, Descriptor: d, RawManifest: raw, Manifest: *m, RawConfig: cfg, open: open}, nil
}

// checkRegistryHost refuses references without an explicit registry: a
// bare "app:v1" would silently mean Docker Hub.
func checkRegistryHost(ref string) error {
	first, _, ok := strings.Cut(ref, "/")
	if !ok || !strings.ContainsAny(first, ".:[") && first != "localhost" {
		return fmt.Errorf("registry reference %q does not start with a registry host (e.g. registry:127.0.0.1:5000/app@sha256:...)", ref)
	}
	return nil
}

func isIndexType(mt string) bool {
	return mt == image.MediaTypeOCIIndex || mt == image.MediaTypeDockerManifestList
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// sizedReader fails when a blob is longer or shorter than its descriptor
// says; the digest itself is verified by go-containerregistry.
type sizedReader struct {
	rc    io.ReadCloser
	desc  image.Descriptor
	where string
	n     int64
}

func (s *sizedReader) Read(p []byte) (int, error) {
	n, err := s.rc.Read(p)
	s.n += int64(n)
	if s.n > s.desc.Size {
		return n, fmt.Errorf("%s: blob %s is longer than the %d bytes its descriptor says", s.where, s.desc.Digest, s.desc.Size)
	}
	if err == io.EOF && s.n != s.desc.Size {
		return n, fmt.Errorf("%s: blob %s has %d bytes, its descriptor says %d", s.where, s.desc.Digest, s.n, s.desc.Size)
	}
	return n, err
}

func (s *sizedReader) Close() error { return s.rc.Close() }
