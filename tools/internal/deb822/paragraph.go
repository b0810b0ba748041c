// Package deb822 reads and writes Debian control data: the control file of a
// binary package, Packages indexes and dpkg status records (deb822(5),
// Debian Policy §5.1).
//
// Only the binary-package dialect is accepted, because that is all rules_odp
// reads:
//
//   - Comment lines are not allowed (Policy permits them only in
//     debian/control and deb-origin(5) files). A line starting with '#' is an
//     error, since a field name must not begin with '#' either. Inside a value
//     '#' is ordinary data.
//   - A field with an empty value is an error (Policy permits them only in
//     source package control files). A multiline field whose first line is
//     empty, such as dpkg's "Conffiles:", is not empty.
//   - A field name occurring twice in a paragraph (compared case-insensitively)
//     is an error.
//   - Lines holding only spaces and tabs separate paragraphs, like empty
//     lines (deb822(5) lets parsers accept them).
//   - Values are kept as dpkg keeps them: whitespace around the whole value is
//     dropped; continuation lines are kept verbatim, including their leading
//     space or tab and " ." lines, joined with "\n".
//   - Bytes are not checked to be UTF-8 and '\r' is ordinary data.
package deb822

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// Field is one field of a paragraph. Name keeps the spelling of the input;
// Value is stored as described in the package documentation.
type Field struct {
	Name, Value string
}

// Paragraph is a stanza of fields in input order.
type Paragraph struct {
	Fields []Field
}

// Get returns the value of the field named name (compared
// case-insensitively), or "" if there is none.
func (p Paragraph) Get(name string) string {
	if i := p.index(name); i >= 0 {
		return p.Fields[i].Value
	}
	return ""
}

// Has reports whether the paragraph has a field named name (compared
// case-insensitively).
func (p Paragraph) Has(name string) bool {
	return p.index(name) >= 0
}

// Set replaces the value of the field named name, keeping its position and
// spelling, or appends the field if there is none.
func (p *Paragraph) Set(name, value string) {
	if i := p.index(name); i >= 0 {
		p.Fields[i].Value = value
		return
	}
	p.Fields = append(p.Fields, Field{Name: name, Value: value})
}

// Delete removes the field named name, if present.
func (p *Paragraph) Delete(name string) {
	if i := p.index(name); i >= 0 {
		p.Fields = append(p.Fields[:i:i], p.Fields[i+1:]...)
	}
}

func (p Paragraph) index(name string) int {
	for i, f := range p.Fields {
		if len(f.Name) == len(name) && strings.EqualFold(f.Name, name) {
			return i
		}
	}
	return -1
}

// Validate reports whether the paragraph can be written so that parsing the
// output gives back the same fields: valid distinct names, non-empty values
// without surrounding whitespace, and continuation lines that start with a
// space or tab and are not blank.
func (p Paragraph) Validate() error {
	if len(p.Fields) == 0 {
		return fmt.Errorf("paragraph has no fields")
	}
	for i, f := range p.Fields {
		if err := checkName(f.Name); err != nil {
			return err
		}
		for _, g := range p.Fields[:i] {
			if strings.EqualFold(f.Name, g.Name) {
				return fmt.Errorf("duplicate field %q", f.Name)
			}
		}
		if err := checkValue(f.Value); err != nil {
			return fmt.Errorf("field %q: %w", f.Name, err)
		}
	}
	return nil
}

func checkValue(v string) error {
	if v == "" {
		return fmt.Errorf("empty value")
	}
	if isBlank(v[0]) || isBlank(v[len(v)-1]) || v[len(v)-1] == '\n' {
		return fmt.Errorf("value %q has surrounding whitespace", v)
	}
	_, rest, _ := strings.Cut(v, "\n")
	for len(rest) > 0 {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		if line == "" || !isBlank(line[0]) || blankLine(line) {
			return fmt.Errorf("continuation line %q of value must start with a space or tab and not be blank", line)
		}
	}
	return nil
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// blankLine reports whether s holds only spaces and tabs (or nothing).
func blankLine[S string | []byte](s S) bool {
	for i := 0; i < len(s); i++ {
		if !isBlank(s[i]) {
			return false
		}
	}
	return true
}

// Format renders the paragraph as dpkg writes it: "Name: value" lines, a
// bare "Name:" when the first line of the value is empty, each field ending
// in "\n", and no blank line after the paragraph.
func (p Paragraph) Format() ([]byte, error) {
	var b bytes.Buffer
	if _, err := p.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// WriteTo writes the paragraph as Format does. It writes nothing if the
// paragraph is not valid.
func (p Paragraph) WriteTo(w io.Writer) (int64, error) {
	if err := p.Validate(); err != nil {
		return 0, err
	}
	var b strings.Builder
	for _, f := range p.Fields {
		b.WriteString(f.Name)
		b.WriteByte(':')
		if f.Value[0] != '\n' {
			b.WriteByte(' ')
		}
		b.WriteString(f.Value)
		b.WriteByte('\n')
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}
