package deb822_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rules-odp/rules_odp/tools/internal/deb822"
)

type fields = []deb822.Field

func readAll(t testing.TB, r *deb822.Reader) ([]fields, error) {
	t.Helper()
	var got []fields
	for {
		p, err := r.Next()
		if err == io.EOF {
			return got, nil
		}
		if err != nil {
			return got, err
		}
		got = append(got, p.Fields)
	}
}

func TestReader(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want []fields
	}{{
		name: "simple",
		in:   "Package: a\nVersion: 1.0-1\n",
		want: []fields{{{"Package", "a"}, {"Version", "1.0-1"}}},
	}, {
		name: "multiline keeps continuation lines verbatim",
		in:   "Description: short\n long line\n .\n\tmore\n",
		want: []fields{{{"Description", "short\n long line\n .\n\tmore"}}},
	}, {
		name: "empty first line",
		in:   "Conffiles:\n /etc/a 0123\n /etc/b 4567\nStatus: install ok installed\n",
		want: []fields{{{"Conffiles", "\n /etc/a 0123\n /etc/b 4567"}, {"Status", "install ok installed"}}},
	}, {
		name: "whitespace around the value is dropped",
		in:   "Package: \t a b \t\nDescription: x  \n y \t\n",
		want: []fields{{{"Package", "a b"}, {"Description", "x  \n y"}}},
	}, {
		name: "no space after colon",
		in:   "Package:a\n",
		want: []fields{{{"Package", "a"}}},
	}, {
		name: "hash and colon in values are data",
		in:   "Depends: a # b\nHomepage: https://x.example/#y\n",
		want: []fields{{{"Depends", "a # b"}, {"Homepage", "https://x.example/#y"}}},
	}, {
		name: "no final newline",
		in:   "Package: a\nVersion: 1",
		want: []fields{{{"Package", "a"}, {"Version", "1"}}},
	}, {
		name: "several paragraphs and blank-ish separators",
		in:   "\n \n\nPackage: a\n\nPackage: b\n \t\n\n\nPackage: c\n\n\n",
		want: []fields{{{"Package", "a"}}, {{"Package", "b"}}, {{"Package", "c"}}},
	}, {
		name: "name spelling kept",
		in:   "PACKAGE: a\nx-Custom-Field: b\n",
		want: []fields{{{"PACKAGE", "a"}, {"x-Custom-Field", "b"}}},
	}, {
		name: "carriage return is data",
		in:   "Package: a\r\n",
		want: []fields{{{"Package", "a\r"}}},
	}, {
		name: "long line",
		in:   "Description: " + strings.Repeat("x", 200<<10) + "\n " + strings.Repeat("y", 100<<10) + "\n",
		want: []fields{{{"Description", strings.Repeat("x", 200<<10) + "\n " + strings.Repeat("y", 100<<10)}}},
	}, {
		name: "empty input",
		in:   "",
	}, {
		name: "only blank lines",
		in:   "\n\n  \n",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readAll(t, deb822.NewReader(strings.NewReader(tc.in)))
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("paragraphs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReaderErrors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in       string
		wantLine int
		wantMsg  string
	}{
		{"comment line", "Package: a\n# comment\nVersion: 1\n", 2, "comment lines are not allowed"},
		{"comment first", "#Package: a\n", 1, "comment lines are not allowed"},
		{"continuation outside a field", "Package: a\n\n more\n", 3, "continuation line outside a field"},
		{"continuation first", " more\n", 1, "continuation line outside a field"},
		{"no colon", "Package: a\nVersion 1\n", 2, "no field name"},
		{"duplicate", "Package: a\nVersion: 1\npackage: b\n", 3, `duplicate field "package" (first on line 1)`},
		{"empty value", "Package: a\nVersion:\nArchitecture: all\n", 2, `field "Version" has an empty value`},
		{"blank value", "Package: a\nVersion:  \t \n", 2, `field "Version" has an empty value`},
		{"empty value at end", "Package: a\nVersion:", 2, `field "Version" has an empty value`},
		{"empty name", "Package: a\n: b\n", 2, "empty field name"},
		{"name with space", "Package : a\n", 1, `contains byte ' '`},
		{"name with NUL", "Pack\x00age: a\n", 1, `contains byte '\x00'`},
		{"name with non-ASCII", "Päckage: a\n", 1, "contains byte"},
		{"name starts with hyphen", "-Package: a\n", 1, `starts with '-'`},
		{"error in second paragraph", "Package: a\n\nPackage: b\nVersion\n", 4, "no field name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := deb822.NewReader(strings.NewReader(tc.in))
			_, err := readAll(t, r)
			var se *deb822.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("got error %v, want a *SyntaxError", err)
			}
			if se.Line != tc.wantLine || !strings.Contains(se.Msg, tc.wantMsg) {
				t.Errorf("got %q, want line %d and a message containing %q", err, tc.wantLine, tc.wantMsg)
			}
			// Errors are sticky: a caller looping on Next must not get past them.
			if _, err2 := r.Next(); err2 != err {
				t.Errorf("second Next = %v, want the same error %v", err2, err)
			}
		})
	}
}

