package sde_test

import (
	"strings"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/sde"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "1700000000": 1700000000, "00042": 42, "8589934591": sde.Max} {
		if got, err := sde.Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "-1", "+1", " 1", "1 ", "1.5", "1e9", "0x10", "8589934592", "99999999999999999999"} {
		if _, err := sde.Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded, want an error", bad)
		}
	}
}

func TestResolve(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == sde.EnvVar {
				return v
			}
			return ""
		}
	}
	for _, tc := range []struct {
		name, flag string
		getenv     func(string) string
		want       int64
		err        string
	}{
		{"default", "", nil, 0, ""},
		{"env", "", env("7"), 7, ""},
		{"flag wins", "9", env("7"), 9, ""},
		{"bad flag", "x", nil, 0, "--source-date-epoch"},
		{"bad env", "", env("yesterday"), 0, "$SOURCE_DATE_EPOCH"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := sde.Resolve(tc.flag, tc.getenv)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one naming %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Resolve = %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"0", "1700000000", "-1", "8589934592"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := sde.Parse(s)
		if err == nil && (v < 0 || v > sde.Max) {
			t.Fatalf("Parse(%q) = %d, out of range", s, v)
		}
	})
}
