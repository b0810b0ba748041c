package sbom

import (
	"archive/zip"
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MavenCoordinates are what a pom.properties says.
type MavenCoordinates struct {
	Group, Artifact, Version string
}

var (
	mavenIDRE      = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	mavenVersionRE = regexp.MustCompile(`^[^\s/\\]+$`)
)

// ParsePomProperties reads a Java properties file (the subset Maven
// writes and java.util.Properties reads: comments, "=", ":" or white
// space separators, backslash continuations and escapes) and returns its
// groupId, artifactId and version, which must all be present and valid.
func ParsePomProperties(data []byte) (MavenCoordinates, error) {
	props, err := parseProperties(data)
	if err != nil {
		return MavenCoordinates{}, err
	}
	c := MavenCoordinates{Group: props["groupId"], Artifact: props["artifactId"], Version: props["version"]}
	switch {
	case !mavenIDRE.MatchString(c.Group):
		return c, fmt.Errorf("groupId %q is not a Maven group", c.Group)
	case !mavenIDRE.MatchString(c.Artifact):
		return c, fmt.Errorf("artifactId %q is not a Maven artifact", c.Artifact)
	case !mavenVersionRE.MatchString(c.Version):
		return c, fmt.Errorf("version %q of %s:%s is not a version", c.Version, c.Group, c.Artifact)
	}
	return c, nil
}

func parseProperties(data []byte) (map[string]string, error) {
	if !utf8.Valid(data) {
		data = []byte(latin1(data))
	}
	lines := strings.Split(strings.ReplaceAll(strings.ReplaceAll(string(data), "\r\n", "\n"), "\r", "\n"), "\n")
	props := map[string]string{}
	for i := 0; i < len(lines); i++ {
		line := strings.TrimLeft(lines[i], " \t\f")
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		// Join continuation lines: an odd number of trailing backslashes.
		for trailingBackslashes(line)%2 == 1 {
			line = line[:len(line)-1]
			i++
			if i == len(lines) {
				break
			}
			line += strings.TrimLeft(lines[i], " \t\f")
		}
		key, value, err := splitProperty(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		props[key] = value
	}
	return props, nil
}

func latin1(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

func trailingBackslashes(s string) int {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n
}

// splitProperty splits at the first unescaped '=', ':' or white space and
// unescapes both sides.
func splitProperty(line string) (string, string, error) {
	end := len(line)
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == '\\' {
			i++
			continue
		}
		if c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f' {
			end = i
			break
		}
	}
	rest := strings.TrimLeft(line[end:], " \t\f")
	if rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = strings.TrimLeft(rest[1:], " \t\f")
	}
	key, err := unescapeProperty(line[:end])
	if err != nil {
		return "", "", err
	}
	value, err := unescapeProperty(rest)
	if err != nil {
		return "", "", err
	}
	return key, value, nil
}

func unescapeProperty(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i == len(s) {
			break
		}
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+5 > len(s) {
				return "", errors.New(`malformed \uXXXX escape`)
			}
			v, err := strconv.ParseUint(s[i+1:i+5], 16, 16)
			if err != nil {
				return "", errors.New(`malformed \uXXXX escape`)
			}
			b.WriteRune(rune(v))
			i += 4
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), nil
}

// ParseManifest reads the main section of a jar's META-INF/MANIFEST.MF
// ("Name: value" headers, continuation lines starting with one space,
// up to the first empty line).
func ParseManifest(data []byte) (map[string]string, error) {
	out := map[string]string{}
	last := ""
	for i, line := range strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") {
		if line == "" {
			break
		}
		if line[0] == ' ' {
			if last == "" {
				return nil, fmt.Errorf("line %d: continuation line without a header", i+1)
			}
			out[last] += line[1:]
			continue
		}
		name, value, ok := strings.Cut(line, ": ")
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return nil, fmt.Errorf("line %d: not a \"Name: value\" header", i+1)
		}
		last = name
		out[name] = value
	}
	return out, nil
}

// jarNode is one jar and what it says about itself.
type jarNode struct {
	path         string // "a.jar", "a.jar!BOOT-INF/lib/b.jar"
	sha256, sha1 string
	poms         []MavenCoordinates // sorted by pom.properties path
	manifest     map[string]string
	children     []*jarNode
}

func isJarName(name string) bool {
	l := strings.ToLower(name)
	return strings.HasSuffix(l, ".jar") || strings.HasSuffix(l, ".war") || strings.HasSuffix(l, ".ear")
}

