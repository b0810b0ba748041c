package deb

import (
	"archive/tar"
	"fmt"
	"io"
	"strings"

	"github.com/rules-odp/rules_odp/tools/internal/deb822"
)

// readControl reads control.tar, the current ar member. deb(5) says it holds
// plain files and optionally an entry for "."; anything else is an error.
func (p *Package) readControl(size, limit int64) error {
	member := p.ControlMember
	// Errors are wrapped below, with the entry being read.
	s, err := openStream(member, p.ar, size, limit, func(err error) error { return err })
	if err != nil {
		return p.wrap(member, err)
	}
	tr := tar.NewReader(s)
	var control []byte
	seen := map[string]bool{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return p.wrap(member, err)
		}
		name := strings.TrimPrefix(h.Name, "./")
		if name == "" || name == "." {
			if h.Typeflag != tar.TypeDir {
				return p.errorf(member, "entry %q is not a directory", h.Name)
			}
			continue
		}
		if h.Typeflag != tar.TypeReg {
			return p.errorf(member, "entry %q has type %q, but control.tar holds only plain files", h.Name, h.Typeflag)
		}
		if strings.Contains(name, "/") || name == ".." {
			return p.errorf(member, "entry %q is not a plain file name", h.Name)
		}
		if seen[name] {
			return p.errorf(member, "duplicate entry %q", h.Name)
		}
		seen[name] = true
		p.ControlFiles = append(p.ControlFiles, name)
		switch name {
		case "control", "md5sums", "conffiles":
			// The stream's limit bounds what ReadAll can take.
			b, err := io.ReadAll(tr)
			if err != nil {
				return p.wrap(member, fmt.Errorf("reading %q: %w", h.Name, err))
			}
			switch name {
			case "control":
				control = b
			case "md5sums":
				p.MD5Sums = b
			case "conffiles":
				p.Conffiles = b
			}
		}
	}
	if err := s.finish(); err != nil {
		return p.wrap(member, err)
	}
	if control == nil {
		return p.errorf(member, "no control file")
	}
	para, err := deb822.ParseOne(control)
	if err != nil {
		return p.errorf(member, "control file: %w", err)
	}
	p.Control = Control{
		Package:      para.Get("Package"),
		Version:      para.Get("Version"),
		Architecture: para.Get("Architecture"),
		Depends:      para.Get("Depends"),
		PreDepends:   para.Get("Pre-Depends"),
		Provides:     para.Get("Provides"),
		Paragraph:    para,
	}
	for _, f := range []string{"Package", "Version", "Architecture"} {
		if !para.Has(f) {
			return p.errorf(member, "control file has no %s field", f)
		}
	}
	return nil
}
