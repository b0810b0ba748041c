package debver_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rules-odp/rules_odp/tools/internal/debver"
)

// tricky lists hand-picked pairs with the order dpkg gives them (checked
// against `dpkg --compare-versions` by TestCompareMatchesDpkg).
var tricky = []struct {
	a, b string
	want int
}{
	{"1.0", "1.0", 0},
	{"1.0", "1.00", 0},
	{"1.001", "1.1", 0},
	{"0:1.0", "1.0", 0},
	{"00:1.0", "1.0", 0},
	{"1.0-0", "1.0", 0},
	{"1.0", "1.0-0.0", -1},
	{"1.0~rc1", "1.0", -1},
	{"1.0~rc1", "1.0~rc2", -1},
	{"1.0~~", "1.0~~a", -1},
	{"1.0~~a", "1.0~", -1},
	{"1.0~", "1.0", -1},
	{"1.0", "1.0a", -1},
	{"1.0a", "1.0+", -1},
	{"1.0+", "1.0.", -1},
	{"1.0", "1.0+b1", -1},
	{"1.0-1", "1.0-1+b1", -1},
	{"1.0-1~bpo12+1", "1.0-1", -1},
	{"1.0-1", "1.0-1.1", -1},
	{"1.0-2", "1.0-10", -1},
	{"1.0+dfsg-1", "1.0-1", 1},
	{"1.0.0", "1.0", 1},
	{"1:0.1", "9.9", 1},
	{"2:1.0", "10:0.1", -1},
	{"1:2:3-4", "1:2:3-5", -1},
	{"1.0-2-3", "1.0-2-4", -1},
	{"1.0-2-3", "1.0-3", 1},
	{"1.99999999999999999999999", "1.100000000000000000000000", -1},
	{"12345678901234567890", "12345678901234567891", -1},
	{"1.2.3", "1.2.3.0", -1},
	{"1a", "1A", 1},
	{"1Z", "1a", -1},
	{"7.4.052", "7.4.52", 0},
	{"2.36-9+deb12u10", "2.36-9+deb12u9", 1},
	{"17.0.12+7-2~deb12u1", "17.0.12+7-2", -1},
	{"1:16.0.6-15~deb12u1", "1:16.0.6-15", -1},
	{"3.0.11-1~deb12u2", "3.0.11-1", -1},
}

func TestCompare(t *testing.T) {
	for _, tc := range tricky {
		t.Run(tc.a+"_vs_"+tc.b, func(t *testing.T) {
			a, b := mustParse(t, tc.a), mustParse(t, tc.b)
			if got := debver.Compare(a, b); got != tc.want {
				t.Errorf("Compare(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
			}
			if got := debver.Compare(b, a); got != -tc.want {
				t.Errorf("Compare(%q, %q) = %d, want %d", tc.b, tc.a, got, -tc.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in     string
		want   debver.Version
		canon  string
		reason string
	}{
		{"1.0", debver.Version{Upstream: "1.0"}, "1.0", ""},
		{"0:1.0-1", debver.Version{Upstream: "1.0", Revision: "1"}, "1.0-1", "epoch 0 is dropped"},
		{"1:2:3-4-5", debver.Version{Epoch: 1, Upstream: "2:3-4", Revision: "5"}, "1:2:3-4-5", "colons and hyphens in upstream"},
		{"1:16.0.6-15~deb12u1", debver.Version{Epoch: 1, Upstream: "16.0.6", Revision: "15~deb12u1"}, "1:16.0.6-15~deb12u1", ""},
		{"2.36-9+deb12u10", debver.Version{Upstream: "2.36", Revision: "9+deb12u10"}, "2.36-9+deb12u10", ""},
		{"0", debver.Version{Upstream: "0"}, "0", ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := debver.Parse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tc.in, diff)
			}
			if s := got.String(); s != tc.canon {
				t.Errorf("String() = %q, want %q", s, tc.canon)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{
		"",
		" 1.0",
		"1.0 ",
		"1 0",
		":1.0",
		"a:1.0",
		"-1:1.0",
		"99999999999:1.0",
		"1:",
		"1.0-",
		"-1",
		"a1.0",
		"~1",
		"1.0_1",
		"1.0-1_1",
		"1.0-1:1",
		"1.0-a-",
		"1.0/1",
	} {
		t.Run(in, func(t *testing.T) {
			if v, err := debver.Parse(in); err == nil {
				t.Errorf("Parse(%q) = %+v, want an error", in, v)
			}
		})
	}
}

func mustParse(t *testing.T, s string) debver.Version {
	t.Helper()
	v, err := debver.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
