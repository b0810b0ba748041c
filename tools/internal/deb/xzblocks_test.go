package deb

// An internal test: the block reader is an implementation detail of
// openStream, and the parser it fuzzes is unexported.

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"hash/crc32"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/therootcompany/xz"

	"github.com/rules-odp/rules_odp/tools/internal/ar"
	"github.com/rules-odp/rules_odp/tools/internal/testdeb"
)

// xzCompress runs the real xz on data.
func xzCompress(t testing.TB, data []byte, args ...string) []byte {
	t.Helper()
	bin, err := exec.LookPath("xz")
	if err != nil {
		testdeb.Unavailable(t, "xz is not installed")
	}
	var out, stderr bytes.Buffer
	cmd := exec.Command(bin, append([]string{"-c", "-z"}, args...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(data), &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("xz %q: %v\n%s", args, err, stderr.Bytes())
	}
	return out.Bytes()
}

// sample is compressible but not trivially so.
func sample(n int) []byte {
	rng := rand.New(rand.NewSource(1))
	words := strings.Fields("usr lib jvm java 17 openjdk amd64 bin share doc conf security policy")
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString(words[rng.Intn(len(words))])
		b.WriteByte(byte(rng.Intn(256)))
	}
	return b.Bytes()[:n]
}

func sequential(b []byte) ([]byte, error) {
	z, err := xz.NewReader(bytes.NewReader(b), maxXZDict)
	if err != nil {
		return nil, err
	}
	z.Multistream(true)
	return io.ReadAll(z)
}

// parallel decodes b with newXZReader and says whether it took the
// parallel path.
func parallel(b []byte) ([]byte, bool, error) {
	r, err := newXZReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, false, err
	}
	_, isPar := r.(*xzBlockReader)
	out, err := io.ReadAll(r)
	return out, isPar, err
}

