package xzdec

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"testing"

	"github.com/therootcompany/xz"

	"github.com/rules-odp/rules_odp/tools/internal/ar"
	"github.com/rules-odp/rules_odp/tools/internal/testdeb"
)

// xzCompress runs the xz tool: the encoder the packages are made with.
func xzCompress(t testing.TB, data []byte, args ...string) []byte {
	t.Helper()
	bin, err := exec.LookPath("xz")
	if err != nil {
		t.Fatalf("xz is not installed (scripts/setup.sh installs xz-utils): %v", err)
	}
	cmd := exec.Command(bin, append([]string{"-c", "-q"}, args...)...)
	cmd.Stdin = bytes.NewReader(data)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("xz %v: %v: %s", args, err, stderr.Bytes())
	}
	return out.Bytes()
}

// reference decodes with the general decoder the callers fall back to.
func reference(b []byte) ([]byte, error) {
	z, err := xz.NewReader(bytes.NewReader(b), 1<<30)
	if err != nil {
		return nil, err
	}
	z.Multistream(false)
	return io.ReadAll(z)
}

// corpus is data of several kinds: text-like (long matches, all the
// literal contexts), binary with repeats at many distances, runs (the
// overlapping copy), and random bytes (uncompressed LZMA2 chunks).
func corpus(n int, seed int64) map[string][]byte {
	r := rand.New(rand.NewSource(seed))
	words := []string{"alpha ", "beta ", "gamma\n", "delta\t", "epsilon ", "zeta, ", "eta. ", "theta\n"}
	var text bytes.Buffer
	for text.Len() < n {
		text.WriteString(words[r.Intn(len(words))])
		if r.Intn(50) == 0 {
			fmt.Fprintf(&text, "%d ", r.Int63())
		}
	}
	bin := make([]byte, 0, n)
	for len(bin) < n {
		switch r.Intn(3) {
		case 0:
			for i := r.Intn(64); i > 0; i-- {
				bin = append(bin, byte(r.Intn(256)))
			}
		case 1:
			if len(bin) > 0 {
				from := r.Intn(len(bin))
				l := min(r.Intn(300)+2, len(bin)-from)
				bin = append(bin, bin[from:from+l]...)
			}
		default:
			bin = append(bin, bytes.Repeat([]byte{byte(r.Intn(4))}, r.Intn(200)+1)...)
		}
	}
	random := make([]byte, n)
	r.Read(random)
	mixed := append(append(append([]byte(nil), text.Bytes()[:n/3]...), random[:n/3]...), bin[:n/3]...)
	return map[string][]byte{
		"text": text.Bytes()[:n], "binary": bin[:n], "random": random, "mixed": mixed,
		"empty": {}, "one": {'x'}, "zeros": make([]byte, n),
	}
}

func TestDecodeAgainstXZ(t *testing.T) {
	// 1 MiB: larger than an LZMA2 chunk (so chunks follow each other with
	// and without resets), small enough for xz -9e to be quick.
	n := 1 << 20
	if testing.Short() {
		n = 300 << 10
	}
	presets := [][]string{
		{"-0"}, {"-6"}, {"-9e"},
		{"--check=crc32"}, {"--check=sha256"},
		{"--lzma2=preset=6,lc=0,lp=0,pb=0"},
		{"--lzma2=preset=6,lc=4,lp=0,pb=4"},
		{"--lzma2=preset=6,lc=1,lp=3,pb=2"},
		{"--lzma2=preset=1,mode=fast,nice=273"},
		{"--lzma2=preset=6,dict=4KiB"},
		{"-T2", "--block-size=256KiB"},
		{"--block-size=100000"},
	}
	for name, data := range corpus(n, 1) {
		for _, args := range presets {
			t.Run(fmt.Sprintf("%s%v", name, args), func(t *testing.T) {
				c := xzCompress(t, data, args...)
				got, err := Decode(c, 1<<30, 1<<30)
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if !bytes.Equal(got, data) {
					t.Fatalf("Decode gave %d bytes that differ from the %d compressed", len(got), len(data))
				}
			})
		}
	}
}

