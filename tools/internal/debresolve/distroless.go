package debresolve

import (
	"bytes"
	"fmt"
	"maps"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/rules-odp/rules_odp/tools/internal/debver"
	"github.com/rules-odp/rules_odp/tools/internal/strictjson"
)

// ImportedFromDistroless is Lock.ImportedFrom for a lock made by
// ImportDistrolessLock.
const ImportedFromDistroless = "rules_distroless"

// distrolessLock is the lock file of rules_distroless's apt extension
// (apt/private/lockfile.bzl), "version": 1: releases 0.3 and 0.4 write one
// "url" per package, 0.5 a list "urls" (its reader still accepts "url").
// "arch" is the architecture the package was resolved for, not the
// package's own (an Architecture: all package is listed under amd64).
// "dependencies" are recorded for the requested packages only, as their
// transitive closure.
type distrolessLock struct {
	Version  *int                `json:"version"`
	Packages []distrolessPackage `json:"packages"`
}

type distrolessPackage struct {
	Key          string             `json:"key"`
	Name         string             `json:"name"`
	Version      string             `json:"version"`
	URL          string             `json:"url"`
	URLs         []string           `json:"urls"`
	SHA256       string             `json:"sha256"`
	Arch         string             `json:"arch"`
	Dependencies []distrolessDepRef `json:"dependencies"`
}

type distrolessDepRef struct {
	Key     string `json:"key"`
	Name    string `json:"name"`
	Version string `json:"version"`
}

// ImportDistrolessLock turns a rules_distroless lock into ours for arch
// ("" means the lock's only architecture), keeping every package's exact
// version and SHA-256. Our filename is the archive's pool path, cut from
// the package's URL at "/pool/"; its architecture ("all" or arch) is read
// from the pool file's name (NAME_VERSION_ARCH.deb, as the archive names
// it). Roots are the packages no other package depends on, or whose
// dependencies the lock records; depends are the recorded dependencies;
// sizes are 0 (rules_distroless does not record them); each package's
// index is the archive base of its first URL (the part before "/pool/"),
// and indexes lists those bases. Whatever cannot be mapped is an error
// naming the package.
func ImportDistrolessLock(data []byte, arch string) (*Lock, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("the lock is empty (rules_distroless writes an empty lock before its first resolution): nothing to import")
	}
	var in distrolessLock
	if err := strictjson.UnmarshalKnown(data, &in); err != nil {
		return nil, fmt.Errorf("parsing rules_distroless lock: %w", err)
	}
	if in.Version == nil || *in.Version != 1 {
		v := "none"
		if in.Version != nil {
			v = fmt.Sprint(*in.Version)
		}
		return nil, fmt.Errorf("rules_distroless lock version %s is not supported (want 1, written by rules_distroless 0.3 to 0.5)", v)
	}
	arches := map[string]bool{}
	for _, p := range in.Packages {
		arches[p.Arch] = true
	}
	if arch == "" {
		if len(arches) != 1 {
			return nil, fmt.Errorf("the lock holds packages for the architectures %s: choose one", strings.Join(slices.Sorted(maps.Keys(arches)), ", "))
		}
		for a := range arches {
			arch = a
		}
	}
	if err := debver.CheckName(arch); err != nil || arch == "all" {
		return nil, fmt.Errorf("architecture %q is not a Debian architecture", arch)
	}
	if !arches[arch] {
		return nil, fmt.Errorf("the lock holds no package for the architecture %q", arch)
	}

	type nv struct{ name, version string }
	locked := map[string]*LockedPackage{}
	byNV := map[nv]bool{}
	depended := map[string]bool{}
	var order []string // names in lock order
	var indexes []string
	for i, p := range in.Packages {
		if p.Arch != arch {
			continue
		}
		label := p.Name
		if label == "" {
			label = fmt.Sprintf("#%d", i+1)
		}
		lp, base, err := importPackage(p, arch)
		if err != nil {
			return nil, fmt.Errorf("package %s: %w", label, err)
		}
		if prev := locked[p.Name]; prev != nil {
			return nil, fmt.Errorf("package %s is listed twice, in versions %s and %s: our lock holds one version of each package", p.Name, prev.Version, p.Version)
		}
		locked[p.Name] = lp
		byNV[nv{p.Name, p.Version}] = true
		order = append(order, p.Name)
		if !slices.Contains(indexes, base) {
			indexes = append(indexes, base)
		}
		for _, d := range p.Dependencies {
			depended[d.Name] = true
		}
	}
	l := &Lock{
		LockVersion:  LockVersion,
		Arch:         arch,
		Roots:        []string{},
		Exclude:      []string{},
		Indexes:      indexes,
		Packages:     make([]LockedPackage, 0, len(locked)),
		ImportedFrom: ImportedFromDistroless,
	}
	for _, p := range in.Packages {
		if p.Arch != arch {
			continue
		}
		for _, d := range p.Dependencies {
			if !byNV[nv{d.Name, d.Version}] {
				return nil, fmt.Errorf("package %s depends on %s %s, which the lock does not hold for %s", p.Name, d.Name, d.Version, arch)
			}
		}
	}
	for _, name := range order {
		if !depended[name] || len(locked[name].Depends) > 0 {
			l.Roots = append(l.Roots, name)
		}
	}
	slices.Sort(order)
	for _, name := range order {
		l.Packages = append(l.Packages, *locked[name])
	}
	return l, nil
}

