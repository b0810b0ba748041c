package jarnorm

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/rules-odp/rules_odp/tools/internal/budget"
)

const (
	localHeaderSig   = 0x04034b50
	centralHeaderSig = 0x02014b50
	descriptorSig    = 0x08074b50
	endSig           = 0x06054b50
	zip64LocatorSig  = 0x07064b50
	zip64EndSig      = 0x06064b50

	localHeaderLen = 30
	endLen         = 22
	uint32max      = 1<<32 - 1

	flagEncrypted       = 0x1
	flagDescriptor      = 0x8
	flagStrongEncrypted = 0x40
	flagMaskedHeaders   = 0x2000
)

// readArchive opens a zip and checks that it is a plain, consistent one
// (see the package documentation). It returns the entries in central
// directory order.
func readArchive(r io.ReaderAt, size int64) ([]*zip.File, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("reading zip: %w", err)
	}
	byName := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		if err := checkEntry(f); err != nil {
			return nil, err
		}
		if byName[f.Name] != nil {
			return nil, fmt.Errorf("entry %q appears twice; readers disagree on which one wins", f.Name)
		}
		byName[f.Name] = f
	}
	end, err := walkLocalHeaders(r, size, zr.File, byName)
	if err != nil {
		return nil, err
	}
	dirStart, err := checkEnd(r, size, len(zr.File))
	if err != nil {
		return nil, err
	}
	if end != dirStart {
		return nil, fmt.Errorf("%d unexplained bytes between the last entry (ends at offset %d) and the central directory (offset %d)", dirStart-end, end, dirStart)
	}
	return zr.File, nil
}

func checkEntry(f *zip.File) error {
	if err := checkName(f.Name); err != nil {
		return err
	}
	switch {
	case f.Flags&(flagEncrypted|flagStrongEncrypted|flagMaskedHeaders) != 0:
		return fmt.Errorf("entry %q is encrypted", f.Name)
	case f.Method != zip.Store && f.Method != zip.Deflate:
		return fmt.Errorf("entry %q uses compression method %d; only STORED (0) and DEFLATED (8) are supported", f.Name, f.Method)
	case f.CompressedSize64 >= uint32max || f.UncompressedSize64 >= uint32max:
		return fmt.Errorf("entry %q is 4 GiB or larger (zip64), which is not supported", f.Name)
	case strings.HasSuffix(f.Name, "/") && f.UncompressedSize64 != 0:
		return fmt.Errorf("directory entry %q has %d bytes of content", f.Name, f.UncompressedSize64)
	case f.Method == zip.Store && f.CompressedSize64 != f.UncompressedSize64:
		return fmt.Errorf("stored entry %q has compressed size %d but uncompressed size %d", f.Name, f.CompressedSize64, f.UncompressedSize64)
	}
	return nil
}

