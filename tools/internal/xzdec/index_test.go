package xzdec

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"strings"
	"testing"
)

func appendVLI(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// rewriteIndex replaces the index and footer of a one-stream file.
func rewriteIndex(t *testing.T, b []byte, blocks []Block) []byte {
	t.Helper()
	last := blocks[len(blocks)-1]
	end := last.Offset + (last.Unpadded+3)&^3
	idx := appendVLI([]byte{0}, uint64(len(blocks)))
	for _, blk := range blocks {
		idx = appendVLI(appendVLI(idx, uint64(blk.Unpadded)), uint64(blk.Uncompressed))
	}
	for len(idx)%4 != 0 {
		idx = append(idx, 0)
	}
	idx = binary.LittleEndian.AppendUint32(idx, crc32.ChecksumIEEE(idx))
	ftr := binary.LittleEndian.AppendUint32(nil, uint32(len(idx)/4-1))
	ftr = append(ftr, b[6:8]...)
	out := append(bytes.Clone(b[:end]), idx...)
	out = binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE(ftr))
	return append(append(out, ftr...), 'Y', 'Z')
}

// TestDecodeBadStructure damages the index, the footer and single blocks
// of a valid multi-block stream: Decode fails, naming the block where one
// is at fault, exactly where the reference decoder fails too.
func TestDecodeBadStructure(t *testing.T) {
	good := xzCompress(t, corpus(200<<10, 5)["binary"], "--block-size=50000")
	s, err := ParseStream(good)
	if err != nil {
		t.Fatal(err)
	}
	blocks := s.Blocks
	if len(blocks) < 3 {
		t.Fatalf("got %d blocks, want at least 3", len(blocks))
	}
	if b := rewriteIndex(t, good, blocks); !bytes.Equal(b, good) {
		t.Fatal("rewriteIndex does not reproduce the index xz wrote")
	}
	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	reindex := func(f func(bs []Block)) []byte {
		bs := append([]Block(nil), blocks...)
		f(bs)
		return rewriteIndex(t, good, bs)
	}
	for _, tc := range []struct {
		name    string
		b       []byte
		wantErr string
	}{
		{"flipped byte in block 1", edit(func(b []byte) []byte {
			b[blocks[1].Offset+blocks[1].Unpadded/2] ^= 0x55
			return b
		}), "block 1 of"},
		{"flipped check of block 2", edit(func(b []byte) []byte {
			b[blocks[2].Offset+blocks[2].Unpadded-1] ^= 1
			return b
		}), "block 2 of"},
		{"flipped block header", edit(func(b []byte) []byte {
			b[blocks[0].Offset+2] ^= 1
			return b
		}), "block 0 of"},
		{"index lists a larger block", reindex(func(bs []Block) { bs[1].Uncompressed++ }), "block 1 of"},
		{"index lists a smaller block", reindex(func(bs []Block) { bs[0].Uncompressed-- }), "block 0 of"},
		{"index with a wrong unpadded size", reindex(func(bs []Block) { bs[0].Unpadded -= 4; bs[1].Unpadded += 4 }), "block 0 of"},
		{"truncated index", edit(func(b []byte) []byte { return append(b[:len(b)-16], b[len(b)-12:]...) }), "xz shape"},
		{"truncated", edit(func(b []byte) []byte { return b[:len(b)-1] }), "xz shape"},
		{"bad footer CRC32", edit(func(b []byte) []byte { b[len(b)-12] ^= 1; return b }), "footer CRC32"},
		{"bad footer magic", edit(func(b []byte) []byte { b[len(b)-1] = 'X'; return b }), "no xz stream footer"},
		{"flipped byte in index", edit(func(b []byte) []byte { b[len(b)-16] ^= 1; return b }), "index CRC32"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := reference(tc.b); err == nil {
				t.Error("the reference decoder accepts the input; the test is wrong")
			}
			_, err := Decode(tc.b, 1<<30, 1<<30)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not contain %q", err, tc.wantErr)
			}
		})
	}
}

func FuzzParseStream(f *testing.F) {
	data := corpus(8<<10, 6)["text"]
	f.Add(xzCompress(f, data, "--block-size=2000"))
	f.Add(xzCompress(f, data, "--block-size=2000", "-C", "crc32"))
	f.Add(xzCompress(f, data))
	f.Add(xzCompress(f, nil))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseStream(b)
		if err != nil {
			return
		}
		off := int64(12)
		for i, blk := range s.Blocks {
			if blk.Offset != off || blk.Unpadded < 5 || blk.Uncompressed < 0 {
				t.Fatalf("block %d = %+v, want it at %d", i, blk, off)
			}
			off += (blk.Unpadded + 3) &^ 3
		}
		if off > int64(len(b))-12 {
			t.Fatalf("blocks end at %d, past the index of a %d-byte stream", off, len(b))
		}
	})
}
