package sign

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Algorithm is a signing algorithm as the payload's
// dev.cosignproject.cosign/sigalg and the attestation token's
// signature_algorithm spell it.
type Algorithm string

// The algorithms the Confidential Space verifier accepts.
const (
	ECDSAP256SHA256      Algorithm = "ECDSA_P256_SHA256"
	RSASSAPSSSHA256      Algorithm = "RSASSA_PSS_SHA256"
	RSASSAPKCS1V15SHA256 Algorithm = "RSASSA_PKCS1V15_SHA256"
)

// Algorithms lists the accepted algorithms.
var Algorithms = []Algorithm{ECDSAP256SHA256, RSASSAPKCS1V15SHA256, RSASSAPSSSHA256}

// ParseAlgorithm checks an algorithm name.
func ParseAlgorithm(s string) (Algorithm, error) {
	for _, a := range Algorithms {
		if string(a) == s {
			return a, nil
		}
	}
	return "", fmt.Errorf("signing algorithm %q is not one the Confidential Space verifier accepts (%s, %s, %s)", s, ECDSAP256SHA256, RSASSAPKCS1V15SHA256, RSASSAPSSSHA256)
}

// The verifier builds Tink keys, which require these of RSA keys.
const (
	minRSABits  = 2048
	rsaExponent = 65537
)

// maxKeyFile bounds a key file read into memory.
const maxKeyFile = 1 << 20

// DefaultAlgorithm is the algorithm used for a key when none is asked
// for: ECDSA_P256_SHA256 for P-256 keys, RSASSA_PKCS1V15_SHA256 for RSA
// keys (the RSA scheme `cosign verify --key` checks).
func DefaultAlgorithm(pub crypto.PublicKey) (Algorithm, error) {
	switch pub.(type) {
	case *ecdsa.PublicKey:
		return ECDSAP256SHA256, nil
	case *rsa.PublicKey:
		return RSASSAPKCS1V15SHA256, nil
	}
	return "", fmt.Errorf("%T keys cannot sign for Confidential Space (use an ECDSA P-256 or RSA key)", pub)
}

// CheckKey reports whether pub can make alg signatures the Confidential
// Space verifier accepts: alg ECDSA_P256_SHA256 needs a P-256 key, the RSA
// algorithms an RSA key of at least 2048 bits with public exponent 65537.
func CheckKey(pub crypto.PublicKey, alg Algorithm) error {
	switch alg {
	case ECDSAP256SHA256:
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok {
			return fmt.Errorf("%s needs an ECDSA P-256 key, not %s", alg, keyKind(pub))
		}
		if k.Curve != elliptic.P256() {
			return fmt.Errorf("%s needs a P-256 key, not %s", alg, keyKind(pub))
		}
	case RSASSAPKCS1V15SHA256, RSASSAPSSSHA256:
		k, ok := pub.(*rsa.PublicKey)
		if !ok {
			return fmt.Errorf("%s needs an RSA key, not %s", alg, keyKind(pub))
		}
		if n := k.N.BitLen(); n < minRSABits {
			return fmt.Errorf("the Confidential Space verifier refuses RSA keys of %d bits (want at least %d)", n, minRSABits)
		}
		if k.E != rsaExponent {
			return fmt.Errorf("the Confidential Space verifier refuses RSA keys with public exponent %d (want %d)", k.E, rsaExponent)
		}
	default:
		_, err := ParseAlgorithm(string(alg))
		return err
	}
	return nil
}

func keyKind(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return "an ECDSA " + k.Curve.Params().Name + " key"
	case *rsa.PublicKey:
		return fmt.Sprintf("an RSA %d-bit key", k.N.BitLen())
	}
	return fmt.Sprintf("a %T key", pub)
}

