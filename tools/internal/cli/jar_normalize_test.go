package cli_test

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rules-odp/rules_odp/tools/internal/cli"
)

func TestJarNormalizeOrder(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jar")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"META-INF/MANIFEST.MF", "BOOT-INF/classes/App.class", "BOOT-INF/lib/zeta.jar", "BOOT-INF/lib/alpha.jar"} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		var content string
		switch filepath.Ext(name) {
		case ".MF":
			content = "Manifest-Version: 1.0\r\n\r\n"
		case ".class":
			content = "class bytes"
		case ".jar": // nested jars are normalised too, so they must be jars
			var nested bytes.Buffer
			nz := zip.NewWriter(&nested)
			for _, n := range []string{"b/B.class", "a/A.class"} {
				if _, err := nz.Create(n); err != nil {
					t.Fatal(err)
				}
			}
			if err := nz.Close(); err != nil {
				t.Fatal(err)
			}
			content = nested.String()
		}
		if _, err := w.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		flags      []string
		want       []string
		wantNested []string
	}{
		{nil, []string{"META-INF/MANIFEST.MF", "BOOT-INF/classes/App.class", "BOOT-INF/lib/zeta.jar", "BOOT-INF/lib/alpha.jar"}, []string{"b/B.class", "a/A.class"}},
		{[]string{"--sort-entries"}, []string{"META-INF/MANIFEST.MF", "BOOT-INF/classes/App.class", "BOOT-INF/lib/alpha.jar", "BOOT-INF/lib/zeta.jar"}, []string{"a/A.class", "b/B.class"}},
	} {
		out := filepath.Join(dir, "out.jar")
		var stdout, stderr bytes.Buffer
		args := append(append([]string{"jar", "normalize", "--out", out}, tc.flags...), in)
		if err := cli.RunEnv(args, &cli.Env{Stdout: &stdout, Stderr: &stderr}); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, stderr.String())
		}
		zr, err := zip.OpenReader(out)
		if err != nil {
			t.Fatal(err)
		}
		var got, nested []string
		for _, f := range zr.File {
			got = append(got, f.Name)
			if f.Name == "BOOT-INF/lib/zeta.jar" {
				rc, _ := f.Open()
				var b bytes.Buffer
				b.ReadFrom(rc)
				rc.Close()
				nr, err := zip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
				if err != nil {
					t.Fatal(err)
				}
				for _, nf := range nr.File {
					nested = append(nested, nf.Name)
				}
			}
		}
		zr.Close()
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%v: order (-want +got):\n%s", tc.flags, diff)
		}
		if diff := cmp.Diff(tc.wantNested, nested); diff != "" {
			t.Errorf("%v: nested order (-want +got):\n%s", tc.flags, diff)
		}
	}
}
