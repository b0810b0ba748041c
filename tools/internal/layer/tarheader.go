package layer

import (
	"archive/tar"
	"time"
)

type timeValue = time.Time

func unixTime(sec int64) time.Time { return time.Unix(sec, 0).UTC() }

// header is the one constructor of every tar header we write. The format
// is fixed: USTAR, with PAX records only where USTAR cannot hold a value
// (paths or link targets over its limits). User and group names are always
// empty, owners numeric, access/change times and xattrs never written,
// device numbers zero, directories named with a trailing "/".
func header(e *Entry, mtime time.Time) *tar.Header {
	h := &tar.Header{
		Name:    e.Path,
		Mode:    int64(e.Mode),
		Uid:     e.UID,
		Gid:     e.GID,
		ModTime: mtime,
		Format:  tar.FormatPAX,
	}
	switch e.Type {
	case TypeDir:
		h.Typeflag = tar.TypeDir
		h.Name += "/"
	case TypeFile:
		h.Typeflag = tar.TypeReg
		h.Size = e.Size
	case TypeSymlink:
		h.Typeflag = tar.TypeSymlink
		h.Linkname = e.Link
	case TypeHardlink:
		h.Typeflag = tar.TypeLink
		h.Linkname = e.Link
	}
	return h
}
