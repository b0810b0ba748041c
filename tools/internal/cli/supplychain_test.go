package cli_test

import (
	"archive/tar"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/sign"
	"github.com/rules-odp/rules_odp/tools/internal/testregistry"
	"github.com/rules-odp/rules_odp/tools/internal/testtool"
)

// writeKeyPair writes a fresh P-256 key and its public key as PEM files.
func writeKeyPair(t *testing.T, dir string) (key, pub string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	key = filepath.Join(dir, "release.key")
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	pubPEM, err := sign.PublicKeyPEM(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	pub = filepath.Join(dir, "release.pub")
	if err := os.WriteFile(pub, pubPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	return key, pub
}

// tarOf writes a layer holding the given files.
func tarOf(t *testing.T, path string, files map[string]string) string {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, name := range sortedKeys(files) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(files[name])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(files[name]))
	}
	tw.Close()
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func sortedKeys(m map[string]string) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	for i := range k {
		for j := i + 1; j < len(k); j++ {
			if k[j] < k[i] {
				k[i], k[j] = k[j], k[i]
			}
		}
	}
	return k
}

func cosignCmd(t *testing.T, bin string, env []string, args ...string) (string, bool) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	home := t.TempDir()
	cmd.Env = append([]string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "TUF_ROOT=" + filepath.Join(home, "tuf")}, env...)
	out, err := cmd.CombinedOutput()
	if _, exit := err.(*exec.ExitError); err != nil && !exit {
		t.Fatal(err)
	}
	return string(out), err == nil
}