// importPackage maps one package; base is the archive base of its first
// URL.
func importPackage(p distrolessPackage, arch string) (*LockedPackage, string, error) {
	if err := debver.CheckName(p.Name); err != nil {
		return nil, "", err
	}
	if _, err := debver.Parse(p.Version); err != nil {
		return nil, "", fmt.Errorf("version: %w", err)
	}
	if !sha256Re.MatchString(p.SHA256) {
		return nil, "", fmt.Errorf("sha256 %q is not 64 lowercase hex digits", p.SHA256)
	}
	urls := p.URLs
	switch {
	case p.URL != "" && len(p.URLs) > 0:
		return nil, "", fmt.Errorf("has both \"url\" and \"urls\"")
	case p.URL != "":
		urls = []string{p.URL}
	case len(urls) == 0:
		return nil, "", fmt.Errorf("has no URL")
	}
	var filename, base string
	for _, u := range urls {
		b, f, err := poolPath(u)
		if err != nil {
			return nil, "", err
		}
		if filename == "" {
			filename, base = f, b
		} else if f != filename {
			return nil, "", fmt.Errorf("its URLs name different pool files, %s and %s", filename, f)
		}
	}
	fileArch, err := archFromPoolName(filename, p.Name, p.Version)
	if err != nil {
		return nil, "", err
	}
	if fileArch != arch && fileArch != "all" {
		return nil, "", fmt.Errorf("%s is a package for %s, but the lock lists it for %s", filename, fileArch, arch)
	}
	deps := []string{}
	for _, d := range p.Dependencies {
		if d.Name != p.Name && !slices.Contains(deps, d.Name) {
			deps = append(deps, d.Name)
		}
	}
	slices.Sort(deps)
	return &LockedPackage{
		Name: p.Name, Version: p.Version, Arch: fileArch,
		Filename: filename, SHA256: p.SHA256, Size: 0,
		Depends: deps, Index: base,
	}, base, nil
}

// poolPath cuts a package URL into the archive base and the pool path
// ("pool/main/...").
func poolPath(raw string) (base, filename string, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", fmt.Errorf("URL %q: %w", raw, err)
	}
	if u.Scheme == "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", "", fmt.Errorf("URL %q is not an absolute URL without query or fragment", raw)
	}
	i := strings.Index(raw, "/pool/")
	if i < 0 {
		return "", "", fmt.Errorf("URL %q has no /pool/ path: cannot tell the archive's pool path of the package", raw)
	}
	base, rest := raw[:i], raw[i+1:]
	filename, err = url.PathUnescape(rest)
	if err != nil {
		return "", "", fmt.Errorf("URL %q: %w", raw, err)
	}
	if path.Clean(filename) != filename || strings.Contains(filename, "/../") || !strings.HasSuffix(filename, ".deb") || strings.ContainsAny(filename, "\\\x00") {
		return "", "", fmt.Errorf("URL %q: pool path %q is not a clean path to a .deb", raw, filename)
	}
	return base, filename, nil
}

// archFromPoolName reads the architecture from an archive file name,
// NAME_VERSION_ARCH.deb with the version's epoch left out, checking name
// and version.
func archFromPoolName(filename, name, version string) (string, error) {
	parts := strings.Split(strings.TrimSuffix(path.Base(filename), ".deb"), "_")
	_, noEpoch, hasEpoch := strings.Cut(version, ":")
	if !hasEpoch {
		noEpoch = version
	}
	if len(parts) != 3 || parts[0] != name || parts[1] != noEpoch || debver.CheckName(parts[2]) != nil {
		return "", fmt.Errorf("the pool file %s is not named %s_%s_ARCH.deb: cannot tell its architecture", path.Base(filename), name, noEpoch)
	}
	return parts[2], nil
}
