package budget_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/budget"
	"github.com/rules-odp/rules_odp/tools/internal/budget/budgettest"
)

// TestOpenRefusesSpecialFiles: a FIFO where a file is expected must be
// refused at once, not block forever waiting for a writer.
func TestOpenRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	link := filepath.Join(dir, "link-to-fifo")
	if err := os.Symlink(fifo, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{fifo, "is a named pipe (FIFO), not a regular file"},
		{link, "is a named pipe (FIFO), not a regular file"},
		{"/dev/null", "is a character device, not a regular file"},
		{"/dev/zero", "is a character device, not a regular file"},
		{sock, "is a socket, not a regular file"},
		{dir, "is a directory, not a regular file"},
	} {
		for name, open := range map[string]func(string) error{
			"Open":     func(p string) error { f, err := budget.Open(p); f.Close(); return err },
			"ReadFile": func(p string) error { _, err := budget.ReadFile(p, 1<<20); return err },
		} {
			err := open(tc.path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.path) {
				t.Errorf("%s(%q) = %v, want an error naming the path and saying %q", name, tc.path, err, tc.want)
			}
		}
	}
}

func TestOpenFollowsSymlinksToFiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	os.WriteFile(p, []byte("content"), 0o644)
	link := filepath.Join(dir, "l")
	os.Symlink(p, link)
	b, err := budget.ReadFile(link, 7)
	if err != nil || string(b) != "content" {
		t.Fatalf("ReadFile = %q, %v", b, err)
	}
	_, err = budget.ReadFile(link, 6)
	var be *budget.Error
	if !errors.As(err, &be) || be.Limit != 6 || !strings.Contains(err.Error(), link) {
		t.Errorf("ReadFile over the limit = %v, want a *budget.Error naming %s", err, link)
	}
}

func header(name, link string, pax map[string]string) *tar.Header {
	return &tar.Header{Name: name, Linkname: link, PAXRecords: pax}
}

func TestTarBudgets(t *testing.T) {
	long := strings.Repeat("a", budget.TarNameBytes+1)
	for _, tc := range []struct {
		name string
		h    *tar.Header
		want string
	}{
		{"long name", header(long, "", nil), "bytes of a tar entry name"},
		{"long link", header("a", long, nil), "bytes of a tar link target"},
		{"big PAX", header("a", "", map[string]string{"comment": strings.Repeat("x", budget.TarPAXBytes)}), "bytes of PAX records"},
	} {
		err := budget.NewTar(nil).Header(tc.h)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	// Names summed over a layer, and over a run.
	tr := budget.NewTar(nil)
	name := strings.Repeat("n", budget.TarNameBytes)
	var err error
	for i := 0; err == nil && i <= budget.TarHeaderBytes/budget.TarNameBytes; i++ {
		err = tr.Header(header(name, "", nil))
	}
	if err == nil || !strings.Contains(err.Error(), "names and link targets in one layer") {
		t.Errorf("names of a layer: %v", err)
	}
	var run budget.Run
	err = nil
	for i := 0; err == nil && i < budget.RunHeaderBytes/budget.TarHeaderBytes+1; i++ {
		tr := budget.NewTar(&run)
		for j := 0; err == nil && j < budget.TarHeaderBytes/budget.TarNameBytes/2; j++ {
			err = tr.Header(header(name, name, nil))
		}
	}
	if err == nil || !strings.Contains(err.Error(), "in all layers read") {
		t.Errorf("names of a run: %v", err)
	}
	tr = budget.NewTar(nil)
	err = nil
	for i := 0; err == nil && i <= budget.TarEntries; i++ {
		err = tr.Header(header("x", "", nil))
	}
	if err == nil || !strings.Contains(err.Error(), "tar entries in one layer") {
		t.Errorf("entries: %v", err)
	}
}

// TestExpansion decompresses a gzip bomb (256 MiB of zeros, ~250 KiB
// compressed) through the meter: it must stop early, in bounded memory.
func TestExpansion(t *testing.T) {
	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	zeros := make([]byte, 1<<20)
	for i := 0; i < 256; i++ {
		zw.Write(zeros)
	}
	zw.Close()
	err := budgettest.Bounded(t, 64<<20, func() error {
		var e budget.Expansion
		zr, err := gzip.NewReader(e.Compressed(bytes.NewReader(bomb.Bytes())))
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, e.Expanded(zr))
		return err
	})
	var re *budget.RatioError
	if !errors.As(err, &re) || re.Expanded > budget.RatioFloor+(1<<20) {
		t.Fatalf("bomb: %v, want a *RatioError soon after %d bytes", err, budget.RatioFloor)
	}
	// The ratio counts only beyond the floor, and over several streams.
	var e budget.Expansion
	if err := e.AddExpanded(budget.RatioFloor); err != nil {
		t.Errorf("up to the floor from nothing: %v", err)
	}
	e.AddCompressed(1 << 20)
	if err := e.AddExpanded(budget.Ratio<<20 - budget.RatioFloor); err != nil {
		t.Errorf("exactly the ratio: %v", err)
	}
	if err := e.AddExpanded(budget.Ratio); err == nil {
		t.Error("one compressed byte's worth more than the ratio passed")
	}
}

func TestTreeLinks(t *testing.T) {
	root := t.TempDir()
	outside := filepath.Join(root, "secret")
	os.WriteFile(outside, []byte("id_rsa"), 0o600)
	exec := filepath.Join(root, "execroot", "bazel-out", "bin", "pkg", "tree")
	os.MkdirAll(filepath.Join(exec, "sub"), 0o755)
	os.WriteFile(filepath.Join(exec, "sub", "f"), []byte("f"), 0o644)
	sandbox := filepath.Join(root, "sandbox")
	tree := filepath.Join(sandbox, "bazel-out", "bin", "pkg", "tree")
	os.MkdirAll(filepath.Join(tree, "sub"), 0o755)
	os.WriteFile(filepath.Join(tree, "inside"), []byte("x"), 0o644)
	links := map[string]string{
		"sub/f":     filepath.Join(exec, "sub", "f"), // staged by the sandbox
		"rel":       "inside",
		"key":       outside,
		"dotdot":    "../../../../../secret",
		"wrongname": filepath.Join(exec, "sub", "f"),
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(tree, name)); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(sandbox)
	tr, err := budget.NewTree("bazel-out/bin/pkg/tree")
	if err != nil {
		t.Fatal(err)
	}
	for name, ok := range map[string]bool{"sub/f": true, "rel": true, "key": false, "dotdot": false, "wrongname": false} {
		_, err := tr.Follow(filepath.Join("bazel-out/bin/pkg/tree", name), name)
		switch {
		case ok && err != nil:
			t.Errorf("%s refused: %v", name, err)
		case !ok && (err == nil || !strings.Contains(err.Error(), "outside the source directory") || !strings.Contains(err.Error(), name)):
			t.Errorf("%s: %v, want a refusal naming the link", name, err)
		}
	}
}

func TestKept(t *testing.T) {
	var k budget.Kept
	if err := k.Keep(budget.DpkgFileBytes + 1); err == nil || !strings.Contains(err.Error(), "bytes of one dpkg database file") {
		t.Errorf("one file over the budget: %v", err)
	}
	var err error
	for i := 0; err == nil && i <= budget.DpkgTotalBytes/budget.DpkgFileBytes; i++ {
		err = k.Keep(budget.DpkgFileBytes)
	}
	var be *budget.Error
	if !errors.As(err, &be) || be.Limit != budget.DpkgTotalBytes {
		t.Errorf("files over the total: %v", err)
	}
}
