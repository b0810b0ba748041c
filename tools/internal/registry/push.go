// Package registry publishes OCI image layouts to a registry: by digest
// first, with the layout's exact bytes, then under tags, and checks that
// the registry serves what was pushed.
package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/rules-odp/rules_odp/tools/internal/image"
)

// DefaultBackoff bounds the retries of each request that failed in a way
// that may pass (connection reset, EOF, 408/429/5xx): 5 attempts, waiting
// about 1, 2, 4 and 8 seconds in between.
var DefaultBackoff = remote.Backoff{Duration: time.Second, Factor: 2, Jitter: 0.1, Steps: 5}

// PushOptions configure Push.
type PushOptions struct {
	// Repository is REGISTRY/PATH; the registry must be explicit.
	Repository string
	// Tags are applied, in order, after the manifest was pushed by digest.
	Tags []string
	// Insecure allows plain HTTP to any registry (loopback registries,
	// 127.0.0.1:PORT and localhost:PORT, always get it).
	Insecure bool
	// Keychain supplies credentials; nil means anonymous.
	Keychain authn.Keychain
	// Progress, if set, receives a progress line now and then.
	Progress io.Writer
	// Backoff of retried requests; nil means DefaultBackoff.
	Backoff *remote.Backoff
	// Timeout is the per-request idle timeout (see NewTransport); 0 means
	// DefaultTimeout.
	Timeout time.Duration
	// Transport does the HTTP requests; nil means one with connect and
	// TLS handshake timeouts. The idle timeout, the host policy and the
	// check of the blob sizes the registry reports wrap it either way.
	Transport http.RoundTripper
}

// Pushed is what a successful push published.
type Pushed struct {
	Repository string   // as given, e.g. 127.0.0.1:5000/odp/app
	Digest     string   // manifest digest, sha256:...
	Tags       []string // tags now pointing at Digest
}

// Reference is REPO@DIGEST, the immutable name of the pushed image.
func (p *Pushed) Reference() string { return p.Repository + "@" + p.Digest }

// ParseRepository checks a --repository value. A name without a registry
// host would silently mean Docker Hub, so it is refused.
func ParseRepository(repo string, insecure bool) (name.Repository, error) {
	first, _, _ := strings.Cut(repo, "/")
	if !strings.ContainsAny(first, ".:[") && first != "localhost" || !strings.Contains(repo, "/") {
		return name.Repository{}, fmt.Errorf("repository %q does not start with a registry host (e.g. us-docker.pkg.dev/PROJECT/REPO/IMAGE)", repo)
	}
	if strings.ContainsAny(repo[len(first):], "@:") {
		return name.Repository{}, fmt.Errorf("repository %q must not carry a tag or digest; use --tag", repo)
	}
	r, err := name.NewRepository(repo, nameOpts(insecure)...)
	if err != nil {
		return name.Repository{}, fmt.Errorf("repository %q: %w", repo, err)
	}
	return r, nil
}

// Push publishes the one image of an OCI layout. Blobs the registry has
// are skipped; the manifest is put by digest with its exact bytes; only
// then, and only if the registry serves that digest back, are the tags
// set, so a failed push never moves a tag.
func Push(ctx context.Context, layout string, opts PushOptions) (*Pushed, error) {
	repo, err := ParseRepository(opts.Repository, opts.Insecure)
	if err != nil {
		return nil, err
	}
	var tags []name.Tag
	seen := map[string]bool{}
	for _, t := range opts.Tags {
		if seen[t] {
			continue
		}
		seen[t] = true
		tag, err := name.NewTag(repo.Name()+":"+t, nameOpts(opts.Insecure)...)
		if err != nil || tag.TagStr() != t {
			return nil, fmt.Errorf("invalid tag %q", t)
		}
		tags = append(tags, tag)
	}
	img, err := image.ReadSingle(layout)
	if err != nil {
		return nil, err
	}
	gimg, err := partial.CompressedToImage(layoutImage{img})
	if err != nil {
		return nil, err
	}

	backoff := DefaultBackoff
	if opts.Backoff != nil {
		backoff = *opts.Backoff
	}
	keychain := opts.Keychain
	if keychain == nil {
		keychain = authn.NewMultiKeychain()
	}
	sizes := map[string]int64{img.Manifest.Config.Digest: img.Manifest.Config.Size}
	for _, l := range img.Manifest.Layers {
		sizes[l.Digest] = l.Size
	}
	tr := &blobHeadCheck{sizes: sizes, inner: NewTransport(repo.Registry, TransportOptions{Timeout: opts.Timeout, Insecure: opts.Insecure, Base: opts.Transport})}
	ropts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(keychain),
		remote.WithRetryBackoff(backoff),
		remote.WithUserAgent("rules_odp"),
		remote.WithTransport(tr),
	}
	// Verification and tagging send no progress: the pusher's progress
	// channel is only drained while the push runs.
	vopts := ropts
	stopProgress := func() {}
	if opts.Progress != nil {
		var updates chan v1.Update
		updates, stopProgress = showProgress(opts.Progress, repo.Name())
		ropts = append(ropts[:len(ropts):len(ropts)], remote.WithProgress(updates))
	}
	pusher, err := remote.NewPusher(ropts...)
	if err != nil {
		stopProgress()
		return nil, err
	}

	dref := repo.Digest(img.Descriptor.Digest)
	err = pusher.Push(ctx, dref, gimg)
	stopProgress()
	if err != nil {
		return nil, fmt.Errorf("pushing %s: %w", dref, err)
	}
	if err := verify(dref, img.Descriptor.Digest, img.RawManifest, vopts); err != nil {
		return nil, err
	}
	res := &Pushed{Repository: opts.Repository, Digest: img.Descriptor.Digest}
	for _, tag := range tags {
		if err := remote.Put(tag, gimg, vopts...); err != nil {
			return nil, fmt.Errorf("%s was pushed, but tagging it %q failed: %w", res.Reference(), tag.TagStr(), err)
		}
		if err := verify(tag, img.Descriptor.Digest, img.RawManifest, vopts); err != nil {
			return nil, fmt.Errorf("%s was pushed, but tag %q: %w", res.Reference(), tag.TagStr(), err)
		}
		res.Tags = append(res.Tags, tag.TagStr())
	}
	return res, nil
}

func nameOpts(insecure bool) []name.Option {
	if insecure {
		return []name.Option{name.Insecure}
	}
	return nil
}

// verify asks the registry for ref twice: HEAD must report digest and GET
// must return exactly the manifest bytes we pushed.
func verify(ref name.Reference, digest string, manifest []byte, opts []remote.Option) error {
	head, err := remote.Head(ref, opts...)
	if err != nil {
		return fmt.Errorf("checking %s: %w", ref, err)
	}
	if head.Digest.String() != digest {
		return fmt.Errorf("registry serves %s as %s, not %s", ref, head.Digest, digest)
	}
	got, err := remote.Get(ref, opts...)
	if err != nil {
		return fmt.Errorf("checking %s: %w", ref, err)
	}
	sum := sha256.Sum256(got.Manifest)
	if gd := "sha256:" + hex.EncodeToString(sum[:]); gd != digest || !bytes.Equal(got.Manifest, manifest) {
		return fmt.Errorf("registry serves %s with content of digest %s, not %s", ref, gd, digest)
	}
	return nil
}
