package budget

import (
	"fmt"
	"io"
)

// Expansion meters decompression: the compressed bytes read and the
// decompressed bytes produced from them, over one stream or several (the
// entries of a jar). Once more than RatioFloor bytes were decompressed, at
// most Ratio decompressed bytes may come out per compressed byte. It is not
// safe for concurrent use.
type Expansion struct {
	compressed, expanded int64
}

// RatioError says that decompression ran over the ratio budget.
type RatioError struct {
	Compressed, Expanded int64
}

func (e *RatioError) Error() string {
	return fmt.Sprintf("over the budget for decompression: %d bytes expanded from %d, more than %d times as many beyond the first %d MiB (a decompression bomb?; see docs/inputs.md)",
		e.Expanded, e.Compressed, Ratio, RatioFloor>>20)
}

// AddCompressed counts n compressed bytes read.
func (e *Expansion) AddCompressed(n int64) { e.compressed += n }

// AddExpanded counts n decompressed bytes and checks the budget.
func (e *Expansion) AddExpanded(n int64) error {
	e.expanded += n
	if e.expanded > RatioFloor && e.expanded/Ratio > e.compressed {
		return &RatioError{Compressed: e.compressed, Expanded: e.expanded}
	}
	return nil
}

// Compressed wraps the compressed stream, counting what is read from it.
// Decompressors read ahead, so the count may run slightly ahead of what
// was decompressed: the check errs on the side of the input.
func (e *Expansion) Compressed(r io.Reader) io.Reader { return &compressedReader{r: r, e: e} }

// Expanded wraps the decompressed stream; a read that takes it over the
// budget fails with a *RatioError.
func (e *Expansion) Expanded(r io.Reader) io.Reader { return &expandedReader{r: r, e: e} }

type compressedReader struct {
	r io.Reader
	e *Expansion
}

func (c *compressedReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.e.AddCompressed(int64(n))
	return n, err
}

// ReadByte keeps io.ByteReader for decompressors that would otherwise
// wrap the stream in a buffer of their own (flate reads byte by byte).
func (c *compressedReader) ReadByte() (byte, error) {
	if br, ok := c.r.(io.ByteReader); ok {
		b, err := br.ReadByte()
		if err == nil {
			c.e.AddCompressed(1)
		}
		return b, err
	}
	var one [1]byte
	n, err := io.ReadFull(c, one[:])
	if n == 1 {
		return one[0], nil
	}
	return 0, err
}

type expandedReader struct {
	r io.Reader
	e *Expansion
}

func (x *expandedReader) Read(p []byte) (int, error) {
	n, err := x.r.Read(p)
	if berr := x.e.AddExpanded(int64(n)); berr != nil {
		return n, berr
	}
	return n, err
}
