package deb

import (
	"bufio"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/therootcompany/xz"
	"github.com/ulikunitz/xz/lzma"
)

// maxZstdWindow bounds the memory a zstd frame can make the decoder
// allocate. 128 MiB covers `zstd --ultra -22`; dpkg-deb uses far less.
const maxZstdWindow = 128 << 20

// maxXZDict bounds the LZMA2 dictionary of an xz stream: 64 MiB is what
// `xz -9` uses; dpkg-deb uses 8 MiB.
const maxXZDict = 64 << 20

// stream is the decompressed content of one tar member, limited in size.
type stream struct {
	src   *bufio.Reader // compressed bytes, exactly the member's content
	dec   io.Reader
	close func()
	n     int64
	limit int64
	err   error // sticky
	// wrap names the package and member in errors that reach the caller
	// through tar.Reader.
	wrap func(error) error
}

// openStream picks the decompressor from the member name's suffix. The
// caller has checked that the suffix is one the member may have. size is
// the member's compressed size from its ar header (a hint for buffers).
func openStream(member string, r io.Reader, size, limit int64, wrap func(error) error) (*stream, error) {
	s := &stream{src: bufio.NewReaderSize(r, 256<<10), limit: limit, close: func() {}, wrap: wrap}
	var err error
	switch member[strings.LastIndex(member, ".tar")+len(".tar"):] {
	case "":
		s.dec = s.src
	case ".gz":
		var z *gzip.Reader
		if z, err = gzip.NewReader(s.src); err == nil {
			// A second gzip member would be data dpkg may or may not
			// see; let finish report it as trailing data.
			z.Multistream(false)
			s.dec = z
		}
	case ".xz":
		// xzdec (tools/internal/xzdec) decodes dpkg-deb's xz members
		// into memory, in parallel when `xz -T` cut them into blocks;
		// everything else goes to therootcompany/xz (XZ Embedded in
		// Go, about 1.6x faster than ulikunitz/xz), which caps the
		// dictionary a hostile header can make it allocate. It reads
		// ahead, so trailing bytes cannot be checked after the first
		// stream: it decodes them as further streams (the xz format
		// allows concatenation and padding), and anything that is not xz
		// is an error; a second stream's data lands after the tar
		// end-of-archive, where finish refuses it.
		s.dec, err = newXZReader(s.src, size, limit)
	case ".zst":
		var z *zstd.Decoder
		// Concurrency 1 decodes synchronously: no goroutines that a
		// caller who abandons the package would leak.
		z, err = zstd.NewReader(s.src,
			zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderMaxWindow(maxZstdWindow),
			zstd.WithDecoderMaxMemory(uint64(limit)))
		if err == nil {
			s.dec, s.close = z, z.Close
		}
	case ".bz2":
		s.dec = bzip2.NewReader(s.src)
	case ".lzma":
		s.dec, err = lzma.NewReader(s.src)
	default:
		return nil, fmt.Errorf("unsupported compression")
	}
	if err != nil {
		return nil, fmt.Errorf("starting to decompress: %w", noEOF(err))
	}
	return s, nil
}

func (s *stream) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	// Ask for at most one byte past the limit, so that exceeding it is
	// noticed without decompressing much further.
	if room := s.limit - s.n + 1; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := s.dec.Read(p)
	s.n += int64(n)
	if s.n > s.limit {
		s.err = s.wrap(fmt.Errorf("%w of %d bytes", ErrTooLarge, s.limit))
		return n - int(s.n-s.limit), s.err
	}
	if err != nil && err != io.EOF {
		if errors.Is(err, xz.ErrMemlimit) {
			err = fmt.Errorf("the xz dictionary is larger than %d bytes: %w", maxXZDict, err)
		}
		if errors.Is(err, zstd.ErrDecoderSizeExceeded) {
			// The frame header announced more than the limit.
			err = fmt.Errorf("%w of %d bytes: %v", ErrTooLarge, s.limit, err)
		}
		s.err = s.wrap(fmt.Errorf("decompressing: %w", noEOF(err)))
		return n, s.err
	}
	return n, err
}

// finish is called once the tar reader has seen the end-of-archive marker.
// It reads the rest of the stream, which must be zeros (tar pads archives
// to a whole record), so that the decompressor verifies its checksums, and
// then checks that the compressed stream filled the member exactly.
func (s *stream) finish() error {
	defer s.close()
	buf := make([]byte, 32<<10)
	for {
		n, err := s.Read(buf)
		for _, c := range buf[:n] {
			if c != 0 {
				return errors.New("data after the end of the tar archive")
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	switch _, err := s.src.ReadByte(); err {
	case io.EOF:
		return nil
	case nil:
		return errors.New("data after the end of the compressed stream")
	default:
		return fmt.Errorf("reading after the compressed stream: %w", err)
	}
}

// noEOF turns the io.EOF that decompressors return for empty or cut input
// into io.ErrUnexpectedEOF, so that it cannot pass for a normal end.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
