package image

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/rules-odp/rules_odp/tools/internal/budget"
)

// baseScan reads the headers of every base layer for the masking check,
// in parallel with the rest of assemble. A compressed blob is read in full
// to decompress it, so its digest is verified on the way; an uncompressed
// one is read by seeking from header to header, so that its cost depends
// on its number of files rather than its size, unless verify.
type baseScan struct {
	wg      sync.WaitGroup
	stopped atomic.Bool
	entries [][]tarEntry
	errs    []error
}

var errScanStopped = errors.New("base layer scan stopped")

// startBaseScan starts reading the layers of img (nil: none).
func startBaseScan(img *Image, verify bool) *baseScan {
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
			s.entries[i], s.errs[i] = scanBlob(img.Layout, l, verify, &s.stopped)
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

// scanBlob reads the headers of a layer blob of layout, decompressing it
// as its media type says, and then the rest of the blob to verify it.
func scanBlob(layout string, desc Descriptor, verify bool, stopped *atomic.Bool) ([]tarEntry, error) {
	if desc.MediaType == MediaTypeLayerTar && !verify {
		return seekTar(layout, desc)
	}
	raw, err := OpenBlob(layout, desc)
	if err != nil {
		return nil, err
	}
	defer raw.Close()
	br := bufio.NewReaderSize(stoppable{raw, stopped}, 1<<20)
	entries, err := scanLayer(br, desc.MediaType)
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
func seekTar(layout string, desc Descriptor) ([]tarEntry, error) {
	p, err := blobPath(layout, desc.Digest)
	if err != nil {
		return nil, err
	}
	f, err := budget.Open(p)
	if err != nil {
		return nil, fmt.Errorf("opening blob %s: %w", desc.Digest, err)
	}
	defer f.Close()
	return scanTar(f)
}

func scanLayer(r io.Reader, mediaType string) ([]tarEntry, error) {
	switch mediaType {
	case MediaTypeLayerTar:
		return scanTar(r)
	case MediaTypeLayerGzip, MediaTypeDockerLayerGzip:
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("reading gzip: %w", err)
		}
		defer zr.Close()
		return scanTar(zr)
	case MediaTypeLayerZstd:
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, fmt.Errorf("reading zstd: %w", err)
		}
		defer zr.Close()
		return scanTar(zr)
	}
	_, err := outputLayerMediaType(mediaType)
	return nil, err
}
