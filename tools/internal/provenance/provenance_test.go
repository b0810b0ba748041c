package provenance_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rules-odp/rules_odp/tools/internal/golden"
	"github.com/rules-odp/rules_odp/tools/internal/provenance"
)

const revision = "0123456789abcdef0123456789abcdef01234567"

// goldenArgs sets every input the statement can carry.
func goldenArgs(t *testing.T, dir string) []string {
	app := buildLayout(t, dir, "app", "hello\n")
	base := buildLayout(t, dir, "base", "base\n")
	return []string{
		"--layout", app,
		"--repository", "127.0.0.1:5000/odp/app",
		"--source-uri", "git+https://github.com/rules-odp/example",
		"--source-revision", revision,
		"--source-ref", "refs/heads/main",
		"--lock", "deps/deb.lock.json=" + filepath.Join("testdata", "deb.lock.json"),
		"--lock", "go.mod=" + filepath.Join("testdata", "go.mod.lock"),
		"--base-layout", "debian=" + base,
		"--base-digest", "distroless@sha256:" + strings.Repeat("ab", 32),
		"--go-version", "go1.26.0",
		"--builder-id", "https://ci.example.com/builders/odp@v1",
		"--builder-version", "ci=2.4",
		"--invocation-id", "https://ci.example.com/runs/42",
		"--started-on", "2025-01-02T03:04:05+01:00",
		"--finished-on", "2025-01-02T02:10:00Z",
		"--external-parameter", "target=//app:image",
		"--internal-parameter", "bazel=4.2.3",
	}
}

func TestGolden(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "statement.json")
	if _, stderr, code := run(t, append(goldenArgs(t, dir), "--out", out)...); code != 0 {
		t.Fatalf("exit code %d: %s", code, stderr)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "golden", "statement.json"), got)
	validate(t, got)
	if strings.Contains(string(got), dir) {
		t.Errorf("the statement names the temporary directory %s", dir)
	}
}