// checkName refuses names that escape the extraction directory or that
// readers would interpret differently.
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("entry with an empty name")
	case !utf8.ValidString(name):
		return fmt.Errorf("entry name %q is not valid UTF-8", name)
	case strings.ContainsRune(name, 0):
		return fmt.Errorf("entry name %q contains a NUL byte", name)
	case strings.Contains(name, `\`):
		return fmt.Errorf("entry name %q contains a backslash", name)
	case strings.HasPrefix(name, "/"):
		return fmt.Errorf("entry name %q is absolute", name)
	}
	for _, elem := range strings.Split(strings.TrimSuffix(name, "/"), "/") {
		switch elem {
		case "..":
			return fmt.Errorf("entry name %q contains \"..\"", name)
		case ".", "":
			return fmt.Errorf("entry name %q is not clean (empty or \".\" element)", name)
		}
	}
	return nil
}

// readAt reads exactly len(buf) bytes at off.
func readAt(r io.ReaderAt, size int64, buf []byte, off int64, what string) error {
	if off < 0 || off > size || int64(len(buf)) > size-off {
		return fmt.Errorf("%s at offset %d runs past the end of the file (%d bytes)", what, off, size)
	}
	if _, err := r.ReadAt(buf, off); err != nil && !(errors.Is(err, io.EOF) && off+int64(len(buf)) == size) {
		return fmt.Errorf("reading %s at offset %d: %w", what, off, err)
	}
	return nil
}

// walkLocalHeaders reads the local headers one after the other from the
// start of the file, the way a streaming reader (JarInputStream) sees the
// jar, and checks each against the central directory, order included: the
// entry order decides which class wins where a class path is built from it
// (Spring Boot without BOOT-INF/classpath.idx), so both views must agree on
// it. It returns the offset just past the last entry.
func walkLocalHeaders(r io.ReaderAt, size int64, files []*zip.File, byName map[string]*zip.File) (int64, error) {
	var off int64
	n := len(files)
	seen := make(map[string]bool, n)
	for i := 0; i < n; i++ {
		var h [localHeaderLen]byte
		if err := readAt(r, size, h[:], off, "local file header"); err != nil {
			return 0, err
		}
		if sig := binary.LittleEndian.Uint32(h[0:]); sig != localHeaderSig {
			if off == 0 {
				return 0, errors.New("the file does not start with a zip entry (is something such as a launch script prepended?)")
			}
			return 0, fmt.Errorf("unexpected bytes at offset %d where the local header of entry %d of %d should be", off, i+1, n)
		}
		flags := binary.LittleEndian.Uint16(h[6:])
		method := binary.LittleEndian.Uint16(h[8:])
		crc := binary.LittleEndian.Uint32(h[14:])
		csize := binary.LittleEndian.Uint32(h[18:])
		usize := binary.LittleEndian.Uint32(h[22:])
		nameLen := int64(binary.LittleEndian.Uint16(h[26:]))
		extraLen := int64(binary.LittleEndian.Uint16(h[28:]))
		nameBuf := make([]byte, nameLen)
		if err := readAt(r, size, nameBuf, off+localHeaderLen, "entry name"); err != nil {
			return 0, err
		}
		name := string(nameBuf)
		f := byName[name]
		if f == nil {
			return 0, fmt.Errorf("local header at offset %d names %q, which the central directory does not list", off, name)
		}
		if seen[name] {
			return 0, fmt.Errorf("entry %q has two local headers", name)
		}
		seen[name] = true
		if files[i] != f {
			return 0, fmt.Errorf("local header %d of %d names %q, but the central directory lists %q there: "+
				"streaming readers (JarInputStream) and the central directory (JarFile, Spring Boot) would see the entries in different orders", i+1, n, name, files[i].Name)
		}
		dataOff := off + localHeaderLen + nameLen + extraLen
		if want, err := f.DataOffset(); err != nil {
			return 0, fmt.Errorf("entry %q: %w", name, err)
		} else if want != dataOff {
			return 0, fmt.Errorf("the central directory entry for %q points to another local header than the one at offset %d", name, off)
		}
		const checked = flagEncrypted | flagDescriptor | flagStrongEncrypted
		if flags&checked != f.Flags&checked || method != f.Method {
			return 0, fmt.Errorf("entry %q: local header (flags %#x, method %d) disagrees with the central directory (flags %#x, method %d)", name, flags, method, f.Flags, f.Method)
		}
		if csize == uint32max || usize == uint32max {
			return 0, fmt.Errorf("entry %q: zip64 sizes in the local header are not supported", name)
		}
		next := dataOff + int64(f.CompressedSize64)
		if flags&flagDescriptor == 0 {
			if crc != f.CRC32 || uint64(csize) != f.CompressedSize64 || uint64(usize) != f.UncompressedSize64 {
				return 0, fmt.Errorf("entry %q: local header (crc %#08x, sizes %d/%d) disagrees with the central directory (crc %#08x, sizes %d/%d)",
					name, crc, csize, usize, f.CRC32, f.CompressedSize64, f.UncompressedSize64)
			}
		} else {
			// Streaming writers put zeros in the local header; anything
			// else must agree with the central directory.
			if (crc != 0 && crc != f.CRC32) || (csize != 0 && uint64(csize) != f.CompressedSize64) || (usize != 0 && uint64(usize) != f.UncompressedSize64) {
				return 0, fmt.Errorf("entry %q: local header (crc %#08x, sizes %d/%d) disagrees with the central directory (crc %#08x, sizes %d/%d)",
					name, crc, csize, usize, f.CRC32, f.CompressedSize64, f.UncompressedSize64)
			}
			l, err := checkDescriptor(r, size, next, f)
			if err != nil {
				return 0, err
			}
			next += l
		}
		off = next
	}
	return off, nil
}

// checkDescriptor compares the data descriptor at off with the central
// directory and returns its length.
func checkDescriptor(r io.ReaderAt, size, off int64, f *zip.File) (int64, error) {
	var d [16]byte
	n := int64(len(d))
	if off < 0 || off > size {
		// The central directory's compressed size points past the file.
		return 0, fmt.Errorf("entry %q: data descriptor at offset %d is past the end of the file (%d bytes)", f.Name, off, size)
	}
	if size-off < n {
		n = size - off
	}
	if err := readAt(r, size, d[:n], off, "data descriptor of "+f.Name); err != nil {
		return 0, err
	}
	b, l := d[:n], int64(12)
	if n >= 4 && binary.LittleEndian.Uint32(b) == descriptorSig {
		b, l = b[4:], 16
	}
	if int64(len(b)) < 12 {
		return 0, fmt.Errorf("entry %q: data descriptor at offset %d runs past the end of the file", f.Name, off)
	}
	crc := binary.LittleEndian.Uint32(b[0:])
	csize := binary.LittleEndian.Uint32(b[4:])
	usize := binary.LittleEndian.Uint32(b[8:])
	if crc != f.CRC32 || uint64(csize) != f.CompressedSize64 || uint64(usize) != f.UncompressedSize64 {
		return 0, fmt.Errorf("entry %q: data descriptor (crc %#08x, sizes %d/%d) disagrees with the central directory (crc %#08x, sizes %d/%d)",
			f.Name, crc, csize, usize, f.CRC32, f.CompressedSize64, f.UncompressedSize64)
	}
	return l, nil
}

// checkEnd finds the end of central directory record the way archive/zip
// does, requires it to end the file exactly, and returns where the central
// directory starts.
func checkEnd(r io.ReaderAt, size int64, entries int) (int64, error) {
	tailLen := int64(endLen + 0xffff)
	if tailLen > size {
		tailLen = size
	}
	tail := make([]byte, tailLen)
	if err := readAt(r, size, tail, size-tailLen, "end of central directory"); err != nil {
		return 0, err
	}
	pos := -1
	for i := len(tail) - endLen; i >= 0; i-- {
		if binary.LittleEndian.Uint32(tail[i:]) == endSig {
			if commentLen := int(binary.LittleEndian.Uint16(tail[i+20:])); i+endLen+commentLen <= len(tail) {
				if i+endLen+commentLen != len(tail) {
					return 0, fmt.Errorf("%d bytes of trailing data after the end of central directory record", len(tail)-(i+endLen+commentLen))
				}
				pos = i
				break
			}
		}
	}
	if pos < 0 {
		return 0, errors.New("no end of central directory record")
	}
	e := tail[pos:]
	endOff := size - tailLen + int64(pos)
	disk, dirDisk := binary.LittleEndian.Uint16(e[4:]), binary.LittleEndian.Uint16(e[6:])
	onDisk, total := uint64(binary.LittleEndian.Uint16(e[8:])), uint64(binary.LittleEndian.Uint16(e[10:]))
	dirSize, dirOff := uint64(binary.LittleEndian.Uint32(e[12:])), uint64(binary.LittleEndian.Uint32(e[16:]))
	dirEnd := uint64(endOff)
	if onDisk == 0xffff || total == 0xffff || dirSize == uint32max || dirOff == uint32max {
		var loc [20]byte
		if err := readAt(r, size, loc[:], endOff-20, "zip64 end of central directory locator"); err != nil {
			return 0, err
		}
		if binary.LittleEndian.Uint32(loc[0:]) != zip64LocatorSig {
			return 0, errors.New("end of central directory record asks for zip64 but there is no zip64 locator")
		}
		recOff := int64(binary.LittleEndian.Uint64(loc[8:]))
		var rec [56]byte
		if err := readAt(r, size, rec[:], recOff, "zip64 end of central directory record"); err != nil {
			return 0, err
		}
		if binary.LittleEndian.Uint32(rec[0:]) != zip64EndSig {
			return 0, fmt.Errorf("no zip64 end of central directory record at offset %d", recOff)
		}
		if recOff+12+int64(binary.LittleEndian.Uint64(rec[4:])) != endOff-20 { // the size field excludes the leading 12 bytes
			return 0, errors.New("unexplained bytes around the zip64 end of central directory record")
		}
		disk, dirDisk = uint16(binary.LittleEndian.Uint32(rec[16:])), uint16(binary.LittleEndian.Uint32(rec[20:]))
		onDisk, total = binary.LittleEndian.Uint64(rec[24:]), binary.LittleEndian.Uint64(rec[32:])
		dirSize, dirOff = binary.LittleEndian.Uint64(rec[40:]), binary.LittleEndian.Uint64(rec[48:])
		dirEnd = uint64(recOff)
	}
	switch {
	case disk != 0 || dirDisk != 0 || onDisk != total:
		return 0, errors.New("multi-disk zips are not supported")
	case total != uint64(entries):
		return 0, fmt.Errorf("end of central directory record counts %d entries, the central directory holds %d", total, entries)
	case dirOff > dirEnd || dirEnd-dirOff != dirSize:
		return 0, fmt.Errorf("central directory (offset %d, size %d) does not end where the end record starts (offset %d)", dirOff, dirSize, dirEnd)
	}
	return int64(dirOff), nil
}

// verify decompresses f fully and checks its content against the central
// directory; with keep it also returns the content. What it inflates is
// charged to exp.
func verify(f *zip.File, keep bool, exp *budget.Expansion) ([]byte, error) {
	raw, err := f.OpenRaw()
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(f.Name, "/") && f.Method == zip.Store {
		if f.CompressedSize64 != 0 {
			return nil, fmt.Errorf("directory entry %q has data", f.Name)
		}
		return nil, nil
	}
	counted := &countingReader{r: raw}
	var content io.Reader = counted
	var br *bufio.Reader
	if f.Method == zip.Deflate {
		// flate reads through an io.ByteReader without over-reading, so
		// the bytes it consumed can be counted exactly.
		br = bufio.NewReader(counted)
		fr := flate.NewReader(br)
		defer fr.Close()
		content = exp.Expanded(fr)
	}
	h := crc32.NewIEEE()
	var w io.Writer = h
	var buf *bytes.Buffer
	if keep {
		// The declared size is not trusted for the allocation.
		buf = bytes.NewBuffer(make([]byte, 0, min(f.UncompressedSize64, 1<<20)))
		w = io.MultiWriter(h, buf)
	}
	n, err := io.Copy(w, io.LimitReader(content, int64(f.UncompressedSize64)+1))
	if err != nil {
		return nil, fmt.Errorf("entry %q: %w", f.Name, err)
	}
	if uint64(n) != f.UncompressedSize64 {
		return nil, fmt.Errorf("entry %q holds %d bytes, the central directory says %d", f.Name, n, f.UncompressedSize64)
	}
	if br != nil {
		if used := counted.n - int64(br.Buffered()); uint64(used) != f.CompressedSize64 {
			return nil, fmt.Errorf("entry %q: the deflate stream ends after %d of its %d compressed bytes", f.Name, used, f.CompressedSize64)
		}
	}
	if got := h.Sum32(); got != f.CRC32 {
		return nil, fmt.Errorf("entry %q: CRC-32 is %#08x, the central directory says %#08x", f.Name, got, f.CRC32)
	}
	if buf == nil {
		return nil, nil
	}
	return buf.Bytes(), nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
