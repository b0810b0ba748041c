package sign_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/rules-odp/rules_odp/tools/internal/provenance"
	"github.com/rules-odp/rules_odp/tools/internal/sign"
	"github.com/rules-odp/rules_odp/tools/internal/testregistry"
	"github.com/rules-odp/rules_odp/tools/internal/testtool"
)

// cosignRun runs cosign offline against the test registry: no
// transparency log, a HOME of its own (so nothing of the user's sigstore
// cache is read), extra environment as given. It returns the combined
// output and whether cosign succeeded.
func cosignRun(t *testing.T, bin string, env []string, args ...string) (string, bool) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	home := t.TempDir()
	cmd.Env = append([]string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "COSIGN_PASSWORD=", "TUF_ROOT=" + filepath.Join(home, "tuf")}, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("running cosign: %v", err)
		}
	}
	return string(out), err == nil
}

func cosignVerify(t *testing.T, bin, pub, ref string, env ...string) (string, bool) {
	t.Helper()
	return cosignRun(t, bin, env, "verify", "--key", pub, "--insecure-ignore-tlog", "--allow-insecure-registry", ref)
}

// TestCosignAcceptsOurSignatures is the referee for SignImage and
// AttestImage: real cosign, a real registry.
func TestCosignAcceptsOurSignatures(t *testing.T) {
	cosign := testtool.Require(t, "cosign")
	reg := testregistry.Start(t, testregistry.Options{})
	ctx := context.Background()
	dir := t.TempDir()
	keyPath, pubPath := writePKCS8(t, dir, fixedECKey(t))
	s, err := sign.LoadKeyFile(keyPath, "")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := sign.LoadPublicKeyFile(pubPath)
	if err != nil {
		t.Fatal(err)
	}
	repo := reg.Host + "/odp/app"
	digest := pushTestImage(t, reg.Host, "odp/app", "v1", "hello")
	target := sign.Target{Repository: repo, Digest: digest}

	res, err := sign.SignImage(ctx, target, s, sign.Remote{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Existed {
		t.Error("first signature reported as existing")
	}
	if want := repo + ":sha256-" + strings.TrimPrefix(digest, "sha256:") + ".sig"; res.Tag != want {
		t.Errorf("tag %s, want %s", res.Tag, want)
	}
	payloadB64 := base64.RawStdEncoding.EncodeToString(mustPEM(t, pub))
	t.Run("cosign verify", func(t *testing.T) {
		out, ok := cosignVerify(t, cosign, pubPath, repo+"@"+digest)
		if !ok {
			t.Fatalf("cosign verify failed:\n%s", out)
		}
		// The annotations Confidential Space's documentation has users check.
		out, ok = cosignRun(t, cosign, nil, "verify", "--key", pubPath, "--insecure-ignore-tlog", "--allow-insecure-registry",
			"-a", "dev.cosignproject.cosign/sigalg=ECDSA_P256_SHA256", "-a", "dev.cosignproject.cosign/pub="+payloadB64, repo+"@"+digest)
		if !ok {
			t.Fatalf("cosign verify -a failed:\n%s", out)
		}
	})
	t.Run("signing again adds nothing", func(t *testing.T) {
		again, err := sign.SignImage(ctx, target, s, sign.Remote{})
		if err != nil {
			t.Fatal(err)
		}
		if !again.Existed || again.Manifest != res.Manifest {
			t.Errorf("second signing: existed=%v manifest %s, want the first one's %s", again.Existed, again.Manifest, res.Manifest)
		}
	})
	t.Run("our verification", func(t *testing.T) {
		chk, err := sign.VerifySignatures(ctx, target, pub, sign.Remote{})
		if err != nil {
			t.Fatal(err)
		}
		want, _ := sign.KeyID(pub)
		if chk.Verified.KeyID != want {
			t.Errorf("key ID %s, want %s", chk.Verified.KeyID, want)
		}
	})

	t.Run("tampered payload fails", func(t *testing.T) {
		d2 := pushTestImage(t, reg.Host, "odp/app2", "v1", "other")
		t2 := sign.Target{Repository: reg.Host + "/odp/app2", Digest: d2}
		r2, err := sign.SignImage(ctx, t2, s, sign.Remote{})
		if err != nil {
			t.Fatal(err)
		}
		if out, ok := cosignVerify(t, cosign, pubPath, t2.Repository+"@"+d2); !ok {
			t.Fatalf("cosign verify of the untampered signature failed:\n%s", out)
		}
		// Same signature, payload with another optional value.
		tampered := bytes.Replace(r2.Payload, []byte(`"optional":{`), []byte(`"optional":{"team":"x",`), 1)
		base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
		img, err := mutate.Append(base, mutate.Addendum{
			Layer:       static.NewLayer(tampered, sign.MediaTypeSimpleSigning),
			Annotations: map[string]string{sign.AnnotationSignature: base64.StdEncoding.EncodeToString(r2.Signature)},
		})
		if err != nil {
			t.Fatal(err)
		}
		tag, err := name.NewTag(r2.Tag)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(tag, img); err != nil {
			t.Fatal(err)
		}
		if out, ok := cosignVerify(t, cosign, pubPath, t2.Repository+"@"+d2); ok {
			t.Fatalf("cosign verify accepted a tampered payload:\n%s", out)
		}
		if _, err := sign.VerifySignatures(ctx, t2, pub, sign.Remote{}); err == nil || !strings.Contains(err.Error(), "does not verify") {
			t.Errorf("VerifySignatures of a tampered payload: got %v", err)
		}
	})

	t.Run("separate signature repository", func(t *testing.T) {
		d3 := pushTestImage(t, reg.Host, "odp/app3", "v1", "third")
		t3 := sign.Target{Repository: reg.Host + "/odp/app3", Digest: d3, SignatureRepository: reg.Host + "/odp/signatures"}
		if _, err := sign.SignImage(ctx, t3, s, sign.Remote{}); err != nil {
			t.Fatal(err)
		}
		if out, ok := cosignVerify(t, cosign, pubPath, t3.Repository+"@"+d3, "COSIGN_REPOSITORY="+t3.SignatureRepository); !ok {
			t.Fatalf("cosign verify with COSIGN_REPOSITORY failed:\n%s", out)
		}
		if out, ok := cosignVerify(t, cosign, pubPath, t3.Repository+"@"+d3); ok {
			t.Fatalf("cosign verify found a signature in the image repository:\n%s", out)
		}
	})

	t.Run("RSA keys", func(t *testing.T) {
		rdir := t.TempDir()
		rkey, rpub := writePKCS8(t, rdir, testRSAKey(t))
		d4 := pushTestImage(t, reg.Host, "odp/app4", "v1", "fourth")
		t4 := sign.Target{Repository: reg.Host + "/odp/app4", Digest: d4}
		rs, err := sign.LoadKeyFile(rkey, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sign.SignImage(ctx, t4, rs, sign.Remote{}); err != nil {
			t.Fatal(err)
		}
		if out, ok := cosignVerify(t, cosign, rpub, t4.Repository+"@"+d4); !ok {
			t.Fatalf("cosign verify of an RSA PKCS #1 v1.5 signature failed:\n%s", out)
		}
		// PSS signatures satisfy the launcher; cosign verify --key checks
		// RSA keys with PKCS #1 v1.5 only, so only our verification can
		// check them.
		ps, err := sign.LoadKeyFile(rkey, sign.RSASSAPSSSHA256)
		if err != nil {
			t.Fatal(err)
		}
		d5 := pushTestImage(t, reg.Host, "odp/app5", "v1", "fifth")
		t5 := sign.Target{Repository: reg.Host + "/odp/app5", Digest: d5}
		if _, err := sign.SignImage(ctx, t5, ps, sign.Remote{}); err != nil {
			t.Fatal(err)
		}
		rp, err := sign.LoadPublicKeyFile(rpub)
		if err != nil {
			t.Fatal(err)
		}
		chk, err := sign.VerifySignatures(ctx, t5, rp, sign.Remote{})
		if err != nil {
			t.Fatal(err)
		}
		if chk.Verified.Algorithm != sign.RSASSAPSSSHA256 {
			t.Errorf("algorithm %s", chk.Verified.Algorithm)
		}
	})

	t.Run("cosign verify-attestation", func(t *testing.T) {
		st, err := provenance.New(provenance.Inputs{
			Pushed:    []provenance.Pushed{{Image: repo + ":v1", Digest: digest}},
			BuilderID: provenance.DefaultBuilderID,
			GoVersion: "go1.26.0",
		})
		if err != nil {
			t.Fatal(err)
		}
		prov, err := st.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		spdx := []byte(`{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"app","documentNamespace":"https://example.invalid/app","creationInfo":{"created":"1970-01-01T00:00:00Z","creators":["Tool: test"]},"packages":[]}`)
		for _, a := range []struct {
			typ       string
			predicate []byte
		}{{"slsaprovenance1", prov}, {"spdxjson", spdx}} {
			uri := sign.PredicateTypes[a.typ]
			r, err := sign.AttestImage(ctx, target, a.predicate, uri, s, sign.Remote{})
			if err != nil {
				t.Fatalf("%s: %v", a.typ, err)
			}
			again, err := sign.AttestImage(ctx, target, a.predicate, uri, s, sign.Remote{})
			if err != nil {
				t.Fatal(err)
			}
			if !again.Existed || again.Manifest != r.Manifest {
				t.Errorf("%s: attesting again pushed a new manifest %s (first %s)", a.typ, again.Manifest, r.Manifest)
			}
		}
		for _, typ := range []string{"slsaprovenance1", "spdxjson"} {
			out, ok := cosignRun(t, cosign, nil, "verify-attestation", "--type", typ, "--key", pubPath, "--insecure-ignore-tlog", "--allow-insecure-registry", repo+"@"+digest)
			if !ok {
				t.Fatalf("cosign verify-attestation --type %s failed:\n%s", typ, out)
			}
			// cosign prints the verified envelopes; the statement must be ours.
			if !strings.Contains(out, `"payloadType":"application/vnd.in-toto+json"`) {
				t.Errorf("cosign output has no envelope:\n%s", out)
			}
		}
		out, ok := cosignRun(t, cosign, nil, "verify-attestation", "--type", "cyclonedx", "--key", pubPath, "--insecure-ignore-tlog", "--allow-insecure-registry", repo+"@"+digest)
		if ok {
			t.Errorf("cosign verify-attestation --type cyclonedx passed without such an attestation:\n%s", out)
		}
		found, err := sign.VerifyAttestations(ctx, target, pub, []string{sign.PredicateTypes["slsaprovenance1"], sign.PredicateTypes["spdxjson"]}, sign.Remote{})
		if err != nil {
			t.Fatal(err)
		}
		if len(found) != 2 {
			t.Errorf("found %d attestation types", len(found))
		}
		other, err := sign.NewSigner(testRSAKey(t), "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sign.VerifyAttestations(ctx, target, other.Public(), []string{sign.PredicateTypes["spdxjson"]}, sign.Remote{}); err == nil {
			t.Error("attestations verify with another key")
		}
	})

	t.Run("payload equals cosign's", func(t *testing.T) {
		// cosign sign with the same key and the annotations Confidential
		// Space asks for writes exactly the payload we write.
		d6 := pushTestImage(t, reg.Host, "odp/app6", "v1", "sixth")
		cdir := t.TempDir()
		out, ok := cosignRun(t, cosign, nil, "import-key-pair", "--key", keyPath, "--output-key-prefix", filepath.Join(cdir, "imported"))
		if !ok {
			t.Fatalf("cosign import-key-pair failed:\n%s", out)
		}
		out, ok = cosignRun(t, cosign, nil, "sign", "--key", filepath.Join(cdir, "imported.key"), "--tlog-upload=false", "--yes", "--allow-insecure-registry",
			"-a", "dev.cosignproject.cosign/sigalg=ECDSA_P256_SHA256", "-a", "dev.cosignproject.cosign/pub="+payloadB64, reg.Host+"/odp/app6@"+d6)
		if !ok {
			t.Fatalf("cosign sign failed:\n%s", out)
		}
		tag, err := name.NewTag(reg.Host + "/odp/app6:sha256-" + strings.TrimPrefix(d6, "sha256:") + ".sig")
		if err != nil {
			t.Fatal(err)
		}
		img, err := remote.Image(tag)
		if err != nil {
			t.Fatal(err)
		}
		layers, err := img.Layers()
		if err != nil || len(layers) != 1 {
			t.Fatalf("cosign's signature has %d layers (%v)", len(layers), err)
		}
		rc, err := layers[0].Compressed()
		if err != nil {
			t.Fatal(err)
		}
		var theirs bytes.Buffer
		if _, err := theirs.ReadFrom(rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
		ours, err := sign.NewPayload(reg.Host+"/odp/app6", d6, pub, sign.ECDSAP256SHA256)
		if err != nil {
			t.Fatal(err)
		}
		if theirs.String() != string(ours) {
			t.Errorf("cosign's payload differs from ours:\ncosign: %s\nours:   %s", theirs.String(), ours)
		}
		// And our checks accept cosign's signature as the launcher would.
		chk, err := sign.VerifySignatures(ctx, sign.Target{Repository: reg.Host + "/odp/app6", Digest: d6}, pub, sign.Remote{})
		if err != nil {
			t.Fatal(err)
		}
		m, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		var mt struct{ MediaType string }
		raw, _ := img.RawManifest()
		_ = json.Unmarshal(raw, &mt)
		if m.Layers[0].MediaType != sign.MediaTypeSimpleSigning || mt.MediaType != string(types.OCIManifestSchema1) || chk.Verified == nil {
			t.Errorf("cosign's manifest: media type %q, layer %q", mt.MediaType, m.Layers[0].MediaType)
		}
	})
}
