package deb822

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxParagraphSize bounds the bytes of one paragraph so that hostile
// input cannot make the reader buffer without end. The largest paragraphs of
// Debian's indexes are a few tens of KiB.
const DefaultMaxParagraphSize = 16 << 20

// SyntaxError is returned for malformed input. Line counts from 1.
type SyntaxError struct {
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
}

// Reader reads paragraphs one at a time, so that indexes of any size are
// parsed in constant memory.
type Reader struct {
	// MaxParagraphSize is the largest paragraph, in bytes of input, that
	// Next accepts. NewReader sets it to DefaultMaxParagraphSize.
	MaxParagraphSize int

	br    *bufio.Reader
	line  int // number of the last line read
	start int // line on which the last paragraph returned started
	err   error

	buf   []byte
	spans []span
	long  []byte         // assembles lines longer than br's buffer
	names map[string]int // lower-cased field names to lines, for long paragraphs
}

// span locates a field in Reader.buf.
type span struct {
	nameEnd, valStart, valEnd int
	nameStart                 int
	line                      int
}

// NewReader returns a Reader that reads from r. It buffers r itself.
func NewReader(r io.Reader) *Reader {
	return newReader(r, 64<<10)
}

func newReader(r io.Reader, bufSize int) *Reader {
	return &Reader{
		MaxParagraphSize: DefaultMaxParagraphSize,
		br:               bufio.NewReaderSize(r, bufSize),
	}
}

// Line returns the number of the line on which the paragraph last returned
// by Next starts, for messages about its content.
func (r *Reader) Line() int { return r.start }

// Next returns the next paragraph, or io.EOF when there are no more. Errors
// other than io.EOF are sticky; syntax errors are *SyntaxError.
func (r *Reader) Next() (Paragraph, error) {
	if r.err != nil {
		return Paragraph{}, r.err
	}
	p, err := r.next()
	if err != nil {
		r.err = err
	}
	return p, err
}

func (r *Reader) next() (Paragraph, error) {
	r.buf = r.buf[:0]
	r.spans = r.spans[:0]
	for {
		line, err := r.readLine()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Paragraph{}, err
		}
		if blankLine(line) {
			if len(r.spans) > 0 {
				break
			}
			continue
		}
		if len(r.spans) == 0 {
			r.start = r.line
		}
		if len(r.buf)+len(line)+1 > r.MaxParagraphSize {
			return Paragraph{}, r.errorf("paragraph starting on line %d is larger than %d bytes", r.start, r.MaxParagraphSize)
		}
		if isBlank(line[0]) {
			if len(r.spans) == 0 {
				return Paragraph{}, r.errorf("continuation line outside a field")
			}
			r.buf = append(r.buf, '\n')
			r.buf = append(r.buf, line...)
			r.spans[len(r.spans)-1].valEnd = len(r.buf)
			continue
		}
		if err := r.finishField(); err != nil {
			return Paragraph{}, err
		}
		if err := r.startField(line); err != nil {
			return Paragraph{}, err
		}
	}
	if len(r.spans) == 0 {
		return Paragraph{}, io.EOF
	}
	if err := r.finishField(); err != nil {
		return Paragraph{}, err
	}
	// One string per paragraph: the fields are substrings of it, which keeps
	// allocation per paragraph constant.
	s := string(r.buf)
	fields := make([]Field, len(r.spans))
	for i, sp := range r.spans {
		fields[i] = Field{Name: s[sp.nameStart:sp.nameEnd], Value: s[sp.valStart:sp.valEnd]}
	}
	return Paragraph{Fields: fields}, nil
}

func (r *Reader) startField(line []byte) error {
	if line[0] == '#' {
		return r.errorf("comment lines are not allowed in binary package control data")
	}
	colon := -1
	for i, c := range line {
		if c == ':' {
			colon = i
			break
		}
	}
	if colon < 0 {
		return r.errorf("line has no field name followed by ':': %q", truncate(line))
	}
	name := line[:colon]
	if err := checkName(name); err != nil {
		return r.errorf("%v", err)
	}
	value := line[colon+1:]
	for len(value) > 0 && isBlank(value[0]) {
		value = value[1:]
	}
	nameStart := len(r.buf)
	r.buf = append(r.buf, name...)
	nameEnd := len(r.buf)
	if first, dup := r.duplicate(name); dup {
		return r.errorf("duplicate field %q (first on line %d)", name, first)
	}
	r.buf = append(r.buf, value...)
	r.spans = append(r.spans, span{
		nameStart: nameStart,
		nameEnd:   nameEnd,
		valStart:  nameEnd,
		valEnd:    len(r.buf),
		line:      r.line,
	})
	return nil
}

