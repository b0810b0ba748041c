package debver_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rules-odp/rules_odp/tools/internal/debver"
)

func v(s string) debver.Version {
	ver, err := debver.Parse(s)
	if err != nil {
		panic(err)
	}
	return ver
}

func TestParseDepends(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []debver.OrGroup
	}{
		{"libc6", []debver.OrGroup{{{Name: "libc6"}}}},
		{"libc6 (>= 2.34), libgcc-s1 (>= 3.0)", []debver.OrGroup{
			{{Name: "libc6", Op: debver.GE, Version: v("2.34")}},
			{{Name: "libgcc-s1", Op: debver.GE, Version: v("3.0")}},
		}},
		{"debconf (>= 0.5) | debconf-2.0", []debver.OrGroup{
			{{Name: "debconf", Op: debver.GE, Version: v("0.5")}, {Name: "debconf-2.0"}},
		}},
		{"python3:any (>= 3.11~), perl:any, libfoo:native, libc6:amd64", []debver.OrGroup{
			{{Name: "python3", Arch: "any", Op: debver.GE, Version: v("3.11~")}},
			{{Name: "perl", Arch: "any"}},
			{{Name: "libfoo", Arch: "native"}},
			{{Name: "libc6", Arch: "amd64"}},
		}},
		{"a (<< 1), b (<= 1:2-3), c (= 1.0), d (>> 0~), e(>=1)", []debver.OrGroup{
			{{Name: "a", Op: debver.LT, Version: v("1")}},
			{{Name: "b", Op: debver.LE, Version: v("1:2-3")}},
			{{Name: "c", Op: debver.EQ, Version: v("1.0")}},
			{{Name: "d", Op: debver.GT, Version: v("0~")}},
			{{Name: "e", Op: debver.GE, Version: v("1")}},
		}},
		{"libstdc++6 (>= 12),\n libgcc-s1\n | libgcc1 ( >=  1:4.2 )", []debver.OrGroup{
			{{Name: "libstdc++6", Op: debver.GE, Version: v("12")}},
			{{Name: "libgcc-s1"}, {Name: "libgcc1", Op: debver.GE, Version: v("1:4.2")}},
		}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := debver.ParseDepends(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseDepends(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestParseDependsErrors(t *testing.T) {
	for _, in := range []string{
		"",
		"a,",
		",a",
		"a | ",
		"libc6 (> 2)",
		"libc6 (< 2)",
		"libc6 (>= )",
		"libc6 (>= 2",
		"libc6 >= 2",
		"libc6 (2.0)",
		"libc6 (>= 2.0 1)",
		"libc6 (>= 2.0) x",
		"Libc6",
		"-libc6",
		"libc6:",
		"libc6:Any",
		"libc6 [amd64]",
		"libc6 <!nocheck>",
		"libc6 (>= a)",
		"libc_6",
	} {
		t.Run(in, func(t *testing.T) {
			if got, err := debver.ParseDepends(in); err == nil {
				t.Errorf("ParseDepends(%q) = %v, want an error", in, got)
			}
		})
	}
}

func TestParseProvides(t *testing.T) {
	got, err := debver.ParseProvides("libavcodec59 (= 7:5.1.9-0+deb12u1), java17-runtime-headless,\n awk")
	if err != nil {
		t.Fatal(err)
	}
	want := []debver.Relation{
		{Name: "libavcodec59", Op: debver.EQ, Version: v("7:5.1.9-0+deb12u1")},
		{Name: "java17-runtime-headless"},
		{Name: "awk"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, in := range []string{"a | b", "a (>= 1)", "a:any", "a,"} {
		if got, err := debver.ParseProvides(in); err == nil {
			t.Errorf("ParseProvides(%q) = %v, want an error", in, got)
		}
	}
}

func TestRelationSatisfies(t *testing.T) {
	for _, tc := range []struct {
		rel  string
		ver  string
		want bool
	}{
		{"a", "0", true},
		{"a (<< 2)", "1.9", true},
		{"a (<< 2)", "2", false},
		{"a (<= 2)", "2", true},
		{"a (<= 2)", "2.0.1", false},
		{"a (= 2)", "2.0", false},
		{"a (= 2.0)", "0:2.0-0", true},
		{"a (>= 2~)", "2~rc1", true},
		{"a (>= 2~rc2)", "2~rc1", false},
		{"a (>> 2)", "2+b1", true},
		{"a (>> 2)", "2", false},
	} {
		t.Run(tc.rel+"_"+tc.ver, func(t *testing.T) {
			r, err := debver.ParseRelation(tc.rel)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Satisfies(v(tc.ver)); got != tc.want {
				t.Errorf("%v satisfied by %s = %v, want %v", r, tc.ver, got, tc.want)
			}
		})
	}
}

func TestRelationString(t *testing.T) {
	in := "python3:any (>= 3.11~) | libfoo (= 1:2-3)"
	gs, err := debver.ParseDepends(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := gs[0].String(); got != in {
		t.Errorf("String() = %q, want %q", got, in)
	}
}
