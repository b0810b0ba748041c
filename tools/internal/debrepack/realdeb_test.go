package debrepack_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rules-odp/rules_odp/tools/internal/debrepack"
	"github.com/rules-odp/rules_odp/tools/internal/golden"
	"github.com/rules-odp/rules_odp/tools/internal/layer"
	"github.com/rules-odp/rules_odp/tools/internal/testdeb"
)

// The seed's JNI packages, plus perl-base (it ships a hard link).
var realPackages = []string{"libc6", "libc++1-16", "libc++abi1-16", "libunwind-16", "libgcc-s1", "gcc-12-base", "perl-base"}

// TestRealPackagesAgainstDpkg repacks real bookworm packages and compares
// the unpacked layer (GNU tar) with what dpkg-deb itself unpacks, after
// applying the documented merged-/usr rewrite to dpkg's tree. Then it
// checks the golden listing, when the archive still serves the version the
// golden file was made from (Debian replaces versions with security
// updates; the referee comparison runs whatever the version).
func TestRealPackagesAgainstDpkg(t *testing.T) {
	for _, tool := range []string{"dpkg-deb", "tar"} {
		if _, err := exec.LookPath(tool); err != nil {
			testdeb.Unavailable(t, "%s not found: %v", tool, err)
		}
	}
	if os.Geteuid() != 0 {
		testdeb.Unavailable(t, "comparing owners needs root")
	}
	for _, name := range realPackages {
		t.Run(name, func(t *testing.T) {
			deb := testdeb.Fetch(t, name)
			dir := t.TempDir()
			out := filepath.Join(dir, "layer.tar")
			written, res, err := debrepack.RepackFile(deb, out, debrepack.DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			if written != out {
				t.Errorf("wrote %q, want %q", written, out)
			}
			ours := filepath.Join(dir, "ours")
			ref := filepath.Join(dir, "ref")
			run(t, "mkdir", "-p", ours, ref)
			run(t, "tar", "-x", "-p", "--numeric-owner", "-f", out, "-C", ours)
			run(t, "dpkg-deb", "-x", deb, ref)

			want := tree(t, ref, true)
			got := tree(t, ours, false)
			status := got["var/lib/dpkg/status.d/"+name]
			for p := range got {
				_, inPackage := want[p]
				if strings.HasPrefix(p, debrepack.StatusDir) || (strings.HasPrefix(debrepack.StatusDir, p+"/") && !inPackage) {
					delete(got, p) // the status record and the parents it needs
				}
			}
			// Directories the layer adds as parents of merged paths exist in
			// dpkg's tree too; compare everything else exactly.
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("layer unpacked by GNU tar differs from dpkg-deb -x (after merged /usr) (-dpkg +ours):\n%s", diff)
			}
			if status.Kind != "file" {
				t.Errorf("no dpkg status record var/lib/dpkg/status.d/%s", name)
			}
			checkGolden(t, deb, name, out, res)
		})
	}
}

type node struct {
	Kind, Link, SHA string
	Mode            fs.FileMode
	UID, GID        uint32
	LinkGroup       string // for hard links: the first path of the inode
}

// tree lists a directory as a map path -> node, relative to root. With
// merge, paths under bin/, sbin/ and lib*/ are moved under usr/ the way a
// merged-/usr system sees them, and those top-level directories vanish.
func tree(t *testing.T, root string, merge bool) map[string]node {
	t.Helper()
	out := map[string]node{}
	inodeOf := map[string]uint64{} // hard-linked files only
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		st, err := os.Lstat(p)
		if err != nil {
			return err
		}
		sys := st.Sys().(*syscall.Stat_t)
		if merge {
			top, rest, _ := strings.Cut(rel, "/")
			switch top {
			case "bin", "sbin", "lib", "lib32", "lib64", "libx32":
				if rest == "" {
					return nil
				}
				rel = "usr/" + rel
			}
		}
		// Special and world-write bits are dropped by design.
		n := node{Mode: st.Mode() &^ (fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky), UID: sys.Uid, GID: sys.Gid}
		if n.Mode&0o002 != 0 && !st.IsDir() {
			n.Mode &^= 0o002
		}
		switch {
		case st.IsDir():
			n.Kind = "dir"
			if prev, ok := out[rel]; ok && prev.Kind == "dir" {
				return nil // lib/x and usr/lib/x merge; the layer keeps the first
			}
		case st.Mode()&fs.ModeSymlink != 0:
			n.Kind = "symlink"
			n.Link, _ = os.Readlink(p)
		case st.Mode().IsRegular():
			n.Kind = "file"
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			n.SHA = hex.EncodeToString(sum[:])
			if sys.Nlink > 1 {
				inodeOf[rel] = sys.Ino
			}
		default:
			n.Kind = st.Mode().Type().String()
		}
		out[rel] = n
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if merge {
		// A merged directory whose usr/ counterpart the package does not
		// ship is created as a plain parent by the layer.
		for _, top := range []string{"bin", "sbin", "lib", "lib32", "lib64", "libx32"} {
			if _, err := os.Lstat(filepath.Join(root, top)); err != nil {
				continue
			}
			if _, ok := out["usr/"+top]; !ok {
				out["usr/"+top] = node{Kind: "dir", Mode: fs.ModeDir | 0o755}
			}
		}
	}
	// Name each hard-link group by its smallest path, on both sides alike.
	first := map[uint64]string{}
	for p, ino := range inodeOf {
		if f, ok := first[ino]; !ok || p < f {
			first[ino] = p
		}
	}
	for p, ino := range inodeOf {
		n := out[p]
		n.LinkGroup = first[ino]
		out[p] = n
	}
	return out
}

func checkGolden(t *testing.T, deb, name, layerPath string, res layer.Result) {
	t.Helper()
	f, err := os.Open(layerPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	listing, err := layer.ReadListing(f)
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Base(deb)
	var got bytes.Buffer
	fmt.Fprintf(&got, "# %s\n# digest=%s diff_id=%s\n", base, res.Digest, res.DiffID)
	for _, l := range listing {
		fmt.Fprintln(&got, l)
	}
	path := filepath.Join("testdata", "real", name+".listing")
	if golden.Update() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden listing (run with -update): %v", err)
	}
	wantDeb, _, _ := strings.Cut(strings.TrimPrefix(string(want), "# "), "\n")
	if wantDeb != base {
		t.Logf("golden listing is for %s; the archive now serves %s: golden comparison skipped (dpkg comparison above still ran); run -update", wantDeb, base)
		return
	}
	if diff := cmp.Diff(string(want), got.String()); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}
