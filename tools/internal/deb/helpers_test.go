package deb_test

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"

	"github.com/rules-odp/rules_odp/tools/internal/deb"
	"github.com/rules-odp/rules_odp/tools/internal/testdeb"
)

type member struct {
	name string
	data []byte
}

// arArchive writes members in the common ar format, as dpkg-deb does.
func arArchive(members ...member) []byte {
	var b bytes.Buffer
	b.WriteString("!<arch>\n")
	for _, m := range members {
		fmt.Fprintf(&b, "%-16s%-12d%-6d%-6d%-8s%-10d`\n", m.name, 0, 0, 0, "100644", len(m.data))
		b.Write(m.data)
		if len(m.data)%2 == 1 {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

type file struct {
	name, body string
	typ        byte // tar.TypeReg if 0
	link       string
}

// tarball writes a tar archive of files, padded like GNU tar to a whole
// 10 KiB record.
func tarball(t testing.TB, files ...file) []byte {
	b := rawTar(t, files...)
	if pad := len(b) % 10240; pad != 0 {
		b = append(b, make([]byte, 10240-pad)...)
	}
	return b
}

// rawTar writes a tar archive without record padding, as small as the
// format allows (fuzz seeds).
func rawTar(t testing.TB, files ...file) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), Typeflag: f.typ, Linkname: f.link, Format: tar.FormatGNU}
		if f.typ == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, f.body); err != nil && h.Size > 0 {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// compress compresses with Go libraries where the module has them and with
// the real tools otherwise (bzip2, lzma).
func compress(t testing.TB, suffix string, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	var w io.WriteCloser
	var err error
	switch suffix {
	case "":
		return data
	case ".gz":
		w = gzip.NewWriter(&b)
	case ".xz":
		w, err = xz.NewWriter(&b)
	case ".zst":
		w, err = zstd.NewWriter(&b)
	case ".bz2":
		return filter(t, data, "bzip2", "-c")
	case ".lzma":
		return filter(t, data, "xz", "--format=lzma", "-c")
	default:
		t.Fatalf("unknown suffix %q", suffix)
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// filter runs a real tool with data on stdin.
func filter(t testing.TB, data []byte, tool string, args ...string) []byte {
	t.Helper()
	bin, err := exec.LookPath(tool)
	if err != nil {
		testdeb.Unavailable(t, "%s is not installed", tool)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdin = bytes.NewReader(data)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %q: %v\n%s", tool, args, err, stderr.Bytes())
	}
	return out
}

const testControl = "Package: hello\nVersion: 1:2.0-1\nArchitecture: amd64\nDepends: libc6 (>= 2.34)\nPre-Depends: dpkg\nProvides: hi\nDescription: test\n long\n"

func controlTar(t testing.TB) []byte {
	return tarball(t,
		file{name: "./", typ: tar.TypeDir},
		file{name: "./control", body: testControl},
		file{name: "./md5sums", body: "d41d8cd98f00b204e9800998ecf8427e  usr/share/doc/hello/README\n"},
		file{name: "./conffiles", body: "/etc/hello.conf\n"},
		file{name: "./postinst", body: "#!/bin/sh\n"},
	)
}

func dataTar(t testing.TB) []byte {
	return tarball(t,
		file{name: "./", typ: tar.TypeDir},
		file{name: "./etc/", typ: tar.TypeDir},
		file{name: "./etc/hello.conf", body: "x=1\n"},
		file{name: "./usr/bin/hello", body: "#!/bin/sh\necho hello\n"},
		file{name: "./usr/bin/hi", typ: tar.TypeSymlink, link: "hello"},
	)
}

// buildDeb assembles a .deb with the given compressions.
func buildDeb(t testing.TB, controlSuffix, dataSuffix string) []byte {
	return arArchive(
		member{"debian-binary", []byte("2.0\n")},
		member{"control.tar" + controlSuffix, compress(t, controlSuffix, controlTar(t))},
		member{"data.tar" + dataSuffix, compress(t, dataSuffix, dataTar(t))},
	)
}

type entry struct {
	Name, Link, Body string
	Type             byte
}

// readPackage opens a .deb, reads all of data.tar and closes it, returning
// the first error. After an error from the tar reader it returns the error
// of Close, as documented for callers that want the package named.
func readPackage(data []byte, name string, o deb.Options) (*deb.Package, []entry, error) {
	p, err := o.Open(bytes.NewReader(data), name)
	if err != nil {
		return nil, nil, err
	}
	entries, err := readData(p)
	if cerr := p.Close(); cerr != nil || err != nil {
		if cerr == nil {
			return p, entries, fmt.Errorf("reading data failed (%v) but Close did not", err)
		}
		return p, entries, cerr
	}
	return p, entries, nil
}

func readData(p *deb.Package) ([]entry, error) {
	tr, err := p.Data()
	if err != nil {
		return nil, err
	}
	var entries []entry
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return entries, nil
		}
		if err != nil {
			return entries, err
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			return entries, err
		}
		entries = append(entries, entry{h.Name, h.Linkname, string(body), h.Typeflag})
	}
}