// PublicKeyPEM encodes pub as a PEM "PUBLIC KEY" (PKIX) block, the form
// cosign writes and the payload carries.
func PublicKeyPEM(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encoding public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// KeyID is the key_id the Confidential Space verifier computes for pub
// and puts into the attestation token: the lower-case hex SHA-256 of the
// DER bytes of the PEM block in the payload, which for the PKIX block we
// write is what `openssl pkey -pubin -in KEY.pem -outform DER | sha256sum`
// prints.
func KeyID(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("encoding public key: %w", err)
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:]), nil
}

// ParsePublicKeyPEM reads one PEM public key: a "PUBLIC KEY" (PKIX) block
// as cosign and openssl write, or an "RSA PUBLIC KEY" (PKCS #1) block.
// Anything after the block but white space is an error.
func ParsePublicKeyPEM(data []byte) (crypto.PublicKey, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block found (want -----BEGIN PUBLIC KEY-----)")
	}
	if strings.TrimSpace(string(rest)) != "" {
		return nil, errors.New("data after the PEM public key block")
	}
	if len(block.Headers) != 0 {
		return nil, fmt.Errorf("PEM block %q has headers; want a plain public key", block.Type)
	}
	switch block.Type {
	case "PUBLIC KEY":
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parsing public key: %w", err)
		}
		return pub, nil
	case "RSA PUBLIC KEY":
		pub, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parsing RSA public key: %w", err)
		}
		return pub, nil
	}
	return nil, fmt.Errorf("PEM block %q is not a public key (want PUBLIC KEY)", block.Type)
}

// LoadPublicKeyFile reads a PEM public key file (see ParsePublicKeyPEM).
func LoadPublicKeyFile(path string) (crypto.PublicKey, error) {
	data, err := readSmall(path)
	if err != nil {
		return nil, err
	}
	pub, err := ParsePublicKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("public key %q: %w", path, err)
	}
	return pub, nil
}

// ParsePrivateKeyPEM reads one unencrypted PEM private key: PKCS #8
// ("PRIVATE KEY"), SEC 1 ("EC PRIVATE KEY", optionally after the
// "EC PARAMETERS" block openssl ecparam writes) or PKCS #1
// ("RSA PRIVATE KEY"). Encrypted keys are refused with a message saying
// how to decrypt them.
func ParsePrivateKeyPEM(data []byte) (crypto.Signer, error) {
	var key crypto.Signer
	rest := data
	for {
		block, r := pem.Decode(rest)
		if block == nil {
			break
		}
		rest = r
		if block.Type == "EC PARAMETERS" {
			continue
		}
		if key != nil {
			return nil, fmt.Errorf("more than one PEM block (a second %q); want exactly one private key", block.Type)
		}
		if _, enc := block.Headers["Proc-Type"]; enc || strings.Contains(block.Type, "ENCRYPTED") {
			return nil, fmt.Errorf("PEM block %q is encrypted: decrypt it first (e.g. openssl pkey -in KEY -out PLAIN.pem), or give a KMS key through the Go API", block.Type)
		}
		var err error
		switch block.Type {
		case "PRIVATE KEY":
			var k any
			k, err = x509.ParsePKCS8PrivateKey(block.Bytes)
			if err == nil {
				s, ok := k.(crypto.Signer)
				if !ok {
					return nil, fmt.Errorf("PKCS #8 key of type %T cannot sign", k)
				}
				key = s
			}
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		default:
			return nil, fmt.Errorf("PEM block %q is not a private key (want PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY)", block.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", block.Type, err)
		}
	}
	if key == nil {
		return nil, errors.New("no PEM private key block found")
	}
	if strings.TrimSpace(string(rest)) != "" {
		return nil, errors.New("data after the PEM private key block")
	}
	return key, nil
}

func readSmall(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading key: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("reading key %q: %w", path, err)
	}
	if len(data) > maxKeyFile {
		return nil, fmt.Errorf("key file %q is larger than %d bytes", path, maxKeyFile)
	}
	return data, nil
}

