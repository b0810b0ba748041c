// Package xzdec decodes the xz files Debian packages carry — one stream of
// LZMA2 blocks with an integrity check — into memory, fast: straight into
// one output buffer (the dictionary is the output, nothing is copied out of
// a ring buffer) and, when dpkg-deb's `xz -T` cut the stream into several
// blocks, all blocks at once.
//
// It is deliberately narrow. Anything else that is valid xz (several
// streams, stream padding, filters other than a lone LZMA2, no integrity
// check) is ErrUnsupported, and callers decode it with a general decoder.
// Because a block is only accepted when its CRC32, CRC64 or SHA-256
// matches, a defect here can cost speed (the caller falls back) but cannot
// change the bytes a caller receives.
package xzdec

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"runtime"
	"sync"

	"github.com/rules-odp/rules_odp/tools/internal/bigbuf"
)

// ErrUnsupported is returned for input outside what this package decodes;
// it may still be valid xz.
var ErrUnsupported = errors.New("xz shape not supported by the fast decoder")

var (
	headerMagic = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
	footerMagic = []byte{'Y', 'Z'}
	crc64Table  = crc64.MakeTable(crc64.ECMA)
)

const (
	lzma2FilterID = 0x21
	// padding is how far past a chunk's data the decoder may read before
	// it notices that the chunk ended early (maxSymbol, plus the final
	// normalisation).
	padding = maxSymbol + 8
)

// Block is one block of an xz stream as its index describes it.
type Block struct {
	Offset       int64 // of the block header in the stream
	Unpadded     int64 // block header, compressed data and check
	Uncompressed int64
}

// Stream is the layout of a single-stream xz file, read from its header,
// footer and index.
type Stream struct {
	Blocks []Block
	// Check is the stream's check type (0 none, 1 CRC32, 4 CRC64,
	// 10 SHA-256).
	Check byte
}

