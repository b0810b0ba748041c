package cli_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/cacerts"
	"github.com/rules-odp/rules_odp/tools/internal/cli"
	"github.com/rules-odp/rules_odp/tools/internal/layer"
	"github.com/rules-odp/rules_odp/tools/internal/testdeb"
)

func runDebCacerts(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var o, e bytes.Buffer
	err = cli.RunEnv(append([]string{"deb", "cacerts"}, args...), &cli.Env{Stdout: &o, Stderr: &e, Getenv: func(k string) string { return env[k] }})
	return o.String(), e.String(), err
}

func TestDebCacerts(t *testing.T) {
	deb := testdeb.Fetch(t, "ca-certificates")
	want, err := cacerts.ReadFile(deb)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var blobs [2][]byte
	for i := range blobs {
		out := filepath.Join(dir, "ca"+string(rune('0'+i))+".tar.gz")
		stdout, stderr, err := runDebCacerts(t, map[string]string{"SOURCE_DATE_EPOCH": "1700000000"}, "--compression", "gzip", "--out", out, deb)
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		if !regexp.MustCompile(`^` + regexp.QuoteMeta(out) + ` digest=sha256:[0-9a-f]{64} diff_id=sha256:[0-9a-f]{64} size=\d+\n$`).MatchString(stdout) {
			t.Errorf("stdout = %q", stdout)
		}
		if blobs[i], err = os.ReadFile(out); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(blobs[0], blobs[1]) {
		t.Fatal("two runs wrote different layers")
	}
	listed, err := layer.ReadListing(bytes.NewReader(blobs[0]))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range listed {
		if l.MTime != 1700000000 {
			t.Errorf("%s: mtime %d, want $SOURCE_DATE_EPOCH", l.Path, l.MTime)
		}
		got = append(got, l.Type+" "+l.Path)
	}
	if strings.Join(got, ", ") != "dir etc/, dir etc/ssl/, dir etc/ssl/certs/, file etc/ssl/certs/ca-certificates.crt" {
		t.Errorf("layer holds %q", got)
	}
	if f := listed[len(listed)-1]; f.Size != int64(len(want.Data)) || f.Mode != 0o644 {
		t.Errorf("bundle entry is %s, want %d bytes mode 0644", f, len(want.Data))
	}
}

func TestDebCacertsErrors(t *testing.T) {
	dir := t.TempDir()
	notDeb := filepath.Join(dir, "not.deb")
	if err := os.WriteFile(notDeb, []byte("not an ar archive"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.tar")
	for _, tc := range []struct {
		name  string
		args  []string
		usage bool
		want  string
	}{
		{"no deb", []string{"--out", out}, true, "want exactly one .deb"},
		{"no out", []string{notDeb}, true, "--out is required"},
		{"name says gzip", []string{"--out", filepath.Join(dir, "out.tar.gz"), notDeb}, false, "ends in .gz but --compression is none"},
		{"name says tar", []string{"--compression", "gzip", "--out", filepath.Join(dir, "out.tar"), notDeb}, false, "ends in .tar but --compression is gzip"},
		{"bad compression", []string{"--compression", "xz", "--out", filepath.Join(dir, "out.tar"), notDeb}, false, "unknown compression \"xz\""},
		{"bad epoch", []string{"--source-date-epoch", "yesterday", "--out", out, notDeb}, false, "--source-date-epoch"},
		{"not a deb", []string{"--out", out, notDeb}, false, "not.deb"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, err := runDebCacerts(t, nil, tc.args...)
			if err == nil {
				t.Fatal("no error")
			}
			if got := errors.Is(err, cli.ErrUsage); got != tc.usage {
				t.Errorf("usage error = %v, want %v (%v)", got, tc.usage, err)
			}
			if msg := err.Error() + stderr; !strings.Contains(msg, tc.want) {
				t.Errorf("error %q / stderr %q does not mention %q", err, stderr, tc.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("output left behind: %v", entries)
			}
		})
	}
}

func TestDebCacertsHelp(t *testing.T) {
	stdout, _, err := runDebCacerts(t, nil, "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"Usage: odptool deb cacerts --out LAYER.tar[.gz] [flags] CA_CERTIFICATES.deb", "ca-certificates.crt", "-source-date-epoch"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("--help does not mention %q:\n%s", w, stdout)
		}
	}
}
