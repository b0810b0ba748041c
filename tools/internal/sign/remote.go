package sign

import (
	"context"
	"crypto"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/rules-odp/rules_odp/tools/internal/registry"
)

// Tag suffixes of cosign's tag-based discovery: sha256-<hex>.sig for
// signatures, sha256-<hex>.att for attestations.
const (
	SignatureSuffix   = "sig"
	AttestationSuffix = "att"
)

// maxLayers bounds the layers of a .sig or .att manifest we read (cosign
// refuses more than 1000), maxTotal the bytes of all of them.
const (
	maxLayers = 1000
	maxTotal  = 256 << 20
)

// Remote says how to reach the registry.
type Remote struct {
	// Insecure allows plain HTTP to any registry (loopback registries
	// always get it).
	Insecure bool
	// Keychain supplies credentials; nil means anonymous.
	Keychain authn.Keychain
	// Transport for HTTP; nil means go-containerregistry's default.
	Transport http.RoundTripper
}

func (r Remote) options(ctx context.Context) []remote.Option {
	keychain := r.Keychain
	if keychain == nil {
		keychain = authn.NewMultiKeychain()
	}
	opts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(keychain),
		remote.WithRetryBackoff(registry.DefaultBackoff),
		remote.WithUserAgent("rules_odp"),
	}
	if r.Transport != nil {
		opts = append(opts, remote.WithTransport(r.Transport))
	}
	return opts
}

// Target is the image a signature or attestation is about and where it
// is stored.
type Target struct {
	// Repository is the image's REGISTRY/PATH.
	Repository string
	// Digest is the image's manifest digest.
	Digest string
	// SignatureRepository stores the .sig and .att manifests; empty means
	// Repository (cosign's COSIGN_REPOSITORY, the launcher's
	// tee-signed-image-repos).
	SignatureRepository string
}

type target struct {
	repo, sigRepo name.Repository
	digest        string
}

func (t Target) parse(insecure bool) (*target, error) {
	if !digestRE.MatchString(t.Digest) {
		return nil, fmt.Errorf("image digest %q is not sha256:<64 hex digits>", t.Digest)
	}
	repo, err := registry.ParseRepository(t.Repository, insecure)
	if err != nil {
		return nil, err
	}
	sigRepo := repo
	if t.SignatureRepository != "" {
		if sigRepo, err = registry.ParseRepository(t.SignatureRepository, insecure); err != nil {
			return nil, fmt.Errorf("signature repository: %w", err)
		}
	}
	return &target{repo: repo, sigRepo: sigRepo, digest: t.Digest}, nil
}

// tag is SIGREPO:sha256-<hex>.<suffix>.
func (t *target) tag(suffix string) name.Tag {
	return t.sigRepo.Tag("sha256-" + hexOf(t.digest) + "." + suffix)
}

// TagFor is the tag the launcher and cosign look up for the signatures
// (suffix "sig") or attestations ("att") of t.
func TagFor(t Target, suffix string) (string, error) {
	pt, err := t.parse(false)
	if err != nil {
		return "", err
	}
	return pt.tag(suffix).String(), nil
}

func isNotFound(err error) bool {
	var terr *transport.Error
	return errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound
}

// checkImage makes sure the registry has the image being signed: a
// signature of a digest nobody pushed is a mistake (a wrong --repository).
func (t *target) checkImage(opts []remote.Option) error {
	ref := t.repo.Digest(t.digest)
	desc, err := remote.Head(ref, opts...)
	if err != nil {
		if isNotFound(err) {
			return fmt.Errorf("%s is not in the registry: push the image first", ref)
		}
		return fmt.Errorf("checking %s: %w", ref, err)
	}
	if desc.Digest.String() != t.digest {
		return fmt.Errorf("registry serves %s as %s", ref, desc.Digest)
	}
	return nil
}

// Layer is one layer of a .sig or .att manifest with its blob.
type Layer struct {
	Descriptor v1.Descriptor
	Blob       []byte
}

