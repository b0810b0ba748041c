// Package dpkgdb reads the dpkg database an image's file system carries:
// which Debian packages are installed, in which version, and which files
// each owns. Two layouts exist and both are read:
//
//   - dpkg's own: the status file var/lib/dpkg/status (a paragraph per
//     package) and var/lib/dpkg/info/<pkg>[:<arch>].list and .md5sums;
//   - distroless's, which our .deb repacker writes too:
//     var/lib/dpkg/status.d/<pkg> (the package's status record) and
//     var/lib/dpkg/status.d/<pkg>.md5sums.
//
// The parsers take untrusted bytes (a base image's files) and refuse what
// dpkg would not have written. View stacks the database files of an image's
// layers as a runtime does (later layers replace files, whiteouts delete
// them), and DB answers who owns a path. Used by image assembly (the
// ownership checks), `deb lock --exclude-installed` and the SBOM scanner.
package dpkgdb

import (
	"bytes"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"

	"github.com/rules-odp/rules_odp/tools/internal/deb822"
)

// Paths of the dpkg database, relative to the root.
const (
	StatusFile = "var/lib/dpkg/status"
	StatusDir  = "var/lib/dpkg/status.d"
	InfoDir    = "var/lib/dpkg/info"
)

// Record is one installed package of a status file or record.
type Record struct {
	Package, Version, Architecture string
	// Source and SourceVersion default to Package and Version.
	Source, SourceVersion string
	// MultiArch and Provides are the fields as written ("" when absent).
	MultiArch, Provides string
	// Conffiles are the package's configuration files (dpkg's Conffiles
	// field), relative to the root: meant to be changed by the
	// administrator, so nobody's overwriting them is a conflict.
	Conffiles []string
}

// Debian Policy §5.6.1 and §5.6.12, as dpkg checks them.
var (
	nameRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`)
	versionRE = regexp.MustCompile(`^([0-9]+:)?[0-9A-Za-z.+~:-]+$`)
	archRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	sourceRE  = regexp.MustCompile(`^(\S+)(?: \((\S+)\))?$`)
)

// ValidName reports whether s is a Debian package name.
func ValidName(s string) bool { return nameRE.MatchString(s) }

// ParseStatus reads a dpkg status file (var/lib/dpkg/status, several
// paragraphs) or record (var/lib/dpkg/status.d/<pkg>, usually one). It
// returns the packages whose files are on disk: a Status saying
// "not-installed" or "config-files" drops the paragraph, as dpkg -l would
// not list it with files. Every paragraph must name a valid Package,
// Version and Architecture.
func ParseStatus(data []byte) ([]Record, error) {
	r := deb822.NewReader(bytes.NewReader(data))
	r.MaxParagraphSize = len(data) + 1
	var out []Record
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
		rec := Record{
			Package: p.Get("Package"), Version: p.Get("Version"), Architecture: p.Get("Architecture"),
			MultiArch: p.Get("Multi-Arch"), Provides: p.Get("Provides"),
		}
		switch {
		case !nameRE.MatchString(rec.Package):
			return nil, fmt.Errorf("paragraph %d: Package %q is not a Debian package name", n, rec.Package)
		case !versionRE.MatchString(rec.Version):
			return nil, fmt.Errorf("paragraph %d (%s): Version %q is not a Debian version", n, rec.Package, rec.Version)
		case !archRE.MatchString(rec.Architecture):
			return nil, fmt.Errorf("paragraph %d (%s): Architecture %q is not a Debian architecture", n, rec.Package, rec.Architecture)
		}
		if src := p.Get("Source"); src != "" {
			m := sourceRE.FindStringSubmatch(src)
			if m == nil || !nameRE.MatchString(m[1]) || m[2] != "" && !versionRE.MatchString(m[2]) {
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
		if c := p.Get("Conffiles"); c != "" {
			if rec.Conffiles, err = parseConffiles(c); err != nil {
				return nil, fmt.Errorf("paragraph %d (%s): %w", n, rec.Package, err)
			}
		}
		out = append(out, rec)
	}
}

// parseConffiles reads dpkg's Conffiles field: one "PATH MD5 [FLAG...]"
// per line, PATH absolute.
func parseConffiles(v string) ([]string, error) {
	var out []string
	for _, line := range strings.Split(v, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 2 || !strings.HasPrefix(f[0], "/") {
			return nil, fmt.Errorf("field Conffiles: line %q is not \"/PATH MD5\"", line)
		}
		if p := cleanRel(f[0]); p != "" {
			out = append(out, p)
		}
	}
	return out, nil
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
		p := cleanRel(strings.TrimLeft(line[33:], " *"))
		if p == "" || strings.ContainsRune(p, 0) {
			return nil, fmt.Errorf("line %d: no path", i+1)
		}
		out = append(out, p)
	}
	return out, nil
}

// ParseList reads a dpkg file list (var/lib/dpkg/info/<pkg>.list): one
// absolute path per line, directories included, "/." for the root (which
// is left out of the result). Paths are returned relative to the root.
func ParseList(data []byte) ([]string, error) {
	var out []string
	for i, line := range strings.Split(string(data), "\n") {
		if line == "" {
			continue
		}
		if !strings.HasPrefix(line, "/") || strings.ContainsRune(line, 0) {
			return nil, fmt.Errorf("line %d: %.256q is not an absolute path", i+1, line)
		}
		if p := cleanRel(line); p != "" {
			out = append(out, p)
		}
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

// cleanRel cleans p and makes it relative to the root ("./a/../b" -> "b",
// "/." -> "").
func cleanRel(p string) string {
	return strings.TrimPrefix(path.Clean("/"+p), "/")
}

// Kind says what a file of an image is in the dpkg database.
type Kind int

const (
	// NotDatabase is any other file.
	NotDatabase Kind = iota
	// Status is var/lib/dpkg/status.
	Status
	// StatusRecord is var/lib/dpkg/status.d/<pkg>.
	StatusRecord
	// MD5Sums is var/lib/dpkg/status.d/<pkg>.md5sums or
	// var/lib/dpkg/info/<pkg>[:<arch>].md5sums.
	MD5Sums
	// List is var/lib/dpkg/info/<pkg>[:<arch>].list.
	List
)

// Classify says what the file at p (clean, relative to the root) is in the
// dpkg database and, for the files of one package, names the package
// (without the architecture qualifier). A file of status.d that names no
// package is an error: scanners would misread it.
func Classify(p string) (Kind, string, error) {
	if p == StatusFile {
		return Status, "", nil
	}
	dir, base := path.Split(p)
	switch strings.TrimSuffix(dir, "/") {
	case StatusDir:
		if pkg, ok := strings.CutSuffix(base, ".md5sums"); ok && nameRE.MatchString(pkg) {
			return MD5Sums, pkg, nil
		}
		if !nameRE.MatchString(base) {
			return NotDatabase, "", fmt.Errorf("%s is neither a package's status record nor its md5sums", p)
		}
		return StatusRecord, base, nil
	case InfoDir:
		for _, k := range []struct {
			suffix string
			kind   Kind
		}{{".md5sums", MD5Sums}, {".list", List}} {
			if pkg, ok := strings.CutSuffix(base, k.suffix); ok {
				pkg, _, _ = strings.Cut(pkg, ":")
				if nameRE.MatchString(pkg) {
					return k.kind, pkg, nil
				}
			}
		}
	}
	return NotDatabase, "", nil
}
