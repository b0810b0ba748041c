package deb

import (
	"bytes"
	"errors"
	"io"

	"github.com/rules-odp/rules_odp/tools/internal/xzdec"
	"github.com/therootcompany/xz"
)

const (
	// maxXZMember caps the compressed member held in memory; a larger
	// member is decoded as a stream.
	maxXZMember = 1 << 30
	// maxXZInMemory caps the decoded data.tar held in memory whole; beyond
	// it (or beyond the caller's limit) the member is decoded as a stream.
	maxXZInMemory = 4 << 30
	// maxXZRatio and maxXZInMemoryFloor bound the decoded size held in
	// memory relative to the member's size.
	maxXZRatio         = 1024
	maxXZInMemoryFloor = 64 << 20
)

// memReader is a member decoded into memory. It lets the caller take file
// contents as slices of it (Package.Content) instead of copies.
type memReader struct {
	b   []byte
	off int
}

func (m *memReader) Read(p []byte) (int, error) {
	if m.off >= len(m.b) {
		return 0, io.EOF
	}
	n := copy(p, m.b[m.off:])
	m.off += n
	return n, nil
}

// newXZReader decodes the xz member read from src. dpkg-deb's shape, one
// stream of LZMA2 blocks with a CRC32, CRC64 or SHA-256 check, is decoded into memory by xzdec (in
// parallel when there are several blocks); anything else, and anything
// xzdec refuses, goes to the general streaming decoder, which is the
// reference for what the bytes mean and reports every error. size, the
// member's size from the ar header, sizes the buffer once: growing it by
// doubling costs a page-faulted copy per step (a third of the run time for
// openjdk's 40 MB member).
func newXZReader(src io.Reader, size, limit int64) (io.Reader, error) {
	var buf bytes.Buffer
	if size > 0 && size <= maxXZMember {
		// ReadFrom wants bytes.MinRead free bytes before it sees EOF.
		buf.Grow(int(size) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(src, maxXZMember+1)); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	if len(b) <= maxXZMember {
		// A hostile index can announce any size: the buffer is sized from
		// it only within a plausible ratio (real packages unpack to about
		// 5x, sparse data to a few hundred times); beyond that the
		// streaming decoder finds out.
		maxOut := min(limit, maxXZInMemory, maxXZInMemoryFloor+maxXZRatio*int64(len(b)))
		if out, err := xzdec.Decode(b, maxOut, maxXZDict); err == nil {
			return &memReader{b: out}, nil
		}
	}
	// The streaming decoder sees exactly the bytes it would have read.
	z, err := xz.NewReader(io.MultiReader(bytes.NewReader(b), src), maxXZDict)
	if err != nil {
		return nil, err
	}
	z.Multistream(true)
	return z, nil
}

// seek skips n bytes of a member decoded into memory; archive/tar uses it
// (through stream.Seek) to pass over file contents taken by Content.
func (m *memReader) seek(n int64) int64 {
	n = min(n, int64(len(m.b)-m.off))
	m.off += int(n)
	return n
}

var errNotSeekable = errors.New("stream is not seekable")

// Seek supports what archive/tar asks of a reader when it skips an
// entry's content: the position (0, io.SeekCurrent) and moving forward
// from it. Only a member decoded into memory can do it; archive/tar reads
// through the content of any other.
func (s *stream) Seek(offset int64, whence int) (int64, error) {
	m, ok := s.dec.(*memReader)
	if !ok || whence != io.SeekCurrent || offset < 0 || s.err != nil {
		return 0, errNotSeekable
	}
	s.n += m.seek(offset)
	return s.n, nil
}

// content returns the next n bytes of a member decoded into memory as a
// slice of it, without consuming them, or false.
func (s *stream) content(n int64) ([]byte, bool) {
	m, ok := s.dec.(*memReader)
	if !ok || s.err != nil || n < 0 || n > int64(len(m.b)-m.off) {
		return nil, false
	}
	return m.b[m.off : m.off+int(n) : m.off+int(n)], true
}
