package image

import (
	"archive/tar"
	"bufio"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/rules-odp/rules_odp/tools/internal/budget"
)

// baseScan reads the headers of every base layer for the masking check
// (and the content of its dpkg database files for the ownership checks), in
// parallel with the rest of assemble, and verifies each layer against its
// descriptor and its diff_id: a compressed blob is decompressed anyway, so
// its digest and diff_id are checked on the way; an uncompressed one is
// read in full too (its diff_id is its digest), unless trust, where it is
// read by seeking from header to header, so that its cost depends on its
// number of files rather than its size.
type baseScan struct {
	wg      sync.WaitGroup
	stopped atomic.Bool
	entries [][]tarEntry
	errs    []error
}

var errScanStopped = errors.New("base layer scan stopped")

// startBaseScan starts reading the layers of img (nil: none); diffIDs are
// the base config's, one per layer. run bounds the headers of all layers.
func startBaseScan(img *Image, diffIDs []string, trust bool, run *budget.Run, kept *budget.Kept) *baseScan {
	s := &baseScan{}
	if img == nil {
		return s
	}
	n := len(img.Manifest.Layers)
	s.entries, s.errs = make([][]tarEntry, n), make([]error, n)
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, l := range img.Manifest.Layers {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if s.stopped.Load() {
				s.errs[i] = errScanStopped
				return
			}
			s.entries[i], s.errs[i] = scanBlob(img.Layout, l, diffIDs[i], trust, &s.stopped, run, kept)
			if s.errs[i] != nil {
				s.errs[i] = fmt.Errorf("base %q: %s: %w", img.Layout, baseLayerLabel(i, l.Digest), s.errs[i])
			}
		}()
	}
	return s
}

// stop ends the scan early (assemble failed for another reason) and
// waits for its goroutines.
func (s *baseScan) stop() {
	s.stopped.Store(true)
	s.wg.Wait()
}

// wait returns the entries of each layer, or the error of the lowest
// layer that failed. It may be called more than once.
func (s *baseScan) wait() ([][]tarEntry, error) {
	s.wg.Wait()
	for _, err := range s.errs {
		if err != nil {
			return nil, err
		}
	}
	return s.entries, nil
}

// DiffIDError says that a base layer's uncompressed content does not hash
// to the diff_id its config lists.
type DiffIDError struct {
	Digest, DiffID, Got string
}

func (e *DiffIDError) Error() string {
	if e.Got == "" {
		return fmt.Sprintf("the config lists diff_id %s for the uncompressed layer %s, whose diff_id is its digest", e.DiffID, e.Digest)
	}
	return fmt.Sprintf("layer %s: the uncompressed content hashes to %s, but the config lists diff_id %s", e.Digest, e.Got, e.DiffID)
}

// scanBlob reads the headers of a layer blob of layout, decompressing it
// as its media type says, and then the rest of the blob to verify it.
func scanBlob(layout string, desc Descriptor, diffID string, trust bool, stopped *atomic.Bool, run *budget.Run, kept *budget.Kept) ([]tarEntry, error) {
	check := meterHeaders(budget.NewTar(run))
	if desc.MediaType == MediaTypeLayerTar && diffID != desc.Digest {
		return nil, &DiffIDError{Digest: desc.Digest, DiffID: diffID}
	}
	if desc.MediaType == MediaTypeLayerTar && trust {
		return seekTar(layout, desc, check, kept)
	}
	raw, err := OpenBlob(layout, desc)
	if err != nil {
		return nil, err
	}
	defer raw.Close()
	br := bufio.NewReaderSize(stoppable{raw, stopped}, 1<<20)
	entries, diff, err := scanLayer(br, desc.MediaType, check, kept)
	// Read what is left so that the digest is checked: a corrupt blob
	// says so more clearly than the decompressor it upsets.
	_, drainErr := io.Copy(io.Discard, br)
	var corrupt *CorruptBlobError
	if errors.As(drainErr, &corrupt) {
		return nil, drainErr
	}
	if err != nil {
		return nil, err
	}
	if drainErr != nil {
		return nil, fmt.Errorf("reading blob: %w", drainErr)
	}
	if diff != nil {
		if got := hashDigest(diff); got != diffID {
			return nil, &DiffIDError{Digest: desc.Digest, DiffID: diffID, Got: got}
		}
	}
	return entries, nil
}

// stoppable fails reads once stopped is set.
type stoppable struct {
	r       io.Reader
	stopped *atomic.Bool
}

func (s stoppable) Read(p []byte) (int, error) {
	if s.stopped.Load() {
		return 0, errScanStopped
	}
	return s.r.Read(p)
}

// seekTar reads the headers of an uncompressed layer; archive/tar seeks
// over the files' content when its reader is an io.Seeker.
func seekTar(layout string, desc Descriptor, check func(h *tar.Header) error, kept *budget.Kept) ([]tarEntry, error) {
	p, err := blobPath(layout, desc.Digest)
	if err != nil {
		return nil, err
	}
	f, err := budget.Open(p)
	if err != nil {
		return nil, fmt.Errorf("opening blob %s: %w", desc.Digest, err)
	}
	defer f.Close()
	return scanTar(f, check, kept)
}

// scanLayer reads the headers of a layer stream of the given media type
// and, for a compressed one, the rest of the uncompressed stream, whose
// hash it returns (the diff_id to check). Decompression is bounded by the
// budget's ratio.
func scanLayer(r io.Reader, mediaType string, check func(h *tar.Header) error, kept *budget.Kept) ([]tarEntry, hash.Hash, error) {
	var exp budget.Expansion
	var u io.Reader
	switch mediaType {
	case MediaTypeLayerTar:
		entries, err := scanTar(r, check, kept)
		return entries, nil, err
	case MediaTypeLayerGzip, MediaTypeDockerLayerGzip:
		zr, err := gzip.NewReader(exp.Compressed(r))
		if err != nil {
			return nil, nil, fmt.Errorf("reading gzip: %w", err)
		}
		defer zr.Close()
		u = zr
	case MediaTypeLayerZstd:
		// The window bound keeps a hostile frame header from making us
		// allocate gigabytes; 128 MiB covers zstd --long (window log 27).
		zr, err := zstd.NewReader(exp.Compressed(r), zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(1<<27))
		if err != nil {
			return nil, nil, fmt.Errorf("reading zstd: %w", err)
		}
		defer zr.Close()
		u = zr
	default:
		_, err := outputLayerMediaType(mediaType)
		return nil, nil, err
	}
	diff := sha256.New()
	u = exp.Expanded(io.TeeReader(u, diff))
	entries, err := scanTar(u, check, kept)
	if err != nil {
		return nil, nil, err
	}
	// The end-of-archive blocks and any padding are part of the diff_id.
	if _, err := io.Copy(io.Discard, u); err != nil {
		return nil, nil, fmt.Errorf("reading the uncompressed layer after its tar: %w", err)
	}
	return entries, diff, nil
}