// manyFields is where duplicate detection switches from scanning the
// fields to a map, so that hostile paragraphs with very many fields do not
// take quadratic time while ordinary ones allocate nothing.
const manyFields = 64

// duplicate reports whether name is already a field of the paragraph (and on
// which line), before name is added to r.spans.
func (r *Reader) duplicate(name []byte) (line int, dup bool) {
	if len(r.spans) < manyFields {
		for _, sp := range r.spans {
			if sp.nameEnd-sp.nameStart == len(name) && equalFold(r.buf[sp.nameStart:sp.nameEnd], name) {
				return sp.line, true
			}
		}
		return 0, false
	}
	if len(r.spans) == manyFields {
		r.names = make(map[string]int, 2*manyFields)
		for _, sp := range r.spans {
			r.names[lower(r.buf[sp.nameStart:sp.nameEnd])] = sp.line
		}
	}
	key := lower(name)
	if line, ok := r.names[key]; ok {
		return line, true
	}
	r.names[key] = r.line
	return 0, false
}

// lower folds a field name, which checkName has made sure is ASCII.
func lower(b []byte) string { return string(bytes.ToLower(b)) }

// finishField trims the last field's value, as dpkg does, and rejects it if
// nothing is left.
func (r *Reader) finishField() error {
	if len(r.spans) == 0 {
		return nil
	}
	sp := &r.spans[len(r.spans)-1]
	for sp.valEnd > sp.valStart && isBlank(r.buf[sp.valEnd-1]) {
		sp.valEnd--
	}
	if sp.valEnd == sp.valStart {
		return &SyntaxError{Line: sp.line, Msg: fmt.Sprintf("field %q has an empty value", r.buf[sp.nameStart:sp.nameEnd])}
	}
	return nil
}

// readLine returns the next line without its "\n". The slice is valid until
// the next call.
func (r *Reader) readLine() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.long = append(r.long[:0], line...)
		for err == bufio.ErrBufferFull {
			if len(r.long) > r.MaxParagraphSize {
				r.line++
				return nil, r.errorf("line is longer than %d bytes", r.MaxParagraphSize)
			}
			line, err = r.br.ReadSlice('\n')
			r.long = append(r.long, line...)
		}
		line = r.long
	}
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("line %d: %w", r.line+1, err)
	}
	if len(line) == 0 {
		return nil, io.EOF
	}
	r.line++
	if line[len(line)-1] == '\n' {
		line = line[:len(line)-1]
	}
	return line, nil
}

func (r *Reader) errorf(format string, args ...any) error {
	return &SyntaxError{Line: r.line, Msg: fmt.Sprintf(format, args...)}
}

// ParseOne parses data that must hold exactly one paragraph, such as the
// control file of a binary package. Blank lines around it are allowed.
func ParseOne(data []byte) (Paragraph, error) {
	r := newReader(bytes.NewReader(data), 4<<10)
	r.MaxParagraphSize = len(data) + 1
	p, err := r.Next()
	if err == io.EOF {
		return Paragraph{}, errors.New("no paragraph found")
	}
	if err != nil {
		return Paragraph{}, err
	}
	switch _, err := r.Next(); err {
	case io.EOF:
		return p, nil
	case nil:
		return Paragraph{}, &SyntaxError{Line: r.start, Msg: "unexpected second paragraph"}
	default:
		return Paragraph{}, err
	}
}

func checkName[S string | []byte](name S) error {
	if len(name) == 0 {
		return fmt.Errorf("empty field name")
	}
	if name[0] == '#' || name[0] == '-' {
		return fmt.Errorf("field name %q starts with %q (comments are not allowed here)", name, name[0])
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c > '~' || c == ':' {
			return fmt.Errorf("field name %q contains byte %q", name, c)
		}
	}
	return nil
}

// equalFold compares ASCII field names without allocating.
func equalFold(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func truncate(b []byte) string {
	if len(b) > 60 {
		return string(b[:60]) + "..."
	}
	return string(b)
}
