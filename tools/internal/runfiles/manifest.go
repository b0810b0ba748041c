package runfiles

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/rules-odp/rules_odp/tools/internal/budget"
)

// maxManifestLine bounds one manifest line: two paths of at most 4096
// bytes (Linux PATH_MAX, which layer.CheckPath enforces too), escaped.
const maxManifestLine = budget.ManifestLineBytes

// ParseManifest reads Bazel's runfiles manifest (<binary>.runfiles_manifest
// or <binary>.runfiles/MANIFEST): one "RPATH SRC" line per runfile, where an
// empty SRC means an empty file. A line that starts with a space is in
// Bazel 7's escaped form: "\s", "\n" and "\b" stand for space, newline and
// backslash in RPATH, "\n" and "\b" in SRC. Every file is KindFile or
// KindEmpty: the manifest no longer says what was a symlink.
func ParseManifest(r io.Reader) ([]File, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var files []File
	for lineNo := 1; ; lineNo++ {
		line, err := readLine(br)
		if err == io.EOF {
			return files, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading manifest line %d: %w", lineNo, err)
		}
		f, err := parseManifestLine(line)
		if err != nil {
			return nil, fmt.Errorf("manifest line %d: %w", lineNo, err)
		}
		files = append(files, f)
	}
}

// readLine returns the next line without its "\n"; io.EOF only when no
// bytes are left (a last line without "\n" is a line).
func readLine(br *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		chunk, err := br.ReadSlice('\n')
		if b.Len()+len(chunk) > maxManifestLine+1 {
			return "", fmt.Errorf("line longer than %d bytes", maxManifestLine)
		}
		b.Write(chunk)
		switch {
		case err == nil:
			return strings.TrimSuffix(b.String(), "\n"), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF && b.Len() > 0:
			return b.String(), nil
		default:
			return "", err
		}
	}
}

func parseManifestLine(line string) (File, error) {
	if line == "" {
		return File{}, fmt.Errorf("empty line")
	}
	var rpath, src string
	if escaped, ok := strings.CutPrefix(line, " "); ok {
		erp, esrc, _ := strings.Cut(escaped, " ")
		var err error
		if rpath, err = unescape(erp, true); err != nil {
			return File{}, fmt.Errorf("runfiles path %q: %w", erp, err)
		}
		if src, err = unescape(esrc, false); err != nil {
			return File{}, fmt.Errorf("source %q: %w", esrc, err)
		}
	} else {
		rpath, src, _ = strings.Cut(line, " ")
	}
	if rpath == "" {
		return File{}, fmt.Errorf("no runfiles path in %q", line)
	}
	if src == "" {
		return File{RPath: rpath, Kind: KindEmpty}, nil
	}
	return File{RPath: rpath, Src: src, Kind: KindFile}, nil
}

func unescape(s string, spaces bool) (string, error) {
	if !strings.ContainsRune(s, '\\') {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 == len(s) {
			return "", fmt.Errorf("dangling backslash")
		}
		i++
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 'b':
			b.WriteByte('\\')
		case 's':
			if !spaces {
				return "", fmt.Errorf(`"\s" is not an escape in a source path`)
			}
			b.WriteByte(' ')
		default:
			return "", fmt.Errorf("unknown escape %q", s[i-1:i+1])
		}
	}
	return b.String(), nil
}

// ManifestLine formats one manifest line (with its "\n") as Bazel does,
// escaping only when a path needs it.
func ManifestLine(rpath, target string) string {
	if !strings.ContainsAny(rpath, " \n\\") && !strings.ContainsAny(target, "\n\\") {
		return rpath + " " + target + "\n"
	}
	r := strings.NewReplacer("\\", `\b`, "\n", `\n`, " ", `\s`)
	t := strings.NewReplacer("\\", `\b`, "\n", `\n`)
	return " " + r.Replace(rpath) + " " + t.Replace(target) + "\n"
}
