// Package buildinfo says which odptool this is: its release version (set at
// link time by scripts/release.sh) and the Go toolchain and module versions
// it was built with, as the Go linker recorded them.
package buildinfo

import (
	"runtime"
	"runtime/debug"
	"sort"
)

// version is set by the release build:
// -ldflags "-X github.com/rules-odp/rules_odp/tools/internal/buildinfo.version=0.1.0".
var version string

// Version is the release version, or "devel" for any other build.
func Version() string {
	if version == "" {
		return "devel"
	}
	return version
}

// Module is one Go module linked into odptool.
type Module struct {
	Path    string `json:"path"`
	Version string `json:"version"`
	// Sum is the go.sum hash of the module's content ("h1:..."), when the
	// build recorded it.
	Sum string `json:"sum,omitempty"`
	// Replaced names the module this one stands in for (a `replace`).
	Replaced string `json:"replaced,omitempty"`
}

// Info is what odptool knows of its own build.
type Info struct {
	Version   string `json:"version"`
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
	// Modules are the dependencies, sorted by path; empty when the binary
	// carries no module information (rules_go builds record none).
	Modules []Module `json:"modules"`
	// Settings are the build settings the toolchain recorded (-trimpath,
	// CGO_ENABLED, GOARCH, ...), sorted by key.
	Settings [][2]string `json:"settings,omitempty"`
}

// Read returns the running binary's build information.
func Read() Info {
	info := Info{
		Version:   Version(),
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
		Modules:   []Module{},
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return info
	}
	for _, d := range bi.Deps {
		m := Module{Path: d.Path, Version: d.Version, Sum: d.Sum}
		if d.Replace != nil {
			m = Module{Path: d.Replace.Path, Version: d.Replace.Version, Sum: d.Replace.Sum, Replaced: d.Path}
		}
		info.Modules = append(info.Modules, m)
	}
	sort.Slice(info.Modules, func(i, j int) bool { return info.Modules[i].Path < info.Modules[j].Path })
	for _, s := range bi.Settings {
		info.Settings = append(info.Settings, [2]string{s.Key, s.Value})
	}
	sort.Slice(info.Settings, func(i, j int) bool { return info.Settings[i][0] < info.Settings[j][0] })
	return info
}

// ModuleVersion returns the version of the linked module path, or "" when
// it is not known.
func (i Info) ModuleVersion(path string) string {
	for _, m := range i.Modules {
		if m.Path == path || m.Replaced == path {
			return m.Version
		}
	}
	return ""
}
