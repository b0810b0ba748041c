package image

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/rules-odp/rules_odp/tools/internal/budget"
)

// placeBlob puts the blob src at dst without reading it when it can: a
// hard link costs the same for 1 KB and 1 GB. Where a hard link is not
// possible (another file system, or a file the caller may not link, as
// with fs.protected_hardlinks for another user's file) the blob is copied,
// and since the copy reads every byte anyway it is verified against desc
// on the way. Symbolic links are never used: a layout must stay valid
// when its inputs move (Bazel's sandboxes and caches), and some readers
// refuse blobs that are links.
//
// src may itself be a symlink (Bazel stages inputs as symlinks): it is
// resolved first, as link(2) would otherwise link the symlink itself.
func placeBlob(src, dst string, desc Descriptor) error {
	if _, err := os.Lstat(dst); err == nil {
		return nil // the same digest was placed already
	}
	real, err := filepath.EvalSymlinks(src)
	if err != nil {
		return fmt.Errorf("resolving blob %s at %q: %w", desc.Digest, src, err)
	}
	if err := os.Link(real, dst); err == nil {
		return nil
	}
	return copyBlob(real, dst, desc)
}

func copyBlob(src, dst string, desc Descriptor) (err error) {
	in, err := budget.Open(src)
	if err != nil {
		return fmt.Errorf("opening blob %s: %w", desc.Digest, err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("creating blob %s: %w", desc.Digest, err)
	}
	defer func() {
		if err != nil {
			out.Close()
			os.Remove(dst)
		}
	}()
	bw := bufio.NewWriterSize(out, 1<<20)
	if _, err := io.Copy(bw, newVerifyingReader(in, src, desc)); err != nil {
		var corrupt *CorruptBlobError
		if errors.As(err, &corrupt) {
			return err
		}
		return fmt.Errorf("copying blob %s from %q: %w", desc.Digest, src, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing blob %s: %w", desc.Digest, err)
	}
	if err := out.Chmod(0o644); err != nil {
		return fmt.Errorf("setting mode of blob %s: %w", desc.Digest, err)
	}
	return out.Close()
}

// writeFile writes a file with mode 0644 whatever the umask.
func writeFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// mkdir creates a directory with mode 0755 whatever the umask.
func mkdir(path string) error {
	if err := os.Mkdir(path, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return os.Chmod(path, 0o755)
}
