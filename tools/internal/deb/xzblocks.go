package deb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"runtime"
	"slices"

	"github.com/therootcompany/xz"
)

// dpkg-deb compresses with `xz -T`, which cuts the data into independent
// blocks (24 MiB of output each at the default level) and lists them in the
// stream's index. Decoding the blocks concurrently is the one way to make a
// single xz member decompress faster than one core allows. Anything that
// is not exactly one such multi-block stream goes to the sequential
// decoder, which is the reference for what the bytes mean.

const (
	// maxXZMember caps the compressed member held in memory; a larger
	// member is decoded sequentially.
	maxXZMember = 1 << 30
	// maxXZBlock caps the uncompressed size of one block decoded in
	// parallel, since its output is held in memory whole.
	maxXZBlock = 256 << 20
	// xzAheadBytes bounds the decoded bytes held by blocks in flight,
	// beyond which no further block is started (at least one always is).
	xzAheadBytes = 128 << 20
)

var (
	xzHeaderMagic = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
	xzFooterMagic = []byte{'Y', 'Z'}
)

// xzBlock is one block of an xz stream as its index describes it.
type xzBlock struct {
	offset       int64 // of the block header in the stream
	unpadded     int64 // block header, compressed data and check
	uncompressed int64
}

// parseXZBlocks reads the footer and index of an xz file holding exactly
// one stream, with no stream padding, and returns its blocks. It returns
// an error for anything else, including what is valid xz but not that
// shape; the caller then decodes sequentially.
func parseXZBlocks(b []byte) ([]xzBlock, error) {
	const hdrLen, ftrLen = 12, 12
	if len(b) < hdrLen+ftrLen {
		return nil, errors.New("too short for an xz stream")
	}
	h := b[:hdrLen]
	if !bytes.Equal(h[:6], xzHeaderMagic) {
		return nil, errors.New("no xz stream header")
	}
	if crc32.ChecksumIEEE(h[6:8]) != binary.LittleEndian.Uint32(h[8:12]) {
		return nil, errors.New("stream header CRC32 mismatch")
	}
	if h[6] != 0 || h[7]&0xf0 != 0 {
		return nil, fmt.Errorf("unknown stream flags %#x %#x", h[6], h[7])
	}
	f := b[len(b)-ftrLen:]
	if !bytes.Equal(f[10:12], xzFooterMagic) {
		return nil, errors.New("no xz stream footer at the end (padding or trailing data)")
	}
	if crc32.ChecksumIEEE(f[4:10]) != binary.LittleEndian.Uint32(f[0:4]) {
		return nil, errors.New("stream footer CRC32 mismatch")
	}
	if !bytes.Equal(f[8:10], h[6:8]) {
		return nil, errors.New("stream footer flags differ from the header's")
	}
	indexLen := (int64(binary.LittleEndian.Uint32(f[4:8])) + 1) * 4
	indexStart := int64(len(b)) - ftrLen - indexLen
	if indexStart < hdrLen {
		return nil, fmt.Errorf("backward size %d is larger than the stream", indexLen)
	}
	index := b[indexStart : len(b)-ftrLen]
	if crc32.ChecksumIEEE(index[:len(index)-4]) != binary.LittleEndian.Uint32(index[len(index)-4:]) {
		return nil, errors.New("index CRC32 mismatch")
	}
	if index[0] != 0 {
		return nil, errors.New("no index indicator")
	}
	p := index[1 : len(index)-4]
	n, p, err := readVLI(p)
	if err != nil {
		return nil, fmt.Errorf("number of records: %w", err)
	}
	// Each record takes at least two bytes: this bounds the allocation.
	if n > uint64(len(p)/2) {
		return nil, fmt.Errorf("index claims %d records in %d bytes", n, len(p))
	}
	blocks := make([]xzBlock, 0, n)
	off := int64(hdrLen)
	for i := uint64(0); i < n; i++ {
		var u, c uint64
		if u, p, err = readVLI(p); err != nil {
			return nil, fmt.Errorf("record %d: unpadded size: %w", i, err)
		}
		if c, p, err = readVLI(p); err != nil {
			return nil, fmt.Errorf("record %d: uncompressed size: %w", i, err)
		}
		// The smallest block is a 5-byte header and one byte of data.
		if u < 5 || u > uint64(indexStart-off) {
			return nil, fmt.Errorf("record %d: unpadded size %d does not fit", i, u)
		}
		blocks = append(blocks, xzBlock{offset: off, unpadded: int64(u), uncompressed: int64(c)})
		off += (int64(u) + 3) &^ 3
		if off > indexStart {
			return nil, fmt.Errorf("record %d: block runs into the index", i)
		}
	}
	if off != indexStart {
		return nil, fmt.Errorf("blocks end at %d but the index starts at %d", off, indexStart)
	}
	if len(p) > 3 {
		return nil, errors.New("data after the index records")
	}
	for _, c := range p {
		if c != 0 {
			return nil, errors.New("non-zero index padding")
		}
	}
	return blocks, nil
}

// readVLI decodes one variable-length integer of the xz format.
func readVLI(b []byte) (uint64, []byte, error) {
	var v uint64
	for i := 0; i < 9; i++ {
		if i >= len(b) {
			return 0, nil, errors.New("truncated integer")
		}
		c := b[i]
		v |= uint64(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			if c == 0 && i > 0 {
				return 0, nil, errors.New("non-minimal integer")
			}
			return v, b[i+1:], nil
		}
	}
	return 0, nil, errors.New("integer longer than 9 bytes")
}

