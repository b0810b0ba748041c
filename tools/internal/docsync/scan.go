package docsync

import (
	"fmt"
	"strings"
)

type tokenKind int

const (
	identToken tokenKind = iota
	stringToken
	numberToken
	opToken
)

// A token of Starlark source. depth is the bracket nesting around it: an
// opening bracket and its closing one have the depth of the brackets'
// surroundings, the tokens between them one more.
type token struct {
	kind     tokenKind
	text     string // identifiers, numbers, operators: as written; strings: the value
	off, end int    // byte offsets in the source
	line     int    // 1-based
	col      int    // 0-based byte column
	depth    int
}

func (t token) is(op string) bool { return t.kind == opToken && t.text == op }

// Longest first, so that "**" is not read as two "*".
var operators = []string{
	"**=", "//=", "<<=", ">>=",
	"**", "//", "==", "!=", "<=", ">=", "->", "<<", ">>",
	"+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=",
}

var closing = map[byte]byte{'(': ')', '[': ']', '{': '}'}

// scan splits Starlark source into tokens, dropping comments and line
// continuations.
func scan(src string) ([]token, error) {
	var toks []token
	var open []token // the brackets not yet closed
	line, lineStart := 1, 0
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '\n':
			i++
			line, lineStart = line+1, i
			continue
		case c == ' ' || c == '\t' || c == '\r' || c == '\f':
			i++
			continue
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
			continue
		case c == '\\' && strings.HasPrefix(src[i+1:], "\n"):
			i += 2
			line, lineStart = line+1, i
			continue
		case c == '\\' && strings.HasPrefix(src[i+1:], "\r\n"):
			i += 3
			line, lineStart = line+1, i
			continue
		}
		t := token{off: i, line: line, col: i - lineStart, depth: len(open)}
		switch {
		case isIdentStart(c):
			j := i + 1
			for j < len(src) && isIdentPart(src[j]) {
				j++
			}
			if j < len(src) && (src[j] == '"' || src[j] == '\'') && isStringPrefix(src[i:j]) {
				end, value, err := scanString(src, i, j)
				if err != nil {
					return nil, fmt.Errorf("line %d:%d: %w", t.line, t.col+1, err)
				}
				t.kind, t.text, t.end = stringToken, value, end
			} else {
				t.kind, t.text, t.end = identToken, src[i:j], j
			}
		case c == '"' || c == '\'':
			end, value, err := scanString(src, i, i)
			if err != nil {
				return nil, fmt.Errorf("line %d:%d: %w", t.line, t.col+1, err)
			}
			t.kind, t.text, t.end = stringToken, value, end
		case isDigit(c) || c == '.' && i+1 < len(src) && isDigit(src[i+1]):
			j := i + 1
			for j < len(src) && (isIdentPart(src[j]) || src[j] == '.') {
				j++
			}
			t.kind, t.text, t.end = numberToken, src[i:j], j
		default:
			t.kind, t.text, t.end = opToken, src[i:i+1], i+1
			for _, op := range operators {
				if strings.HasPrefix(src[i:], op) {
					t.text, t.end = op, i+len(op)
					break
				}
			}
			switch c {
			case '(', '[', '{':
				open = append(open, t)
			case ')', ']', '}':
				if len(open) == 0 || closing[src[open[len(open)-1].off]] != c {
					return nil, fmt.Errorf("line %d:%d: unexpected %q", t.line, t.col+1, c)
				}
				open = open[:len(open)-1]
				t.depth = len(open)
			}
		}
		// A string may span lines.
		if n := strings.Count(src[t.off:t.end], "\n"); n > 0 {
			line, lineStart = line+n, t.off+strings.LastIndexByte(src[t.off:t.end], '\n')+1
		}
		toks = append(toks, t)
		i = t.end
	}
	if len(open) > 0 {
		o := open[len(open)-1]
		return nil, fmt.Errorf("line %d:%d: %q is never closed", o.line, o.col+1, o.text)
	}
	return toks, nil
}

// scanString reads the string literal whose prefix (r, b, rb, ...) starts at
// start and whose quote is at quote. It returns the end offset and the value.
func scanString(src string, start, quote int) (int, string, error) {
	raw := strings.ContainsAny(src[start:quote], "rR")
	delim := src[quote : quote+1]
	if strings.HasPrefix(src[quote:], strings.Repeat(delim, 3)) {
		delim = strings.Repeat(delim, 3)
	}
	body := quote + len(delim)
	for j := body; j < len(src); {
		switch {
		case src[j] == '\\':
			// Even in a raw string a backslash keeps the next quote in.
			j += 2
		case strings.HasPrefix(src[j:], delim):
			value := src[body:j]
			if !raw {
				value = unescape(value)
			}
			return j + len(delim), value, nil
		case src[j] == '\n' && len(delim) == 1:
			return 0, "", fmt.Errorf("string %s... not closed on its line", src[start:j])
		default:
			j++
		}
	}
	return 0, "", fmt.Errorf("string %.20s... is never closed", src[start:])
}

// unescape decodes the escapes a doc string or dict key plausibly holds;
// others stay as written, as Starlark keeps unknown escapes.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case '\\', '"', '\'':
			b.WriteByte(s[i])
		case '\n':
		default:
			b.WriteByte('\\')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func isStringPrefix(s string) bool {
	switch strings.ToLower(s) {
	case "r", "b", "rb", "br":
		return true
	}
	return false
}

func isIdentStart(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func isIdentPart(c byte) bool { return isIdentStart(c) || isDigit(c) }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// matching returns the index of the bracket closing toks[i].
func matching(toks []token, i int) int {
	for j := i + 1; j < len(toks); j++ {
		if toks[j].depth == toks[i].depth && toks[j].kind == opToken && strings.Contains(")]}", toks[j].text) {
			return j
		}
	}
	return -1 // scan checked that brackets balance; only a cut slice gets here
}

// split cuts toks at the operator sep where it is not nested in brackets
// deeper than the first token. Empty parts (a trailing comma) are dropped.
func split(toks []token, sep string) [][]token {
	if len(toks) == 0 {
		return nil
	}
	var parts [][]token
	depth, start := toks[0].depth, 0
	for i, t := range toks {
		if t.depth == depth && t.is(sep) {
			if i > start {
				parts = append(parts, toks[start:i])
			}
			start = i + 1
		}
	}
	if start < len(toks) {
		parts = append(parts, toks[start:])
	}
	return parts
}

// bracketed reports whether toks is one bracketed group opened by open, and
// returns what is inside.
func bracketed(toks []token, open string) ([]token, bool) {
	if len(toks) < 2 || !toks[0].is(open) || matching(toks, 0) != len(toks)-1 {
		return nil, false
	}
	return toks[1 : len(toks)-1], true
}
