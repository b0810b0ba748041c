package cli_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/rules-odp/rules_odp/tools/internal/cli"
	"github.com/rules-odp/rules_odp/tools/internal/provenance"
	"github.com/rules-odp/rules_odp/tools/internal/testregistry"
)

// runWithEnv runs odptool in-process with an environment of its own (no
// credentials of the machine leak in).
func runWithEnv(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var o, e bytes.Buffer
	err = cli.RunEnv(args, &cli.Env{Stdout: &o, Stderr: &e, Getenv: func(k string) string { return env[k] }})
	return o.String(), e.String(), err
}

func lsDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

// TestPushProvenance pushes to a real registry with --provenance and
// checks the statement: the bytes provenance write gives for the same
// push, and a subject digest the registry serves for every tag.
func TestPushProvenance(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Options{})
	dir := t.TempDir()
	env := map[string]string{"HOME": dir}
	layout := filepath.Join(dir, "layout")
	base := filepath.Join(imageTestdata, "base-oci")
	mustRun(t, "image", "assemble", "--out", layout, "--base", base, filepath.Join(imageTestdata, "layers", "app.tar"))
	lock := filepath.Join(dir, "debs.lock.json")
	os.WriteFile(lock, []byte(`{"packages":[]}`), 0o644)
	repo := reg.Host + "/odp/prov"
	record, stmt := filepath.Join(dir, "push.jsonl"), filepath.Join(dir, "statement.json")
	provFlags := []string{
		"--lock", "debs.lock=" + lock, "--base-layout", "debian=" + base,
		"--source-revision", strings.Repeat("ab", 20), "--source-uri", "git+https://github.com/org/repo",
		"--builder-id", "https://ci.example.com/builder",
	}
	args := append([]string{"image", "push", "--repository", repo, "--tag", "v1", "--tag", "latest",
		"--record", record, "--provenance", stmt}, provFlags...)
	stdout, stderr, err := runWithEnv(t, env, append(args, layout)...)
	if err != nil {
		t.Fatalf("push: %v\n%s", err, stderr)
	}
	got, err := os.ReadFile(stmt)
	if err != nil {
		t.Fatal(err)
	}

	// The same bytes as provenance write from the record and the layout.
	written := filepath.Join(dir, "written.json")
	if _, stderr, err := runWithEnv(t, env, append([]string{"provenance", "write", "--out", written,
		"--push-record", record, "--layout", layout}, provFlags...)...); err != nil {
		t.Fatalf("provenance write: %v\n%s", err, stderr)
	}
	if want := readString(t, written); string(got) != want {
		t.Errorf("push --provenance wrote\n%s\nprovenance write wrote\n%s", got, want)
	}

	var st provenance.Statement
	if err := json.Unmarshal(got, &st); err != nil {
		t.Fatal(err)
	}
	if st.Type != provenance.StatementType || st.PredicateType != provenance.PredicateType {
		t.Errorf("statement types %q, %q", st.Type, st.PredicateType)
	}
	if len(st.Subject) != 1 || st.Subject[0].Name != repo {
		t.Fatalf("subjects %+v, want one for %s", st.Subject, repo)
	}
	hex := st.Subject[0].Digest["sha256"]
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if last := lines[len(lines)-1]; last != repo+"@sha256:"+hex {
		t.Errorf("push printed %q; the subject is sha256:%s", last, hex)
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
		if served := desc.Digest.String(); served != "sha256:"+hex {
			t.Errorf("registry serves %s as %s; the statement's subject is sha256:%s", ref, served, hex)
		}
	}
	var deps []string
	for _, d := range st.Predicate.BuildDefinition.ResolvedDependencies {
		deps = append(deps, d.Name)
	}
	if diff := cmp.Diff([]string{"debian", "debs.lock", "go", "source"}, deps); diff != "" {
		t.Errorf("resolved dependencies (-want +got):\n%s", diff)
	}
	if st.Predicate.RunDetails.Builder.ID != "https://ci.example.com/builder" {
		t.Errorf("builder id %q", st.Predicate.RunDetails.Builder.ID)
	}

	// --record without --provenance writes no provenance.
	os.Remove(stmt)
	before := lsDir(t, dir)
	if _, stderr, err := runWithEnv(t, env, "image", "push", "--repository", repo, "--tag", "v2", "--record", record, layout); err != nil {
		t.Fatalf("push: %v\n%s", err, stderr)
	}
	if after := lsDir(t, dir); !cmp.Equal(before, after) {
		t.Errorf("push --record alone changed the directory from %v to %v", before, after)
	}
}

// TestPushProvenanceRefusals: provenance flags are checked before the
// push (the registry is left untouched), and a failed push writes neither
// record nor provenance.
func TestPushProvenanceRefusals(t *testing.T) {
	open := testregistry.Start(t, testregistry.Options{})
	locked := testregistry.Start(t, testregistry.Options{User: "odp", Password: "secret"})
	dir := t.TempDir()
	layout := filepath.Join(dir, "layout")
	mustRun(t, "image", "assemble", "--out", layout, filepath.Join(imageTestdata, "layers", "app.tar"))
	stmt, record := filepath.Join(dir, "statement.json"), filepath.Join(dir, "push.jsonl")
	tests := []struct {
		name    string
		args    []string
		usage   bool
		wantErr string
	}{
		{"lock without provenance", []string{"--lock", "x=" + layout}, true, "--lock is for the provenance"},
		{"builder without provenance", []string{"--builder-id", "https://x.example"}, true, "--builder-id is for the provenance"},
		{"provenance to stdout", []string{"--provenance", "-"}, true, "stdout carries"},
		{"absolute lock without name", []string{"--provenance", stmt, "--lock", filepath.Join(dir, "x")}, true, "is absolute"},
		{"missing lock file", []string{"--provenance", stmt, "--lock", "x=" + filepath.Join(dir, "nope")}, false, "nope"},
		{"base not a layout", []string{"--provenance", stmt, "--base-layout", "b=" + dir}, false, "not an OCI image layout"},
		{"bad revision", []string{"--provenance", stmt, "--source-revision", "main"}, false, "not a git commit"},
		{"bad builder id", []string{"--provenance", stmt, "--builder-id", "not a uri"}, false, "builder id"},
		// Valid flags, but the registry refuses anonymous pushes.
		{"push fails", []string{"--provenance", stmt, "--record", record, "--repository", locked.Host + "/odp/refused"}, false, "401 Unauthorized"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			repo := open.Host + "/odp/" + strings.ReplaceAll(tc.name, " ", "-")
			args := append(append([]string{"image", "push", "--repository", repo, "--tag", "v1"}, tc.args...), layout)
			_, stderr, err := runWithEnv(t, map[string]string{"HOME": dir}, args...)
			if err == nil {
				t.Fatal("succeeded")
			}
			if got := errors.Is(err, cli.ErrUsage); got != tc.usage {
				t.Errorf("usage error = %v, want %v (%v)", got, tc.usage, err)
			}
			if msg := err.Error() + stderr; !strings.Contains(msg, tc.wantErr) {
				t.Errorf("error %v\n%s\nlacks %q", err, stderr, tc.wantErr)
			}
			if got := lsDir(t, dir); !cmp.Equal(got, []string{"layout"}) {
				t.Errorf("left behind: %v", got)
			}
			ref, err := name.NewTag(repo + ":v1")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := remote.Head(ref); err == nil {
				t.Errorf("%s was pushed although the command failed", ref)
			}
		})
	}
}
