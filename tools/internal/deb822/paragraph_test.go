package deb822_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rules-odp/rules_odp/tools/internal/deb822"
)

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   fields
		want string
	}{{
		name: "simple",
		in:   fields{{"Package", "a"}, {"Version", "1:2.0~rc1-3"}},
		want: "Package: a\nVersion: 1:2.0~rc1-3\n",
	}, {
		name: "multiline",
		in:   fields{{"Description", "short\n long\n .\n\tmore"}},
		want: "Description: short\n long\n .\n\tmore\n",
	}, {
		name: "empty first line",
		in:   fields{{"Conffiles", "\n /etc/a 0123"}},
		want: "Conffiles:\n /etc/a 0123\n",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			p := deb822.Paragraph{Fields: tc.in}
			got, err := p.Format()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("Format (-want +got):\n%s", diff)
			}
			var b bytes.Buffer
			n, err := p.WriteTo(&b)
			if err != nil || n != int64(len(tc.want)) || b.String() != tc.want {
				t.Errorf("WriteTo = %d, %v, %q; want %d, nil, %q", n, err, b.String(), len(tc.want), tc.want)
			}
			back, err := deb822.ParseOne(got)
			if err != nil {
				t.Fatalf("ParseOne(Format()): %v", err)
			}
			if diff := cmp.Diff(tc.in, back.Fields); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFormatErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   fields
		want string
	}{
		{"no fields", nil, "no fields"},
		{"empty value", fields{{"Package", ""}}, "empty value"},
		{"bad name", fields{{"Pack age", "a"}}, "contains byte"},
		{"comment name", fields{{"#Package", "a"}}, "starts with"},
		{"duplicate", fields{{"Package", "a"}, {"PACKAGE", "b"}}, "duplicate"},
		{"leading space", fields{{"Package", " a"}}, "surrounding whitespace"},
		{"trailing newline", fields{{"Description", "a\n b\n"}}, "surrounding whitespace"},
		{"continuation without indent", fields{{"Description", "a\nb"}}, "must start with a space"},
		{"blank continuation", fields{{"Description", "a\n \t\n b"}}, "must start with a space"},
		{"empty continuation", fields{{"Description", "a\n\n b"}}, "must start with a space"},
		{"only newline", fields{{"Description", "\n"}}, "surrounding whitespace"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			_, err := deb822.Paragraph{Fields: tc.in}.WriteTo(&b)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
			if b.Len() != 0 {
				t.Errorf("WriteTo wrote %q before failing", b.String())
			}
		})
	}
}

func TestSetDelete(t *testing.T) {
	p := deb822.Paragraph{Fields: fields{{"Package", "a"}, {"Version", "1"}, {"Architecture", "all"}}}
	p.Set("version", "2")
	p.Set("Status", "install ok installed")
	p.Delete("ARCHITECTURE")
	p.Delete("Missing")
	want := fields{{"Package", "a"}, {"Version", "2"}, {"Status", "install ok installed"}}
	if diff := cmp.Diff(want, p.Fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
}

// Delete must not write through to a slice shared with a copy of the
// paragraph (Paragraph is passed by value).
func TestDeleteDoesNotAlias(t *testing.T) {
	orig := deb822.Paragraph{Fields: fields{{"A", "1"}, {"B", "2"}, {"C", "3"}}}
	c := orig
	c.Delete("A")
	want := fields{{"A", "1"}, {"B", "2"}, {"C", "3"}}
	if diff := cmp.Diff(want, orig.Fields); diff != "" {
		t.Errorf("original changed (-want +got):\n%s", diff)
	}
}
