// Package ar reads Unix ar archives, the container of .deb packages.
//
// Accepted forms: the common format (names padded with spaces, as dpkg-deb
// writes them), the GNU variant (names ending in "/", long names in a "//"
// table referenced as "/N") and the BSD variant ("#1/N", the name stored in
// the first N bytes of the member data).
//
// Symbol tables ("/" and "/SYM64/") are rejected rather than skipped: the
// archives read here are .deb packages, which never have one (dpkg-deb
// refuses them as unexpected members), so one is a sign of a wrong or
// crafted file.
//
// The input is untrusted: every malformed header, size or name is an error,
// allocations are bounded, and member names that could escape a directory
// ("", ".", "..", anything with "/") are rejected.
package ar

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Magic starts every ar archive.
const Magic = "!<arch>\n"

const (
	headerSize = 60
	// DefaultMaxMemberSize is the largest member NewReader accepts, above
	// the 8 GiB that dpkg allows for a tar entry and below the 10-digit
	// limit of the size field.
	DefaultMaxMemberSize = 9 << 30
	// maxLongNames bounds the GNU long-name table, which is read into
	// memory. Real tables hold a few names.
	maxLongNames = 1 << 20
	// maxBSDName bounds a BSD name stored in the member data.
	maxBSDName = 4096
)

// Header describes one member.
type Header struct {
	Name    string
	ModTime time.Time
	Uid     int
	Gid     int
	Mode    int64
	// Size is the size of the member's content (for BSD names, without the
	// name stored before it).
	Size int64
	// LongName is set when the name came from an extension for long names
	// (GNU "/N" or BSD "#1/N"), which some formats, like .deb, forbid.
	LongName bool
}

// Reader reads the members of an archive in order. Like archive/tar, Next
// moves to the next member and Read reads the current member's content.
type Reader struct {
	// MaxMemberSize is the largest member size Next accepts. NewReader sets
	// it to DefaultMaxMemberSize.
	MaxMemberSize int64

	r         io.Reader
	off       int64 // bytes consumed from r
	started   bool
	err       error // sticky
	cur       string
	remaining int64 // unread content of the current member
	pad       bool  // a padding byte follows the current member
	longNames []byte
	haveLong  bool
}

// NewReader returns a Reader that reads the archive from r.
func NewReader(r io.Reader) *Reader {
	return &Reader{MaxMemberSize: DefaultMaxMemberSize, r: r}
}

// Next skips what is left of the current member and returns the header of
// the next one, or io.EOF at the end of the archive. Errors are sticky.
func (r *Reader) Next() (*Header, error) {
	if r.err != nil {
		return nil, r.err
	}
	h, err := r.next()
	if err != nil {
		r.err = err
		return nil, err
	}
	return h, nil
}

// Read reads the content of the current member. It returns io.EOF at the end
// of the member, and an error if the archive ends before.
func (r *Reader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.remaining == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.remaining {
		p = p[:r.remaining]
	}
	n, err := r.r.Read(p)
	r.off += int64(n)
	r.remaining -= int64(n)
	switch {
	case err == io.EOF && r.remaining > 0:
		r.err = r.errorf("member %q is truncated: %d bytes missing: %w", r.cur, r.remaining, io.ErrUnexpectedEOF)
		return n, r.err
	case err == io.EOF:
		return n, nil
	case err != nil:
		r.err = fmt.Errorf("ar: reading member %q: %w", r.cur, err)
		return n, r.err
	}
	return n, nil
}

func (r *Reader) next() (*Header, error) {
	if !r.started {
		r.started = true
		var m [len(Magic)]byte
		if err := r.readFull(m[:], "magic"); err != nil {
			return nil, err
		}
		if string(m[:]) != Magic {
			return nil, fmt.Errorf("ar: not an ar archive: starts with %q, want %q", m[:], Magic)
		}
	}
	for {
		if err := r.skipRest(); err != nil {
			return nil, err
		}
		var buf [headerSize]byte
		n, err := io.ReadFull(r.r, buf[:])
		r.off += int64(n)
		if err == io.EOF {
			return nil, io.EOF
		}
		if err == io.ErrUnexpectedEOF {
			return nil, r.errorf("truncated member header: %d of %d bytes: %w", n, headerSize, io.ErrUnexpectedEOF)
		}
		if err != nil {
			return nil, fmt.Errorf("ar: reading member header at offset %d: %w", r.off-int64(n), err)
		}
		h, ok, err := r.parseHeader(&buf)
		if err != nil {
			return nil, err
		}
		if ok {
			return h, nil
		}
	}
}

// skipRest discards the unread content and padding of the current member.
func (r *Reader) skipRest() error {
	if r.remaining > 0 {
		n, err := io.CopyN(io.Discard, r.r, r.remaining)
		r.off += n
		r.remaining -= n
		if err == io.EOF {
			return r.errorf("member %q is truncated: %d bytes missing: %w", r.cur, r.remaining, io.ErrUnexpectedEOF)
		}
		if err != nil {
			return fmt.Errorf("ar: reading member %q: %w", r.cur, err)
		}
	}
	if r.pad {
		r.pad = false
		var b [1]byte
		if err := r.readFull(b[:], fmt.Sprintf("padding after member %q", r.cur)); err != nil {
			return err
		}
		if b[0] != '\n' {
			return r.errorf("padding after member %q is %q, want '\\n'", r.cur, b[0])
		}
	}
	return nil
}