// ParseStream reads the header, footer and index of an xz file holding
// exactly one stream, with no stream padding. It returns an error for
// anything else, including what is valid xz but not that shape.
func ParseStream(b []byte) (*Stream, error) {
	const hdrLen, ftrLen = 12, 12
	if len(b) < hdrLen+ftrLen {
		return nil, errors.New("too short for an xz stream")
	}
	h := b[:hdrLen]
	if !bytes.Equal(h[:6], headerMagic) {
		return nil, errors.New("no xz stream header")
	}
	if crc32.ChecksumIEEE(h[6:8]) != binary.LittleEndian.Uint32(h[8:12]) {
		return nil, errors.New("stream header CRC32 mismatch")
	}
	if h[6] != 0 || h[7]&0xf0 != 0 {
		return nil, fmt.Errorf("unknown stream flags %#x %#x", h[6], h[7])
	}
	f := b[len(b)-ftrLen:]
	if !bytes.Equal(f[10:12], footerMagic) {
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
	s := &Stream{Blocks: make([]Block, 0, n), Check: h[7]}
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
		if c > 1<<62 {
			return nil, fmt.Errorf("record %d: uncompressed size %d is out of range", i, c)
		}
		s.Blocks = append(s.Blocks, Block{Offset: off, Unpadded: int64(u), Uncompressed: int64(c)})
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
	return s, nil
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

// checkSize is the size of the check field, for the check types decoded.
func checkSize(check byte) (int, bool) {
	switch check {
	case 0x01:
		return 4, true
	case 0x04:
		return 8, true
	case 0x0a:
		return 32, true
	}
	return 0, false
}

// Decode decodes b, which must be exactly one xz stream (ParseStream), into
// one buffer. maxOut bounds the output the index may announce and maxDict
// the dictionary a block header may ask for; beyond either, and for any
// shape outside this package's, the error wraps ErrUnsupported. Blocks are
// decoded concurrently, each into its own part of the buffer.
func Decode(b []byte, maxOut int64, maxDict uint32) ([]byte, error) {
	s, err := ParseStream(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	if _, ok := checkSize(s.Check); !ok {
		return nil, fmt.Errorf("%w: check type %#x", ErrUnsupported, s.Check)
	}
	starts := make([]int64, len(s.Blocks)+1)
	for i, blk := range s.Blocks {
		starts[i+1] = starts[i] + blk.Uncompressed
		if starts[i+1] > maxOut {
			return nil, fmt.Errorf("%w: the index announces more than %d bytes", ErrUnsupported, maxOut)
		}
	}
	out := bigbuf.Make(int(starts[len(s.Blocks)]))
	errs := make([]error, len(s.Blocks))
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := min(runtime.GOMAXPROCS(0), len(s.Blocks)); w > 0; w-- {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := &blockDecoder{maxDict: maxDict, check: s.Check}
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(s.Blocks) {
					return
				}
				blk := s.Blocks[i]
				end := blk.Offset + (blk.Unpadded+3)&^3
				if err := d.decode(b[blk.Offset:end], blk.Unpadded, out[starts[i]:starts[i+1]]); err != nil {
					errs[i] = fmt.Errorf("block %d of %d (at offset %d): %w", i, len(s.Blocks), blk.Offset, err)
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

type blockDecoder struct {
	maxDict uint32
	check   byte
	lzma    lzma
	scratch []byte
}

// decode decodes one block: b is the block including its padding and
// check, unpadded its size without the padding, out exactly its output.
func (d *blockDecoder) decode(b []byte, unpadded int64, out []byte) error {
	if len(b) < 1 || b[0] == 0 {
		return errors.New("no block header")
	}
	hdrSize := (int(b[0]) + 1) * 4
	if hdrSize > len(b) {
		return errors.New("block header runs past the block")
	}
	hdr := b[:hdrSize]
	if crc32.ChecksumIEEE(hdr[:hdrSize-4]) != binary.LittleEndian.Uint32(hdr[hdrSize-4:]) {
		return errors.New("block header CRC32 mismatch")
	}
	flags := hdr[1]
	if flags&0x3c != 0 {
		return fmt.Errorf("reserved block flags %#x", flags)
	}
	if flags&3 != 0 {
		return fmt.Errorf("%w: %d filters", ErrUnsupported, flags&3+1)
	}
	p := hdr[2 : hdrSize-4]
	var err error
	compressed, uncompressed := uint64(0), uint64(0)
	if flags&0x40 != 0 {
		if compressed, p, err = readVLI(p); err != nil || compressed == 0 {
			return fmt.Errorf("block header: compressed size: %v", err)
		}
	}
	if flags&0x80 != 0 {
		if uncompressed, p, err = readVLI(p); err != nil {
			return fmt.Errorf("block header: uncompressed size: %w", err)
		}
		if uncompressed != uint64(len(out)) {
			return fmt.Errorf("block header says %d bytes, the index %d", uncompressed, len(out))
		}
	}
	id, p, err := readVLI(p)
	if err != nil {
		return fmt.Errorf("block header: filter: %w", err)
	}
	if id != lzma2FilterID {
		return fmt.Errorf("%w: filter %#x", ErrUnsupported, id)
	}
	propsLen, p, err := readVLI(p)
	if err != nil || propsLen != 1 || len(p) < 1 {
		return errors.New("block header: bad LZMA2 properties")
	}
	dictBits := p[0]
	if dictBits > 40 {
		return fmt.Errorf("LZMA2 dictionary size byte %d", dictBits)
	}
	dictSize := uint32(0xFFFFFFFF)
	if dictBits < 40 {
		dictSize = (2 | uint32(dictBits)&1) << (dictBits/2 + 11)
	}
	if dictSize > d.maxDict {
		return fmt.Errorf("%w: dictionary of %d bytes", ErrUnsupported, dictSize)
	}
	for _, c := range p[1:] {
		if c != 0 {
			return errors.New("block header: non-zero padding")
		}
	}
	cs, _ := checkSize(d.check)
	dataLen := unpadded - int64(hdrSize) - int64(cs)
	if dataLen <= 0 || (compressed != 0 && compressed != uint64(dataLen)) {
		return fmt.Errorf("block sizes disagree (header %d, index %d)", compressed, dataLen)
	}
	data := b[hdrSize : int64(hdrSize)+dataLen]
	if err := d.lzma2(data, b[hdrSize:], out, dictSize); err != nil {
		return err
	}
	for _, c := range b[int64(hdrSize)+dataLen : len(b)-cs] {
		if c != 0 {
			return errors.New("non-zero block padding")
		}
	}
	want := b[len(b)-cs:]
	var h hash.Hash
	switch d.check {
	case 0x01:
		h = crc32.NewIEEE()
	case 0x04:
		h = crc64.New(crc64Table)
	default:
		h = sha256.New()
	}
	h.Write(out)
	got := h.Sum(nil)
	if d.check != 0x0a {
		// CRC32 and CRC64 are stored little-endian; Sum is big-endian.
		for i, j := 0, len(got)-1; i < j; i, j = i+1, j-1 {
			got[i], got[j] = got[j], got[i]
		}
	}
	if !bytes.Equal(got, want) {
		return errors.New("block check mismatch: the data is corrupt")
	}
	return nil
}

// lzma2 decodes the LZMA2 chunks in data (exactly the block's compressed
// data) into out, which they must fill exactly. rest is data followed by
// whatever comes after it in the stream, readable as padding.
func (d *blockDecoder) lzma2(data, rest, out []byte, dictSize uint32) error {
	s := &d.lzma
	pos, dictStart := 0, 0
	needDictReset, needProps := true, true
	for ip := 0; ; {
		if ip >= len(data) {
			return fmt.Errorf("%w: LZMA2 data ends without an end marker", errCorrupt)
		}
		control := data[ip]
		ip++
		if control == 0x00 {
			if ip != len(data) {
				return fmt.Errorf("%w: data after the LZMA2 end marker", errCorrupt)
			}
			if pos != len(out) {
				return fmt.Errorf("%w: decodes to %d bytes, not the %d the index lists", errCorrupt, pos, len(out))
			}
			return nil
		}
		if control >= 0xe0 || control == 0x01 {
			needProps, needDictReset = true, false
			dictStart = pos
		} else if needDictReset {
			return fmt.Errorf("%w: the first LZMA2 chunk does not reset the dictionary", errCorrupt)
		}
		if control < 0x80 {
			if control > 0x02 {
				return fmt.Errorf("%w: LZMA2 control byte %#x", errCorrupt, control)
			}
			if ip+2 > len(data) {
				return fmt.Errorf("%w: truncated chunk header", errCorrupt)
			}
			n := int(binary.BigEndian.Uint16(data[ip:])) + 1
			ip += 2
			if n > len(data)-ip || n > len(out)-pos {
				return fmt.Errorf("%w: uncompressed chunk of %d bytes does not fit", errCorrupt, n)
			}
			copy(out[pos:], data[ip:ip+n])
			pos += n
			ip += n
			continue
		}
		if ip+4 > len(data) {
			return fmt.Errorf("%w: truncated chunk header", errCorrupt)
		}
		un := int(control&0x1f)<<16 + int(binary.BigEndian.Uint16(data[ip:])) + 1
		cn := int(binary.BigEndian.Uint16(data[ip+2:])) + 1
		ip += 4
		switch {
		case control >= 0xc0:
			if ip >= len(data) {
				return fmt.Errorf("%w: truncated chunk header", errCorrupt)
			}
			if err := s.setProps(data[ip]); err != nil {
				return err
			}
			ip++
			needProps = false
			s.reset()
		case needProps:
			return fmt.Errorf("%w: LZMA chunk without properties", errCorrupt)
		case control >= 0xa0:
			s.reset()
		}
		if cn > len(data)-ip || un > len(out)-pos {
			return fmt.Errorf("%w: LZMA chunk (%d -> %d bytes) does not fit", errCorrupt, cn, un)
		}
		in := rest[ip:]
		if len(in) < cn+padding {
			d.scratch = append(append(d.scratch[:0], data[ip:ip+cn]...), make([]byte, padding)...)
			in = d.scratch
		}
		if err := s.decodeChunk(in, cn, out, pos, pos+un, dictStart, dictSize); err != nil {
			return err
		}
		pos += un
		ip += cn
	}
}
