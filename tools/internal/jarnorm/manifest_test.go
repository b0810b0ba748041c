package jarnorm_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rules-odp/rules_odp/tools/internal/jarnorm"
)

func TestNormalizeManifest(t *testing.T) {
	long := "Class-Path: " + strings.Repeat("x", 100)
	utf := "X-Odd: " + strings.Repeat("é", 40) // 7 + 80 bytes: the wrap splits a character, as the JDK does
	for _, tc := range []struct {
		name, in, want string
		drop           []string
	}{
		{name: "already canonical", in: "Manifest-Version: 1.0\r\nMain-Class: Main\r\n\r\n", want: "Manifest-Version: 1.0\r\nMain-Class: Main\r\n\r\n"},
		{name: "LF and CR endings", in: "Manifest-Version: 1.0\nMain-Class: Main\rX-A: b\n", want: "Manifest-Version: 1.0\r\nMain-Class: Main\r\nX-A: b\r\n\r\n"},
		{name: "volatile attributes dropped, any case", in: "Manifest-Version: 1.0\nbuilt-by: bob\nBUILD-JDK-SPEC: 17\nCreated-By: Maven\nBnd-LastModified: 1700000000000\nMain-Class: Main\n", want: "Manifest-Version: 1.0\r\nMain-Class: Main\r\n\r\n"},
		{name: "extra drops", in: "Manifest-Version: 1.0\nGit-Commit: abc\nMain-Class: Main\n", drop: []string{"git-commit"}, want: "Manifest-Version: 1.0\r\nMain-Class: Main\r\n\r\n"},
		{name: "order kept", in: "Main-Class: Main\nManifest-Version: 1.0\n", want: "Main-Class: Main\r\nManifest-Version: 1.0\r\n\r\n"},
		{name: "rewrapped at 72 bytes", in: "Class-Path: xxxxxxxxxx\n " + strings.Repeat("x", 90) + "\n", want: long[:72] + "\r\n " + long[72:] + "\r\n\r\n"},
		{
			name: "split inside a UTF-8 character",
			in:   utf + "\n",
			want: utf[:72] + "\r\n " + utf[72:] + "\r\n\r\n",
		},
		{name: "exactly 72 bytes is one line", in: "X-A: " + strings.Repeat("y", 67) + "\n", want: "X-A: " + strings.Repeat("y", 67) + "\r\n\r\n"},
		{
			name: "last line without a newline is refused",
			in:   "Manifest-Version: 1.0\n\n\n\nName: a/\nBuilt-By: kept\n\nName: b/\nSealed: true",
			want: "",
		},
		{
			name: "sections",
			in:   "Manifest-Version: 1.0\n\n\n\nName: a/\nBuilt-By: kept\n\nname: b/\nSealed: true\n",
			want: "Manifest-Version: 1.0\r\n\r\nName: a/\r\nBuilt-By: kept\r\n\r\nname: b/\r\nSealed: true\r\n\r\n",
		},
		{name: "empty value", in: "X-Empty: \n", want: "X-Empty: \r\n\r\n"},
		{name: "value with colons", in: "X-Url: http://example.com:80/x\n", want: "X-Url: http://example.com:80/x\r\n\r\n"},
		{name: "empty manifest", in: "", want: "\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := jarnorm.NormalizeManifest([]byte(tc.in), jarnorm.Options{DropManifestAttributes: tc.drop})
			if tc.want == "" {
				if err == nil {
					t.Fatalf("NormalizeManifest succeeded with %q, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("NormalizeManifest (-want +got):\n%s", diff)
			}
			for _, line := range strings.Split(string(got), "\r\n") {
				if len(line) > 72 {
					t.Errorf("line of %d bytes: %q", len(line), line)
				}
			}
		})
	}
}