// hashReader returns the hex SHA-256 and SHA-1 of r.
func hashReader(r io.Reader) (string, string, error) {
	h256, h1 := sha256.New(), sha1.New()
	if _, err := io.Copy(io.MultiWriter(h256, h1), r); err != nil {
		return "", "", err
	}
	return hex.EncodeToString(h256.Sum(nil)), hex.EncodeToString(h1.Sum(nil)), nil
}

// scanJar reads a jar's pom.properties, manifest and nested jars. Nested
// jars stored without compression (as Spring Boot stores BOOT-INF/lib)
// are read in place; compressed ones are inflated into memory within
// Limits.NestedJar.
func scanJar(ra io.ReaderAt, size int64, jarPath string, depth int, lim Limits) (*jarNode, error) {
	zr, err := zip.NewReader(ra, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, fmt.Errorf("jar %s: %w", jarPath, err)
	}
	if len(zr.File) > lim.JarEntries {
		return nil, fmt.Errorf("jar %s has %d entries (the budget is %d)", jarPath, len(zr.File), lim.JarEntries)
	}
	node := &jarNode{path: jarPath}
	type pom struct {
		name string
		c    MavenCoordinates
	}
	var poms []pom
	for _, f := range zr.File {
		name := f.Name
		switch {
		case strings.HasSuffix(name, "/"):
		case strings.HasPrefix(name, "META-INF/maven/") && strings.HasSuffix(name, "/pom.properties"):
			data, err := readZipText(f, lim.JarText)
			if err != nil {
				return nil, fmt.Errorf("jar %s: %s: %w", jarPath, name, err)
			}
			c, err := ParsePomProperties(data)
			if err != nil {
				return nil, fmt.Errorf("jar %s: %s: %w", jarPath, name, err)
			}
			poms = append(poms, pom{name, c})
		case name == "META-INF/MANIFEST.MF":
			data, err := readZipText(f, lim.JarText)
			if err != nil {
				return nil, fmt.Errorf("jar %s: %s: %w", jarPath, name, err)
			}
			if node.manifest, err = ParseManifest(data); err != nil {
				return nil, fmt.Errorf("jar %s: %s: %w", jarPath, name, err)
			}
		case isJarName(name):
			if depth+1 >= lim.JarDepth {
				return nil, fmt.Errorf("jar %s: %s is nested more than %d jars deep", jarPath, name, lim.JarDepth)
			}
			child, err := scanNested(ra, f, jarPath+"!"+name, depth+1, lim)
			if err != nil {
				return nil, err
			}
			node.children = append(node.children, child)
		}
	}
	sort.Slice(poms, func(i, j int) bool { return poms[i].name < poms[j].name })
	for _, p := range poms {
		node.poms = append(node.poms, p.c)
	}
	sort.Slice(node.children, func(i, j int) bool { return node.children[i].path < node.children[j].path })
	return node, nil
}

func scanNested(outer io.ReaderAt, f *zip.File, p string, depth int, lim Limits) (*jarNode, error) {
	var ra io.ReaderAt
	var size int64
	if f.Method == zip.Store {
		off, err := f.DataOffset()
		if err != nil {
			return nil, fmt.Errorf("jar %s: %w", p, err)
		}
		if f.CompressedSize64 > uint64(1<<62) {
			return nil, fmt.Errorf("jar %s: size %d out of range", p, f.CompressedSize64)
		}
		size = int64(f.CompressedSize64)
		ra = io.NewSectionReader(outer, off, size)
	} else {
		data, err := readZipLimited(f, lim.NestedJar)
		if err != nil {
			return nil, fmt.Errorf("jar %s: %w", p, err)
		}
		ra, size = bytes.NewReader(data), int64(len(data))
	}
	s256, s1, err := hashReader(io.NewSectionReader(ra, 0, size))
	if err != nil {
		return nil, fmt.Errorf("jar %s: %w", p, err)
	}
	node, err := scanJar(ra, size, p, depth, lim)
	if err != nil {
		return nil, err
	}
	node.sha256, node.sha1 = s256, s1
	return node, nil
}

func readZipText(f *zip.File, limit int64) ([]byte, error) {
	return readZipLimited(f, limit)
}

func readZipLimited(f *zip.File, limit int64) ([]byte, error) {
	if f.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("%s is %d bytes (the budget is %d)", f.Name, f.UncompressedSize64, limit)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", f.Name, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s inflates to more than %d bytes", f.Name, limit)
	}
	return data, nil
}
