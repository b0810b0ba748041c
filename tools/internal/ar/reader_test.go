package ar_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rules-odp/rules_odp/tools/internal/ar"
	"github.com/rules-odp/rules_odp/tools/internal/testdeb"
)

// hdr builds a member header with explicit fields, so tests can write any
// malformed value into any of them.
func hdr(name, size string) string {
	return hdrFull(name, "0", "0", "0", "100644", size, "`\n")
}

func hdrFull(name, mtime, uid, gid, mode, size, term string) string {
	return fmt.Sprintf("%-16s%-12s%-6s%-6s%-8s%-10s%s", name, mtime, uid, gid, mode, size, term)
}

// member is a header for name and content, plus padding.
func member(name, content string) string {
	s := hdr(name, fmt.Sprint(len(content))) + content
	if len(content)%2 == 1 {
		s += "\n"
	}
	return s
}

// bsdMember stores the name in the data, NUL-padded as BSD ar does.
func bsdMember(name, content string) string {
	stored := name + strings.Repeat("\x00", (4-len(name)%4)%4)
	data := stored + content
	s := hdr(fmt.Sprintf("#1/%d", len(stored)), fmt.Sprint(len(data))) + data
	if len(data)%2 == 1 {
		s += "\n"
	}
	return s
}

type entry struct {
	Name    string
	Content string
	Mode    int64
	Size    int64
	Long    bool
}

func readAll(t testing.TB, data []byte) ([]entry, error) {
	t.Helper()
	r := ar.NewReader(bytes.NewReader(data))
	var got []entry
	for {
		h, err := r.Next()
		if err == io.EOF {
			return got, nil
		}
		if err != nil {
			return got, err
		}
		b, err := io.ReadAll(r)
		if err != nil {
			return got, err
		}
		if int64(len(b)) != h.Size {
			t.Fatalf("member %q: read %d bytes, header says %d", h.Name, len(b), h.Size)
		}
		got = append(got, entry{h.Name, string(b), h.Mode, h.Size, h.LongName})
	}
}