// The field names and shapes of in-toto Statement v1
// (github.com/in-toto/attestation spec/v1: statement.md,
// resource_descriptor.md, digest_set.md, field_types.md) and SLSA
// provenance v1 (slsa.dev/spec/v1.0/provenance).
var (
	statementFields  = fields("_type", "subject", "predicateType", "predicate")
	descriptorFields = fields("name", "uri", "digest", "content", "downloadLocation", "mediaType", "annotations")
	provenanceFields = fields("buildDefinition", "runDetails")
	buildDefFields   = fields("buildType", "externalParameters", "internalParameters", "resolvedDependencies")
	runDetailsFields = fields("builder", "metadata", "byproducts")
	builderFields    = fields("id", "version", "builderDependencies")
	metadataFields   = fields("invocationId", "startedOn", "finishedOn")

	digestRE = map[string]*regexp.Regexp{
		"sha256":    regexp.MustCompile(`^[0-9a-f]{64}$`),
		"gitCommit": regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64})$`),
	}
	uriRE = regexp.MustCompile(`^[a-z][a-z0-9+.-]*:[^ ]+$`)
)

func fields(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

// validate checks a statement against the specs: only their field names,
// the required fields, digests as bare lower-case hex, URIs with a scheme,
// timestamps in UTC.
func validate(t *testing.T, b []byte) {
	t.Helper()
	var st map[string]any
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	obj := func(v any, where string, allowed map[string]bool, required ...string) map[string]any {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s is not an object: %v", where, v)
		}
		for k := range m {
			if !allowed[k] {
				t.Errorf("%s has field %q, which the spec does not define", where, k)
			}
		}
		for _, r := range required {
			if _, ok := m[r]; !ok {
				t.Errorf("%s lacks the required field %q", where, r)
			}
		}
		return m
	}
	descriptors := func(v any, where string, needDigest bool) {
		list, ok := v.([]any)
		if !ok {
			t.Fatalf("%s is not a list: %v", where, v)
		}
		for _, e := range list {
			d := obj(e, where, descriptorFields)
			if d["uri"] == nil && d["digest"] == nil && d["content"] == nil {
				t.Errorf("%s %v has none of uri, digest, content", where, d)
			}
			if needDigest && d["digest"] == nil {
				t.Errorf("%s %v has no digest", where, d)
			}
			if u, ok := d["uri"].(string); ok && !uriRE.MatchString(u) {
				t.Errorf("%s: uri %q is not a URI", where, u)
			}
			if ds, ok := d["digest"].(map[string]any); ok {
				for alg, hex := range ds {
					re := digestRE[alg]
					if re == nil || !re.MatchString(hex.(string)) {
						t.Errorf("%s: digest %s: %v is not lower-case hex of the right length (no prefix)", where, alg, hex)
					}
				}
			}
		}
	}
	top := obj(st, "statement", statementFields, "_type", "subject", "predicateType", "predicate")
	if top["_type"] != "https://in-toto.io/Statement/v1" || top["predicateType"] != "https://slsa.dev/provenance/v1" {
		t.Errorf("_type %v, predicateType %v", top["_type"], top["predicateType"])
	}
	descriptors(top["subject"], "subject", true)
	pred := obj(top["predicate"], "predicate", provenanceFields, "buildDefinition", "runDetails")
	bd := obj(pred["buildDefinition"], "buildDefinition", buildDefFields, "buildType", "externalParameters")
	if bt, _ := bd["buildType"].(string); !uriRE.MatchString(bt) {
		t.Errorf("buildType %q is not a URI", bt)
	}
	if rd, ok := bd["resolvedDependencies"]; ok {
		descriptors(rd, "resolvedDependencies", false)
	}
	rd := obj(pred["runDetails"], "runDetails", runDetailsFields, "builder")
	bl := obj(rd["builder"], "builder", builderFields, "id")
	if id, _ := bl["id"].(string); !uriRE.MatchString(id) {
		t.Errorf("builder.id %q is not a URI", id)
	}
	if md, ok := rd["metadata"]; ok {
		m := obj(md, "metadata", metadataFields)
		for _, k := range []string{"startedOn", "finishedOn"} {
			if s, ok := m[k].(string); ok {
				if _, err := time.Parse(time.RFC3339Nano, s); err != nil || !strings.HasSuffix(s, "Z") {
					t.Errorf("metadata.%s %q is not an RFC 3339 UTC timestamp", k, s)
				}
			}
		}
	}
	if bp, ok := rd["byproducts"]; ok {
		descriptors(bp, "byproducts", false)
	}
}

func TestByteStable(t *testing.T) {
	// One workspace, copied to a second place: relative paths give the
	// same names, and nothing else may depend on where or when we run.
	var outputs [][]byte
	work := t.TempDir()
	inputs := map[string][]byte{}
	for _, f := range []string{"deb.lock.json", "go.mod.lock"} {
		b, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		inputs[f] = b
	}
	for i, tz := range []string{"UTC", "Asia/Kolkata", "America/St_Johns"} {
		ws := filepath.Join(work, "ws"+string(rune('a'+i)), "deep", "er")
		if err := os.MkdirAll(filepath.Join(ws, "deps"), 0o755); err != nil {
			t.Fatal(err)
		}
		for f, b := range inputs {
			if err := os.WriteFile(filepath.Join(ws, "deps", f), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		buildLayout(t, ws, "app", "hello\n")
		buildLayout(t, ws, "base", "base\n")
		loc, err := time.LoadLocation(tz)
		if err != nil {
			t.Fatal(err)
		}
		t.Setenv("TZ", tz)
		saved := time.Local
		time.Local = loc
		t.Chdir(ws)
		locks := []string{"--lock", "deps/deb.lock.json", "--lock", "deps/go.mod.lock"}
		if i == 1 {
			locks = []string{"--lock", "deps/go.mod.lock", "--lock", "./deps/deb.lock.json"}
		}
		// The same instant written with another offset.
		started := []string{"2025-01-02T03:04:05+01:00", "2025-01-02T07:34:05+05:30", "2025-01-02T02:04:05Z"}[i]
		args := append(locks, "--out", "statement.json", "--layout", "app", "--repository", "127.0.0.1:5000/odp/app",
			"--base-layout", "base", "--source-revision", revision, "--go-version", "go1.26.0", "--started-on", started)
		_, stderr, code := run(t, args...)
		time.Local = saved
		if code != 0 {
			t.Fatalf("%s: exit code %d: %s", tz, code, stderr)
		}
		b, err := os.ReadFile(filepath.Join(ws, "statement.json"))
		if err != nil {
			t.Fatal(err)
		}
		outputs = append(outputs, b)
	}
	for i := 1; i < len(outputs); i++ {
		if diff := cmp.Diff(string(outputs[0]), string(outputs[i])); diff != "" {
			t.Errorf("run %d differs from run 0 (-run0 +run%d):\n%s", i, i, diff)
		}
	}
	validate(t, outputs[0])
	for _, want := range []string{`"name": "deps/deb.lock.json"`, `"name": "base"`, `"startedOn": "2025-01-02T02:04:05Z"`} {
		if !bytes.Contains(outputs[0], []byte(want)) {
			t.Errorf("statement lacks %s:\n%s", want, outputs[0])
		}
	}
}

func TestDigestSet(t *testing.T) {
	hex := strings.Repeat("0a", 32)
	for _, tc := range []struct {
		in      string
		want    map[string]string
		wantErr bool
	}{
		{in: "sha256:" + hex, want: map[string]string{"sha256": hex}},
		{in: hex, wantErr: true}, // no algorithm
		{in: "sha256:" + strings.ToUpper(hex), wantErr: true},
		{in: "sha512:" + hex + hex, wantErr: true},
		{in: "sha256:" + hex[:62], wantErr: true},
		{in: "sha256:sha256:" + hex, wantErr: true},
	} {
		got, err := provenance.DigestSet(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("DigestSet(%q) error %v, want error %v", tc.in, err, tc.wantErr)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("DigestSet(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestSplitImage(t *testing.T) {
	for _, tc := range []struct {
		in, repo, tag string
		wantErr       bool
	}{
		{in: "127.0.0.1:5000/odp/app:v1", repo: "127.0.0.1:5000/odp/app", tag: "v1"},
		{in: "127.0.0.1:5000/odp/app", repo: "127.0.0.1:5000/odp/app"},
		{in: "us-docker.pkg.dev/p/r/app:latest", repo: "us-docker.pkg.dev/p/r/app", tag: "latest"},
		{in: "localhost/app", repo: "localhost/app"},
		{in: "app:v1", wantErr: true},
		{in: "r.io/app:", wantErr: true},
		{in: "r.io/app@sha256:" + strings.Repeat("0", 64), wantErr: true},
	} {
		repo, tag, err := provenance.SplitImage(tc.in)
		if (err != nil) != tc.wantErr || repo != tc.repo || tag != tc.tag {
			t.Errorf("SplitImage(%q) = %q, %q, %v; want %q, %q, error %v", tc.in, repo, tag, err, tc.repo, tc.tag, tc.wantErr)
		}
	}
}

func TestReadPushRecord(t *testing.T) {
	d := "sha256:" + strings.Repeat("1f", 32)
	for _, tc := range []struct {
		name, in string
		want     []provenance.Pushed
		wantErr  string
	}{
		{
			name: "two tags, concatenated records",
			in:   `{"image":"r.io/app:v1","digest":"` + d + `"}` + "\n\n" + `{"image":"r.io/app:latest","digest":"` + d + `"}` + "\n",
			want: []provenance.Pushed{{"r.io/app:v1", d}, {"r.io/app:latest", d}},
		},
		{name: "empty", in: "\n", wantErr: "no image"},
		{name: "unknown field", in: `{"image":"r.io/app","digest":"` + d + `","tag":"x"}`, wantErr: "unknown field"},
		{name: "no prefix", in: `{"image":"r.io/app","digest":"` + d[7:] + `"}`, wantErr: "want sha256:"},
		{name: "missing digest", in: `{"image":"r.io/app"}`, wantErr: "want both"},
		{name: "two values on a line", in: `{"image":"r.io/app","digest":"` + d + `"} {}`, wantErr: "more than one"},
		{name: "not JSON", in: `image=r.io/app`, wantErr: "line 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := provenance.ReadPushRecord(strings.NewReader(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	app := buildLayout(t, dir, "app", "hello\n")
	other := buildLayout(t, dir, "other", "other\n")
	otherDigest := inspectDigest(t, other)
	record := filepath.Join(dir, "record.jsonl")
	os.WriteFile(record, []byte(`{"image":"127.0.0.1:5000/odp/app:v1","digest":"`+otherDigest+`"}`+"\n"), 0o644)
	out := filepath.Join(dir, "st.json")
	abs, _ := filepath.Abs(filepath.Join("testdata", "deb.lock.json"))
	for _, tc := range []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"no subject", []string{"--out", out}, 2, "give --push-record"},
		{"layout without repository", []string{"--out", out, "--layout", app}, 2, "needs --repository"},
		{"record of another image", []string{"--out", out, "--layout", app, "--push-record", record}, 1, "but layout"},
		{"record of another repository", []string{"--out", out, "--push-record", record, "--repository", "127.0.0.1:5000/odp/x"}, 1, "not repository"},
		{"absolute lock path", []string{"--out", out, "--push-record", record, "--lock", abs}, 2, "is absolute"},
		{"bad revision", []string{"--out", out, "--push-record", record, "--source-revision", "main"}, 1, "not a git commit"},
		{"bad time", []string{"--out", out, "--push-record", record, "--started-on", "yesterday"}, 2, "RFC 3339"},
		{"finished before started", []string{"--out", out, "--push-record", record, "--started-on", "2025-01-02T00:00:00Z", "--finished-on", "2025-01-01T00:00:00Z"}, 1, "before it started"},
		{"builder id not a URI", []string{"--out", out, "--push-record", record, "--builder-id", "my laptop"}, 1, "builder id"},
		{"same name twice", []string{"--out", out, "--push-record", record, "--lock", "go=testdata/go.mod.lock"}, 1, `named "go"`},
		{"parameter twice", []string{"--out", out, "--push-record", record, "--external-parameter", "images=x"}, 1, `"images" is already set`},
		{"missing base layout", []string{"--out", out, "--push-record", record, "--base-layout", "nope"}, 1, "base image"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := run(t, tc.args...)
			if code != tc.wantCode || !strings.Contains(stderr, tc.wantErr) {
				t.Errorf("exit code %d, stderr %q; want %d and %q", code, stderr, tc.wantCode, tc.wantErr)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was written", out)
			}
		})
	}
}

func TestStdout(t *testing.T) {
	dir := t.TempDir()
	app := buildLayout(t, dir, "app", "hello\n")
	stdout, stderr, code := run(t, "--out", "-", "--layout", app, "--repository", "127.0.0.1:5000/odp/app", "--go-version", "")
	if code != 0 {
		t.Fatalf("exit code %d: %s", code, stderr)
	}
	validate(t, []byte(stdout))
	var st provenance.Statement
	if err := json.Unmarshal([]byte(stdout), &st); err != nil {
		t.Fatal(err)
	}
	want := []provenance.ResourceDescriptor{{Name: "127.0.0.1:5000/odp/app", Digest: map[string]string{"sha256": strings.TrimPrefix(inspectDigest(t, app), "sha256:")}}}
	if diff := cmp.Diff(want, st.Subject); diff != "" {
		t.Errorf("subject (-want +got):\n%s", diff)
	}
	if st.Predicate.RunDetails.Builder.ID != provenance.DefaultBuilderID || st.Predicate.RunDetails.Metadata != nil {
		t.Errorf("builder %+v, metadata %+v: want the default builder and no metadata", st.Predicate.RunDetails.Builder, st.Predicate.RunDetails.Metadata)
	}
	if len(st.Predicate.BuildDefinition.ResolvedDependencies) != 0 {
		t.Errorf("resolved dependencies %v, want none", st.Predicate.BuildDefinition.ResolvedDependencies)
	}
}