func appendVLI(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// blockStream returns block i of the stream in b as a one-block xz stream
// of its own: the stream header, the block, and an index and footer made
// for it. The decoder then checks the block's check and sizes as usual.
func blockStream(b []byte, blk xzBlock) io.Reader {
	hdr := b[:12]
	tail := []byte{0}
	tail = appendVLI(tail, 1)
	tail = appendVLI(tail, uint64(blk.unpadded))
	tail = appendVLI(tail, uint64(blk.uncompressed))
	for len(tail)%4 != 0 {
		tail = append(tail, 0)
	}
	tail = binary.LittleEndian.AppendUint32(tail, crc32.ChecksumIEEE(tail))
	ftr := binary.LittleEndian.AppendUint32(nil, uint32(len(tail)/4-1))
	ftr = append(ftr, hdr[6:8]...)
	tail = binary.LittleEndian.AppendUint32(tail, crc32.ChecksumIEEE(ftr))
	tail = append(tail, ftr...)
	tail = append(tail, xzFooterMagic...)
	end := blk.offset + (blk.unpadded+3)&^3
	return io.MultiReader(bytes.NewReader(hdr), bytes.NewReader(b[blk.offset:end]), bytes.NewReader(tail))
}

// decodeXZBlock decodes one block in full into buf, reallocated if it is
// too small, and checks its size.
func decodeXZBlock(b []byte, blk xzBlock, buf []byte) ([]byte, error) {
	z, err := xz.NewReader(blockStream(b, blk), maxXZDict)
	if err != nil {
		return nil, err
	}
	z.Multistream(false)
	// The index is not trusted to size the buffer up front: a few bytes
	// could claim a block of maxXZBlock. Grow it as the data comes.
	want := blk.uncompressed
	out := buf[:0]
	if n := min(want, 32*blk.unpadded+64<<10); int64(cap(out)) < n {
		out = make([]byte, 0, n)
	}
	for int64(len(out)) < want {
		if len(out) == cap(out) {
			out = slices.Grow(out, int(min(int64(cap(out)), want-int64(len(out)))))
		}
		n, err := z.Read(out[len(out):int(min(int64(cap(out)), want))])
		out = out[:len(out)+n]
		if err == io.EOF {
			return nil, fmt.Errorf("decodes to %d bytes, not the %d the index lists", len(out), want)
		}
		if err != nil {
			return nil, err
		}
	}
	// Reading to the end makes the decoder verify the check and sizes.
	var one [1]byte
	switch n, err := z.Read(one[:]); {
	case n > 0:
		return nil, fmt.Errorf("decodes to more than the %d bytes the index lists", blk.uncompressed)
	case err != io.EOF:
		return nil, noEOF(err)
	}
	return out, nil
}

// xzBlockReader delivers the blocks of one stream in order while decoding
// those ahead concurrently. Each decoding goroutine sends to a channel of
// its own with room for the result, so it finishes even if the reader is
// abandoned: nothing leaks but garbage.
type xzBlockReader struct {
	src     []byte
	blocks  []xzBlock
	next    int // first block not started
	pending []chan xzResult
	ahead   int64  // uncompressed bytes of the pending blocks
	cur     []byte // the unread part of block
	block   []byte
	free    []byte // the buffer of the last block read, for reuse
	workers int
	err     error
}

type xzResult struct {
	out []byte
	err error
}

func newXZBlockReader(src []byte, blocks []xzBlock) *xzBlockReader {
	return &xzBlockReader{src: src, blocks: blocks, workers: max(runtime.GOMAXPROCS(0), 1)}
}

func (r *xzBlockReader) start() {
	for r.next < len(r.blocks) && len(r.pending) < r.workers {
		blk := r.blocks[r.next]
		if len(r.pending) > 0 && r.ahead+blk.uncompressed > xzAheadBytes {
			return
		}
		ch := make(chan xzResult, 1)
		buf := r.free
		r.free = nil
		go func(i int) {
			out, err := decodeXZBlock(r.src, blk, buf)
			if err != nil {
				err = fmt.Errorf("xz block %d of %d (at offset %d): %w", i, len(r.blocks), blk.offset, err)
			}
			ch <- xzResult{out, err}
		}(r.next)
		r.pending = append(r.pending, ch)
		r.ahead += blk.uncompressed
		r.next++
	}
}

func (r *xzBlockReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if r.block != nil {
			// Read copies out, so the drained buffer can be reused.
			r.free, r.block = r.block[:0], nil
		}
		if r.err != nil {
			return 0, r.err
		}
		r.start()
		if len(r.pending) == 0 {
			r.err = io.EOF
			return 0, r.err
		}
		res := <-r.pending[0]
		r.pending = r.pending[1:]
		r.ahead -= int64(len(res.out))
		if res.err != nil {
			r.err = res.err
			return 0, r.err
		}
		r.cur, r.block = res.out, res.out
		// Start the next block now, not when this one is drained.
		r.start()
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// newXZReader decodes the xz member read from src, in parallel if it is a
// single stream of several blocks, sequentially otherwise. size, the
// member's size from the ar header, sizes the buffer once: growing it by
// doubling costs a page-faulted copy per step (a third of the run time for
// openjdk's 40 MB member).
func newXZReader(src io.Reader, size int64) (io.Reader, error) {
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
		if blocks, err := parseXZBlocks(b); err == nil && len(blocks) > 1 && blocksFit(blocks) {
			return newXZBlockReader(b, blocks), nil
		}
	}
	// The sequential decoder sees exactly the bytes it would have read.
	z, err := xz.NewReader(io.MultiReader(bytes.NewReader(b), src), maxXZDict)
	if err != nil {
		return nil, err
	}
	z.Multistream(true)
	return z, nil
}

func blocksFit(blocks []xzBlock) bool {
	for _, blk := range blocks {
		if blk.uncompressed > maxXZBlock {
			return false
		}
	}
	return true
}
