package sbom

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

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