// dataMember returns the data.tar.xz member of a real package.
func dataMember(t testing.TB, pkg string) []byte {
	t.Helper()
	f, err := os.Open(testdeb.Fetch(t, pkg))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a := ar.NewReader(f)
	for {
		h, err := a.Next()
		if err != nil {
			t.Fatalf("%s: looking for data.tar.xz: %v", pkg, err)
		}
		if h.Name == "data.tar.xz" {
			b, err := io.ReadAll(a)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
}

// TestDecodeRealPackages decodes the data.tar.xz of real packages in both
// shapes dpkg-deb writes: libc6 (one block) and openjdk-17-jre-headless
// (several blocks, from xz -T).
func TestDecodeRealPackages(t *testing.T) {
	for _, tc := range []struct {
		pkg        string
		multiBlock bool
	}{{"libc6", false}, {"openjdk-17-jre-headless", true}} {
		t.Run(tc.pkg, func(t *testing.T) {
			b := dataMember(t, tc.pkg)
			s, err := ParseStream(b)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(s.Blocks) > 1; got != tc.multiBlock {
				t.Errorf("%d blocks: several = %v, want %v", len(s.Blocks), got, tc.multiBlock)
			}
			want, err := reference(b)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Decode(b, 1<<32, 1<<26)
			if err != nil {
				t.Fatal(err)
			}
			if w, g := sha256.Sum256(want), sha256.Sum256(got); w != g {
				t.Errorf("sha256 = %x (%d bytes), want %x (%d bytes)", g, len(got), w, len(want))
			}
		})
	}
}

func TestDecodeUnsupported(t *testing.T) {
	data := corpus(64<<10, 2)["text"]
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"no check", xzCompress(t, data, "--check=none")},
		{"x86 filter", xzCompress(t, data, "--x86", "--lzma2")},
		{"delta filter", xzCompress(t, data, "--delta", "--lzma2")},
		{"two streams", append(xzCompress(t, data), xzCompress(t, data)...)},
		{"stream padding", append(xzCompress(t, data), 0, 0, 0, 0)},
		{"lzma alone", xzCompress(t, data, "--format=lzma")},
		{"not xz", data},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Decode(tc.b, 1<<30, 1<<30); !errors.Is(err, ErrUnsupported) {
				t.Errorf("Decode = %v, want ErrUnsupported", err)
			}
		})
	}
	c := xzCompress(t, data, "-9")
	if _, err := Decode(c, 1<<30, 1<<20); !errors.Is(err, ErrUnsupported) {
		t.Errorf("64 MiB dictionary with a 1 MiB limit: %v, want ErrUnsupported", err)
	}
	if _, err := Decode(c, 1000, 1<<30); !errors.Is(err, ErrUnsupported) {
		t.Errorf("output over the limit: %v, want ErrUnsupported", err)
	}
}

// TestDecodeCorrupt flips every byte of small streams in turn: Decode must
// fail (never succeed with other bytes) wherever the reference fails, and
// never panic.
func TestDecodeCorrupt(t *testing.T) {
	data := corpus(20<<10, 3)["binary"]
	for _, args := range [][]string{{"-6"}, {"--check=crc32", "-T2", "--block-size=8KiB"}} {
		c := xzCompress(t, data, args...)
		for i := range c {
			for _, x := range []byte{0x01, 0x80, 0xff} {
				b := bytes.Clone(c)
				b[i] ^= x
				got, err := Decode(b, 1<<30, 1<<30)
				if err == nil && !bytes.Equal(got, data) {
					t.Fatalf("%v: byte %d ^ %#x: Decode succeeded with different data", args, i, x)
				}
			}
		}
		for n := range c {
			if _, err := Decode(c[:n], 1<<30, 1<<30); err == nil {
				t.Fatalf("%v: cut to %d bytes: Decode succeeded", args, n)
			}
		}
	}
}

// FuzzDecode compares Decode with the reference decoder: whenever Decode
// succeeds, the reference must give the same bytes.
func FuzzDecode(f *testing.F) {
	for _, data := range corpus(4<<10, 4) {
		f.Add(xzCompress(f, data))
		f.Add(xzCompress(f, data, "--check=crc32", "--lzma2=preset=1,lc=0,lp=2,pb=1"))
		f.Add(xzCompress(f, data, "-T2", "--block-size=1KiB"))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := Decode(b, 1<<24, 1<<24)
		if err != nil {
			return
		}
		want, rerr := reference(b)
		if rerr != nil {
			t.Fatalf("Decode accepted what the reference refuses (%v)", rerr)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("Decode gave %d bytes, the reference %d different ones", len(got), len(want))
		}
	})
}

// BenchmarkDecode compares Decode with the reference decoder on the
// data.tar.xz of real packages.
func BenchmarkDecode(b *testing.B) {
	for _, pkg := range []string{"libc6", "libc++1-16", "openjdk-17-jre-headless"} {
		src := dataMember(b, pkg)
		b.Run(pkg+"/xzdec", func(b *testing.B) {
			for b.Loop() {
				out, err := Decode(src, 1<<32, 1<<26)
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(len(out)))
			}
		})
		b.Run(pkg+"/reference", func(b *testing.B) {
			for b.Loop() {
				out, err := reference(src)
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(len(out)))
			}
		})
	}
}
