// Package atomicfile writes outputs so that a reader (or Bazel) never sees
// a half-written file or directory: content goes to a temporary sibling that
// is renamed into place only once everything succeeded, and is removed on
// any failure.
package atomicfile

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Write creates path with the bytes fn writes. The file gets mode 0644
// regardless of the umask so that outputs do not depend on it.
func Write(path string, fn func(w io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("creating temporary file for %q: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := fn(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing %q: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("setting mode of %q: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("closing %q: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("renaming %q into place: %w", path, err)
	}
	return nil
}

// WriteDir creates the directory dir from what fn writes into the
// temporary directory it is given. An existing dir is replaced only after
// fn succeeded.
func WriteDir(dir string, fn func(tmpDir string) error) (err error) {
	clean := filepath.Clean(dir)
	parent, base := filepath.Split(clean)
	if parent == "" {
		parent = "."
	}
	tmp, err := os.MkdirTemp(parent, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("creating temporary directory for %q: %w", dir, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("setting mode of %q: %w", tmp, err)
	}
	if err := fn(tmp); err != nil {
		return err
	}
	if _, statErr := os.Lstat(clean); statErr == nil {
		old := tmp + ".old"
		if err := os.Rename(clean, old); err != nil {
			return fmt.Errorf("moving old %q aside: %w", dir, err)
		}
		if err := os.Rename(tmp, clean); err != nil {
			os.Rename(old, clean)
			return fmt.Errorf("renaming %q into place: %w", dir, err)
		}
		if err := os.RemoveAll(old); err != nil {
			return fmt.Errorf("removing old %q: %w", dir, err)
		}
		return nil
	}
	if err := os.Rename(tmp, clean); err != nil {
		return fmt.Errorf("renaming %q into place: %w", dir, err)
	}
	return nil
}