// TestSupplyChain is the whole relying-party story on a real registry:
// push, SBOM, sign, attest (provenance and SBOM), cosign as the referee,
// the key-based condition, release verify passing, then failing and
// naming the image and the file once the tag is re-pointed.
func TestSupplyChain(t *testing.T) {
	cosign := testtool.Require(t, "cosign")
	reg := testregistry.Start(t, testregistry.Options{})
	dir := t.TempDir()
	env := map[string]string{"HOME": dir}
	run := func(args ...string) string {
		t.Helper()
		out, stderr, err := runWithEnv(t, env, args...)
		if err != nil {
			t.Fatalf("odptool %s: %v\n%s", strings.Join(args, " "), err, stderr)
		}
		return out
	}
	key, pub := writeKeyPair(t, dir)

	// The release: one image, built twice identically (the "local build").
	build := filepath.Join(dir, "bazel-bin")
	layout := filepath.Join(build, "svc", "app_image")
	if err := os.MkdirAll(filepath.Dir(layout), 0o755); err != nil {
		t.Fatal(err)
	}
	appTar := tarOf(t, filepath.Join(dir, "app.tar"), map[string]string{
		"app/hello.txt": "hello\n",
		"usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA": "Name: six\nVersion: 1.16.0\nLicense: MIT\n",
	})
	run("image", "assemble", "--out", layout, "--base", filepath.Join(imageTestdata, "base-oci"), "--config", writeFileIn(t, dir, "config.json", `{"Entrypoint":["/app"]}`), appTar)
	repo := reg.Host + "/odp/app_image"
	pushed := strings.TrimSpace(run("image", "push", "--repository", repo, "--tag", "v1", "--provenance", filepath.Join(dir, "prov.json"), layout))
	digest := strings.TrimPrefix(pushed, repo+"@")

	sbomFile := filepath.Join(dir, "sbom.spdx.json")
	run("image", "sbom", "--layout", layout, "--name", repo, "--out", sbomFile)
	if !strings.Contains(readString(t, sbomFile), `"pkg:pypi/six@1.16.0"`) {
		t.Fatalf("SBOM does not list six:\n%s", readString(t, sbomFile))
	}

	signOut := run("image", "sign", "--repository", repo, "--layout", layout, "--key", key, "--payload-out", filepath.Join(dir, "payload.json"))
	keyID, err := sign.KeyID(mustPub(t, pub))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(signOut, "ECDSA_P256_SHA256:"+keyID+"\n") {
		t.Errorf("image sign printed %q, want the key ID first", signOut)
	}
	run("image", "attest", "--repository", repo, "--digest", digest, "--key", key, "--type", "slsaprovenance1", "--predicate", filepath.Join(dir, "prov.json"))
	run("image", "attest", "--repository", repo, "--digest", digest, "--key", key, "--type", "spdxjson", "--predicate", sbomFile)

	t.Run("cosign", func(t *testing.T) {
		ref := repo + "@" + digest
		if out, ok := cosignCmd(t, cosign, nil, "verify", "--key", pub, "--insecure-ignore-tlog", "--allow-insecure-registry", ref); !ok {
			t.Fatalf("cosign verify:\n%s", out)
		}
		for _, typ := range []string{"slsaprovenance1", "spdxjson"} {
			if out, ok := cosignCmd(t, cosign, nil, "verify-attestation", "--type", typ, "--key", pub, "--insecure-ignore-tlog", "--allow-insecure-registry", ref); !ok {
				t.Fatalf("cosign verify-attestation --type %s:\n%s", typ, out)
			}
		}
	})

	t.Run("tee policy by key", func(t *testing.T) {
		got := run("tee", "policy", "--pub", pub, layout)
		want := "assertion.submods.container.image_signatures.exists(sig, sig.signature_algorithm + ':' + sig.key_id in ['ECDSA_P256_SHA256:" + keyID + "'])"
		if !strings.HasPrefix(got, want+" &&\n") || strings.Contains(got, "image_digest") {
			t.Errorf("condition:\n%s", got)
		}
		both := run("tee", "policy", "--pub", pub, "--condition", "both", layout)
		if !strings.Contains(both, "image_digest == '"+digest+"'") || !strings.Contains(both, keyID) {
			t.Errorf("--condition both:\n%s", both)
		}
	})

	// The release digests file, as build_images.sh --write-expected writes it.
	inspect := run("image", "inspect", "--json", layout)
	var info struct {
		ImageID string `json:"image_id"`
	}
	if err := json.Unmarshal([]byte(inspect), &info); err != nil || info.ImageID == "" {
		t.Fatalf("image inspect --json: %v\n%s", err, inspect)
	}
	digests := writeFileIn(t, dir, "release.digests",
		"# Expected image digests: LABEL MANIFEST_DIGEST IMAGE_ID, sorted.\n# Written by scripts/build_images.sh --write-expected; checked with --check.\n"+
			"//svc:app_image "+digest+" "+info.ImageID+"\n")
	verify := []string{"release", "verify", "--digests", digests, "--tag", "v1", "--repository-prefix", reg.Host + "/odp", "--pub", pub, "--layouts", build}
	out := run(verify...)
	if !strings.HasPrefix(out, "OK //svc:app_image "+repo+":v1 "+digest+" signed by key "+keyID) {
		t.Errorf("release verify:\n%s", out)
	}

	t.Run("unsigned or unattested fails", func(t *testing.T) {
		_, pub2 := writeKeyPair(t, t.TempDir())
		out, _, err := runWithEnv(t, env, "release", "verify", "--digests", digests, "--tag", "v1", "--repository-prefix", reg.Host+"/odp", "--pub", pub2)
		if err == nil || !strings.Contains(out, "signature:") || !strings.Contains(out, "attestations:") {
			t.Errorf("another key: err %v\n%s", err, out)
		}
		out, _, err = runWithEnv(t, env, "release", "verify", "--digests", digests, "--tag", "v1", "--repository-prefix", reg.Host+"/odp", "--pub", pub, "--attestation", "cyclonedx")
		if err == nil || !strings.Contains(out, "https://cyclonedx.org/bom") {
			t.Errorf("missing cyclonedx attestation: err %v\n%s", err, out)
		}
	})

	t.Run("re-pointed tag fails naming the image and the file", func(t *testing.T) {
		other := filepath.Join(dir, "other")
		otherTar := tarOf(t, filepath.Join(dir, "other.tar"), map[string]string{
			"app/hello.txt": "hello, changed\n",
			"usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA": "Name: six\nVersion: 1.16.0\nLicense: MIT\n",
		})
		run("image", "assemble", "--out", other, "--base", filepath.Join(imageTestdata, "base-oci"), "--config", filepath.Join(dir, "config.json"), otherTar)
		run("image", "push", "--repository", repo, "--tag", "v1", other)
		out, _, err := runWithEnv(t, env, verify...)
		if err == nil || !strings.Contains(err.Error(), "1 of 1 images do not match the release: //svc:app_image") {
			t.Fatalf("release verify after re-pointing: err %v\n%s", err, out)
		}
		t.Logf("release verify after re-pointing the tag:\n%s", out)
		for _, want := range []string{"MISMATCH //svc:app_image", "registry serves " + repo + ":v1 as sha256:", "but the release says " + digest, "/app/hello.txt"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		// Without the local build, the released image (still in the
		// registry by digest) explains the difference.
		out, _, _ = runWithEnv(t, env, "release", "verify", "--digests", digests, "--tag", "v1", "--repository-prefix", reg.Host+"/odp", "--skip-signatures")
		if !strings.Contains(out, "/app/hello.txt") {
			t.Errorf("no file named without --layouts:\n%s", out)
		}
	})
}

func writeFileIn(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustPub(t *testing.T, path string) any {
	t.Helper()
	k, err := sign.LoadPublicKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestReleaseVerifyUsage(t *testing.T) {
	dir := t.TempDir()
	digests := writeFileIn(t, dir, "d", "//a:b sha256:"+strings.Repeat("0", 64)+" sha256:"+strings.Repeat("1", 64)+"\n")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no pub", []string{"--digests", digests, "--tag", "v1", "--repository-prefix", "r.example/x"}, "give --pub, or --skip-signatures"},
		{"both", []string{"--digests", digests, "--tag", "v1", "--repository-prefix", "r.example/x", "--pub", "p", "--skip-signatures"}, "give --pub, or --skip-signatures"},
		{"bad mapping", []string{"--digests", digests, "--tag", "v1", "--repository-for", "x", "--skip-signatures"}, "want LABEL=REPO"},
		{"unknown label", []string{"--digests", digests, "--tag", "v1", "--repository-for", "//c:d=r.example/y", "--skip-signatures"}, "no such image"},
		{"bad digests file", []string{"--digests", writeFileIn(t, dir, "bad", "//a:b sha256:1 sha256:2\n"), "--tag", "v1", "--repository-prefix", "r.example/x", "--skip-signatures"}, "line 1: digest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, err := runWithEnv(t, nil, append([]string{"release", "verify"}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error()+stderr, tc.want) {
				t.Fatalf("got %v\n%s\nwant %q", err, stderr, tc.want)
			}
		})
	}
}