func TestXZBlocksRealPackage(t *testing.T) {
	f, err := os.Open(testdeb.Fetch(t, "openjdk-17-jre-headless"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a := ar.NewReader(f)
	var member []byte
	for {
		h, err := a.Next()
		if err != nil {
			t.Fatalf("looking for data.tar.xz: %v", err)
		}
		if h.Name == "data.tar.xz" {
			if member, err = io.ReadAll(a); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	blocks, err := parseXZBlocks(member)
	if err != nil {
		t.Fatalf("parseXZBlocks: %v", err)
	}
	if len(blocks) < 2 {
		t.Fatalf("got %d blocks, want a multi-block stream", len(blocks))
	}
	want, err := sequential(member)
	if err != nil {
		t.Fatal(err)
	}
	got, isPar, err := parallel(member)
	if err != nil {
		t.Fatal(err)
	}
	if !isPar {
		t.Error("the parallel decoder was not used")
	}
	if w, g := sha256.Sum256(want), sha256.Sum256(got); w != g {
		t.Errorf("sha256 of parallel output = %x (%d bytes), want %x (%d bytes)", g, len(got), w, len(want))
	}
}

func TestXZBlocksSynthetic(t *testing.T) {
	data := sample(300 << 10)
	multi := func(t *testing.T, args ...string) []byte { return xzCompress(t, data, args...) }
	for _, tc := range []struct {
		name    string
		xz      func(t *testing.T) []byte
		wantPar bool
	}{
		{"block-size 4096", func(t *testing.T) []byte { return multi(t, "--block-size=4096") }, true},
		{"T2 block-size 100000", func(t *testing.T) []byte { return multi(t, "-T2", "--block-size=100000") }, true},
		{"crc32 check", func(t *testing.T) []byte { return multi(t, "--block-size=50000", "-C", "crc32") }, true},
		{"sha256 check", func(t *testing.T) []byte { return multi(t, "--block-size=50000", "-C", "sha256") }, true},
		{"no check", func(t *testing.T) []byte { return multi(t, "--block-size=50000", "-C", "none") }, true},
		{"single block", func(t *testing.T) []byte { return multi(t) }, false},
		{"empty", func(t *testing.T) []byte { return xzCompress(t, nil) }, false},
		{"two streams", func(t *testing.T) []byte {
			return append(multi(t, "--block-size=50000"), multi(t, "--block-size=70000")...)
		}, false},
		{"stream padding", func(t *testing.T) []byte {
			return append(multi(t, "--block-size=50000"), 0, 0, 0, 0)
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.xz(t)
			want, err := sequential(b)
			if err != nil {
				t.Fatalf("sequential: %v", err)
			}
			got, isPar, err := parallel(b)
			if err != nil {
				t.Fatalf("parallel: %v", err)
			}
			if isPar != tc.wantPar {
				t.Errorf("parallel path taken = %v, want %v", isPar, tc.wantPar)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs: got %d bytes, want %d", len(got), len(want))
			}
		})
	}
}

// rewriteIndex replaces the index and footer of a one-stream file.
func rewriteIndex(t *testing.T, b []byte, blocks []xzBlock) []byte {
	t.Helper()
	end := blocks[len(blocks)-1].offset + (blocks[len(blocks)-1].unpadded+3)&^3
	idx := appendVLI([]byte{0}, uint64(len(blocks)))
	for _, blk := range blocks {
		idx = appendVLI(appendVLI(idx, uint64(blk.unpadded)), uint64(blk.uncompressed))
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

func TestXZBlocksCorrupt(t *testing.T) {
	good := xzCompress(t, sample(200<<10), "--block-size=50000")
	blocks, err := parseXZBlocks(good)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) < 3 {
		t.Fatalf("got %d blocks, want at least 3", len(blocks))
	}
	if b := rewriteIndex(t, good, blocks); !bytes.Equal(b, good) {
		t.Fatal("rewriteIndex does not reproduce the index xz wrote")
	}
	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	for _, tc := range []struct {
		name    string
		b       []byte
		wantErr string // in the parallel decoder's error, if not empty
	}{
		{"flipped byte in block 1", edit(func(b []byte) []byte {
			b[blocks[1].offset+blocks[1].unpadded/2] ^= 0x55
			return b
		}), "xz block 1 of"},
		{"flipped check of block 2", edit(func(b []byte) []byte {
			b[blocks[2].offset+blocks[2].unpadded-1] ^= 1
			return b
		}), "xz block 2 of"},
		{"index lists a larger block", func() []byte {
			bs := append([]xzBlock(nil), blocks...)
			bs[1].uncompressed++
			return rewriteIndex(t, good, bs)
		}(), "xz block 1 of"},
		{"index lists a smaller block", func() []byte {
			bs := append([]xzBlock(nil), blocks...)
			bs[0].uncompressed--
			return rewriteIndex(t, good, bs)
		}(), "xz block 0 of"},
		{"index with a wrong unpadded size", func() []byte {
			bs := append([]xzBlock(nil), blocks...)
			bs[0].unpadded -= 4
			bs[1].unpadded += 4
			return rewriteIndex(t, good, bs)
		}(), "xz block 0 of"},
		{"truncated index", edit(func(b []byte) []byte {
			return append(b[:len(b)-16], b[len(b)-12:]...)
		}), ""},
		{"truncated", edit(func(b []byte) []byte { return b[:len(b)-1] }), ""},
		{"bad footer CRC32", edit(func(b []byte) []byte { b[len(b)-12] ^= 1; return b }), ""},
		{"bad footer magic", edit(func(b []byte) []byte { b[len(b)-1] = 'X'; return b }), ""},
		{"flipped byte in index", edit(func(b []byte) []byte { b[len(b)-16] ^= 1; return b }), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := sequential(tc.b); err == nil {
				t.Error("the sequential decoder accepts the input; the test is wrong")
			}
			_, _, err := parallel(tc.b)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not contain %q", err, tc.wantErr)
			}
		})
	}
}

// TestXZBlocksAbandoned checks that a reader left half read does not block
// the goroutines decoding ahead.
func TestXZBlocksAbandoned(t *testing.T) {
	b := xzCompress(t, sample(400<<10), "--block-size=20000")
	r, err := newXZReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	br, ok := r.(*xzBlockReader)
	if !ok {
		t.Fatal("the parallel decoder was not used")
	}
	if _, err := r.Read(make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	// Every started block's result fits its channel: receiving them all
	// would deadlock if a sender could block.
	for _, ch := range br.pending {
		if cap(ch) != 1 {
			t.Fatalf("result channel capacity %d, want 1", cap(ch))
		}
		if res := <-ch; res.err != nil {
			t.Fatal(res.err)
		}
	}
	if n := len(br.pending); n == 0 || n > br.workers {
		t.Errorf("%d blocks in flight, want 1 to %d", n, br.workers)
	}
}

func FuzzParseXZBlocks(f *testing.F) {
	data := sample(8 << 10)
	f.Add(xzCompress(f, data, "--block-size=2000"))
	f.Add(xzCompress(f, data, "--block-size=2000", "-C", "crc32"))
	f.Add(xzCompress(f, data))
	f.Add(xzCompress(f, nil))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		blocks, err := parseXZBlocks(b)
		if err != nil {
			return
		}
		off := int64(12)
		for i, blk := range blocks {
			if blk.offset != off || blk.unpadded < 5 || blk.uncompressed < 0 {
				t.Fatalf("block %d = %+v, want it at %d", i, blk, off)
			}
			off += (blk.unpadded + 3) &^ 3
		}
		if off > int64(len(b))-12 {
			t.Fatalf("blocks end at %d, past the index of a %d-byte stream", off, len(b))
		}
		// What the parser accepts must decode or fail, never panic.
		if blocksFit(blocks) {
			io.Copy(io.Discard, io.LimitReader(newXZBlockReader(b, blocks), 1<<16))
		}
	})
}
