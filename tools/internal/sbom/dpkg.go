package sbom

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"

	"github.com/rules-odp/rules_odp/tools/internal/deb822"
)

// DebRecord is one package of a dpkg status file or record.
type DebRecord struct {
	Package, Version, Architecture string
	Source, SourceVersion          string
}

// Debian Policy §5.6.1 and §5.6.12, as dpkg checks them.
var (
	debNameRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`)
	debVersionRE = regexp.MustCompile(`^([0-9]+:)?[0-9A-Za-z.+~:-]+$`)
	debArchRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	sourceRE     = regexp.MustCompile(`^(\S+)(?: \((\S+)\))?$`)
)

// ParseDpkgStatus reads a dpkg status file (var/lib/dpkg/status, several
// paragraphs) or record (var/lib/dpkg/status.d/<pkg>, usually one). It
// returns the packages whose files are on disk: a Status saying
// "not-installed" or "config-files" drops the paragraph, as dpkg -l would
// not list it with files. Every paragraph must name a valid Package,
// Version and Architecture.
func ParseDpkgStatus(data []byte) ([]DebRecord, error) {
	r := deb822.NewReader(bytes.NewReader(data))
	r.MaxParagraphSize = len(data) + 1
	var out []DebRecord
	for n := 1; ; n++ {
		p, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if st := strings.Fields(p.Get("Status")); len(st) == 3 && (st[2] == "not-installed" || st[2] == "config-files") {
			continue
		}
		rec := DebRecord{Package: p.Get("Package"), Version: p.Get("Version"), Architecture: p.Get("Architecture")}
		switch {
		case !debNameRE.MatchString(rec.Package):
			return nil, fmt.Errorf("paragraph %d: Package %q is not a Debian package name", n, rec.Package)
		case !debVersionRE.MatchString(rec.Version):
			return nil, fmt.Errorf("paragraph %d (%s): Version %q is not a Debian version", n, rec.Package, rec.Version)
		case !debArchRE.MatchString(rec.Architecture):
			return nil, fmt.Errorf("paragraph %d (%s): Architecture %q is not a Debian architecture", n, rec.Package, rec.Architecture)
		}
		if src := p.Get("Source"); src != "" {
			m := sourceRE.FindStringSubmatch(src)
			if m == nil || !debNameRE.MatchString(m[1]) || m[2] != "" && !debVersionRE.MatchString(m[2]) {
				return nil, fmt.Errorf("paragraph %d (%s): Source %q is not NAME or NAME (VERSION)", n, rec.Package, src)
			}
			rec.Source, rec.SourceVersion = m[1], m[2]
		}
		if rec.Source == "" {
			rec.Source = rec.Package
		}
		if rec.SourceVersion == "" {
			rec.SourceVersion = rec.Version
		}
		out = append(out, rec)
	}
}

// ParseMD5Sums reads a dpkg md5sums list ("<32 hex>  <path>" lines) and
// returns the paths, relative to the root.
func ParseMD5Sums(data []byte) ([]string, error) {
	var out []string
	for i, line := range strings.Split(string(data), "\n") {
		if line == "" {
			continue
		}
		if len(line) < 34 || !isHex(line[:32]) || line[32] != ' ' {
			return nil, fmt.Errorf("line %d: not \"<md5>  <path>\"", i+1)
		}
		p := strings.TrimLeft(line[33:], " *")
		if p == "" || strings.ContainsRune(p, 0) {
			return nil, fmt.Errorf("line %d: no path", i+1)
		}
		out = append(out, cleanRel(p))
	}
	return out, nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// cleanRel cleans p and makes it relative to the root ("./a/../b" -> "b").
func cleanRel(p string) string {
	return strings.TrimPrefix(path.Clean("/"+p), "/")
}

// mergedUsrAlias is where a merged-/usr repack puts a path a package
// lists under bin, sbin or lib*.
func mergedUsrAlias(p string) string {
	first, _, _ := strings.Cut(p, "/")
	if first == "bin" || first == "sbin" || strings.HasPrefix(first, "lib") {
		return "usr/" + p
	}
	return ""
}

// errNotDEP5 says a copyright file is not machine-readable.
var errNotDEP5 = errors.New("not a machine-readable (DEP-5) copyright file")

// ParseCopyright reads a Debian copyright file. If it is machine-readable
// (DEP-5: a first paragraph whose Format names copyright-format/1.0), it
// returns the SPDX license expression of the licenses its Files
// paragraphs declare, joined with AND; otherwise errNotDEP5. A DEP-5 file
// whose syntax is broken is treated as not machine-readable: Debian
// tooling would not read it either.
func ParseCopyright(data []byte) (string, error) {
	paras, err := parseControlLenient(data)
	if err != nil || len(paras) == 0 {
		return "", errNotDEP5
	}
	format := paras[0]["format"]
	if !strings.Contains(format, "copyright-format/1.0") && !strings.Contains(format, "dep.debian.net/deps/dep5") {
		return "", errNotDEP5
	}
	var exprs []string
	for _, p := range paras[1:] {
		if _, files := p["files"]; !files {
			continue
		}
		first, _, _ := strings.Cut(p["license"], "\n")
		first = strings.TrimSpace(first)
		if first == "" {
			continue
		}
		exprs = append(exprs, DEP5License(first))
	}
	return joinAnd(exprs), nil
}

// parseControlLenient splits deb822-style text into paragraphs of fields
// (names lower-cased, continuation lines joined with "\n"), skipping
// comment lines. A line that is neither a field nor a continuation is an
// error.
func parseControlLenient(data []byte) ([]map[string]string, error) {
	var out []map[string]string
	var cur map[string]string
	var last string
	for i, line := range strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		if strings.TrimSpace(line) == "" {
			cur, last = nil, ""
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if cur == nil || last == "" {
				return nil, fmt.Errorf("line %d: continuation line without a field", i+1)
			}
			cur[last] += "\n" + strings.TrimSpace(line)
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return nil, fmt.Errorf("line %d: not a field", i+1)
		}
		if cur == nil {
			cur = map[string]string{}
			out = append(out, cur)
		}
		last = strings.ToLower(name)
		cur[last] = strings.TrimSpace(value)
	}
	return out, nil
}
