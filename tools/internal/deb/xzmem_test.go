package deb

// An internal test: which decoder newXZReader picks is an implementation
// detail of openStream.

import (
	"bytes"
	"io"
	"math/rand"
	"os/exec"
	"strings"
	"testing"

	"github.com/therootcompany/xz"

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

// TestXZReaderPaths checks which decoder each shape of xz member gets and
// that both give the reference's bytes: dpkg-deb's shape (one stream,
// LZMA2, CRC64, one or several blocks) is decoded into memory; the rest is
// streamed by the general decoder.
func TestXZReaderPaths(t *testing.T) {
	data := sample(300 << 10)
	for _, tc := range []struct {
		name    string
		b       []byte
		wantMem bool
	}{
		{"single block", xzCompress(t, data), true},
		{"T2 block-size 100000", xzCompress(t, data, "-T2", "--block-size=100000"), true},
		{"crc32 check", xzCompress(t, data, "--block-size=50000", "-C", "crc32"), true},
		{"empty", xzCompress(t, nil), true},
		{"no check", xzCompress(t, data, "-C", "none"), false},
		{"x86 filter", xzCompress(t, data, "--x86", "--lzma2"), false},
		{"two streams", append(xzCompress(t, data[:1000]), xzCompress(t, data[1000:])...), false},
		{"stream padding", append(xzCompress(t, data), 0, 0, 0, 0), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := sequential(tc.b)
			if err != nil {
				t.Fatalf("sequential: %v", err)
			}
			r, err := newXZReader(bytes.NewReader(tc.b), int64(len(tc.b)), 1<<30)
			if err != nil {
				t.Fatal(err)
			}
			if _, isMem := r.(*memReader); isMem != tc.wantMem {
				t.Errorf("decoded into memory = %v, want %v", isMem, tc.wantMem)
			}
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs: got %d bytes, want %d", len(got), len(want))
			}
		})
	}
}

// TestXZReaderLimit: a member whose index announces more than the limit,
// or more than a plausible ratio of its size, is streamed, and the
// stream's limit then stops it.
func TestXZReaderLimit(t *testing.T) {
	b := xzCompress(t, sample(100<<10))
	r, err := newXZReader(bytes.NewReader(b), int64(len(b)), 50<<10)
	if err != nil {
		t.Fatal(err)
	}
	if _, isMem := r.(*memReader); isMem {
		t.Error("a member over the limit was decoded into memory")
	}
	// 80 MiB of zeros compress to about 12 KiB: over 1024x plus 64 MiB.
	zeros := xzCompress(t, make([]byte, 80<<20))
	r, err = newXZReader(bytes.NewReader(zeros), int64(len(zeros)), 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if _, isMem := r.(*memReader); isMem {
		t.Errorf("%d bytes announcing 80 MiB were decoded into memory", len(zeros))
	}
}

// TestStreamSeekAndContent covers what archive/tar and Package.Content
// use: content slices the decoded member without consuming it, Seek moves
// forward only, and a stream that is not in memory refuses both.
func TestStreamSeekAndContent(t *testing.T) {
	s := &stream{dec: &memReader{b: []byte("0123456789")}, limit: 100, wrap: func(err error) error { return err }}
	buf := make([]byte, 3)
	if _, err := io.ReadFull(s, buf); err != nil || string(buf) != "012" {
		t.Fatalf("Read = %q, %v", buf, err)
	}
	if b, ok := s.content(4); !ok || string(b) != "3456" || cap(b) != 4 {
		t.Errorf("content(4) = %q (cap %d), %v; want \"3456\" capped", b, cap(b), ok)
	}
	if _, ok := s.content(8); ok {
		t.Error("content past the end succeeded")
	}
	if pos, err := s.Seek(0, io.SeekCurrent); err != nil || pos != 3 {
		t.Errorf("Seek(0) = %d, %v; want 3", pos, err)
	}
	if pos, err := s.Seek(4, io.SeekCurrent); err != nil || pos != 7 {
		t.Errorf("Seek(4) = %d, %v; want 7", pos, err)
	}
	if _, err := s.Seek(-1, io.SeekCurrent); err == nil {
		t.Error("Seek backwards succeeded")
	}
	if _, err := s.Seek(0, io.SeekStart); err == nil {
		t.Error("Seek from the start succeeded")
	}
	if pos, _ := s.Seek(100, io.SeekCurrent); pos != 10 {
		t.Errorf("Seek past the end = %d, want 10 (clamped; the next Read reports the truncation)", pos)
	}
	streamed := &stream{dec: bytes.NewReader([]byte("x")), limit: 100}
	if _, err := streamed.Seek(0, io.SeekCurrent); err == nil {
		t.Error("a streamed member is seekable")
	}
	if _, ok := streamed.content(1); ok {
		t.Error("a streamed member gave content without a copy")
	}
}
