package jarnorm

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

type manifestHeader struct {
	name  string
	value []byte
}

// NormalizeManifest rewrites a META-INF/MANIFEST.MF: the volatile
// attributes (DefaultDropManifestAttributes and opts.DropManifestAttributes)
// are removed from the main section, everything else keeps its order, line
// endings become CRLF, sections are separated by one empty line and lines
// are wrapped at 72 bytes the way java.util.jar.Manifest writes them.
func NormalizeManifest(manifest []byte, opts Options) ([]byte, error) {
	sections, err := parseManifest(manifest)
	if err != nil {
		return nil, err
	}
	drop := map[string]bool{}
	for _, list := range [][]string{DefaultDropManifestAttributes, opts.DropManifestAttributes} {
		for _, name := range list {
			drop[strings.ToLower(name)] = true
		}
	}
	var out bytes.Buffer
	for i, section := range sections {
		for _, h := range section {
			if i == 0 && drop[strings.ToLower(h.name)] {
				continue
			}
			println72(&out, append([]byte(h.name+": "), h.value...))
		}
		out.WriteString("\r\n")
	}
	return out.Bytes(), nil
}

// parseManifest splits a manifest into its main section (always first,
// possibly empty) and its per-entry sections, joining continuation lines.
func parseManifest(data []byte) ([][]manifestHeader, error) {
	var lines [][]byte
	for len(data) > 0 {
		i := bytes.IndexAny(data, "\r\n")
		if i < 0 {
			return nil, fmt.Errorf("manifest: the last line %q has no line ending, so Java ignores it; end it with a newline", data)
		}
		lines = append(lines, data[:i])
		if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			i++
		}
		data = data[i+1:]
	}
	sections := [][]manifestHeader{nil}
	open := true // whether the last section is still being read
	for n, line := range lines {
		last := &sections[len(sections)-1]
		switch {
		case len(line) == 0:
			open = false
		case line[0] == ' ':
			if !open || len(*last) == 0 {
				return nil, fmt.Errorf("manifest line %d: continuation line %q does not follow a header", n+1, line)
			}
			h := &(*last)[len(*last)-1]
			h.value = append(h.value, line[1:]...)
		default:
			if !open {
				sections = append(sections, nil)
				last = &sections[len(sections)-1]
				open = true
			}
			h, err := parseHeader(line)
			if err != nil {
				return nil, fmt.Errorf("manifest line %d: %w", n+1, err)
			}
			if len(sections) > 1 && len(*last) == 0 && !strings.EqualFold(h.name, "Name") {
				return nil, fmt.Errorf("manifest line %d: a per-entry section must start with a Name header, not %q", n+1, h.name)
			}
			*last = append(*last, h)
		}
	}
	for _, section := range sections {
		for _, h := range section {
			if !utf8.Valid(h.value) {
				return nil, fmt.Errorf("manifest: the value of %s is not valid UTF-8", h.name)
			}
		}
	}
	return sections, nil
}

// parseHeader reads "Name: value"; names follow the jar specification:
// 1 to 70 of [A-Za-z0-9_-].
func parseHeader(line []byte) (manifestHeader, error) {
	i := bytes.IndexByte(line, ':')
	if i < 0 || i+1 >= len(line) || line[i+1] != ' ' {
		return manifestHeader{}, fmt.Errorf("%q is not a \"Name: value\" header", line)
	}
	name := string(line[:i])
	if err := checkHeaderName(name); err != nil {
		return manifestHeader{}, err
	}
	return manifestHeader{name: name, value: append([]byte(nil), line[i+2:]...)}, nil
}

func checkHeaderName(name string) error {
	if len(name) == 0 || len(name) > 70 {
		return fmt.Errorf("header name %q must be 1 to 70 characters long", name)
	}
	for _, c := range []byte(name) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return errors.New("header name " + fmt.Sprintf("%q", name) + " may only hold letters, digits, '-' and '_'")
		}
	}
	return nil
}

// println72 writes line the way java.util.jar.Manifest.println72 does: at
// most 72 bytes per line, continuation lines start with a space, split on
// bytes (not characters), CRLF line endings.
func println72(out *bytes.Buffer, line []byte) {
	if len(line) > 0 {
		out.WriteByte(line[0])
		pos := 1
		for len(line)-pos > 71 {
			out.Write(line[pos : pos+71])
			pos += 71
			out.WriteString("\r\n ")
		}
		out.Write(line[pos:])
	}
	out.WriteString("\r\n")
}
