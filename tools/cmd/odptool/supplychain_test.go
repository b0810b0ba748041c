package main_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rules-odp/rules_odp/tools/internal/testdeb"
	"github.com/rules-odp/rules_odp/tools/internal/testregistry"
)

// copyTree copies the regular files and directories of src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(out, 0o777)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSupplyChainDeterminism runs the built odptool under every
// perturbation (another directory, TZ, locale, umask, user, GOMAXPROCS)
// and wants the same SBOM bytes (SPDX and CycloneDX) and the same signed
// payload bytes each time.
func TestSupplyChainDeterminism(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Options{})
	setup := workdir(t)
	base := perturbations[0]
	deb := testdeb.Fetch(t, "zlib1g")
	copyFile(t, deb, filepath.Join(setup, "zlib1g.deb"), time.Unix(0, 0))
	runIn(t, setup, base, "deb", "repack", "--out", "zlib.tar", "zlib1g.deb")
	meta := filepath.Join(setup, "METADATA")
	if err := os.WriteFile(meta, []byte("Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\nLicense: MIT\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	runIn(t, setup, base, "layer", "files", "--out", "py.tar", "--file", "/usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA="+meta)
	if err := os.WriteFile(filepath.Join(setup, "config.json"), []byte(`{"Entrypoint":["/x"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	runIn(t, setup, base, "image", "assemble", "--out", "layout", "--config", "config.json", "zlib.tar", "py.tar")
	repo := reg.Host + "/odp/determinism"
	runIn(t, setup, base, "image", "push", "--repository", repo, "layout")

	d := sha256.Sum256([]byte("rules_odp determinism key"))
	key, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d[:])
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})

	want := map[string][]byte{}
	for i, p := range perturbations {
		dir := workdir(t)
		copyTree(t, filepath.Join(setup, "layout"), filepath.Join(dir, "in", "layout"))
		if err := os.WriteFile(filepath.Join(dir, "key.pem"), keyPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		runIn(t, dir, p, "image", "sbom", "--layout", "in/layout", "--name", repo, "--out", "sbom.spdx.json")
		runIn(t, dir, p, "image", "sbom", "--layout", "in/layout", "--name", repo, "--format", "cyclonedx", "--out", "sbom.cdx.json")
		runIn(t, dir, p, "image", "sign", "--repository", repo, "--layout", "in/layout", "--key", "key.pem", "--payload-out", "payload.json")
		for _, f := range []string{"sbom.spdx.json", "sbom.cdx.json", "payload.json"} {
			got, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				want[f] = got
				continue
			}
			if !bytes.Equal(got, want[f]) {
				t.Errorf("%s: %s differs from the baseline", p.name, f)
			}
		}
	}
	for _, w := range []string{`"pkg:deb/debian/zlib1g@`, `"pkg:pypi/six@1.16.0"`} {
		if !strings.Contains(string(want["sbom.spdx.json"]), w) {
			t.Errorf("SBOM lacks %s", w)
		}
	}
	if !strings.Contains(string(want["payload.json"]), `"docker-reference":"`+repo+`"`) {
		t.Errorf("payload: %s", want["payload.json"])
	}
}
