package sign_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/sign"
)

// FuzzLauncherVerify feeds arbitrary payloads and signature annotations
// (what a registry may serve under a .sig tag) to the launcher check: it
// must never panic, and whatever it accepts must carry the image digest
// and verify with the key it names.
func FuzzLauncherVerify(f *testing.F) {
	key := fixedECKey(f)
	s, err := sign.NewSigner(key, "")
	if err != nil {
		f.Fatal(err)
	}
	p, err := sign.NewPayload("r.example/x", testDigest, key.Public(), sign.ECDSAP256SHA256)
	if err != nil {
		f.Fatal(err)
	}
	sig, err := s.Sign(context.Background(), p)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(p, base64.StdEncoding.EncodeToString(sig))
	f.Add([]byte(`{"critical":{"type":"cosign container image signature"},"optional":{"dev.cosignproject.cosign/pub":"LS0t","dev.cosignproject.cosign/sigalg":"ECDSA_P256_SHA256"}}`), "AAAA")
	f.Add([]byte(`{"optional":null}`), "")
	f.Add([]byte(`[]`), "=")
	f.Fuzz(func(t *testing.T, payload []byte, b64 string) {
		l := layerOf(payload, b64)
		v, err := sign.LauncherVerify(l.layerDigest, l.annotations, payload, testDigest)
		if err != nil {
			return
		}
		if v.Payload.Critical.Image.DockerManifestDigest != testDigest {
			t.Fatalf("accepted a payload for %q", v.Payload.Critical.Image.DockerManifestDigest)
		}
		raw, _ := base64.StdEncoding.DecodeString(b64)
		if err := sign.VerifyWith(v.PublicKey, v.Algorithm, payload, raw); err != nil {
			t.Fatalf("accepted a signature that does not verify: %v", err)
		}
	})
}

// FuzzVerifyEnvelope feeds arbitrary .att layers to the envelope check.
func FuzzVerifyEnvelope(f *testing.F) {
	key := fixedECKey(f)
	s, err := sign.NewSigner(key, "")
	if err != nil {
		f.Fatal(err)
	}
	st, err := sign.NewStatement([]byte(`{"a":1}`), "https://example.invalid/p", "r.example/x", testDigest)
	if err != nil {
		f.Fatal(err)
	}
	env, err := sign.SignEnvelope(context.Background(), s, st)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(env)
	f.Add([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"sig":"AA=="}]}`))
	f.Add([]byte(`{"payloadType":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := sign.VerifyEnvelope(data, key.Public(), testDigest, "")
		if err != nil {
			return
		}
		if got.PredicateType == "" {
			t.Fatal("accepted a statement without predicateType")
		}
	})
}

// FuzzParseKeys feeds arbitrary PEM to both key parsers.
func FuzzParseKeys(f *testing.F) {
	key := fixedECKey(f)
	pub, err := sign.PublicKeyPEM(key.Public())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pub)
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n"))
	f.Add([]byte("-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if k, err := sign.ParsePublicKeyPEM(data); err == nil {
			if _, err := sign.KeyID(k); err != nil && !strings.Contains(err.Error(), "encoding public key") {
				t.Fatalf("KeyID of a parsed key: %v", err)
			}
		}
		if k, err := sign.ParsePrivateKeyPEM(data); err == nil && k.Public() == nil {
			t.Fatal("parsed a private key without a public key")
		}
	})
}

// FuzzNewStatement feeds arbitrary predicate files to NewStatement: what
// it returns must be a statement about the image.
func FuzzNewStatement(f *testing.F) {
	f.Add([]byte(`{"a":1}`))
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"9494e567c7c44e8b9f8808c1658a47c9b7979ef3cceef10f48754fc2706802ba"}}],"predicateType":"p","predicate":{}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := sign.NewStatement(data, "p", "r.example/x", testDigest)
		if err != nil {
			return
		}
		key := fixedECKey(t)
		s, err := sign.NewSigner(key, "")
		if err != nil {
			t.Fatal(err)
		}
		env, err := sign.SignEnvelope(context.Background(), s, st)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sign.VerifyEnvelope(env, key.Public(), testDigest, "p"); err != nil {
			t.Fatalf("statement %q does not verify as an attestation of the image: %v", st, err)
		}
	})
}
