package sign

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"regexp"
)

// Keys and values of cosign's simple signing payload
// (sigstore/cosign specs/SIGNATURE_SPEC.md) and of the .sig manifest.
const (
	// CriticalType is the payload's critical.type.
	CriticalType = "cosign container image signature"
	// AnnotationPub is the optional key carrying the unpadded base64 of
	// the PEM public key.
	AnnotationPub = "dev.cosignproject.cosign/pub"
	// AnnotationSigAlg is the optional key carrying the Algorithm.
	AnnotationSigAlg = "dev.cosignproject.cosign/sigalg"
	// AnnotationSignature is the layer annotation carrying the standard
	// base64 of the signature.
	AnnotationSignature = "dev.cosignproject.cosign/signature"
	// MediaTypeSimpleSigning is the media type of a payload layer.
	MediaTypeSimpleSigning = "application/vnd.dev.cosign.simplesigning.v1+json"
)

// MaxSignatures is the most signatures the Confidential Space verifier
// takes for one image: with more, it rejects them all.
const MaxSignatures = 300

// maxPayload bounds a payload (or an attestation envelope) read into
// memory. cosign's payloads are a few hundred bytes; SBOM attestations of
// large images are megabytes.
const maxPayload = 64 << 20

var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// Payload is cosign's simple signing payload.
type Payload struct {
	Critical Critical       `json:"critical"`
	Optional map[string]any `json:"optional"`
}

// Critical is the signed claim about the image.
type Critical struct {
	Identity Identity `json:"identity"`
	Image    Image    `json:"image"`
	Type     string   `json:"type"`
}

// Identity names the repository the image was signed in.
type Identity struct {
	DockerReference string `json:"docker-reference"`
}

// Image names the manifest digest the signature is for.
type Image struct {
	DockerManifestDigest string `json:"docker-manifest-digest"`
}

// NewPayload renders the simple signing payload for repository@digest
// carrying pub and alg in its optional section. repository is the
// image's repository as go-containerregistry names it (cosign's
// docker-reference). The bytes are a function of the arguments alone:
// keys in a fixed order, no time, no randomness.
func NewPayload(repository, digest string, pub crypto.PublicKey, alg Algorithm) ([]byte, error) {
	if !digestRE.MatchString(digest) {
		return nil, fmt.Errorf("image digest %q is not sha256:<64 hex digits>", digest)
	}
	if repository == "" {
		return nil, errors.New("empty repository")
	}
	if err := CheckKey(pub, alg); err != nil {
		return nil, err
	}
	pemBytes, err := PublicKeyPEM(pub)
	if err != nil {
		return nil, err
	}
	p := Payload{
		Critical: Critical{
			Identity: Identity{DockerReference: repository},
			Image:    Image{DockerManifestDigest: digest},
			Type:     CriticalType,
		},
		Optional: map[string]any{
			// Unpadded: the verifier decodes with base64.RawStdEncoding
			// and fails on '=' padding.
			AnnotationPub:    base64.RawStdEncoding.EncodeToString(pemBytes),
			AnnotationSigAlg: string(alg),
		},
	}
	// json.Marshal sorts map keys; this is the encoding cosign uses.
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encoding payload: %w", err)
	}
	return b, nil
}

// Verified is a signature the Confidential Space verifier accepts, as the
// attestation token reports it under submods.container.image_signatures.
type Verified struct {
	KeyID     string
	Algorithm Algorithm
	PublicKey crypto.PublicKey
	// Payload is the parsed payload.
	Payload *Payload
}

// LauncherVerify checks one layer of a .sig manifest as Confidential
// Space does: the launcher takes the layer's blob as the payload only if
// it hashes to the layer digest, and the signature from the
// dev.cosignproject.cosign/signature annotation only if it is standard
// (padded) base64; the verifier then unmarshals the payload, wants
// critical.type to be cosign's, decodes the public key from the optional
// section with unpadded base64 and as PEM, takes the algorithm from it,
// wants the payload's digest to be the running image's, verifies the
// signature with the key and algorithm, and computes the key ID from the
// PEM block, refusing data after it. The first failing step is the error.
func LauncherVerify(layerDigest string, annotations map[string]string, blob []byte, imageDigest string) (*Verified, error) {
	sum := sha256.Sum256(blob)
	if got := "sha256:" + hex.EncodeToString(sum[:]); got != layerDigest {
		return nil, fmt.Errorf("payload hashes to %s, but its layer descriptor says %s", got, layerDigest)
	}
	b64, ok := annotations[AnnotationSignature]
	if !ok {
		return nil, fmt.Errorf("layer has no %s annotation", AnnotationSignature)
	}
	sig, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("%s annotation is not standard base64: %w", AnnotationSignature, err)
	}
	return VerifierCheck(blob, sig, imageDigest)
}

// VerifierCheck is the attestation verifier's part of LauncherVerify:
// payload and raw signature bytes against the running image's digest.
func VerifierCheck(payload, sig []byte, imageDigest string) (*Verified, error) {
	if len(payload) > maxPayload {
		return nil, fmt.Errorf("payload is larger than %d bytes", maxPayload)
	}
	var p Payload
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, fmt.Errorf("payload is not JSON: %w", err)
	}
	if p.Critical.Type != CriticalType {
		return nil, fmt.Errorf("payload critical.type is %q, want %q", p.Critical.Type, CriticalType)
	}
	b64, ok := p.Optional[AnnotationPub].(string)
	if !ok {
		return nil, fmt.Errorf("payload optional section has no string %s (the public key)", AnnotationPub)
	}
	pemBytes, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("payload %s is not unpadded standard base64 (strip the '=' padding): %w", AnnotationPub, err)
	}
	block, rest := pem.Decode(pemBytes)
	if block == nil {
		return nil, fmt.Errorf("payload %s does not decode to a PEM block", AnnotationPub)
	}
	algName, ok := p.Optional[AnnotationSigAlg].(string)
	if !ok {
		return nil, fmt.Errorf("payload optional section has no string %s (the signing algorithm)", AnnotationSigAlg)
	}
	alg, err := ParseAlgorithm(algName)
	if err != nil {
		return nil, fmt.Errorf("payload %s: %w", AnnotationSigAlg, err)
	}
	if p.Critical.Image.DockerManifestDigest != imageDigest {
		return nil, fmt.Errorf("payload is for image %q, not %s", p.Critical.Image.DockerManifestDigest, imageDigest)
	}
	pub, err := pemPublicKey(block)
	if err != nil {
		return nil, fmt.Errorf("payload %s: %w", AnnotationPub, err)
	}
	if err := VerifyWith(pub, alg, payload, sig); err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		return nil, fmt.Errorf("payload %s has %d bytes after the PEM block, so the verifier cannot compute its key ID", AnnotationPub, len(rest))
	}
	keyID := sha256.Sum256(block.Bytes)
	return &Verified{KeyID: hex.EncodeToString(keyID[:]), Algorithm: alg, PublicKey: pub, Payload: &p}, nil
}

// pemPublicKey parses the block as the verifier does: PKIX for
// "PUBLIC KEY", PKCS #1 for "RSA PUBLIC KEY", nothing else.
func pemPublicKey(block *pem.Block) (crypto.PublicKey, error) {
	switch block.Type {
	case "PUBLIC KEY":
		return x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		return k, nil
	}
	return nil, fmt.Errorf("PEM block type %q is not a public key", block.Type)
}

// SamePublicKey reports whether a and b are the same key.
func SamePublicKey(a, b crypto.PublicKey) bool {
	ea, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && ea.Equal(b)
}
