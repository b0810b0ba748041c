package provenance_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/provenance"
)

// FuzzReadPushRecord: push records are read from files other steps wrote.
// Whatever is accepted must make a valid statement whose subjects carry
// bare hex digests.
func FuzzReadPushRecord(f *testing.F) {
	d := "sha256:" + strings.Repeat("1f", 32)
	f.Add([]byte(`{"image":"127.0.0.1:5000/app:v1","digest":"` + d + `"}` + "\n"))
	f.Add([]byte(`{"image":"r.io/a","digest":"` + d + `"}` + "\n" + `{"image":"r.io/b:x","digest":"` + d + `"}`))
	f.Add([]byte(`{"image":"r.io/a@` + d + `","digest":"` + d + `"}`))
	f.Add([]byte("\n\n{}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := provenance.ReadPushRecord(bytes.NewReader(data))
		if err != nil {
			return
		}
		st, err := provenance.New(provenance.Inputs{Pushed: ps, BuilderID: provenance.DefaultBuilderID})
		if err != nil {
			t.Fatalf("accepted record %q makes no statement: %v", data, err)
		}
		for _, s := range st.Subject {
			if h := s.Digest["sha256"]; len(h) != 64 || strings.Contains(h, ":") {
				t.Fatalf("subject digest %q", h)
			}
		}
		if _, err := st.Marshal(); err != nil {
			t.Fatal(err)
		}
	})
}
