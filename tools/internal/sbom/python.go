package sbom

import (
	"fmt"
	"regexp"
	"strings"
)

// PythonMetadata is what we read of a distribution's METADATA or PKG-INFO
// (the core metadata specification, an RFC 822 header block).
type PythonMetadata struct {
	Name, Version     string
	License           string
	LicenseExpression string
	Classifiers       []string
}

// PEP 508 names; versions without white space (PEP 440 is not enforced:
// legacy versions exist in real images).
var (
	pythonNameRE    = regexp.MustCompile(`^(?i:[a-z0-9]|[a-z0-9][a-z0-9._-]*[a-z0-9])$`)
	pythonVersionRE = regexp.MustCompile(`^[^\s]+$`)
)

// ParsePythonMetadata reads the header block of a METADATA or PKG-INFO
// file, up to the first empty line (the description follows it). A line
// that is neither "Name: value" nor a continuation is an error, and so
// are a missing or invalid Name or Version.
func ParsePythonMetadata(data []byte) (PythonMetadata, error) {
	var m PythonMetadata
	var last *string
	seen := map[string]bool{}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if i == 0 {
				return m, fmt.Errorf("line 1: continuation line without a field")
			}
			if last != nil {
				*last += "\n" + strings.TrimSpace(line)
			}
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return m, fmt.Errorf("line %d: not a \"Name: value\" header", i+1)
		}
		value = strings.TrimSpace(value)
		key := strings.ToLower(name)
		last = nil
		switch key {
		case "name", "version", "license", "license-expression":
			if seen[key] {
				return m, fmt.Errorf("line %d: second %s header", i+1, name)
			}
			seen[key] = true
			switch key {
			case "name":
				m.Name, last = value, &m.Name
			case "version":
				m.Version, last = value, &m.Version
			case "license":
				m.License, last = value, &m.License
			case "license-expression":
				m.LicenseExpression, last = value, &m.LicenseExpression
			}
		case "classifier":
			m.Classifiers = append(m.Classifiers, value)
		}
	}
	if !pythonNameRE.MatchString(m.Name) {
		return m, fmt.Errorf("distribution Name %q is not a valid name", m.Name)
	}
	if !pythonVersionRE.MatchString(m.Version) {
		return m, fmt.Errorf("distribution %s: Version %q is not a version", m.Name, m.Version)
	}
	return m, nil
}

// pythonMetadataPath reports whether p is a distribution's metadata file
// and returns the path naming the distribution (the .dist-info or
// .egg-info directory, or the single-file .egg-info).
func pythonMetadataPath(p string) (string, bool) {
	dir, base := splitPath(p)
	switch {
	case base == "METADATA" && strings.HasSuffix(dir, ".dist-info"):
		return dir, true
	case base == "PKG-INFO" && strings.HasSuffix(dir, ".egg-info"):
		return dir, true
	case strings.HasSuffix(base, ".egg-info"):
		return p, true
	}
	return "", false
}

func splitPath(p string) (dir, base string) {
	i := strings.LastIndex(p, "/")
	if i < 0 {
		return "", p
	}
	return p[:i], p[i+1:]
}