func TestReaderMaxParagraphSize(t *testing.T) {
	in := "Package: a\n\nPackage: b\nDescription: " + strings.Repeat("x", 100) + "\n"
	r := deb822.NewReader(strings.NewReader(in))
	r.MaxParagraphSize = 64
	if _, err := r.Next(); err != nil {
		t.Fatalf("first paragraph fits but Next failed: %v", err)
	}
	_, err := r.Next()
	if err == nil || !strings.Contains(err.Error(), "larger than 64 bytes") {
		t.Fatalf("got %v, want an error about the paragraph size", err)
	}

	r = deb822.NewReader(strings.NewReader("Description: " + strings.Repeat("x", 200<<10)))
	r.MaxParagraphSize = 100 << 10
	if _, err := r.Next(); err == nil || !strings.Contains(err.Error(), "line 1: line is longer than") {
		t.Fatalf("got %v, want an error about the line length", err)
	}
}

type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

func TestReaderPassesReadErrors(t *testing.T) {
	boom := errors.New("boom")
	r := deb822.NewReader(io.MultiReader(strings.NewReader("Package: a\n"), failingReader{boom}))
	if _, err := r.Next(); !errors.Is(err, boom) {
		t.Fatalf("got %v, want it to wrap %v", err, boom)
	}
}

func TestReaderLine(t *testing.T) {
	r := deb822.NewReader(strings.NewReader("\nPackage: a\nVersion: 1\n\n\nPackage: b\n"))
	var got []int
	for {
		if _, err := r.Next(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		got = append(got, r.Line())
	}
	if diff := cmp.Diff([]int{2, 6}, got); diff != "" {
		t.Errorf("Line (-want +got):\n%s", diff)
	}
}

func TestParseOne(t *testing.T) {
	p, err := deb822.ParseOne([]byte("\nPackage: libc6\nVersion: 2.36-9\nDepends: libgcc-s1\n\n"))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"Package": "libc6", "version": "2.36-9", "DEPENDS": "libgcc-s1", "Pre-Depends": ""} {
		if got := p.Get(name); got != want {
			t.Errorf("Get(%q) = %q, want %q", name, got, want)
		}
		if got := p.Has(name); got != (want != "") {
			t.Errorf("Has(%q) = %v, want %v", name, got, want != "")
		}
	}

	for _, tc := range []struct{ in, want string }{
		{"", "no paragraph found"},
		{"\n \n", "no paragraph found"},
		{"Package: a\n\nPackage: b\n", "line 3: unexpected second paragraph"},
		{"Package: a\n\nPackage\n", "line 3: line has no field name"},
	} {
		if _, err := deb822.ParseOne([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseOne(%q) = %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
}

// Paragraphs with very many fields switch duplicate detection to a map;
// both ways must find duplicates, whatever the case of the names.
func TestManyFields(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&b, "Field-%d: %d\n", i, i)
	}
	p, err := deb822.ParseOne([]byte(b.String()))
	if err != nil || len(p.Fields) != 200 || p.Get("field-150") != "150" {
		t.Fatalf("ParseOne: %d fields, %v", len(p.Fields), err)
	}
	for _, dup := range []int{3, 100, 199} {
		in := b.String() + fmt.Sprintf("FIELD-%d: again\n", dup)
		_, err := deb822.ParseOne([]byte(in))
		want := fmt.Sprintf("line 201: duplicate field \"FIELD-%d\" (first on line %d)", dup, dup+1)
		if err == nil || err.Error() != want {
			t.Errorf("duplicate of field %d: got %v, want %q", dup, err, want)
		}
	}
	var many strings.Builder
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&many, "F%d: x\n", i)
	}
	many.WriteString("f70: y\n")
	if _, err := deb822.ParseOne([]byte(many.String())); err == nil || !strings.Contains(err.Error(), "first on line 71") {
		t.Errorf("got %v, want a duplicate of line 71", err)
	}
}
