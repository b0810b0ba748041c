package provenance_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/rules-odp/rules_odp/tools/internal/image"
	"github.com/rules-odp/rules_odp/tools/internal/provenance"
	"github.com/rules-odp/rules_odp/tools/internal/registry"
	"github.com/rules-odp/rules_odp/tools/internal/testregistry"
)

func inspectDigest(t testing.TB, layout string) string {
	t.Helper()
	d, err := image.Digest(layout)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestSubjectIsWhatTheRegistryServes pushes to a real registry and checks
// that the statement's subject digest is the digest the registry serves
// for the pushed tags, written the in-toto way (no "sha256:" prefix).
func TestSubjectIsWhatTheRegistryServes(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Options{})
	dir := t.TempDir()
	app := buildLayout(t, dir, "app", "hello\n")
	repo := reg.Host + "/odp/app"
	pushed, err := registry.Push(context.Background(), app, registry.PushOptions{Repository: repo, Tags: []string{"v1", "latest"}})
	if err != nil {
		t.Fatal(err)
	}
	record := filepath.Join(dir, "push.jsonl")
	if err := registry.WriteRecord(record, pushed); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "statement.json")
	if _, stderr, code := run(t, "--out", out, "--push-record", record, "--layout", app); code != 0 {
		t.Fatalf("exit code %d: %s", code, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	validate(t, b)
	var st provenance.Statement
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Subject) != 1 {
		t.Fatalf("%d subjects, want 1 (two tags of one digest): %+v", len(st.Subject), st.Subject)
	}
	s := st.Subject[0]
	if s.Name != repo {
		t.Errorf("subject name %q, want %q", s.Name, repo)
	}
	hex := s.Digest["sha256"]
	if strings.HasPrefix(hex, "sha256:") || len(hex) != 64 || len(s.Digest) != 1 {
		t.Errorf("subject digest %v: want {\"sha256\": 64 hex digits without prefix}", s.Digest)
	}
	for _, tag := range []string{"v1", "latest"} {
		ref, err := name.NewTag(repo + ":" + tag)
		if err != nil {
			t.Fatal(err)
		}
		desc, err := remote.Head(ref)
		if err != nil {
			t.Fatal(err)
		}
		if got := desc.Digest.String(); got != "sha256:"+hex {
			t.Errorf("registry serves %s as %s; the statement says sha256 %s", ref, got, hex)
		}
	}
	var ext struct {
		Images []string `json:"images"`
	}
	raw, _ := json.Marshal(st.Predicate.BuildDefinition.ExternalParameters)
	json.Unmarshal(raw, &ext)
	if want := []string{repo + ":latest", repo + ":v1"}; strings.Join(ext.Images, ",") != strings.Join(want, ",") {
		t.Errorf("externalParameters.images %v, want %v", ext.Images, want)
	}
	cfg := st.Predicate.RunDetails.Byproducts
	info, _ := image.Inspect(app)
	if len(cfg) != 1 || "sha256:"+cfg[0].Digest["sha256"] != info.ImageID {
		t.Errorf("byproducts %+v, want the config %s", cfg, info.ImageID)
	}
}
