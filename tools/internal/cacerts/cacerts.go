// Package cacerts makes the CA bundle /etc/ssl/certs/ca-certificates.crt
// from Debian's ca-certificates package without running its maintainer
// scripts.
//
// On Debian the bundle is written by update-ca-certificates, which the
// postinst runs after filling /etc/ca-certificates.conf with every
// "*.crt" regular file under /usr/share/ca-certificates, as paths relative
// to that directory sorted bytewise (`find | sort`). For each listed file
// the script appends the file's content to the bundle, adding a newline
// when the file does not end in one (`sed -e '$a\'`). Bundle reproduces
// exactly that, with all certificates enabled (the package's default) and
// no local certificates (/usr/local/share/ca-certificates is empty in a
// fresh image).
//
// Unlike the script, which copies whatever the files hold, every
// certificate file must be one PEM CERTIFICATE block that crypto/x509
// parses: a bundle silently missing or mangling a root breaks TLS at run
// time, far from the build that caused it.
package cacerts

import (
	"archive/tar"
	"crypto/x509"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/rules-odp/rules_odp/tools/internal/budget"
	"github.com/rules-odp/rules_odp/tools/internal/deb"
	"github.com/rules-odp/rules_odp/tools/internal/layer"
)

const (
	// CertsDir is where the package installs its certificates, relative
	// to the root; /etc/ca-certificates.conf names files relative to it.
	CertsDir = "usr/share/ca-certificates"
	// BundlePath is where update-ca-certificates writes the bundle.
	BundlePath = "etc/ssl/certs/ca-certificates.crt"

	// MaxCertSize bounds one certificate file. Real roots are 1-3 KiB; the
	// files are held in memory.
	MaxCertSize = 1 << 20
	// MaxCerts bounds the number of certificate files (Debian ships ~150).
	MaxCerts = 10000
)

// Certificate is one certificate file of the bundle.
type Certificate struct {
	// Path is relative to CertsDir, as /etc/ca-certificates.conf lists it,
	// e.g. "mozilla/ISRG_Root_X1.crt".
	Path string
	Cert *x509.Certificate
}

// Bundle is the CA bundle made from a ca-certificates package.
type Bundle struct {
	// Package and Version are those of the .deb read.
	Package, Version string
	// Certificates are the certificate files, in bundle order.
	Certificates []Certificate
	// Data is the bundle's content, byte for byte what
	// update-ca-certificates writes.
	Data []byte
}

// ReadFile is Read of the .deb at path.
func ReadFile(path string) (*Bundle, error) {
	f, err := budget.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f, path)
}

// Read makes the bundle from the ca-certificates .deb read from r; name
// identifies the package in errors. A package without certificates, a
// certificate file that is not exactly one parsable PEM certificate, a
// link or other non-regular entry under CertsDir, and a certificate name
// the maintainer scripts would mangle are errors.
func Read(r io.Reader, name string) (*Bundle, error) {
	p, err := deb.Open(r, name)
	if err != nil {
		return nil, err
	}
	tr, err := p.Data()
	if err != nil {
		return nil, err
	}
	type file struct {
		rel  string
		data []byte
	}
	var files []file
	seen := map[string]bool{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: reading data.tar: %w", name, err)
		}
		if h.Name == "./" || h.Name == "." {
			continue // the root directory, which every package has
		}
		clean, err := layer.CleanPath(h.Name)
		if err != nil {
			return nil, fmt.Errorf("%s: data.tar entry %q: %w", name, h.Name, err)
		}
		rel, under := strings.CutPrefix(clean, CertsDir+"/")
		if !under {
			continue
		}
		if seen[rel] {
			return nil, fmt.Errorf("%s: %s appears twice in data.tar", name, clean)
		}
		seen[rel] = true
		switch h.Typeflag {
		case tar.TypeDir:
			continue
		case tar.TypeReg:
		default:
			// find -type f skips links, which would leave a certificate the
			// package meant to ship out of the bundle without a word.
			return nil, fmt.Errorf("%s: %s is not a regular file or directory (tar type %q): only regular certificate files are supported", name, clean, h.Typeflag)
		}
		if !strings.HasSuffix(rel, ".crt") {
			continue
		}
		if err := checkName(rel); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", name, clean, err)
		}
		if len(files) == MaxCerts {
			return nil, fmt.Errorf("%s: more than %d certificate files under %s", name, MaxCerts, CertsDir)
		}
		if h.Size > MaxCertSize {
			return nil, fmt.Errorf("%s: %s is %d bytes, more than the %d a certificate file may have", name, clean, h.Size, MaxCertSize)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("%s: reading %s: %w", name, clean, err)
		}
		files = append(files, file{rel, data})
	}
	if err := p.Close(); err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no certificate files (%s/**/*.crt) in package %s %s", name, CertsDir, p.Control.Package, p.Control.Version)
	}
	// The postinst lists them with `sort`, in the C locale: bytewise.
	sort.Slice(files, func(i, j int) bool { return files[i].rel < files[j].rel })
	b := &Bundle{Package: p.Control.Package, Version: p.Control.Version}
	size := 0
	for _, f := range files {
		size += len(f.data) + 1
	}
	b.Data = make([]byte, 0, size)
	for _, f := range files {
		cert, err := ParsePEM(f.data)
		if err != nil {
			return nil, fmt.Errorf("%s: %s/%s: %w", name, CertsDir, f.rel, err)
		}
		b.Certificates = append(b.Certificates, Certificate{Path: f.rel, Cert: cert})
		b.Data = append(b.Data, f.data...)
		if f.data[len(f.data)-1] != '\n' {
			b.Data = append(b.Data, '\n')
		}
	}
	return b, nil
}

// checkName refuses certificate paths that the maintainer scripts would
// not carry through unchanged: the debconf config splits the list on
// white space and expands globs, update-ca-certificates reads it with
// `read -r` (stripping blanks) and drops lines starting with '#' or '!'.
func checkName(rel string) error {
	if rel[0] == '#' || rel[0] == '!' {
		return fmt.Errorf("certificate path starts with %q, which /etc/ca-certificates.conf reads as a comment or a deselection", rel[0])
	}
	for i := 0; i < len(rel); i++ {
		c := rel[i]
		if c <= ' ' || c == 0x7f || strings.IndexByte(`*?[\`, c) >= 0 {
			return fmt.Errorf("certificate path has byte %q, which the maintainer scripts split, strip or expand", c)
		}
	}
	return nil
}
