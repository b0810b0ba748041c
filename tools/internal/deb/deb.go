// Package deb reads Debian binary packages (.deb) in one sequential pass.
//
// The layout follows deb(5) of dpkg 1.21 (Debian 12):
//
//   - The file is an ar archive in the common format; names may end in "/",
//     but long-name extensions (GNU "//" references, BSD "#1/N") are errors.
//   - The first member is debian-binary. Its first line must be "2.N"; a
//     different major version is an error. Further lines are ignored.
//   - Then control.tar, uncompressed or .gz, .xz or .zst (dpkg accepts no
//     other compression for it), then data.tar, uncompressed or .gz, .xz,
//     .zst, .bz2 or .lzma. Any other suffix is an error.
//   - Members whose names start with '_' may come between debian-binary and
//     control.tar and between control.tar and data.tar; they are skipped, as
//     deb(5) says older readers must do. Any other member there, a missing
//     or repeated control.tar, or data.tar before control.tar, is an error.
//   - Members after data.tar are skipped, as deb(5) requires ("current
//     implementations should ignore any additional members after data.tar"),
//     but they must still be well-formed ar members; their names are
//     reported by TrailingMembers.
//
// Beyond what dpkg checks, each compressed member must hold exactly one
// stream with nothing after it (no second gzip member, no garbage or padding
// after an xz or zstd stream), the bytes after a tar archive's end-of-archive
// marker must be zero, and checksums must verify: Close reads whatever the
// caller left so that it can check all of this.
package deb

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/rules-odp/rules_odp/tools/internal/ar"
	"github.com/rules-odp/rules_odp/tools/internal/deb822"
)

const (
	// DefaultMaxDataSize bounds the decompressed data.tar, against
	// decompression bombs. The largest Debian packages unpack to a few GiB.
	DefaultMaxDataSize = 8 << 30
	// DefaultMaxControlSize bounds the decompressed control.tar, which is
	// held in memory. md5sums of very large packages reach a few MiB.
	DefaultMaxControlSize = 64 << 20
	// maxDebianBinary bounds the debian-binary member ("2.0\n").
	maxDebianBinary = 4096
)

// ErrTooLarge is wrapped by errors for members that decompress to more than
// the configured limit.
var ErrTooLarge = errors.New("decompressed size exceeds the limit")

// Error is the error type of this package: it names the .deb (as passed to
// Open) and, when known, the member.
type Error struct {
	Deb    string
	Member string
	Err    error
}

