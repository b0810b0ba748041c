package sign_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rules-odp/rules_odp/tools/internal/golden"
	"github.com/rules-odp/rules_odp/tools/internal/sign"
)

const testDigest = "sha256:9494e567c7c44e8b9f8808c1658a47c9b7979ef3cceef10f48754fc2706802ba"

func TestNewPayloadGolden(t *testing.T) {
	key := fixedECKey(t)
	p, err := sign.NewPayload("127.0.0.1:5000/odp/aggregator", testDigest, key.Public(), sign.ECDSAP256SHA256)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "payload_ecdsa.json"), p)
	// The same inputs give the same bytes.
	again, err := sign.NewPayload("127.0.0.1:5000/odp/aggregator", testDigest, key.Public(), sign.ECDSAP256SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(p) {
		t.Errorf("second payload differs:\n%s\n%s", p, again)
	}
	// What the verifier reads back is the key we put in.
	var parsed sign.Payload
	if err := json.Unmarshal(p, &parsed); err != nil {
		t.Fatal(err)
	}
	b64 := parsed.Optional[sign.AnnotationPub].(string)
	if strings.Contains(b64, "=") {
		t.Errorf("public key %q is padded; the verifier decodes unpadded base64", b64)
	}
	pemBytes, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := sign.ParsePublicKeyPEM(pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	if !sign.SamePublicKey(pub, key.Public()) {
		t.Error("payload carries another public key")
	}
}

func TestNewPayloadRefuses(t *testing.T) {
	ec := fixedECKey(t)
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, repo, digest string
		pub                crypto.PublicKey
		alg                sign.Algorithm
		want               string
	}{
		{"bad digest", "r.example/x", "sha256:abc", ec.Public(), sign.ECDSAP256SHA256, "not sha256:"},
		{"uppercase digest", "r.example/x", strings.ToUpper(testDigest), ec.Public(), sign.ECDSAP256SHA256, "not sha256:"},
		{"empty repository", "", testDigest, ec.Public(), sign.ECDSAP256SHA256, "empty repository"},
		{"EC key, RSA algorithm", "r.example/x", testDigest, ec.Public(), sign.RSASSAPKCS1V15SHA256, "needs an RSA key"},
		{"P-384", "r.example/x", testDigest, p384.Public(), sign.ECDSAP256SHA256, "needs a P-256 key"},
		{"unknown algorithm", "r.example/x", testDigest, ec.Public(), "ECDSA_P384_SHA384", "not one the Confidential Space verifier accepts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sign.NewPayload(tc.repo, tc.digest, tc.pub, tc.alg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// signed is a payload, signature and .sig layer as SignImage makes them.
type signed struct {
	payload     []byte
	annotations map[string]string
	layerDigest string
}

func makeSigned(t *testing.T, s sign.Signer, payload []byte) signed {
	t.Helper()
	sig, err := s.Sign(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	return layerOf(payload, base64.StdEncoding.EncodeToString(sig))
}

func layerOf(payload []byte, b64sig string) signed {
	sum := sha256.Sum256(payload)
	return signed{payload: payload, annotations: map[string]string{sign.AnnotationSignature: b64sig}, layerDigest: "sha256:" + hex.EncodeToString(sum[:])}
}

// rawPayload renders a payload with arbitrary optional values.
func rawPayload(t *testing.T, typ, digest string, optional map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(sign.Payload{
		Critical: sign.Critical{Identity: sign.Identity{DockerReference: "r.example/x"}, Image: sign.Image{DockerManifestDigest: digest}, Type: typ},
		Optional: optional,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func pubB64(t *testing.T, pub crypto.PublicKey, suffix string) string {
	t.Helper()
	p, err := sign.PublicKeyPEM(pub)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawStdEncoding.EncodeToString(append(p, suffix...))
}

func TestLauncherVerify(t *testing.T) {
	ecKey := fixedECKey(t)
	ec, err := sign.NewSigner(ecKey, "")
	if err != nil {
		t.Fatal(err)
	}
	rsaKey := testRSAKey(t)
	pkcs1, err := sign.NewSigner(rsaKey, "")
	if err != nil {
		t.Fatal(err)
	}
	pss, err := sign.NewSigner(rsaKey, sign.RSASSAPSSSHA256)
	if err != nil {
		t.Fatal(err)
	}
	payloadFor := func(s sign.Signer) []byte {
		p, err := sign.NewPayload("r.example/x", testDigest, s.Public(), s.Algorithm())
		if err != nil {
			t.Fatal(err)
		}
		return p
	}

	// Accepted: the three algorithms.
	for _, s := range []sign.Signer{ec, pkcs1, pss} {
		t.Run("accepts "+string(s.Algorithm()), func(t *testing.T) {
			l := makeSigned(t, s, payloadFor(s))
			v, err := sign.LauncherVerify(l.layerDigest, l.annotations, l.payload, testDigest)
			if err != nil {
				t.Fatal(err)
			}
			want, err := sign.KeyID(s.Public())
			if err != nil {
				t.Fatal(err)
			}
			if v.KeyID != want || v.Algorithm != s.Algorithm() {
				t.Errorf("got key ID %s alg %s, want %s %s", v.KeyID, v.Algorithm, want, s.Algorithm())
			}
		})
	}

	good := makeSigned(t, ec, payloadFor(ec))
	ecSig, _ := base64.StdEncoding.DecodeString(good.annotations[sign.AnnotationSignature])
	signRaw := func(p []byte) signed { return makeSigned(t, ec, p) }
	alg := string(sign.ECDSAP256SHA256)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		layer signed
		want  string
	}{
		{"tampered payload", layerOf([]byte(strings.Replace(string(good.payload), "r.example/x", "r.example/y", 1)), good.annotations[sign.AnnotationSignature]), "does not verify"},
		{"layer digest mismatch", signed{good.payload, good.annotations, "sha256:" + strings.Repeat("0", 64)}, "hashes to"},
		{"no signature annotation", signed{good.payload, map[string]string{}, good.layerDigest}, "no dev.cosignproject.cosign/signature"},
		{"unpadded signature annotation", signed{good.payload, map[string]string{sign.AnnotationSignature: unpadded(ecSig)}, good.layerDigest}, "not standard base64"},
		{"signature of another payload", layerOf(good.payload, makeSigned(t, ec, []byte("x")).annotations[sign.AnnotationSignature]), "does not verify"},
		{"not JSON", signRaw([]byte("not json")), "not JSON"},
		{"wrong critical type", signRaw(rawPayload(t, "atomic container signature", testDigest, map[string]any{sign.AnnotationPub: pubB64(t, ecKey.Public(), ""), sign.AnnotationSigAlg: alg})), "critical.type"},
		{"no public key", signRaw(rawPayload(t, sign.CriticalType, testDigest, map[string]any{sign.AnnotationSigAlg: alg})), "no string dev.cosignproject.cosign/pub"},
		{"padded public key", signRaw(rawPayload(t, sign.CriticalType, testDigest, map[string]any{sign.AnnotationPub: base64.StdEncoding.EncodeToString(mustPEM(t, ecKey.Public())), sign.AnnotationSigAlg: alg})), "unpadded"},
		{"public key not PEM", signRaw(rawPayload(t, sign.CriticalType, testDigest, map[string]any{sign.AnnotationPub: base64.RawStdEncoding.EncodeToString([]byte("hello")), sign.AnnotationSigAlg: alg})), "PEM block"},
		{"no algorithm", signRaw(rawPayload(t, sign.CriticalType, testDigest, map[string]any{sign.AnnotationPub: pubB64(t, ecKey.Public(), "")})), "no string dev.cosignproject.cosign/sigalg"},
		{"unspecified algorithm", signRaw(rawPayload(t, sign.CriticalType, testDigest, map[string]any{sign.AnnotationPub: pubB64(t, ecKey.Public(), ""), sign.AnnotationSigAlg: "SIGNING_ALGORITHM_UNSPECIFIED"})), "not one the Confidential Space verifier accepts"},
		{"algorithm not a string", signRaw(rawPayload(t, sign.CriticalType, testDigest, map[string]any{sign.AnnotationPub: pubB64(t, ecKey.Public(), ""), sign.AnnotationSigAlg: 3})), "no string"},
		{"algorithm does not fit the key", signRaw(rawPayload(t, sign.CriticalType, testDigest, map[string]any{sign.AnnotationPub: pubB64(t, ecKey.Public(), ""), sign.AnnotationSigAlg: string(sign.RSASSAPSSSHA256)})), "needs an RSA key"},
		{"other image", signRaw(rawPayload(t, sign.CriticalType, "sha256:"+strings.Repeat("1", 64), map[string]any{sign.AnnotationPub: pubB64(t, ecKey.Public(), ""), sign.AnnotationSigAlg: alg})), "is for image"},
		{"data after the PEM block", signRaw(rawPayload(t, sign.CriticalType, testDigest, map[string]any{sign.AnnotationPub: pubB64(t, ecKey.Public(), "\n"), sign.AnnotationSigAlg: alg})), "after the PEM block"},
		{"RSA key too small", layerWith(t, small, sign.RSASSAPKCS1V15SHA256), "1024 bits"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sign.LauncherVerify(tc.layer.layerDigest, tc.layer.annotations, tc.layer.payload, testDigest)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// unpadded encodes b without '=' padding; a length divisible by 3 would
// need none, so one byte is dropped then.
func unpadded(b []byte) string {
	if len(b)%3 == 0 {
		b = b[:len(b)-1]
	}
	return base64.RawStdEncoding.EncodeToString(b)
}

// layerWith signs a payload carrying key's public key with key directly
// (no NewSigner checks), as another tool might.
func layerWith(t *testing.T, key *rsa.PrivateKey, alg sign.Algorithm) signed {
	t.Helper()
	p := rawPayload(t, sign.CriticalType, testDigest, map[string]any{sign.AnnotationPub: pubB64(t, key.Public(), ""), sign.AnnotationSigAlg: string(alg)})
	d := sha256.Sum256(p)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return layerOf(p, base64.StdEncoding.EncodeToString(sig))
}

func mustPEM(t *testing.T, pub crypto.PublicKey) []byte {
	t.Helper()
	p, err := sign.PublicKeyPEM(pub)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestKeyIDMatchesOpenSSL checks the key ID against the command the
// Confidential Space documentation gives for it.
func TestKeyIDMatchesOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatalf("openssl is required: %v", err)
	}
	dir := t.TempDir()
	for _, key := range []crypto.Signer{fixedECKey(t), testRSAKey(t)} {
		_, pubPath := writePKCS8(t, dir, key)
		der, err := exec.Command(openssl, "pkey", "-pubin", "-in", pubPath, "-outform", "DER").Output()
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(der)
		got, err := sign.KeyID(key.Public())
		if err != nil {
			t.Fatal(err)
		}
		if want := hex.EncodeToString(sum[:]); got != want {
			t.Errorf("KeyID = %s, openssl says %s", got, want)
		}
	}
}

func TestParsePrivateKeyPEM(t *testing.T) {
	ec := fixedECKey(t)
	rsaKey := testRSAKey(t)
	pkcs8 := func(k any) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	sec1, err := x509.MarshalECPrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	// openssl ecparam -genkey writes the curve OID block first.
	params := pem.EncodeToMemory(&pem.Block{Type: "EC PARAMETERS", Bytes: []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}})
	ecPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1})
	rsaPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)})
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		pub  crypto.PublicKey // nil: an error is wanted
		want string
	}{
		{"PKCS #8 EC", pkcs8(ec), ec.Public(), ""},
		{"PKCS #8 RSA", pkcs8(rsaKey), rsaKey.Public(), ""},
		{"SEC 1", ecPEM, ec.Public(), ""},
		{"SEC 1 after EC PARAMETERS", append(params, ecPEM...), ec.Public(), ""},
		{"PKCS #1", rsaPEM, rsaKey.Public(), ""},
		{"ed25519 parses", pkcs8(edKey), edKey.Public(), ""},
		{"encrypted PKCS #8", pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1}}), nil, "encrypted"},
		{"cosign encrypted", pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED SIGSTORE PRIVATE KEY", Bytes: []byte{1}}), nil, "encrypted"},
		{"legacy encrypted", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: []byte{1}}), nil, "encrypted"},
		{"two keys", append(pkcs8(ec), ecPEM...), nil, "more than one PEM block"},
		{"public key", mustPEM(t, ec.Public()), nil, "not a private key"},
		{"no PEM", []byte("hello"), nil, "no PEM private key"},
		{"trailing data", append(pkcs8(ec), "junk"...), nil, "data after"},
		{"corrupt", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{0x30, 0x01}}), nil, "parsing PRIVATE KEY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := sign.ParsePrivateKeyPEM(tc.data)
			if tc.pub == nil {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("got error %v, want one containing %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !sign.SamePublicKey(k.Public(), tc.pub) {
				t.Error("parsed another key")
			}
		})
	}
}