// fetchLayers reads the manifest under tag and its layers; a missing tag
// is (nil, nil, nil).
func fetchLayers(tag name.Tag, opts []remote.Option) (v1.Image, []Layer, error) {
	img, err := remote.Image(tag, opts...)
	if err != nil {
		if isNotFound(err) {
			return nil, nil, nil
		}
		return nil, nil, fmt.Errorf("reading %s: %w", tag, err)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", tag, err)
	}
	if len(m.Layers) > maxLayers {
		return nil, nil, fmt.Errorf("%s has %d layers (more than %d)", tag, len(m.Layers), maxLayers)
	}
	var out []Layer
	var total int64
	for i, d := range m.Layers {
		if d.Size < 0 || d.Size > maxPayload {
			return nil, nil, fmt.Errorf("%s layer %d is %d bytes (more than %d)", tag, i+1, d.Size, maxPayload)
		}
		if total += d.Size; total > maxTotal {
			return nil, nil, fmt.Errorf("%s: its layers add up to more than %d bytes", tag, maxTotal)
		}
		l, err := img.LayerByDigest(d.Digest)
		if err != nil {
			return nil, nil, fmt.Errorf("%s layer %d: %w", tag, i+1, err)
		}
		rc, err := l.Compressed()
		if err != nil {
			return nil, nil, fmt.Errorf("%s layer %d: %w", tag, i+1, err)
		}
		b, err := io.ReadAll(io.LimitReader(rc, d.Size+1))
		rc.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("%s layer %d: %w", tag, i+1, err)
		}
		if int64(len(b)) != d.Size {
			return nil, nil, fmt.Errorf("%s layer %d: got %d bytes, descriptor says %d", tag, i+1, len(b), d.Size)
		}
		out = append(out, Layer{Descriptor: d, Blob: b})
	}
	return img, out, nil
}

// emptySignatures is the base cosign starts from: an empty OCI image.
func emptySignatures() v1.Image {
	return mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
}

// appendLayer pushes base (or an empty image) plus one layer to tag and
// checks that the registry serves the result under it.
func appendLayer(tag name.Tag, base v1.Image, blob []byte, mediaType string, annotations map[string]string, opts []remote.Option) (string, error) {
	if base == nil {
		base = emptySignatures()
	}
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:       static.NewLayer(blob, types.MediaType(mediaType)),
		Annotations: annotations,
	})
	if err != nil {
		return "", fmt.Errorf("building %s: %w", tag, err)
	}
	d, err := img.Digest()
	if err != nil {
		return "", fmt.Errorf("building %s: %w", tag, err)
	}
	if err := remote.Write(tag, img, opts...); err != nil {
		return "", fmt.Errorf("pushing %s: %w", tag, err)
	}
	desc, err := remote.Head(tag, opts...)
	if err != nil {
		return "", fmt.Errorf("checking %s: %w", tag, err)
	}
	if desc.Digest != d {
		return "", fmt.Errorf("registry serves %s as %s, not the %s just pushed (another signer at the same time?)", tag, desc.Digest, d)
	}
	return d.String(), nil
}

// SignResult is what SignImage did.
type SignResult struct {
	// Payload is the signed simple signing payload.
	Payload []byte
	// Signature is the raw signature of Payload.
	Signature []byte
	// KeyID and Algorithm are what the attestation token will carry.
	KeyID     string
	Algorithm Algorithm
	// Tag is SIGREPO:sha256-<hex>.sig, Manifest the digest it now names.
	Tag, Manifest string
	// Existed is true if an equal payload signed by the same key was
	// already there, so nothing was pushed.
	Existed bool
}

