package image

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"

	"github.com/rules-odp/rules_odp/tools/internal/budget"
)

// CorruptBlobError says that a blob's bytes do not match its descriptor.
type CorruptBlobError struct {
	Path   string
	Digest string // what the descriptor says
	Got    string // what the bytes hash to, or "" for a size mismatch
	Size   int64  // what the descriptor says
	GotSz  int64
}

func (e *CorruptBlobError) Error() string {
	if e.Size != e.GotSz {
		return fmt.Sprintf("corrupt blob %s at %q: size %d, descriptor says %d", e.Digest, e.Path, e.GotSz, e.Size)
	}
	return fmt.Sprintf("corrupt blob %s at %q: digest mismatch, content hashes to %s", e.Digest, e.Path, e.Got)
}

// CheckDigest accepts only "sha256:" followed by 64 lower-case hex digits:
// the digest becomes a file name, so anything looser could escape blobs/.
func CheckDigest(d string) error {
	const prefix = "sha256:"
	if len(d) != len(prefix)+64 || d[:len(prefix)] != prefix {
		return fmt.Errorf("unsupported digest %q: want sha256:<64 hex digits>", d)
	}
	for _, c := range d[len(prefix):] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return fmt.Errorf("malformed digest %q: want lower-case hex", d)
		}
	}
	return nil
}

// blobPath is where a layout keeps the blob with digest d.
func blobPath(layout, d string) (string, error) {
	if err := CheckDigest(d); err != nil {
		return "", err
	}
	return filepath.Join(layout, "blobs", "sha256", d[len("sha256:"):]), nil
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func hashDigest(h hash.Hash) string { return "sha256:" + hex.EncodeToString(h.Sum(nil)) }

// readBlob reads a small JSON blob and verifies its size and digest.
func readBlob(layout string, desc Descriptor) ([]byte, error) {
	p, err := blobPath(layout, desc.Digest)
	if err != nil {
		return nil, err
	}
	if desc.Size < 0 || desc.Size > budget.ImageJSONBytes {
		return nil, fmt.Errorf("blob %s declares size %d: %w", desc.Digest, desc.Size,
			&budget.Error{Budget: "bytes of an image JSON document", Limit: budget.ImageJSONBytes, Got: desc.Size})
	}
	f, err := budget.Open(p)
	if err != nil {
		return nil, fmt.Errorf("opening blob %s: %w", desc.Digest, err)
	}
	defer f.Close()
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(f, desc.Size+1))
	if err != nil {
		return nil, fmt.Errorf("reading blob %q: %w", p, err)
	}
	if n != desc.Size {
		return nil, &CorruptBlobError{Path: p, Digest: desc.Digest, Size: desc.Size, GotSz: n}
	}
	b := buf.Bytes()
	if got := digestOf(b); got != desc.Digest {
		return nil, &CorruptBlobError{Path: p, Digest: desc.Digest, Got: got, Size: desc.Size, GotSz: n}
	}
	return b, nil
}

// verifyingReader hashes what passes through it and, at EOF, fails if the
// bytes do not match the descriptor. Used wherever a blob is read anyway
// (copies, archives, pushes), so verification costs nothing extra.
type verifyingReader struct {
	r    io.Reader
	h    hash.Hash
	n    int64
	path string
	desc Descriptor
}

func newVerifyingReader(r io.Reader, path string, desc Descriptor) *verifyingReader {
	return &verifyingReader{r: r, h: sha256.New(), path: path, desc: desc}
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if v.n > v.desc.Size {
		return n, &CorruptBlobError{Path: v.path, Digest: v.desc.Digest, Size: v.desc.Size, GotSz: v.n}
	}
	if err == io.EOF {
		if v.n != v.desc.Size {
			return n, &CorruptBlobError{Path: v.path, Digest: v.desc.Digest, Size: v.desc.Size, GotSz: v.n}
		}
		if got := hashDigest(v.h); got != v.desc.Digest {
			return n, &CorruptBlobError{Path: v.path, Digest: v.desc.Digest, Got: got, Size: v.desc.Size, GotSz: v.n}
		}
	}
	return n, err
}

// OpenBlob opens the blob desc of a layout for streaming; the reader fails
// at EOF if the bytes do not match desc.
func OpenBlob(layout string, desc Descriptor) (io.ReadCloser, error) {
	p, err := blobPath(layout, desc.Digest)
	if err != nil {
		return nil, err
	}
	f, err := budget.Open(p)
	if err != nil {
		return nil, fmt.Errorf("opening blob %s: %w", desc.Digest, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{newVerifyingReader(f, p, desc), f}, nil
}

// checkBlobSize is the cheap check done on every base layer blob.
func checkBlobSize(path string, desc Descriptor) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("base layer blob %s: %w", desc.Digest, err)
	}
	if err := budget.CheckRegular(path, fi); err != nil {
		return fmt.Errorf("base layer blob %s: %w", desc.Digest, err)
	}
	if fi.Size() != desc.Size {
		return &CorruptBlobError{Path: path, Digest: desc.Digest, Size: desc.Size, GotSz: fi.Size()}
	}
	return nil
}
