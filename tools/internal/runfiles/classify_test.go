package runfiles_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rules-odp/rules_odp/tools/internal/runfiles"
)

func TestRepoOf(t *testing.T) {
	for _, tc := range []struct{ rpath, repo, rest string }{
		{"_main/app/main.py", "_main", "app/main.py"},
		{"pypi_six/site-packages/six.py", "pypi_six", "site-packages/six.py"},
		{"_main/external/pypi_six/site-packages/six.py", "pypi_six", "site-packages/six.py"},
		{"_main/external/__init__.py", "_main", "external/__init__.py"},
		{"other/external/pypi_six/x.py", "other", "external/pypi_six/x.py"},
		{"__init__.py", "", "__init__.py"},
		{"_repo_mapping", "", "_repo_mapping"},
	} {
		repo, rest := runfiles.RepoOf(tc.rpath, "_main")
		if repo != tc.repo || rest != tc.rest {
			t.Errorf("RepoOf(%q) = %q, %q; want %q, %q", tc.rpath, repo, rest, tc.repo, tc.rest)
		}
	}
}

func TestIsToolchainRepoName(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{
		// WORKSPACE: python_register_toolchains(name = ...).
		{"python_x86_64-unknown-linux-gnu", true},
		{"python3_11_x86_64-unknown-linux-gnu", true},
		{"python_3_11_aarch64-unknown-linux-gnu", true},
		{"python39_x86_64-apple-darwin", true},
		{"python_3_13_x86_64-unknown-linux-gnu-freethreaded", true},
		{"python_3_12_x86_64-unknown-linux-musl", true},
		// bzlmod canonical names: Bazel 6, 7 and 8.
		{"rules_python~0.31.0~python~python_3_10_x86_64-unknown-linux-gnu", true},
		{"rules_python~~python~python_3_10_x86_64-unknown-linux-gnu", true},
		{"rules_python++python+python_3_11_x86_64-unknown-linux-gnu", true},
		// Not interpreters: aspect rules_py#787 and its kin.
		{"pypi_python_dateutil", false},
		{"pypi_python-3", false},
		{"pip_python_x86_64-unknown-linux-gnu", false},
		{"rules_python~~pip~pypi_310_python_x86_64-unknown-linux-gnu", false},
		{"python_dateutil", false},
		{"python-3", false},
		{"python3_11", false},
		{"python3_11_host", false},
		{"python3_11_toolchains", false},
		{"rules_python~", false},
		{"x86_64-unknown-linux-gnu", false},
		{"_main", false},
	} {
		if got := runfiles.IsToolchainRepoName(tc.name); got != tc.want {
			t.Errorf("IsToolchainRepoName(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestClassify(t *testing.T) {
	py := "python_x86_64-unknown-linux-gnu/bin/python3"
	for _, tc := range []struct {
		name        string
		workspace   string
		interpreter string
		packages    []string
		rpaths      []string
		allowNone   bool
		want        map[string]runfiles.Layer
		wantErr     string
	}{
		{
			name:      "workspace names",
			workspace: "com_example",
			rpaths: []string{
				py, "python_x86_64-unknown-linux-gnu/lib/python3.10/site-packages/pip/__init__.py",
				"pypi_numpy/site-packages/numpy/__init__.py", "pip_six/six.py",
				"pypi_python_dateutil/site-packages/dateutil/__init__.py", "pypi_python-3/x.py",
				"deps_attrs/site-packages/attrs/__init__.py", "deps_old/attrs-1.0.dist-info/METADATA",
				"com_example/app/main.py", "com_google_protobuf/python/google/protobuf/__init__.py", "__init__.py",
			},
			want: map[string]runfiles.Layer{
				"python_x86_64-unknown-linux-gnu": runfiles.Interpreter,
				"pypi_numpy":                      runfiles.Packages,
				"pip_six":                         runfiles.Packages,
				"pypi_python_dateutil":            runfiles.Packages,
				"pypi_python-3":                   runfiles.Packages,
				"deps_attrs":                      runfiles.Packages,
				"deps_old":                        runfiles.Packages,
				"com_example":                     runfiles.App,
				"com_google_protobuf":             runfiles.App,
				"":                                runfiles.App,
			},
		},
		{
			name:      "bzlmod names",
			workspace: "_main",
			rpaths: []string{
				"rules_python~~python~python_3_10_x86_64-unknown-linux-gnu/bin/python3.10",
				"rules_python~~pip~pypi_310_numpy/site-packages/numpy/__init__.py",
				"rules_python++pip+pypi_311_six/six.py",
				"rules_python~0.31.0~pip~pypi_39_attrs/site-packages/attrs/__init__.py",
				"rules_python~/python/runfiles/runfiles.py",
				"_main/vendor/site-packages/v.py",
				"_repo_mapping",
			},
			want: map[string]runfiles.Layer{
				"rules_python~~python~python_3_10_x86_64-unknown-linux-gnu": runfiles.Interpreter,
				"rules_python~~pip~pypi_310_numpy":                          runfiles.Packages,
				"rules_python++pip+pypi_311_six":                            runfiles.Packages,
				"rules_python~0.31.0~pip~pypi_39_attrs":                     runfiles.Packages,
				"rules_python~":                                             runfiles.App,
				"_main":                                                     runfiles.App,
				"":                                                          runfiles.App,
			},
		},
		{
			name:        "explicit interpreter and package repositories",
			workspace:   "_main",
			interpreter: "my_python",
			packages:    []string{"vendored_lib"},
			rpaths:      []string{"my_python/python/bin/python", "vendored_lib/lib.py", "_main/a.py"},
			want: map[string]runfiles.Layer{
				"my_python":    runfiles.Interpreter,
				"vendored_lib": runfiles.Packages,
				"_main":        runfiles.App,
			},
		},
		{
			name:      "no interpreter allowed",
			workspace: "_main",
			rpaths:    []string{"_main/a.py", "pypi_six/six.py"},
			allowNone: true,
			want:      map[string]runfiles.Layer{"_main": runfiles.App, "pypi_six": runfiles.Packages},
		},
		{
			name:      "no interpreter",
			workspace: "_main",
			rpaths:    []string{"_main/a.py"},
			wantErr:   `no Python interpreter repository among the runfiles (repositories: "_main")`,
		},
		{
			name:      "two interpreters",
			workspace: "_main",
			rpaths:    []string{py, "python3_11_x86_64-unknown-linux-gnu/bin/python3"},
			wantErr:   "several repositories look like Python interpreters",
		},
		{
			name:      "named like an interpreter without one",
			workspace: "_main",
			rpaths:    []string{"python_x86_64-unknown-linux-gnu/lib/libpython3.so"},
			wantErr:   `repository "python_x86_64-unknown-linux-gnu" is named like a rules_python interpreter but holds no bin/python3`,
		},
		{
			name:        "explicit interpreter missing",
			workspace:   "_main",
			interpreter: "my_python",
			rpaths:      []string{py},
			wantErr:     `interpreter_repo "my_python" has no runfiles`,
		},
		{
			name:        "explicit interpreter and another one",
			workspace:   "_main",
			interpreter: "my_python",
			rpaths:      []string{py, "my_python/bin/python3"},
			wantErr:     `repository "python_x86_64-unknown-linux-gnu" looks like a Python interpreter too`,
		},
		{
			name:      "explicit package repository missing",
			workspace: "_main",
			packages:  []string{"pypi_gone"},
			rpaths:    []string{py},
			wantErr:   `package_repos: repository "pypi_gone" has no runfiles`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &runfiles.Spec{Service: "svc", Workspace: tc.workspace, InterpreterRepo: tc.interpreter, PackageRepos: tc.packages, Launcher: "x"}
			for _, r := range tc.rpaths {
				s.Files = append(s.Files, runfiles.File{RPath: r, Kind: runfiles.KindEmpty})
			}
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
			c, err := runfiles.Classify(s, tc.allowNone)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Classify = %v, want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, c.Repos); diff != "" {
				t.Errorf("layers (-want +got):\n%s", diff)
			}
		})
	}
}
