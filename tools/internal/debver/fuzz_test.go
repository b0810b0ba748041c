package debver_test

import (
	"strings"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/debver"
)

func FuzzParse(f *testing.F) {
	for _, tc := range tricky {
		f.Add(tc.a)
	}
	for _, s := range []string{"", "0:", "1:1:1-1-1", "~", "1.0-", "99999999999:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ver, err := debver.Parse(s)
		if err != nil {
			return
		}
		again, err := debver.Parse(ver.String())
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q does not parse: %v", s, ver.String(), err)
		}
		if again != ver {
			t.Fatalf("Parse(%q) = %+v, but its String %q parses to %+v", s, ver, ver.String(), again)
		}
		if c := debver.Compare(ver, again); c != 0 {
			t.Fatalf("Compare(%q, itself) = %d", s, c)
		}
	})
}

func FuzzCompare(f *testing.F) {
	for _, tc := range tricky {
		f.Add(tc.a, tc.b)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		va, errA := debver.Parse(a)
		vb, errB := debver.Parse(b)
		if errA != nil || errB != nil {
			return
		}
		ab, ba := debver.Compare(va, vb), debver.Compare(vb, va)
		if ab != -ba || ab < -1 || ab > 1 {
			t.Fatalf("Compare(%q, %q) = %d but Compare(%q, %q) = %d", a, b, ab, b, a, ba)
		}
		// Appending '~' sorts lower and appending a letter higher, for
		// any version: the properties dpkg's ordering exists for.
		if r := va.Revision; r == "" {
			lower, err := debver.Parse(a + "~")
			if err == nil && debver.Compare(lower, va) >= 0 {
				t.Fatalf("%q does not sort before %q", a+"~", a)
			}
		}
	})
}

func FuzzParseDepends(f *testing.F) {
	for _, s := range []string{
		"libc6 (>= 2.34), libgcc-s1 (>= 3.0)",
		"debconf (>= 0.5) | debconf-2.0",
		"python3:any (>= 3.11~), perl:any",
		"a (<< 1), b (<= 1:2-3), c (= 1.0), d (>> 0~)",
		"libc6 [amd64]",
		"a,\n b\n | c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		groups, err := debver.ParseDepends(s)
		if err != nil {
			return
		}
		parts := make([]string, len(groups))
		for i, g := range groups {
			if len(g) == 0 {
				t.Fatalf("ParseDepends(%q) returned an empty group", s)
			}
			parts[i] = g.String()
		}
		again, err := debver.ParseDepends(strings.Join(parts, ", "))
		if err != nil {
			t.Fatalf("ParseDepends(%q) formats as %q, which does not parse: %v", s, strings.Join(parts, ", "), err)
		}
		if len(again) != len(groups) {
			t.Fatalf("round trip of %q changed the number of groups", s)
		}
		for i := range groups {
			if again[i].String() != groups[i].String() {
				t.Fatalf("round trip of %q changed group %d: %q -> %q", s, i, groups[i], again[i])
			}
		}
	})
}

func FuzzParseProvides(f *testing.F) {
	f.Add("libavcodec59 (= 7:5.1.9-0+deb12u1), awk")
	f.Add("a | b")
	f.Fuzz(func(t *testing.T, s string) {
		rels, err := debver.ParseProvides(s)
		if err != nil {
			return
		}
		for _, r := range rels {
			if r.Op != debver.Any && r.Op != debver.EQ {
				t.Fatalf("ParseProvides(%q) accepted %v", s, r)
			}
		}
	})
}
