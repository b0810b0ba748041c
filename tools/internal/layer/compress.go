package layer

import (
	"fmt"
	"io"
	"time"

	"github.com/klauspost/compress/gzip"
)

// DefaultGzipLevel is the level used when none is given. Level 6 is what
// `gzip` uses by default, so sizes are comparable with GNU pipelines.
const DefaultGzipLevel = 6

// NewGzipWriter returns the pinned gzip implementation: klauspost/compress
// at the version go.mod pins, one member, zeroed header (no name, no
// comment, mtime 0, OS byte 255). Changing the implementation, its version
// or the level changes layer digests: the golden digests in the tests guard
// that.
func NewGzipWriter(w io.Writer, level int) (io.WriteCloser, error) {
	if level == 0 {
		level = DefaultGzipLevel
	}
	if level < 1 || level > 9 {
		return nil, fmt.Errorf("gzip level %d is out of range [1, 9]", level)
	}
	zw, err := gzip.NewWriterLevel(w, level)
	if err != nil {
		return nil, fmt.Errorf("creating gzip writer: %w", err)
	}
	// klauspost/compress writes uint32(ModTime.Unix()) even for the zero
	// time.Time (unlike compress/gzip), which would put 0x886e0900 in the
	// header: set the epoch explicitly so MTIME is 0.
	zw.ModTime = time.Unix(0, 0)
	zw.OS = 255
	return zw, nil
}
