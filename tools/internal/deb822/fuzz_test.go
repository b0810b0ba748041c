package deb822_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rules-odp/rules_odp/tools/internal/deb822"
)

// FuzzParse checks that the reader never panics and that whatever it
// accepts formats to text that parses back to the same paragraph.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"Package: a\nVersion: 1\n",
		"Description: short\n long\n .\n\tmore\n\nPackage: b\n",
		"Conffiles:\n /etc/a 0123\n",
		"Package: a\n \nPackage: b",
		"#c\n",
		" x\n",
		"A: 1\na: 2\n",
		"A:\n",
		"Package: a\r\nVersion: 1\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := deb822.NewReader(bytes.NewReader(data))
		r.MaxParagraphSize = 1 << 20
		for {
			p, err := r.Next()
			if err != nil {
				if err != io.EOF && r.Line() < 0 {
					t.Fatalf("negative line number")
				}
				return
			}
			out, err := p.Format()
			if err != nil {
				t.Fatalf("Format of a parsed paragraph failed: %v\nfields: %q", err, p.Fields)
			}
			back, err := deb822.ParseOne(out)
			if err != nil {
				t.Fatalf("ParseOne(%q): %v", out, err)
			}
			if diff := cmp.Diff(p.Fields, back.Fields); diff != "" {
				t.Fatalf("round trip (-want +got):\n%s", diff)
			}
		}
	})
}
