package budget

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// Open opens an input file for reading. path may be a symlink (Bazel stages
// inputs as symlinks); what it names must be a regular file. A FIFO, device
// or socket is refused without reading from it: it would block forever or
// stream without end. The file is opened non-blocking (harmless for a
// regular file; opening a FIFO without a writer would otherwise block) and
// checked again once open, so a file swapped in between is caught too.
func Open(path string) (*os.File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := CheckRegular(path, st); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	st, err = f.Stat()
	if err == nil {
		err = CheckRegular(path, st)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// CheckRegular fails unless st, the information of path, is a regular
// file, naming what it is instead.
func CheckRegular(path string, st fs.FileInfo) error {
	if st.Mode().IsRegular() {
		return nil
	}
	return fmt.Errorf("%q is %s, not a regular file", path, kindOf(st.Mode()))
}

func kindOf(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "an irregular file"
}

// ReadFile reads a whole input file of at most limit bytes (see Open).
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := ReadAll(f, limit)
	if err != nil {
		return nil, fmt.Errorf("reading %q: %w", path, err)
	}
	return b, nil
}

// ReadAll reads r to its end, failing with an *Error as soon as it has
// more than limit bytes.
func ReadAll(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, &Error{Budget: "bytes of a file read into memory", Limit: limit, Got: int64(len(b))}
	}
	return b, nil
}