func TestValidArchives(t *testing.T) {
	gnu, err := os.ReadFile("testdata/gnu.a")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		in   string
		want []entry
	}{{
		name: "GNU ar with long names (testdata/gnu.a)",
		in:   string(gnu),
		want: []entry{
			{"odd.txt", "hello", 0o644, 5, false},
			{"empty", "", 0o644, 0, false},
			{"a-very-long-member-name.txt", "long name content\n", 0o644, 18, true},
			{"short", "ab", 0o644, 2, false},
			{"another-long-member-name.bin", "second long\n", 0o644, 12, true},
		},
	}, {
		name: "common format as dpkg-deb writes it",
		in:   ar.Magic + member("debian-binary", "2.0\n") + member("control.tar.xz", "abc") + member("data.tar.xz", "defg"),
		want: []entry{
			{"debian-binary", "2.0\n", 0o100644, 4, false},
			{"control.tar.xz", "abc", 0o100644, 3, false},
			{"data.tar.xz", "defg", 0o100644, 4, false},
		},
	}, {
		name: "BSD names",
		in:   ar.Magic + bsdMember("a-very-long-bsd-member-name", "xyz") + bsdMember("b", "") + member("c/", "1"),
		want: []entry{
			{"a-very-long-bsd-member-name", "xyz", 0o100644, 3, true},
			{"b", "", 0o100644, 0, true},
			{"c", "1", 0o100644, 1, false},
		},
	}, {
		name: "empty archive",
		in:   ar.Magic,
	}, {
		name: "blank optional fields",
		in:   ar.Magic + hdrFull("x/", "", "", "", "", "1", "`\n") + "a\n",
		want: []entry{{"x", "a", 0, 1, false}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readAll(t, []byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("members (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHeaderFields(t *testing.T) {
	in := ar.Magic + hdrFull("f/", "1700000000", "1000", "100", "100755", "0", "`\n")
	r := ar.NewReader(strings.NewReader(in))
	h, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	want := &ar.Header{Name: "f", ModTime: time.Unix(1700000000, 0), Uid: 1000, Gid: 100, Mode: 0o100755, Size: 0}
	if diff := cmp.Diff(want, h); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
}

// TestGNUAr reads archives that the real GNU ar writes at test time, with
// odd and even sizes and names long enough to need the "//" table.
func TestGNUAr(t *testing.T) {
	arBin, err := exec.LookPath("ar")
	if err != nil {
		testdeb.Unavailable(t, "GNU ar is not installed (apt-get install binutils)")
	}
	dir := t.TempDir()
	var want []entry
	var args []string
	for i, name := range []string{"a", "bb", "debian-binary", "exactly15chars_", "sixteen-chars-xx", "a-much-longer-name-than-sixteen.bin", "x.y"} {
		content := strings.Repeat(string(rune('a'+i)), i*37+i%2)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, name)
		want = append(want, entry{name, content, 0o644, int64(len(content)), len(name) > 15})
	}
	cmd := exec.Command(arBin, append([]string{"rcD", "out.a"}, args...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ar: %v\n%s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "out.a"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
}

// TestPartialReads checks that Next skips unread content and padding.
func TestPartialReads(t *testing.T) {
	in := ar.Magic + member("one", "12345") + member("two", "abc") + member("three", "")
	r := ar.NewReader(strings.NewReader(in))
	var names []string
	for {
		h, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Name == "one" {
			b := make([]byte, 2)
			if _, err := io.ReadFull(r, b); err != nil || string(b) != "12" {
				t.Fatalf("ReadFull = %q, %v", b, err)
			}
		}
	}
	if diff := cmp.Diff([]string{"one", "two", "three"}, names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
}

func TestHostile(t *testing.T) {
	long := "//" // GNU long-name table header
	for _, tc := range []struct {
		name string
		in   string
		max  int64
		want string
	}{
		{"empty input", "", 0, "truncated magic"},
		{"short magic", "!<ar", 0, "truncated magic"},
		{"bad magic", "!<arch>\r" + member("a", "b"), 0, "not an ar archive"},
		{"thin archive", "!<thin>\n", 0, "not an ar archive"},
		{"truncated header", ar.Magic + hdr("a", "1")[:30], 0, "truncated member header: 30 of 60"},
		{"bad terminator", ar.Magic + hdrFull("a", "0", "0", "0", "644", "1", "``") + "x\n", 0, "bad terminator"},
		{"size not decimal", ar.Magic + hdr("a", "1a") + "x\n", 0, "size field"},
		{"size negative", ar.Magic + hdr("a", "-1"), 0, "size field"},
		{"size with leading space", ar.Magic + hdr("a", " 1") + "x\n", 0, "size field"},
		{"size empty", ar.Magic + hdr("a", ""), 0, "size field: empty"},
		{"size over limit", ar.Magic + hdr("a", "9999999999"), 1 << 20, "more than the limit of 1048576"},
		{"size over default limit", ar.Magic + hdr("a", "9999999999"), 0, "more than the limit"},
		{"mtime not decimal", ar.Magic + hdrFull("a", "x", "0", "0", "644", "0", "`\n"), 0, "modification time field"},
		{"uid not decimal", ar.Magic + hdrFull("a", "0", "-", "0", "644", "0", "`\n"), 0, "owner field"},
		{"gid not decimal", ar.Magic + hdrFull("a", "0", "0", "1e3", "644", "0", "`\n"), 0, "group field"},
		{"mode not octal", ar.Magic + hdrFull("a", "0", "0", "0", "648", "0", "`\n"), 0, "mode field"},
		{"truncated member", ar.Magic + hdr("a", "100") + "0123456789", 0, `member "a" is truncated: 90 bytes missing`},
		{"truncated second member", ar.Magic + member("a", "x") + hdr("b", "10") + "01", 0, `member "b" is truncated`},
		{"missing padding", ar.Magic + hdr("a", "1") + "x", 0, `truncated padding after member "a"`},
		{"bad padding", ar.Magic + hdr("a", "1") + "xx" + member("b", "c"), 0, `padding after member "a" is 'x'`},
		{"trailing garbage", ar.Magic + member("a", "x") + "garbage", 0, "truncated member header: 7 of 60"},
		{"symbol table", ar.Magic + member("/", "\x00\x00\x00\x00") + member("a", "x"), 0, `symbol table "/" is not supported`},
		{"64-bit symbol table", ar.Magic + member("/SYM64/", "\x00\x00\x00\x00"), 0, `symbol table "/SYM64/"`},
		{"long name without table", ar.Magic + member("/0", "x"), 0, "before any long-name table"},
		{"long name out of range", ar.Magic + member(long, "abc/\n") + member("/5", "x"), 0, "outside the 5-byte table"},
		{"long name huge offset", ar.Magic + member(long, "abc/\n") + member("/99999999999999", "x"), 0, "outside the"},
		{"long name not a number", ar.Magic + member(long, "abc/\n") + member("/x1", "x"), 0, "long-name reference"},
		{"long name unterminated", ar.Magic + member(long, "abc/") + member("/0", "x"), 0, "not terminated"},
		{"long name without slash", ar.Magic + member(long, "abc\n") + member("/0", "x"), 0, `does not end in "/"`},
		{"long name with dotdot", ar.Magic + member(long, "../../etc/passwd/\n") + member("/0", "x"), 0, "invalid member name"},
		{"long name empty", ar.Magic + member(long, "/\n") + member("/0", "x"), 0, `invalid member name ""`},
		{"second long-name table", ar.Magic + member(long, "abc/\n") + member(long, "abc/\n"), 0, "second long-name table"},
		{"huge long-name table", ar.Magic + hdr(long, "999999999"), 0, "larger than 1048576"},
		{"truncated long-name table", ar.Magic + hdr(long, "100") + "abc/\n", 0, "truncated long-name table"},
		{"BSD name longer than member", ar.Magic + hdr("#1/10", "4") + "abcd", 0, "exceeds member size"},
		{"BSD name huge", ar.Magic + hdr("#1/999999", "9999999"), 0, "larger than 4096"},
		{"BSD name length not a number", ar.Magic + hdr("#1/x", "4") + "abcd", 0, "BSD name length"},
		{"BSD name truncated", ar.Magic + hdr("#1/8", "20") + "abc", 0, "truncated BSD member name"},
		{"BSD name with slash", ar.Magic + bsdMember("../x", "a"), 0, "invalid member name"},
		{"BSD name empty", ar.Magic + hdr("#1/4", "4") + "\x00\x00\x00\x00", 0, `invalid member name ""`},
		{"name dotdot", ar.Magic + member("../", "x"), 0, `invalid member name ".."`},
		{"name dot", ar.Magic + member(".", "x"), 0, `invalid member name "."`},
		{"name with slash", ar.Magic + member("a/b/", "x"), 0, `invalid member name "a/b"`},
		{"name blank", ar.Magic + member("", "x"), 0, `invalid member name ""`},
		{"name with control byte", ar.Magic + member("a\x01b", "x"), 0, "contains '\\x01'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ar.NewReader(strings.NewReader(tc.in))
			if tc.max != 0 {
				r.MaxMemberSize = tc.max
			}
			var err error
			for err == nil {
				if _, err = r.Next(); err == nil {
					_, err = io.Copy(io.Discard, r)
				}
			}
			if err == io.EOF || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
			if _, err2 := r.Next(); err2 != err {
				t.Errorf("error is not sticky: then got %v", err2)
			}
		})
	}
}

func TestTruncatedMemberIsUnexpectedEOF(t *testing.T) {
	r := ar.NewReader(strings.NewReader(ar.Magic + hdr("a", "10") + "abc"))
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	if !errors.Is(err, io.ErrUnexpectedEOF) || string(b) != "abc" {
		t.Errorf("ReadAll = %q, %v; want \"abc\" and io.ErrUnexpectedEOF", b, err)
	}
}
