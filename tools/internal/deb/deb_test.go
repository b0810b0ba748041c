package deb_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rules-odp/rules_odp/tools/internal/deb"
	"github.com/rules-odp/rules_odp/tools/internal/deb822"
)

var wantEntries = []entry{
	{Name: "./", Type: tar.TypeDir},
	{Name: "./etc/", Type: tar.TypeDir},
	{Name: "./etc/hello.conf", Body: "x=1\n", Type: tar.TypeReg},
	{Name: "./usr/bin/hello", Body: "#!/bin/sh\necho hello\n", Type: tar.TypeReg},
	{Name: "./usr/bin/hi", Link: "hello", Type: tar.TypeSymlink},
}

func TestCompressions(t *testing.T) {
	for _, tc := range []struct{ control, data string }{
		{"", ""},
		{".gz", ".gz"},
		{".xz", ".xz"},
		{".zst", ".zst"},
		{".gz", ".bz2"},
		{".xz", ".lzma"},
		{"", ".zst"},
	} {
		t.Run("control.tar"+tc.control+"+data.tar"+tc.data, func(t *testing.T) {
			p, entries, err := readPackage(buildDeb(t, tc.control, tc.data), "hello.deb", deb.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(wantEntries, entries); diff != "" {
				t.Errorf("data.tar entries (-want +got):\n%s", diff)
			}
			wantControl := deb.Control{
				Package:      "hello",
				Version:      "1:2.0-1",
				Architecture: "amd64",
				Depends:      "libc6 (>= 2.34)",
				PreDepends:   "dpkg",
				Provides:     "hi",
			}
			got := p.Control
			got.Paragraph = deb822.Paragraph{}
			if diff := cmp.Diff(wantControl, got); diff != "" {
				t.Errorf("Control (-want +got):\n%s", diff)
			}
			para, err := p.Control.Paragraph.Format()
			if err != nil || string(para) != testControl {
				t.Errorf("Paragraph.Format() = %q, %v; want %q", para, err, testControl)
			}
			if string(p.MD5Sums) != "d41d8cd98f00b204e9800998ecf8427e  usr/share/doc/hello/README\n" || string(p.Conffiles) != "/etc/hello.conf\n" {
				t.Errorf("MD5Sums = %q, Conffiles = %q", p.MD5Sums, p.Conffiles)
			}
			if diff := cmp.Diff([]string{"control", "md5sums", "conffiles", "postinst"}, p.ControlFiles); diff != "" {
				t.Errorf("ControlFiles (-want +got):\n%s", diff)
			}
			if p.ControlMember != "control.tar"+tc.control || p.DataMember != "data.tar"+tc.data {
				t.Errorf("members = %q, %q", p.ControlMember, p.DataMember)
			}
		})
	}
}

func TestOptionalMembers(t *testing.T) {
	ctl := compress(t, ".gz", controlTar(t))
	data := compress(t, ".xz", dataTar(t))
	for _, tc := range []struct {
		name         string
		members      []member
		wantTrailing []string
	}{{
		name: "underscore members before control.tar and data.tar are skipped",
		members: []member{
			{"debian-binary", []byte("2.0\n")},
			{"_gpgorigin", []byte("signature")},
			{"control.tar.gz", ctl},
			{"_extra", nil},
			{"data.tar.xz", data},
		},
	}, {
		name: "members after data.tar are skipped and reported",
		members: []member{
			{"debian-binary", []byte("2.0\n")},
			{"control.tar.gz", ctl},
			{"data.tar.xz", data},
			{"future-member", []byte("x")},
			{"_sig", []byte("yy")},
		},
		wantTrailing: []string{"future-member", "_sig"},
	}, {
		name: "newer minor version and extra lines in debian-binary",
		members: []member{
			{"debian-binary", []byte("2.12\nsomething new\n")},
			{"control.tar.gz", ctl},
			{"data.tar.xz", data},
		},
	}, {
		name: "GNU-style names with a trailing slash",
		members: []member{
			{"debian-binary/", []byte("2.0\n")},
			{"control.tar.gz/", ctl},
			{"data.tar.xz/", data},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			p, entries, err := readPackage(arArchive(tc.members...), "hello.deb", deb.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(wantEntries, entries); diff != "" {
				t.Errorf("data.tar entries (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantTrailing, p.TrailingMembers()); diff != "" {
				t.Errorf("TrailingMembers (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHostile feeds malformed packages and checks that each fails with an
// error naming the package and, where there is one, the member.
func TestHostile(t *testing.T) {
	ctl := compress(t, ".gz", controlTar(t))
	data := dataTar(t)
	dataGz := compress(t, ".gz", data)
	dataXz := compress(t, ".xz", data)
	dataZst := compress(t, ".zst", data)
	db := member{"debian-binary", []byte("2.0\n")}
	cm := member{"control.tar.gz", ctl}
	good := buildDeb(t, ".gz", ".gz")
	ctlWith := func(files ...file) member {
		return member{"control.tar.gz", compress(t, ".gz", tarball(t, files...))}
	}
	corruptCRC := bytes.Clone(dataGz)
	corruptCRC[len(corruptCRC)-5] ^= 0xff
	corruptXz := bytes.Clone(dataXz)
	corruptXz[len(corruptXz)/2] ^= 0x55

	for _, tc := range []struct {
		name       string
		deb        []byte
		opts       deb.Options
		wantMember string
		want       string
	}{
		{"empty file", nil, deb.Options{}, "", "truncated magic"},
		{"bad magic", append([]byte("!<arch>\r"), good[8:]...), deb.Options{}, "", "not an ar archive"},
		{"no members", []byte("!<arch>\n"), deb.Options{}, "", "empty ar archive"},
		{"truncated in data.tar", good[:len(good)-100], deb.Options{}, "data.tar.gz", "unexpected EOF"},
		{"truncated in control.tar", good[:200], deb.Options{}, "control.tar.gz", "unexpected EOF"},
		{"missing debian-binary", arArchive(cm, member{"data.tar.gz", dataGz}), deb.Options{}, "control.tar.gz", "first member is"},
		{"debian-binary 3.0", arArchive(member{"debian-binary", []byte("3.0\n")}, cm, member{"data.tar.gz", dataGz}), deb.Options{}, "debian-binary", `format version "3.0" is not supported`},
		{"debian-binary 0.93", arArchive(member{"debian-binary", []byte("0.939000\n")}, cm), deb.Options{}, "debian-binary", "not supported"},
		{"debian-binary 2", arArchive(member{"debian-binary", []byte("2\n")}, cm), deb.Options{}, "debian-binary", "not supported"},
		{"debian-binary 2.x", arArchive(member{"debian-binary", []byte("2.x\n")}, cm), deb.Options{}, "debian-binary", "not supported"},
		{"debian-binary without newline", arArchive(member{"debian-binary", []byte("2.0")}, cm), deb.Options{}, "debian-binary", "no newline"},
		{"debian-binary too large", arArchive(member{"debian-binary", bytes.Repeat([]byte("2.0\n"), 2000)}, cm), deb.Options{}, "debian-binary", "too large"},
		{"data before control", arArchive(db, member{"data.tar.gz", dataGz}, cm), deb.Options{}, "data.tar.gz", "data.tar comes before control.tar"},
		{"unknown member before control", arArchive(db, member{"foo", nil}, cm, member{"data.tar.gz", dataGz}), deb.Options{}, "foo", "unexpected member before control.tar"},
		{"unknown member before data", arArchive(db, cm, member{"foo", nil}, member{"data.tar.gz", dataGz}), deb.Options{}, "foo", "unexpected member before data.tar"},
		{"second control.tar", arArchive(db, cm, cm, member{"data.tar.gz", dataGz}), deb.Options{}, "control.tar.gz", "second control.tar"},
		{"missing control.tar", arArchive(db), deb.Options{}, "", "missing control.tar member"},
		{"missing data.tar", arArchive(db, cm), deb.Options{}, "", "missing data.tar member"},
		{"unknown data compression", arArchive(db, cm, member{"data.tar.lz4", dataGz}), deb.Options{}, "data.tar.lz4", "unsupported compression"},
		{"data.tar with junk suffix", arArchive(db, cm, member{"data.tarball", dataGz}), deb.Options{}, "data.tarball", "unsupported compression"},
		{"bzip2 control.tar", arArchive(db, member{"control.tar.bz2", compress(t, ".bz2", controlTar(t))}, member{"data.tar.gz", dataGz}), deb.Options{}, "control.tar.bz2", "unsupported compression for control.tar"},
		{"long member name", append(arArchive(db, cm), arArchive(member{"//", []byte("data.tar.gz.xyz/\n")}, member{"/0", nil})[8:]...), deb.Options{}, "data.tar.gz.xyz", "long-name extension"},
		{"wrong compression for suffix", arArchive(db, cm, member{"data.tar.xz", dataGz}), deb.Options{}, "data.tar.xz", "starting to decompress"},
		{"empty data member", arArchive(db, cm, member{"data.tar.gz", nil}), deb.Options{}, "data.tar.gz", "unexpected EOF"},
		{"multi-member gzip", arArchive(db, cm, member{"data.tar.gz", append(bytes.Clone(dataGz), dataGz...)}), deb.Options{}, "data.tar.gz", "data after the end of the compressed stream"},
		{"garbage after gzip", arArchive(db, cm, member{"data.tar.gz", append(bytes.Clone(dataGz), "junk"...)}), deb.Options{}, "data.tar.gz", "data after the end of the compressed stream"},
		{"garbage after xz", arArchive(db, cm, member{"data.tar.xz", append(bytes.Clone(dataXz), "junk"...)}), deb.Options{}, "data.tar.xz", "truncated or corrupt"},
		// Stream padding (zeros in multiples of four) is valid xz; a second
		// stream is only refused if it carries data (TestSecondXZStream).
		{"garbage after zstd", arArchive(db, cm, member{"data.tar.zst", append(bytes.Clone(dataZst), "junk"...)}), deb.Options{}, "data.tar.zst", "magic number mismatch"},
		{"garbage after bzip2", arArchive(db, cm, member{"data.tar.bz2", append(compress(t, ".bz2", data), "junk"...)}), deb.Options{}, "data.tar.bz2", "decompressing"},
		{"garbage after lzma", arArchive(db, cm, member{"data.tar.lzma", append(compress(t, ".lzma", data), "junk"...)}), deb.Options{}, "data.tar.lzma", "data after the end of the compressed stream"},
		{"garbage after uncompressed tar", arArchive(db, cm, member{"data.tar", append(bytes.Clone(data), "junk"...)}), deb.Options{}, "data.tar", "data after the end of the tar archive"},
		{"garbage after control.tar", arArchive(db, member{"control.tar", append(controlTar(t), 1)}, member{"data.tar", data}), deb.Options{}, "control.tar", "data after the end of the tar archive"},
		{"gzip checksum", arArchive(db, cm, member{"data.tar.gz", corruptCRC}), deb.Options{}, "data.tar.gz", "checksum"},
		{"corrupt xz", arArchive(db, cm, member{"data.tar.xz", corruptXz}), deb.Options{}, "data.tar.xz", "decompressing"},
		{"not a tar", arArchive(db, cm, member{"data.tar.gz", compress(t, ".gz", bytes.Repeat([]byte("x"), 2048))}), deb.Options{}, "data.tar.gz", "tar"},
		{"data size bomb", arArchive(db, cm, member{"data.tar.gz", compress(t, ".gz", append(bytes.Clone(data), make([]byte, 1<<20)...))}), deb.Options{MaxDataSize: 64 << 10}, "data.tar.gz", "decompressed size exceeds the limit of 65536 bytes"},
		{"control size bomb", arArchive(db, member{"control.tar.gz", compress(t, ".gz", tarball(t, file{name: "./control", body: testControl}, file{name: "./big", body: strings.Repeat("x", 1<<20)}))}), deb.Options{MaxControlSize: 64 << 10}, "control.tar.gz", "decompressed size exceeds the limit"},
		{"no control file", arArchive(db, ctlWith(file{name: "./md5sums", body: "x"})), deb.Options{}, "control.tar.gz", "no control file"},
		{"symlink in control.tar", arArchive(db, ctlWith(file{name: "./control", typ: tar.TypeSymlink, link: "/etc/passwd"})), deb.Options{}, "control.tar.gz", "only plain files"},
		{"subdirectory in control.tar", arArchive(db, ctlWith(file{name: "./a/control", body: testControl})), deb.Options{}, "control.tar.gz", "not a plain file name"},
		{"duplicate control", arArchive(db, ctlWith(file{name: "./control", body: testControl}, file{name: "control", body: testControl})), deb.Options{}, "control.tar.gz", "duplicate entry"},
		{"bad control syntax", arArchive(db, ctlWith(file{name: "./control", body: "Package: a\nVersion\n"})), deb.Options{}, "control.tar.gz", "control file: line 2"},
		{"control without Architecture", arArchive(db, ctlWith(file{name: "./control", body: "Package: a\nVersion: 1\n"})), deb.Options{}, "control.tar.gz", "no Architecture field"},
		{"two control paragraphs", arArchive(db, ctlWith(file{name: "./control", body: testControl + "\nPackage: b\n"})), deb.Options{}, "control.tar.gz", "second paragraph"},
		{"trailing garbage after the last member", append(bytes.Clone(good), "junk"...), deb.Options{}, "", "truncated member header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readPackage(tc.deb, "bad.deb", tc.opts)
			if err == nil {
				t.Fatal("got no error")
			}
			t.Log(err)
			var de *deb.Error
			if !errors.As(err, &de) {
				t.Fatalf("got %T %v, want a *deb.Error", err, err)
			}
			if de.Deb != "bad.deb" || de.Member != tc.wantMember || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %q (deb %q, member %q), want deb %q, member %q and a message containing %q", err, de.Deb, de.Member, "bad.deb", tc.wantMember, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "bad.deb: ") {
				t.Errorf("error %q does not start with the package name", err)
			}
		})
	}
}

// Errors of the stream under the tar reader reach the caller of the tar
// reader already naming the package.
func TestDataErrorsNameThePackage(t *testing.T) {
	for _, suffix := range []string{".gz", ".zst", ".xz", ""} {
		p, err := deb.Options{MaxDataSize: 1000}.Open(bytes.NewReader(buildDeb(t, ".gz", suffix)), "hello.deb")
		if err != nil {
			t.Fatal(err)
		}
		_, err = readData(p)
		var de *deb.Error
		if !errors.Is(err, deb.ErrTooLarge) || !errors.As(err, &de) || de.Deb != "hello.deb" || de.Member != "data.tar"+suffix {
			t.Errorf("data.tar%s: got %v, want a *deb.Error for hello.deb wrapping deb.ErrTooLarge", suffix, err)
		}
	}
}

func TestCloseChecksDataWasRead(t *testing.T) {
	p, err := deb.Open(bytes.NewReader(buildDeb(t, ".gz", ".xz")), "hello.deb")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := p.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Next(); err != nil {
		t.Fatal(err)
	}
	err = p.Close()
	if err == nil || !strings.Contains(err.Error(), `hello.deb: data.tar.xz: data.tar was not read to its end: entry "./etc/" is left`) {
		t.Fatalf("Close = %v, want an error about unread entries", err)
	}
	if err2 := p.Close(); err2 != err {
		t.Errorf("second Close = %v, want the same error", err2)
	}
	if _, err := p.Data(); err == nil {
		t.Errorf("Data after Close succeeded")
	}
}

// Close without Data reads and verifies data.tar itself, for callers that
// only want the control information but still want a checked package.
func TestCloseWithoutData(t *testing.T) {
	ctl := compress(t, ".gz", controlTar(t))
	dataGz := compress(t, ".gz", dataTar(t))
	deb1 := arArchive(member{"debian-binary", []byte("2.0\n")}, member{"control.tar.gz", ctl}, member{"data.tar.gz", dataGz})
	p, err := deb.Open(bytes.NewReader(deb1), "hello.deb")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	dataGz[len(dataGz)-5] ^= 0xff // in the CRC-32 of the gzip trailer
	corrupt := arArchive(member{"debian-binary", []byte("2.0\n")}, member{"control.tar.gz", ctl}, member{"data.tar.gz", dataGz})
	p, err = deb.Open(bytes.NewReader(corrupt), "hello.deb")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("Close = %v, want a checksum error", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestReadErrorsAreReported(t *testing.T) {
	good := buildDeb(t, ".gz", ".gz")
	r := io.MultiReader(bytes.NewReader(good[:len(good)/2]), errReader{})
	_, _, err := readPackage2(r)
	if err == nil || !strings.Contains(err.Error(), "disk on fire") || !strings.HasPrefix(err.Error(), "hello.deb: ") {
		t.Fatalf("got %v, want the read error with the package name", err)
	}
}

func readPackage2(r io.Reader) (*deb.Package, []entry, error) {
	p, err := deb.Open(r, "hello.deb")
	if err != nil {
		return nil, nil, err
	}
	entries, err := readData(p)
	if err != nil {
		return p, entries, err
	}
	return p, entries, p.Close()
}

// A caller that gives up on a package after an error must not leak
// decompressor goroutines: Close is not required for that.
func TestAbandonedPackageLeaksNothing(t *testing.T) {
	// A MiB, so that decoders that work ahead have blocks to work on.
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(i * i >> 7)
	}
	data := tarball(t, file{name: "./a", body: string(big)}, file{name: "./b", body: "b"})
	before := runtime.NumGoroutine()
	for _, suffix := range []string{".gz", ".xz", ".zst", ".bz2"} {
		pkg := arArchive(member{"debian-binary", []byte("2.0\n")}, member{"control.tar.zst", compress(t, ".zst", controlTar(t))}, member{"data.tar" + suffix, compress(t, suffix, data)})
		p, err := deb.Open(bytes.NewReader(pkg), "hello.deb")
		if err != nil {
			t.Fatal(err)
		}
		tr, err := p.Data()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Next(); err != nil {
			t.Fatal(err)
		}
	}
	if after := runtime.NumGoroutine(); after > before {
		t.Errorf("%d goroutines before, %d after abandoning packages", before, after)
	}
}

// TestSecondXZStream: xz allows concatenated streams and stream padding. A
// padded stream is accepted; a second stream that carries data lands after
// the tar end-of-archive (dpkg would not read it) and is refused.
func TestSecondXZStream(t *testing.T) {
	ctl := compress(t, ".gz", controlTar(t))
	dataXz := compress(t, ".xz", dataTar(t))
	db := member{"debian-binary", []byte("2.0\n")}
	cm := member{"control.tar.gz", ctl}
	open := func(data []byte) error {
		p, err := deb.Open(bytes.NewReader(arArchive(db, cm, member{"data.tar.xz", data})), "x.deb")
		if err != nil {
			return err
		}
		return p.Close()
	}
	if err := open(append(bytes.Clone(dataXz), 0, 0, 0, 0)); err != nil {
		t.Errorf("stream padding: %v, want success", err)
	}
	second := append(bytes.Clone(dataXz), compress(t, ".xz", []byte("smuggled"))...)
	if err := open(second); err == nil || !strings.Contains(err.Error(), "after the end of the tar archive") {
		t.Errorf("second stream with data: %v, want an error about data after the tar archive", err)
	}
}