func (e *Error) Error() string {
	if e.Member == "" {
		return fmt.Sprintf("%s: %v", e.Deb, e.Err)
	}
	return fmt.Sprintf("%s: %s: %v", e.Deb, e.Member, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Control holds the fields of the control file that rules_odp uses, and the
// whole paragraph for the others.
type Control struct {
	Package      string
	Version      string
	Architecture string
	Depends      string
	PreDepends   string
	Provides     string
	Paragraph    deb822.Paragraph
}

// Options configures Open. Zero fields take their defaults.
type Options struct {
	// MaxDataSize bounds the decompressed size of data.tar
	// (DefaultMaxDataSize if 0).
	MaxDataSize int64
	// MaxControlSize bounds the decompressed size of control.tar
	// (DefaultMaxControlSize if 0).
	MaxControlSize int64
}

// Package is an opened .deb whose control information has been read and
// whose data.tar is next in the input.
type Package struct {
	// Name is the name the package was opened with, used in errors.
	Name    string
	Control Control
	// MD5Sums and Conffiles are the raw control files of those names, nil
	// if the package has none.
	MD5Sums   []byte
	Conffiles []byte
	// ControlFiles lists the names of all files of control.tar, in archive
	// order, without a "./" prefix.
	ControlFiles []string
	// ControlMember and DataMember are the ar member names, such as
	// "control.tar.xz" and "data.tar.zst".
	ControlMember string
	DataMember    string

	ar        *ar.Reader
	data      *stream
	tr        *tar.Reader
	requested bool
	closed    bool
	closeErr  error
	trailing  []string
}

// Open reads a .deb from r up to the start of its data.tar, with default
// Options. name identifies the package in errors.
func Open(r io.Reader, name string) (*Package, error) {
	return Options{}.Open(r, name)
}

// Open reads a .deb from r up to the start of its data.tar. name identifies
// the package in errors. r is read sequentially and never closed.
func (o Options) Open(r io.Reader, name string) (*Package, error) {
	if o.MaxDataSize <= 0 {
		o.MaxDataSize = DefaultMaxDataSize
	}
	if o.MaxControlSize <= 0 {
		o.MaxControlSize = DefaultMaxControlSize
	}
	p := &Package{Name: name, ar: ar.NewReader(r)}

	h, err := p.next()
	if err == io.EOF {
		return nil, p.errorf("", "empty ar archive, want a debian-binary member")
	}
	if err != nil {
		return nil, err
	}
	if h.Name != "debian-binary" {
		return nil, p.errorf(h.Name, "first member is %q, want debian-binary", h.Name)
	}
	if err := p.readDebianBinary(h); err != nil {
		return nil, err
	}

	h, err = p.nextRequired("control.tar")
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(h.Name, "control.tar") {
		if strings.HasPrefix(h.Name, "data.tar") {
			return nil, p.errorf(h.Name, "data.tar comes before control.tar")
		}
		return nil, p.errorf(h.Name, "unexpected member before control.tar")
	}
	switch h.Name {
	case "control.tar", "control.tar.gz", "control.tar.xz", "control.tar.zst":
	default:
		return nil, p.errorf(h.Name, "unsupported compression for control.tar (want none, .gz, .xz or .zst)")
	}
	p.ControlMember = h.Name
	if err := p.readControl(h.Size, o.MaxControlSize); err != nil {
		return nil, err
	}

	h, err = p.nextRequired("data.tar")
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(h.Name, "data.tar") {
		if strings.HasPrefix(h.Name, "control.tar") {
			return nil, p.errorf(h.Name, "second control.tar member")
		}
		return nil, p.errorf(h.Name, "unexpected member before data.tar")
	}
	switch h.Name {
	case "data.tar", "data.tar.gz", "data.tar.xz", "data.tar.zst", "data.tar.bz2", "data.tar.lzma":
	default:
		return nil, p.errorf(h.Name, "unsupported compression for data.tar (want none, .gz, .xz, .zst, .bz2 or .lzma)")
	}
	p.DataMember = h.Name
	p.data, err = openStream(h.Name, p.ar, h.Size, o.MaxDataSize, p.wrapper(h.Name))
	if err != nil {
		return nil, p.wrap(h.Name, err)
	}
	p.tr = tar.NewReader(p.data)
	return p, nil
}

// Data returns the reader of data.tar. The caller must read it to its end
// (until Next returns io.EOF) before calling Close.
//
// Errors of decompression, of the size limit and of the input are *Error
// values naming the package and member; errors that archive/tar finds in
// the tar format itself are not, but Close then returns them as an *Error.
func (p *Package) Data() (*tar.Reader, error) {
	if p.closed {
		return nil, p.errorf(p.DataMember, "package already closed")
	}
	p.requested = true
	return p.tr, nil
}

// Content returns the content of h, the regular file the data.tar reader's
// Next has just returned. When data.tar was decoded into memory (dpkg-deb's
// xz members are), the content is a slice of it and costs no copy; the tar
// reader skips it at the next Next. Otherwise it is read from the tar
// reader. The caller must not modify the slice.
func (p *Package) Content(h *tar.Header) ([]byte, error) {
	if h.Typeflag != tar.TypeReg {
		return nil, p.errorf(p.DataMember, "entry %q is not a regular file", h.Name)
	}
	sparse := false
	for k := range h.PAXRecords {
		sparse = sparse || strings.HasPrefix(k, "GNU.sparse.")
	}
	if !sparse {
		if b, ok := p.data.content(h.Size); ok {
			return b, nil
		}
	}
	b := make([]byte, h.Size)
	if _, err := io.ReadFull(p.tr, b); err != nil {
		return nil, err
	}
	return b, nil
}

// Close verifies the rest of the package: that data.tar was read to its end
// (or, if Data was never called, reads and checks it), that only zeros
// follow the tar archive, that the compressed stream ended exactly at the
// end of its member with valid checksums, and that the rest of the ar
// archive is well-formed. It does not close the reader passed to Open.
func (p *Package) Close() error {
	if p.closed {
		return p.closeErr
	}
	p.closed = true
	p.closeErr = p.finish()
	return p.closeErr
}

func (p *Package) finish() error {
	if p.requested {
		h, err := p.tr.Next()
		if err == nil {
			return p.errorf(p.DataMember, "data.tar was not read to its end: entry %q is left", h.Name)
		}
		if err != io.EOF {
			return p.wrap(p.DataMember, err)
		}
	} else {
		for {
			_, err := p.tr.Next()
			if err == io.EOF {
				break
			}
			if err == nil {
				_, err = io.Copy(io.Discard, p.tr)
			}
			if err != nil {
				return p.wrap(p.DataMember, err)
			}
		}
	}
	if err := p.data.finish(); err != nil {
		return p.wrap(p.DataMember, err)
	}
	for {
		h, err := p.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		p.trailing = append(p.trailing, h.Name)
	}
}

// TrailingMembers returns the names of the members found after data.tar by
// Close, which deb(5) says readers must ignore.
func (p *Package) TrailingMembers() []string { return p.trailing }

// next returns the next ar member, rejecting the long-name extensions that
// deb(5) excludes.
func (p *Package) next() (*ar.Header, error) {
	h, err := p.ar.Next()
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		return nil, p.wrap("", err)
	}
	if h.LongName {
		return nil, p.errorf(h.Name, "member name uses an ar long-name extension, which deb(5) does not allow")
	}
	return h, nil
}

// nextRequired skips '_' members and fails at the end of the archive.
func (p *Package) nextRequired(what string) (*ar.Header, error) {
	for {
		h, err := p.next()
		if err == io.EOF {
			return nil, p.errorf("", "missing %s member", what)
		}
		if err != nil {
			return nil, err
		}
		if !strings.HasPrefix(h.Name, "_") {
			return h, nil
		}
	}
}

func (p *Package) readDebianBinary(h *ar.Header) error {
	if h.Size > maxDebianBinary {
		return p.errorf(h.Name, "%d bytes is too large", h.Size)
	}
	b, err := io.ReadAll(p.ar)
	if err != nil {
		return p.wrap(h.Name, err)
	}
	line, _, ok := strings.Cut(string(b), "\n")
	if !ok {
		return p.errorf(h.Name, "no newline in %q", b)
	}
	major, minor, _ := strings.Cut(line, ".")
	if major != "2" || minor == "" || strings.Trim(minor, "0123456789") != "" {
		return p.errorf(h.Name, "format version %q is not supported (want 2.x)", line)
	}
	return nil
}

func (p *Package) errorf(member, format string, args ...any) error {
	return &Error{Deb: p.Name, Member: member, Err: fmt.Errorf(format, args...)}
}

func (p *Package) wrapper(member string) func(error) error {
	return func(err error) error { return p.wrap(member, err) }
}

func (p *Package) wrap(member string, err error) error {
	if e, ok := err.(*Error); ok {
		return e
	}
	return &Error{Deb: p.Name, Member: member, Err: err}
}