// Signer makes the signatures of payloads. Implementations other than the
// one LoadKeyFile returns (a Cloud KMS key, an HSM) plug in here: wrap the
// key in a crypto.Signer and call NewSigner, or implement Signer directly.
type Signer interface {
	// Algorithm is the algorithm Sign uses.
	Algorithm() Algorithm
	// Public is the public key that verifies Sign's signatures.
	Public() crypto.PublicKey
	// Sign signs message (not a digest): for the ECDSA algorithm an
	// ASN.1 DER signature of its SHA-256 digest, for the RSA ones a
	// PKCS #1 v1.5 or PSS signature of it.
	Sign(ctx context.Context, message []byte) ([]byte, error)
}

type keySigner struct {
	key crypto.Signer
	alg Algorithm
}

// NewSigner makes a Signer of any crypto.Signer, checking that key and
// alg are a pair the Confidential Space verifier accepts. An empty alg
// means DefaultAlgorithm. key.Sign is called with the SHA-256 digest of
// the message and crypto.SHA256 (or *rsa.PSSOptions with the salt as long
// as the hash, as Cloud KMS uses), as crypto.Signer implementations of
// KMS keys expect.
func NewSigner(key crypto.Signer, alg Algorithm) (Signer, error) {
	if alg == "" {
		var err error
		if alg, err = DefaultAlgorithm(key.Public()); err != nil {
			return nil, err
		}
	}
	if err := CheckKey(key.Public(), alg); err != nil {
		return nil, err
	}
	return &keySigner{key: key, alg: alg}, nil
}

func (s *keySigner) Algorithm() Algorithm     { return s.alg }
func (s *keySigner) Public() crypto.PublicKey { return s.key.Public() }

func (s *keySigner) Sign(_ context.Context, message []byte) ([]byte, error) {
	digest := sha256.Sum256(message)
	var opts crypto.SignerOpts = crypto.SHA256
	if s.alg == RSASSAPSSSHA256 {
		opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}
	}
	sig, err := s.key.Sign(rand.Reader, digest[:], opts)
	if err != nil {
		return nil, fmt.Errorf("signing with %s: %w", s.alg, err)
	}
	return sig, nil
}

// LoadKeyFile reads a PEM private key (see ParsePrivateKeyPEM) and makes
// a Signer of it with alg (empty: DefaultAlgorithm).
func LoadKeyFile(path string, alg Algorithm) (Signer, error) {
	data, err := readSmall(path)
	if err != nil {
		return nil, err
	}
	key, err := ParsePrivateKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("private key %q: %w", path, err)
	}
	s, err := NewSigner(key, alg)
	if err != nil {
		return nil, fmt.Errorf("private key %q: %w", path, err)
	}
	return s, nil
}

// VerifyWith checks sig over message with pub under alg, the way the
// Confidential Space verifier's Tink primitives do: ECDSA signatures in
// ASN.1 DER over SHA-256, RSA PKCS #1 v1.5 over SHA-256, RSA PSS over
// SHA-256 with MGF1-SHA-256 and any salt length.
func VerifyWith(pub crypto.PublicKey, alg Algorithm, message, sig []byte) error {
	if err := CheckKey(pub, alg); err != nil {
		return err
	}
	digest := sha256.Sum256(message)
	switch alg {
	case ECDSAP256SHA256:
		if !ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), digest[:], sig) {
			return errors.New("ECDSA signature does not verify")
		}
	case RSASSAPKCS1V15SHA256:
		if err := rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), crypto.SHA256, digest[:], sig); err != nil {
			return fmt.Errorf("RSA PKCS #1 v1.5 signature does not verify: %w", err)
		}
	case RSASSAPSSSHA256:
		if err := rsa.VerifyPSS(pub.(*rsa.PublicKey), crypto.SHA256, digest[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}); err != nil {
			return fmt.Errorf("RSA PSS signature does not verify: %w", err)
		}
	}
	return nil
}