// parseHeader checks a member header. ok is false for the GNU long-name
// table, which it consumes.
func (r *Reader) parseHeader(buf *[headerSize]byte) (h *Header, ok bool, err error) {
	at := r.off - headerSize
	bad := func(format string, args ...any) (*Header, bool, error) {
		return nil, false, fmt.Errorf("ar: member header at offset %d: %s", at, fmt.Sprintf(format, args...))
	}
	if buf[58] != '`' || buf[59] != '\n' {
		return bad("bad terminator %q, want \"`\\n\"", buf[58:60])
	}
	rawName := string(bytes.TrimRight(buf[0:16], " "))
	size, err := decimal(buf[48:58], false)
	if err != nil {
		return bad("size field: %v", err)
	}
	mtime, err := decimal(buf[16:28], true)
	if err != nil {
		return bad("modification time field: %v", err)
	}
	uid, err := decimal(buf[28:34], true)
	if err != nil {
		return bad("owner field: %v", err)
	}
	gid, err := decimal(buf[34:40], true)
	if err != nil {
		return bad("group field: %v", err)
	}
	mode, err := number(buf[40:48], 8, true)
	if err != nil {
		return bad("mode field: %v", err)
	}
	if size > r.MaxMemberSize {
		return bad("member %q has size %d, more than the limit of %d", rawName, size, r.MaxMemberSize)
	}
	r.pad = size%2 == 1

	var name string
	long := true
	switch {
	case rawName == "/" || rawName == "/SYM64/":
		return bad("symbol table %q is not supported", rawName)
	case rawName == "//":
		if r.haveLong {
			return bad("second long-name table")
		}
		if size > maxLongNames {
			return bad("long-name table of %d bytes is larger than %d", size, maxLongNames)
		}
		r.haveLong = true
		r.cur = rawName
		r.longNames = make([]byte, size)
		if err := r.readFull(r.longNames, "long-name table"); err != nil {
			return nil, false, err
		}
		return nil, false, nil
	case len(rawName) > 1 && rawName[0] == '/':
		name, err = r.longName(rawName[1:])
		if err != nil {
			return bad("%v", err)
		}
	case len(rawName) > 3 && rawName[:3] == "#1/":
		n, err := decimal([]byte(rawName[3:]), false)
		if err != nil {
			return bad("BSD name length %q: %v", rawName[3:], err)
		}
		if n > size {
			return bad("BSD name length %d exceeds member size %d", n, size)
		}
		if n > maxBSDName {
			return bad("BSD name length %d is larger than %d", n, maxBSDName)
		}
		b := make([]byte, n)
		r.cur = rawName
		if err := r.readFull(b, "BSD member name"); err != nil {
			return nil, false, err
		}
		name = string(bytes.TrimRight(b, "\x00"))
		size -= n
	default:
		long = false
		name = rawName
		if len(name) > 0 && name[len(name)-1] == '/' {
			name = name[:len(name)-1]
		}
	}
	if err := checkName(name); err != nil {
		return bad("%v", err)
	}
	r.cur = name
	r.remaining = size
	return &Header{
		Name:     name,
		ModTime:  time.Unix(mtime, 0),
		Uid:      int(uid),
		Gid:      int(gid),
		Mode:     mode,
		Size:     size,
		LongName: long,
	}, true, nil
}

// longName resolves a GNU "/N" reference into the long-name table, whose
// entries end in "/\n".
func (r *Reader) longName(ref string) (string, error) {
	off, err := decimal([]byte(ref), false)
	if err != nil {
		return "", fmt.Errorf("long-name reference %q: %v", ref, err)
	}
	if !r.haveLong {
		return "", fmt.Errorf("long-name reference %q before any long-name table", ref)
	}
	if off >= int64(len(r.longNames)) {
		return "", fmt.Errorf("long-name reference %d is outside the %d-byte table", off, len(r.longNames))
	}
	rest := r.longNames[off:]
	end := bytes.IndexByte(rest, '\n')
	if end < 0 {
		return "", fmt.Errorf("long name at %d is not terminated", off)
	}
	name := rest[:end]
	if len(name) == 0 || name[len(name)-1] != '/' {
		return "", fmt.Errorf("long name %q at %d does not end in \"/\"", name, off)
	}
	return string(name[:len(name)-1]), nil
}

func checkName(name string) error {
	if name == "" || name == "." || name == ".." {
		return fmt.Errorf("invalid member name %q", name)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c == '/' || c < ' ' || c == 0x7f {
			return fmt.Errorf("invalid member name %q: contains %q", name, c)
		}
	}
	return nil
}

// decimal parses a left-aligned, space-padded decimal field. An all-blank
// field is 0 if blankOK (GNU ar leaves the fields of its tables blank).
func decimal(f []byte, blankOK bool) (int64, error) {
	return number(f, 10, blankOK)
}

func number(f []byte, base int, blankOK bool) (int64, error) {
	digits := bytes.TrimRight(f, " ")
	if len(digits) == 0 {
		if blankOK {
			return 0, nil
		}
		return 0, errors.New("empty")
	}
	for _, c := range digits {
		if c < '0' || c >= '0'+byte(base) {
			return 0, fmt.Errorf("%q is not a base-%d number", f, base)
		}
	}
	// At most 16 digits reach here, so only the 12-digit time field could
	// approach the range of int64, and it cannot exceed it.
	v, err := strconv.ParseInt(string(digits), base, 64)
	if err != nil {
		return 0, fmt.Errorf("%q: %v", f, err)
	}
	return v, nil
}

func (r *Reader) readFull(b []byte, what string) error {
	n, err := io.ReadFull(r.r, b)
	r.off += int64(n)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return r.errorf("truncated %s: %d of %d bytes: %w", what, n, len(b), io.ErrUnexpectedEOF)
	}
	if err != nil {
		return fmt.Errorf("ar: reading %s: %w", what, err)
	}
	return nil
}

func (r *Reader) errorf(format string, args ...any) error {
	return fmt.Errorf("ar: offset %d: "+format, append([]any{r.off}, args...)...)
}
