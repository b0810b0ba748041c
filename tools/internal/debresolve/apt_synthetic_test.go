package debresolve_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSyntheticMatchesApt runs apt's solver on the synthetic indexes,
// served as two local flat repositories, and checks that it agrees with
// TestResolve's expectations wherever resolveCases says it should.
func TestSyntheticMatchesApt(t *testing.T) {
	needTool(t, "apt-get")
	aptConfig := syntheticAptRepo(t, indexA, indexB)
	for _, tc := range resolveCases {
		if tc.apt == aptNotApplicable {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command("apt-get", append([]string{"-s", "install", "--no-install-recommends"}, tc.roots...)...)
			cmd.Env = append(os.Environ(), "APT_CONFIG="+aptConfig, "LC_ALL=C")
			out, err := cmd.CombinedOutput()
			aptFailed := err != nil
			if aptFailed && !strings.Contains(string(out), "E: ") {
				t.Fatalf("%v: %v\n%s", cmd.Args, err, out)
			}
			switch {
			case tc.apt == aptFailsCandidateOnly || tc.wantErr != nil:
				if !aptFailed {
					t.Errorf("apt succeeded, but the case says it fails:\n%s", out)
				}
			case aptFailed:
				t.Errorf("apt failed:\n%s", out)
			default:
				got := map[string]string{}
				for _, line := range strings.Split(string(out), "\n") {
					if m := instRe.FindStringSubmatch(line); m != nil {
						got[m[1]] = m[2]
					}
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("apt's closure differs from the expectation (-want +apt):\n%s", diff)
				}
			}
		})
	}
}

// syntheticAptRepo makes a flat file: repository per index, downloads them
// with apt-get update into a private state directory and returns the
// APT_CONFIG file that makes apt use only them, with an empty dpkg status.
func syntheticAptRepo(t *testing.T, indexes ...string) string {
	t.Helper()
	dir := t.TempDir()
	var sources strings.Builder
	for i, idx := range indexes {
		repo := filepath.Join(dir, fmt.Sprintf("repo%d", i))
		data, err := os.ReadFile(idx)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(repo, "Packages"), data)
		writeFile(t, filepath.Join(repo, "Release"), []byte(fmt.Sprintf("Origin: synthetic\nLabel: synthetic\nSuite: s%d\nCodename: s%d\nArchitectures: amd64\n", i, i)))
		fmt.Fprintf(&sources, "deb [trusted=yes] file:%s ./\n", repo)
	}
	writeFile(t, filepath.Join(dir, "sources.list"), []byte(sources.String()))
	writeFile(t, filepath.Join(dir, "status"), nil)
	for _, d := range []string{"lists/partial", "cache/archives/partial"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(dir, "apt.conf")
	writeFile(t, conf, []byte(fmt.Sprintf(`Dir::Etc::sourcelist "%[1]s/sources.list";
Dir::Etc::sourceparts "-";
Dir::Etc::preferencesparts "-";
Dir::State::Lists "%[1]s/lists";
Dir::State::status "%[1]s/status";
Dir::Cache "%[1]s/cache";
Debug::NoLocking "true";
APT::Sandbox::User "root";
APT::Architecture "amd64";
APT::Architectures { "amd64"; };
`, dir)))
	cmd := exec.Command("apt-get", "update")
	cmd.Env = append(os.Environ(), "APT_CONFIG="+conf, "LC_ALL=C")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("apt-get update of the synthetic repositories: %v\n%s", err, out)
	}
	return conf
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