// SignImage signs t with s and stores the signature as cosign does,
// appending to signatures already there (other keys' signatures stay).
// The image must be in the registry. The payload and signature are
// checked with LauncherVerify before anything is pushed: what the
// Confidential Space verifier would reject is never stored.
func SignImage(ctx context.Context, t Target, s Signer, r Remote) (*SignResult, error) {
	pt, err := t.parse(r.Insecure)
	if err != nil {
		return nil, err
	}
	payload, err := NewPayload(pt.repo.Name(), pt.digest, s.Public(), s.Algorithm())
	if err != nil {
		return nil, err
	}
	sig, err := s.Sign(ctx, payload)
	if err != nil {
		return nil, err
	}
	layerDigest, _ := static.NewLayer(payload, MediaTypeSimpleSigning).Digest()
	annotations := map[string]string{AnnotationSignature: base64.StdEncoding.EncodeToString(sig)}
	v, err := LauncherVerify(layerDigest.String(), annotations, payload, pt.digest)
	if err != nil {
		return nil, fmt.Errorf("the Confidential Space verifier would reject this signature: %w", err)
	}
	want, err := KeyID(s.Public())
	if err != nil {
		return nil, err
	}
	if v.KeyID != want {
		return nil, fmt.Errorf("the verifier would compute key ID %s, not %s", v.KeyID, want)
	}
	res := &SignResult{Payload: payload, Signature: sig, KeyID: v.KeyID, Algorithm: v.Algorithm}

	opts := r.options(ctx)
	if err := pt.checkImage(opts); err != nil {
		return nil, err
	}
	tag := pt.tag(SignatureSuffix)
	res.Tag = tag.String()
	base, layers, err := fetchLayers(tag, opts)
	if err != nil {
		return nil, err
	}
	for _, l := range layers {
		if string(l.Blob) != string(payload) {
			continue
		}
		old, err := LauncherVerify(l.Descriptor.Digest.String(), l.Descriptor.Annotations, l.Blob, pt.digest)
		if err == nil && SamePublicKey(old.PublicKey, s.Public()) {
			d, err := base.Digest()
			if err != nil {
				return nil, err
			}
			res.Manifest, res.Existed = d.String(), true
			return res, nil
		}
	}
	if len(layers)+1 > MaxSignatures {
		return nil, fmt.Errorf("%s already holds %d signatures: with one more the Confidential Space verifier (at most %d) would reject them all", tag, len(layers), MaxSignatures)
	}
	if res.Manifest, err = appendLayer(tag, base, payload, MediaTypeSimpleSigning, annotations, opts); err != nil {
		return nil, err
	}
	return res, nil
}

// AttestResult is what AttestImage did.
type AttestResult struct {
	// Statement is the signed in-toto statement, Envelope the DSSE
	// envelope stored as the layer.
	Statement, Envelope []byte
	// Tag is SIGREPO:sha256-<hex>.att, Manifest the digest it now names.
	Tag, Manifest string
	// Existed is true if the same statement signed by the same key was
	// already there, so nothing was pushed.
	Existed bool
}

// AttestImage attaches predicate (a JSON object, or an in-toto statement
// about t; see NewStatement) of predicateType (a URI) to t as cosign
// attest does, signed by s, appending to attestations already there.
func AttestImage(ctx context.Context, t Target, predicate []byte, predicateType string, s Signer, r Remote) (*AttestResult, error) {
	pt, err := t.parse(r.Insecure)
	if err != nil {
		return nil, err
	}
	statement, err := NewStatement(predicate, predicateType, pt.repo.Name(), pt.digest)
	if err != nil {
		return nil, err
	}
	envelope, err := SignEnvelope(ctx, s, statement)
	if err != nil {
		return nil, err
	}
	if _, err := VerifyEnvelope(envelope, s.Public(), pt.digest, predicateType); err != nil {
		return nil, fmt.Errorf("checking the signed envelope: %w", err)
	}
	res := &AttestResult{Statement: statement, Envelope: envelope}
	opts := r.options(ctx)
	if err := pt.checkImage(opts); err != nil {
		return nil, err
	}
	tag := pt.tag(AttestationSuffix)
	res.Tag = tag.String()
	base, layers, err := fetchLayers(tag, opts)
	if err != nil {
		return nil, err
	}
	for _, l := range layers {
		_, payload, err := ParseEnvelope(l.Blob)
		if err != nil || string(payload) != string(statement) {
			continue
		}
		if _, err := VerifyEnvelope(l.Blob, s.Public(), pt.digest, predicateType); err == nil {
			d, err := base.Digest()
			if err != nil {
				return nil, err
			}
			res.Manifest, res.Existed = d.String(), true
			return res, nil
		}
	}
	if len(layers)+1 > maxLayers {
		return nil, fmt.Errorf("%s already holds %d attestations (cosign reads at most %d)", tag, len(layers), maxLayers)
	}
	annotations := map[string]string{AnnotationSignature: "", AnnotationPredicateType: predicateType}
	if res.Manifest, err = appendLayer(tag, base, envelope, MediaTypeDSSE, annotations, opts); err != nil {
		return nil, err
	}
	return res, nil
}

