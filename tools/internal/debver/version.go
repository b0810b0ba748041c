// Package debver implements the version and relationship syntax of Debian
// binary packages: parsing and ordering versions as dpkg does
// (deb-version(7), Debian Policy §5.6.12) and parsing the relationship
// fields Depends, Pre-Depends and Provides (Policy §7.1).
//
// Parsing is stricter than dpkg's: what dpkg only warns about (a version
// that does not start with a digit, characters outside the allowed set) is
// an error here, because a lock file must not depend on how a tool chooses
// to read malformed input.
package debver

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Version is a parsed Debian version [epoch:]upstream[-revision].
type Version struct {
	// Epoch is 0 when the version has none; "0:1.0" and "1.0" are the
	// same version.
	Epoch    int
	Upstream string
	// Revision is "" when the version has no hyphen.
	Revision string
}

// Parse parses s as dpkg does, rejecting what dpkg warns about.
func Parse(s string) (Version, error) {
	v, err := parse(s)
	if err != nil {
		return Version{}, fmt.Errorf("parsing version %q: %w", s, err)
	}
	return v, nil
}

func parse(s string) (Version, error) {
	if s == "" {
		return Version{}, fmt.Errorf("version string is empty")
	}
	if strings.ContainsAny(s, " \t\n\r\v\f") {
		return Version{}, fmt.Errorf("version string has whitespace")
	}
	var v Version
	rest := s
	if e, after, ok := strings.Cut(s, ":"); ok {
		if e == "" {
			return Version{}, fmt.Errorf("epoch in version is empty")
		}
		for i := 0; i < len(e); i++ {
			if !isDigit(e[i]) {
				return Version{}, fmt.Errorf("epoch in version is not a number")
			}
		}
		n, err := strconv.ParseInt(e, 10, 64)
		if err != nil || n > math.MaxInt32 {
			return Version{}, fmt.Errorf("epoch in version is too big")
		}
		v.Epoch = int(n)
		rest = after
	}
	if i := strings.LastIndexByte(rest, '-'); i >= 0 {
		v.Revision = rest[i+1:]
		rest = rest[:i]
		if v.Revision == "" {
			return Version{}, fmt.Errorf("revision number is empty")
		}
	}
	v.Upstream = rest
	if v.Upstream == "" {
		return Version{}, fmt.Errorf("version number is empty")
	}
	if !isDigit(v.Upstream[0]) {
		return Version{}, fmt.Errorf("version number does not start with digit")
	}
	for i := 0; i < len(v.Upstream); i++ {
		if c := v.Upstream[i]; !isAlnum(c) && !strings.ContainsRune(".-+~:", rune(c)) {
			return Version{}, fmt.Errorf("invalid character %q in version number", c)
		}
	}
	for i := 0; i < len(v.Revision); i++ {
		if c := v.Revision[i]; !isAlnum(c) && !strings.ContainsRune(".+~", rune(c)) {
			return Version{}, fmt.Errorf("invalid character %q in revision number", c)
		}
	}
	return v, nil
}

// String formats v canonically: the epoch only when it is not 0.
func (v Version) String() string {
	var b strings.Builder
	// An upstream version may hold colons only after an explicit epoch:
	// "0:1:2" must not print as "1:2".
	if v.Epoch != 0 || strings.Contains(v.Upstream, ":") {
		b.WriteString(strconv.Itoa(v.Epoch))
		b.WriteByte(':')
	}
	b.WriteString(v.Upstream)
	if v.Revision != "" {
		b.WriteByte('-')
		b.WriteString(v.Revision)
	}
	return b.String()
}

// Compare orders versions as `dpkg --compare-versions` does: it returns a
// negative number, zero or a positive number when a is lower than, equal to
// or higher than b.
func Compare(a, b Version) int {
	if a.Epoch != b.Epoch {
		if a.Epoch < b.Epoch {
			return -1
		}
		return 1
	}
	if c := compareFragment(a.Upstream, b.Upstream); c != 0 {
		return c
	}
	return compareFragment(a.Revision, b.Revision)
}

// compareFragment is dpkg's verrevcmp: alternating runs of non-digits,
// compared character by character with order, and digits, compared as
// numbers of any length.
func compareFragment(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			ac, bc := order(at(a, i)), order(at(b, j))
			if ac != bc {
				return sign(ac - bc)
			}
			i++
			j++
		}
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		firstDiff := 0
		for i < len(a) && j < len(b) && isDigit(a[i]) && isDigit(b[j]) {
			if firstDiff == 0 {
				firstDiff = int(a[i]) - int(b[j])
			}
			i++
			j++
		}
		if i < len(a) && isDigit(a[i]) {
			return 1
		}
		if j < len(b) && isDigit(b[j]) {
			return -1
		}
		if firstDiff != 0 {
			return sign(firstDiff)
		}
	}
	return 0
}

// at returns s[i], or 0 past the end, mirroring the NUL terminator that
// dpkg's comparison relies on.
func at(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

// order ranks a character the way dpkg does: '~' before the end of the
// string, the end before letters, letters before everything else.
func order(c byte) int {
	switch {
	case c == 0, isDigit(c):
		return 0
	case isAlpha(c):
		return int(c)
	case c == '~':
		return -1
	default:
		return int(c) + 256
	}
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlpha(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }
