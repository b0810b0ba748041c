package debrepack

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/rules-odp/rules_odp/tools/internal/budget"
	"github.com/rules-odp/rules_odp/tools/internal/deb"
	"github.com/rules-odp/rules_odp/tools/internal/deb822"
	"github.com/rules-odp/rules_odp/tools/internal/layer"
)

// Options control a repack. The zero value is not the default: use
// DefaultOptions and change what differs.
type Options struct {
	// MergedUsr rewrites bin/, sbin/ and lib*/ to usr/... and drops those
	// top-level directory entries, for merged-/usr bases (Debian bookworm
	// and later, distroless debian12). On by default: a layer shipping a
	// lib/ directory masks the base's /lib -> usr/lib symlink and breaks
	// every binary in the image.
	MergedUsr bool
	// StatusRecord adds var/lib/dpkg/status.d/<package> (and
	// <package>.md5sums when the package has them), as distroless images
	// carry, so that scanners see the package.
	StatusRecord bool
	Layer        layer.Options
	Limits       Limits
}

// DefaultOptions: merged /usr, a status record, uncompressed, mtime 0.
func DefaultOptions() Options {
	return Options{MergedUsr: true, StatusRecord: true, Limits: DefaultLimits}
}

// StatusDir is where per-package dpkg status records go, as in distroless
// images (Trivy, grype and syft read it).
const StatusDir = "var/lib/dpkg/status.d"

// Package is what a repack learned about the package.
type Package struct {
	Name, Version, Architecture string
}

// DefaultLayerName is the seed's layer name for a package:
// "<package>_<arch>.tar" or ".tar.gz".
func DefaultLayerName(p Package, c layer.Compression) string {
	name := p.Name + "_" + p.Architecture + ".tar"
	if c == layer.Gzip {
		name += ".gz"
	}
	return name
}

// Entries reads the .deb from r (named name in messages) and returns the
// layer entries it repacks to.
func Entries(r io.Reader, name string, opts Options) ([]layer.Entry, Package, error) {
	if opts.Limits == (Limits{}) {
		opts.Limits = DefaultLimits
	}
	pkg, err := deb.Open(r, name)
	if err != nil {
		return nil, Package{}, err
	}
	ctl := pkg.Control
	info := Package{Name: ctl.Package, Version: ctl.Version, Architecture: ctl.Architecture}
	label := fmt.Sprintf("%s (%s %s)", name, info.Name, info.Version)
	data, err := pkg.Data()
	if err != nil {
		return nil, info, err
	}
	c := &converter{pkg: label, mergedUsr: opts.MergedUsr, limits: opts.Limits, content: pkg.Content}
	if err := c.readAll(data); err != nil {
		return nil, info, err
	}
	if err := pkg.Close(); err != nil {
		return nil, info, err
	}
	if opts.StatusRecord {
		status, err := statusEntries(pkg)
		if err != nil {
			return nil, info, fmt.Errorf("%s: %w", label, err)
		}
		for _, e := range status {
			if _, dup := c.seen[e.Path]; dup {
				return nil, info, fmt.Errorf("%s: the package itself ships %q, where the dpkg status record goes", label, e.Path)
			}
		}
		c.entries = append(c.entries, status...)
	}
	return c.entries, info, nil
}

// statusEntries renders the package's control paragraph as a dpkg status
// record ("Status: install ok installed" after "Package", as dpkg writes
// it) plus its md5sums.
func statusEntries(pkg *deb.Package) ([]layer.Entry, error) {
	name := pkg.Control.Package
	if err := layer.CheckPath(name); err != nil || strings.Contains(name, "/") {
		return nil, fmt.Errorf("package name %q cannot name a status record", name)
	}
	var fields []deb822.Field
	for _, f := range pkg.Control.Paragraph.Fields {
		if strings.EqualFold(f.Name, "Status") {
			continue
		}
		fields = append(fields, f)
		if strings.EqualFold(f.Name, "Package") {
			fields = append(fields, deb822.Field{Name: "Status", Value: "install ok installed"})
		}
	}
	record, err := deb822.Paragraph{Fields: fields}.Format()
	if err != nil {
		return nil, fmt.Errorf("rendering the dpkg status record: %w", err)
	}
	out := []layer.Entry{bytesEntry(StatusDir+"/"+name, record)}
	if len(pkg.MD5Sums) > 0 {
		out = append(out, bytesEntry(StatusDir+"/"+name+".md5sums", pkg.MD5Sums))
	}
	return out, nil
}

func bytesEntry(p string, data []byte) layer.Entry {
	return layer.Entry{Path: p, Type: layer.TypeFile, Mode: 0o644, Size: int64(len(data)),
		Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(string(data))), nil }}
}

// RepackFile repacks the .deb at in into the layer out. If out is a
// directory, the layer is written there under DefaultLayerName with
// compression opts.Layer.Compression. It returns the path written.
func RepackFile(in, out string, opts Options) (string, layer.Result, error) {
	f, err := budget.Open(in)
	if err != nil {
		return "", layer.Result{}, fmt.Errorf("opening package: %w", err)
	}
	defer f.Close()
	entries, info, err := Entries(f, filepath.Base(in), opts)
	if err != nil {
		return "", layer.Result{}, err
	}
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		out = filepath.Join(out, DefaultLayerName(info, opts.Layer.Compression))
	}
	res, err := layer.WriteFile(out, entries, opts.Layer)
	if err != nil {
		return "", layer.Result{}, fmt.Errorf("%s (%s %s): %w", filepath.Base(in), info.Name, info.Version, err)
	}
	return out, res, nil
}