// SignatureCheck is the result of checking the signatures of an image.
type SignatureCheck struct {
	Tag string
	// Verified is the signature by the expected key, as the token would
	// report it.
	Verified *Verified
	// Others counts signatures that are valid for the launcher but by
	// other keys; Rejected lists why the rest would be rejected.
	Others   int
	Rejected []string
}

// VerifySignatures reads the signatures of t and checks each as the
// Confidential Space launcher would (LauncherVerify). It fails unless one
// is by pub and unless the verifier would take the set at all (at most
// MaxSignatures).
func VerifySignatures(ctx context.Context, t Target, pub crypto.PublicKey, r Remote) (*SignatureCheck, error) {
	pt, err := t.parse(r.Insecure)
	if err != nil {
		return nil, err
	}
	tag := pt.tag(SignatureSuffix)
	_, layers, err := fetchLayers(tag, r.options(ctx))
	if err != nil {
		return nil, err
	}
	res := &SignatureCheck{Tag: tag.String()}
	if layers == nil {
		return res, fmt.Errorf("%s does not exist: the image is not signed", tag)
	}
	if len(layers) > MaxSignatures {
		return res, fmt.Errorf("%s holds %d signatures: the Confidential Space verifier rejects more than %d", tag, len(layers), MaxSignatures)
	}
	for i, l := range layers {
		v, err := LauncherVerify(l.Descriptor.Digest.String(), l.Descriptor.Annotations, l.Blob, pt.digest)
		switch {
		case err != nil:
			res.Rejected = append(res.Rejected, fmt.Sprintf("signature %d: %v", i+1, err))
		case SamePublicKey(v.PublicKey, pub) && res.Verified == nil:
			res.Verified = v
		default:
			res.Others++
		}
	}
	if res.Verified == nil {
		keyID, _ := KeyID(pub)
		return res, fmt.Errorf("%s: no signature by key %s that Confidential Space accepts (%d by other keys; rejected: %v)", tag, keyID, res.Others, res.Rejected)
	}
	return res, nil
}

// VerifyAttestations reads the attestations of t and fails unless, for
// each predicate type URI in want, one verifies with pub and is about t.
func VerifyAttestations(ctx context.Context, t Target, pub crypto.PublicKey, want []string, r Remote) (map[string]*Statement, error) {
	pt, err := t.parse(r.Insecure)
	if err != nil {
		return nil, err
	}
	tag := pt.tag(AttestationSuffix)
	_, layers, err := fetchLayers(tag, r.options(ctx))
	if err != nil {
		return nil, err
	}
	found := map[string]*Statement{}
	for _, l := range layers {
		st, err := VerifyEnvelope(l.Blob, pub, pt.digest, "")
		if err != nil {
			continue
		}
		if _, dup := found[st.PredicateType]; !dup {
			found[st.PredicateType] = st
		}
	}
	var missing []string
	for _, w := range want {
		if found[w] == nil {
			missing = append(missing, w)
		}
	}
	if len(missing) > 0 {
		return found, fmt.Errorf("%s: no attestation signed by the key for %v (%d layers read)", tag, missing, len(layers))
	}
	return found, nil
}
