package debresolve_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/debresolve"
	"github.com/rules-odp/rules_odp/tools/internal/golden"
)

func TestLockGolden(t *testing.T) {
	sources := []string{indexA, indexB}
	ix := readSynthetic(t, sources...)
	req := debresolve.Request{Roots: []string{"app-alt", "app-excl", "app-multi"}, Exclude: []string{"base-thing"}}
	pkgs, err := debresolve.Resolve(ix, req)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := debresolve.NewLock("amd64", req, sources, pkgs).Encode(&got); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "golden", "lock.json"), got.Bytes())

	// Resolving again, with the indexes read afresh, gives the same bytes.
	pkgs2, err := debresolve.Resolve(readSynthetic(t, sources...), req)
	if err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := debresolve.NewLock("amd64", req, sources, pkgs2).Encode(&again); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), got.Bytes()) {
		t.Error("a second resolution gave different bytes")
	}

	l, err := debresolve.DecodeLock(bytes.NewReader(got.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var reenc bytes.Buffer
	if err := l.Encode(&reenc); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(reenc.Bytes(), got.Bytes()) {
		t.Error("decoding and encoding the lock changed it")
	}
}

func TestLockEmptyListsAreArrays(t *testing.T) {
	ix := readSynthetic(t, indexA)
	req := debresolve.Request{Roots: []string{"gamma"}}
	pkgs, err := debresolve.Resolve(ix, req)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := debresolve.NewLock("amd64", req, []string{indexA}, pkgs).Encode(&b); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	for _, want := range []string{`"exclude": []`, `"depends": []`} {
		if !strings.Contains(s, want) {
			t.Errorf("lock lacks %s:\n%s", want, s)
		}
	}
	if strings.Contains(s, "null") || !strings.HasSuffix(s, "}\n") {
		t.Errorf("lock has null or no trailing newline:\n%s", s)
	}
}

func TestDecodeLockErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"lock_version": 2}`, "lock_version 2 is not supported"},
		{`{"lock_version": 1, "extra": true}`, "unknown field"},
		{`{"lock_version": 1} {}`, "data after"},
		{`[`, "parsing lock"},
	} {
		if _, err := debresolve.DecodeLock(strings.NewReader(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("DecodeLock(%s) = %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
}
