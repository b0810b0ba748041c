package sbom

import (
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// purlEscape percent-encodes a purl component as the reference
// implementations do: every byte but ASCII letters, digits and "-._~".
func purlEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// purl renders pkg:TYPE/NAMESPACE/NAME@VERSION?QUALIFIERS with the
// qualifiers sorted by key and empty ones left out.
func purl(typ, namespace, name, version string, qualifiers map[string]string) string {
	var b strings.Builder
	b.WriteString("pkg:")
	b.WriteString(typ)
	b.WriteByte('/')
	for _, seg := range strings.Split(namespace, "/") {
		if seg != "" {
			b.WriteString(purlEscape(seg))
			b.WriteByte('/')
		}
	}
	b.WriteString(purlEscape(name))
	if version != "" {
		b.WriteByte('@')
		b.WriteString(purlEscape(version))
	}
	var keys []string
	for k, v := range qualifiers {
		if v != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(purlEscape(qualifiers[k]))
	}
	return b.String()
}

// DebPURL is pkg:deb/debian/NAME@VERSION?arch=ARCH.
func DebPURL(name, version, arch string) string {
	return purl("deb", "debian", name, version, map[string]string{"arch": arch})
}

var pypiSeparators = regexp.MustCompile(`[-_.]+`)

// NormalizePythonName is the PEP 503 normal form of a distribution name:
// lower case, runs of "-", "_" and "." as one "-". pip, PyPI and purl
// compare names in this form.
func NormalizePythonName(name string) string {
	return pypiSeparators.ReplaceAllString(strings.ToLower(name), "-")
}

// PythonPURL is pkg:pypi/NAME@VERSION with NAME normalised.
func PythonPURL(name, version string) string {
	return purl("pypi", "", NormalizePythonName(name), version, nil)
}

// MavenPURL is pkg:maven/GROUP/ARTIFACT@VERSION.
func MavenPURL(group, artifact, version string) string {
	return purl("maven", group, artifact, version, nil)
}

// OCIPURL is pkg:oci/NAME@DIGEST?repository_url=REPO for an image known
// as repository (or a plain name) and digest.
func OCIPURL(repository, digest string) string {
	name := repository
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	q := map[string]string{}
	if strings.Contains(repository, "/") {
		q["repository_url"] = repository
	}
	return purl("oci", "", strings.ToLower(name), digest, q)
}

var repositoryRE = regexp.MustCompile(`^(localhost|[a-zA-Z0-9.-]+\.[a-zA-Z0-9.-]+|[a-zA-Z0-9.-]+:[0-9]+|\[[0-9a-fA-F:]+\](:[0-9]+)?)(/[a-z0-9]+([._-][a-z0-9]+)*)+$`)

// isRepository reports whether name is a registry repository
// (HOST[:PORT]/PATH, no tag or digest), which an OCI purl can name.
func isRepository(name string) bool { return repositoryRE.MatchString(name) }
