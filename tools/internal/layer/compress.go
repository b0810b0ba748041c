package layer

import (
	"fmt"
	"io"
	"time"

	"github.com/klauspost/pgzip"
)

// DefaultGzipLevel is the level used when none is given. Level 6 is what
// `gzip` uses by default, so sizes are comparable with GNU pipelines.
const DefaultGzipLevel = 6

// gzipBlockSize is where the pinned compressor cuts the stream into
// independently compressed blocks (each primed with the 32 KiB before it).
// The bytes depend on this size, never on how many blocks run in parallel.
const gzipBlockSize = 1 << 20

// NewGzipWriter returns the pinned gzip implementation: klauspost/pgzip
// (with klauspost/compress's deflate) at the versions go.mod pins, 1 MiB
// blocks compressed in parallel, one gzip member, zeroed header (no name,
// no comment, MTIME 0, OS byte 255). Changing the implementation, its
// version, the block size or the level changes layer digests: the golden
// digests in the tests guard that.
func NewGzipWriter(w io.Writer, level int) (io.WriteCloser, error) {
	if level == 0 {
		level = DefaultGzipLevel
	}
	if level < 1 || level > 9 {
		return nil, fmt.Errorf("gzip level %d is out of range [1, 9]", level)
	}
	zw, err := pgzip.NewWriterLevel(w, level)
	if err != nil {
		return nil, fmt.Errorf("creating gzip writer: %w", err)
	}
	if err := zw.SetConcurrency(gzipBlockSize, 4); err != nil {
		return nil, fmt.Errorf("configuring gzip writer: %w", err)
	}
	// pgzip writes uint32(ModTime.Unix()) even for the zero time.Time
	// (compress/gzip writes 0 then), which would put 0x886e0900 in the
	// header: set the epoch explicitly so MTIME is 0.
	zw.ModTime = time.Unix(0, 0)
	zw.OS = 255
	return zw, nil
}