func TestNewSigner(t *testing.T) {
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey := testRSAKey(t)
	e3 := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: rsaKey.N, E: 3}, D: big.NewInt(1)}
	for _, tc := range []struct {
		name    string
		key     crypto.Signer
		alg     sign.Algorithm
		wantAlg sign.Algorithm
		want    string
	}{
		{"EC default", fixedECKey(t), "", sign.ECDSAP256SHA256, ""},
		{"RSA default", rsaKey, "", sign.RSASSAPKCS1V15SHA256, ""},
		{"RSA PSS", rsaKey, sign.RSASSAPSSSHA256, sign.RSASSAPSSSHA256, ""},
		{"P-384", p384, "", "", "needs a P-256 key"},
		{"ed25519", edKey, "", "", "cannot sign for Confidential Space"},
		{"RSA exponent 3", e3, "", "", "public exponent 3"},
		{"RSA key, EC algorithm", rsaKey, sign.ECDSAP256SHA256, "", "needs an ECDSA P-256 key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := sign.NewSigner(tc.key, tc.alg)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("got error %v, want one containing %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Algorithm() != tc.wantAlg {
				t.Errorf("algorithm %s, want %s", s.Algorithm(), tc.wantAlg)
			}
		})
	}
}

func TestLoadKeyFile(t *testing.T) {
	dir := t.TempDir()
	key := fixedECKey(t)
	keyPath, pubPath := writePKCS8(t, dir, key)
	s, err := sign.LoadKeyFile(keyPath, "")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := sign.LoadPublicKeyFile(pubPath)
	if err != nil {
		t.Fatal(err)
	}
	if !sign.SamePublicKey(s.Public(), pub) {
		t.Error("key and public key files do not match")
	}
	if _, err := sign.LoadKeyFile(filepath.Join(dir, "missing.pem"), ""); err == nil {
		t.Error("missing key file: no error")
	}
	if _, err := sign.LoadPublicKeyFile(keyPath); err == nil || !strings.Contains(err.Error(), keyPath) {
		t.Errorf("private key as public key: error %v does not name the file", err)
	}
	big := filepath.Join(dir, "big.pem")
	if err := os.WriteFile(big, make([]byte, 2<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := sign.LoadKeyFile(big, ""); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("huge key file: got %v", err)
	}
}

func TestStatementAndEnvelope(t *testing.T) {
	ctx := context.Background()
	s, err := sign.NewSigner(fixedECKey(t), "")
	if err != nil {
		t.Fatal(err)
	}
	other, err := sign.NewSigner(testRSAKey(t), "")
	if err != nil {
		t.Fatal(err)
	}
	spdx := sign.PredicateTypes["spdxjson"]
	st, err := sign.NewStatement([]byte(`{"spdxVersion": "SPDX-2.3", "name": "<x>"}`), spdx, "r.example/x", testDigest)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"r.example/x","digest":{"sha256":"` + strings.TrimPrefix(testDigest, "sha256:") + `"}}],"predicateType":"https://spdx.dev/Document","predicate":{"spdxVersion":"SPDX-2.3","name":"<x>"}}`
	if diff := cmp.Diff(want, string(st)); diff != "" {
		t.Errorf("statement (-want +got):\n%s", diff)
	}
	// A statement is passed through when it is about the image.
	same, err := sign.NewStatement(st, spdx, "r.example/other", testDigest)
	if err != nil {
		t.Fatal(err)
	}
	if string(same) != string(st) {
		t.Errorf("statement was rewritten:\n%s", same)
	}
	for _, tc := range []struct {
		name, predicate, typ, digest, want string
	}{
		{"statement about another image", string(st), spdx, "sha256:" + strings.Repeat("2", 64), "no subject with digest"},
		{"statement of another type", string(st), sign.PredicateTypes["slsaprovenance1"], testDigest, "predicateType is"},
		{"not an object", `[1]`, spdx, testDigest, "not a JSON object"},
		{"not JSON", `{`, spdx, testDigest, "not a JSON object"},
		{"null", `null`, spdx, testDigest, "not a JSON object"},
		{"bad statement type", `{"_type": "x", "predicateType": "p", "predicate": {}}`, "p", testDigest, "not an in-toto statement"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sign.NewStatement([]byte(tc.predicate), tc.typ, "r.example/x", tc.digest)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}

	env, err := sign.SignEnvelope(ctx, s, st)
	if err != nil {
		t.Fatal(err)
	}
	got, err := sign.VerifyEnvelope(env, s.Public(), testDigest, spdx)
	if err != nil {
		t.Fatal(err)
	}
	if got.PredicateType != spdx {
		t.Errorf("predicateType %q", got.PredicateType)
	}
	if _, err := sign.VerifyEnvelope(env, other.Public(), testDigest, spdx); err == nil {
		t.Error("envelope verifies with another key")
	}
	if _, err := sign.VerifyEnvelope(env, s.Public(), "sha256:"+strings.Repeat("3", 64), spdx); err == nil {
		t.Error("envelope verifies for another image")
	}
	var e sign.Envelope
	if err := json.Unmarshal(env, &e); err != nil {
		t.Fatal(err)
	}
	e.Payload = base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(st), "SPDX-2.3", "SPDX-2.2", 1)))
	tampered, _ := json.Marshal(e)
	if _, err := sign.VerifyEnvelope(tampered, s.Public(), testDigest, spdx); err == nil || !strings.Contains(err.Error(), "no signature") {
		t.Errorf("tampered envelope: got %v", err)
	}
	if want := "DSSEv1 28 application/vnd.in-toto+json 2 {}"; string(sign.PAE(sign.PayloadTypeInToto, []byte("{}"))) != want {
		t.Errorf("PAE = %q, want %q", sign.PAE(sign.PayloadTypeInToto, []byte("{}")), want)
	}
}
