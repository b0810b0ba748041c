package imagediff_test

import (
	"archive/tar"
	"bytes"
	"testing"
	"time"

	"github.com/rules-odp/rules_odp/tools/internal/imagediff"
)

func tarOf(t testing.TB, hdrs ...*tar.Header) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, h := range hdrs {
		if h.ModTime.IsZero() && h.Typeflag != tar.TypeXGlobalHeader {
			h.ModTime = time.Unix(0, 0)
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(bytes.Repeat([]byte{'x'}, int(h.Size)))
	}
	tw.Close()
	return b.Bytes()
}

// FuzzListTar feeds hostile tars to the layer lister and the file-level
// comparison: they must not panic, and a layer compared with itself has
// no differences.
func FuzzListTar(f *testing.F) {
	f.Add(tarOf(f, &tar.Header{Name: "a", Mode: 0o644, Size: 3, Typeflag: tar.TypeReg}))
	f.Add(tarOf(f,
		&tar.Header{Name: "./d/", Mode: 0o755, Typeflag: tar.TypeDir},
		&tar.Header{Name: "d/l", Linkname: "../x", Typeflag: tar.TypeSymlink},
		&tar.Header{Name: "d/h", Linkname: "./d/l", Typeflag: tar.TypeLink},
		&tar.Header{Name: "d/l", Size: 1, Typeflag: tar.TypeReg, PAXRecords: map[string]string{"SCHILY.xattr.security.capability": "\x01"}},
		&tar.Header{Name: "dev", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 3},
	))
	f.Add([]byte{})
	f.Add(make([]byte, 1024))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := imagediff.ListTar(data); err != nil {
			return
		}
		for _, semantic := range []bool{false, true} {
			d, err := imagediff.DiffTars(data, data, semantic)
			if err != nil {
				t.Fatalf("second listing failed: %v", err)
			}
			if len(d) != 0 {
				t.Fatalf("a layer differs from itself (semantic=%v): %v", semantic, d)
			}
		}
	})
}

// FuzzCompareConfigs checks the field-by-field comparison of untrusted
// configs: no panic, strict mode finds a difference exactly when the
// documents differ, and a comparison is as long both ways round.
func FuzzCompareConfigs(f *testing.F) {
	f.Add([]byte(`{"config":{"Env":["A=1","B=2"],"Labels":{"x":"1"}},"created":"1970-01-01T00:00:00Z"}`),
		[]byte(`{"config":{"Env":["B=2","A=1"],"Labels":{"x":"2","y.z":"3"}},"history":[{"created_by":"x"}]}`))
	f.Add([]byte(`{"config":{"Env":["A=1","A=2"]}}`), []byte(`{"config":{"Env":["A=2"]}}`))
	f.Add([]byte(`[1,2]`), []byte(`{"a":null}`))
	f.Add([]byte(`{"rootfs":{"type":"layers","diff_ids":["x"]},"os.version":1.0}`), []byte(`{"rootfs":{"type":"layers"},"os.version":1}`))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		ca, errA := imagediff.Canonical(a)
		cb, errB := imagediff.Canonical(b)
		ab, err := imagediff.CompareConfigs(a, b, false)
		if (err != nil) != (errA != nil || errB != nil) {
			t.Fatalf("CompareConfigs error %v, decoding errors %v, %v", err, errA, errB)
		}
		if err != nil {
			return
		}
		ba, _ := imagediff.CompareConfigs(b, a, false)
		if len(ab) != len(ba) {
			t.Fatalf("%d differences one way, %d the other", len(ab), len(ba))
		}
		if self, _ := imagediff.CompareConfigs(a, a, false); len(self) != 0 {
			t.Fatalf("a config differs from itself: %v", self)
		}
		// rootfs.diff_ids is compared with the layers, not here.
		if len(ab) == 0 && ca != cb && !onlyDiffIDs(t, a, b) {
			t.Fatalf("no difference found between %s and %s", ca, cb)
		}
		for _, d := range ab {
			switch {
			case d.Kind == imagediff.Added && (d.A != "" || d.B == ""),
				d.Kind == imagediff.Removed && (d.B != "" || d.A == ""),
				d.Kind == imagediff.Changed && (d.A == d.B || d.A == "" || d.B == ""),
				d.Field == "":
				t.Fatalf("malformed difference %+v", d)
			}
		}
		if _, err := imagediff.CompareConfigs(a, b, true); err != nil {
			t.Fatal(err)
		}
	})
}

// onlyDiffIDs says whether a and b are equal once rootfs.diff_ids is
// removed from both.
func onlyDiffIDs(t *testing.T, a, b []byte) bool {
	strip := func(doc []byte) string {
		c, _ := imagediff.Canonical(doc)
		v, err := imagediff.StripDiffIDs(c)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	return strip(a) == strip(b)
}

// FuzzParseManifest: manifests from a registry are untrusted; whatever
// parses must have well-formed digests, since they become blob requests.
func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:` + sha("c") + `","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:` + sha("l") + `","size":1}]}`))
	f.Add([]byte(`{"schemaVersion":2,"config":{"digest":"sha256:../../x"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := imagediff.ParseManifest(data)
		if err != nil {
			return
		}
		for _, d := range append(m.Layers, m.Config) {
			if len(d.Digest) != 71 || bytes.ContainsAny([]byte(d.Digest[7:]), "/.") || d.Size < 0 {
				t.Fatalf("accepted descriptor %+v", d)
			}
		}
	})
}

func TestLongestIncreasing(t *testing.T) {
	for _, tc := range []struct {
		in   []int
		kept int
	}{
		{nil, 0}, {[]int{1}, 1}, {[]int{1, 2, 3}, 3}, {[]int{3, 2, 1}, 1},
		{[]int{2, 3, 4, 5, 1}, 4}, // one entry moved to the front: one line
		{[]int{1, 5, 2, 3, 4}, 4},
	} {
		keep := imagediff.LongestIncreasing(tc.in)
		n, last := 0, -1
		for i, k := range keep {
			if k {
				n++
				if tc.in[i] <= last {
					t.Errorf("%v: kept %v is not increasing", tc.in, keep)
				}
				last = tc.in[i]
			}
		}
		if n != tc.kept {
			t.Errorf("%v: kept %d, want %d", tc.in, n, tc.kept)
		}
	}
}
