package docsync

import (
	"regexp"
	"strings"
)

// A "## NAME" section of the docs: the lines up to the next heading of
// level 1 or 2.
type section struct {
	name   string
	line   int      // of the heading, 1-based
	lines  []string // the body, with fenced code blocks blanked out
	tables []table
}

// A Markdown table: the header's cells and the rows' cells, with `\|`
// unescaped.
type table struct {
	header []string
	rows   []row
}

type row struct {
	line  int
	cells []string
}

var separatorCell = regexp.MustCompile(`^:?-+:?$`)

// sections splits Markdown into its level-2 sections. Headings inside
// fenced code blocks are code, not headings.
func sections(doc string) []section {
	var out []section
	var cur *section
	fence := ""
	for i, line := range strings.Split(doc, "\n") {
		trimmed := strings.TrimSpace(line)
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) {
				fence = ""
			}
			line = ""
		} else if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fence = trimmed[:3]
			line = ""
		} else if name, ok := strings.CutPrefix(line, "## "); ok {
			out = append(out, section{name: strings.TrimSpace(name), line: i + 1})
			cur = &out[len(out)-1]
			continue
		} else if strings.HasPrefix(line, "# ") {
			cur = nil
			continue
		}
		if cur != nil {
			cur.lines = append(cur.lines, line)
		}
	}
	for i := range out {
		out[i].tables = tables(out[i].line+1, out[i].lines)
	}
	return out
}

// tables finds the tables of a section body whose first line is line.
func tables(first int, lines []string) []table {
	var out []table
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(strings.TrimSpace(lines[i]), "|") {
			continue
		}
		j := i
		for j < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[j]), "|") {
			j++
		}
		if j-i >= 2 && isSeparator(cells(lines[i+1])) {
			t := table{header: cells(lines[i])}
			for k := i + 2; k < j; k++ {
				t.rows = append(t.rows, row{line: first + k, cells: cells(lines[k])})
			}
			out = append(out, t)
		}
		i = j
	}
	return out
}

func isSeparator(cs []string) bool {
	for _, c := range cs {
		if !separatorCell.MatchString(c) {
			return false
		}
	}
	return len(cs) > 0
}

// cells splits a table line at its unescaped pipes.
func cells(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimPrefix(line, "|")
	if strings.HasSuffix(line, "|") && !strings.HasSuffix(line, `\|`) {
		line = line[:len(line)-1]
	}
	var out []string
	var cur strings.Builder
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line) && line[i+1] == '|':
			cur.WriteByte('|')
			i++
		case line[i] == '|':
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(line[i])
		}
	}
	return append(out, strings.TrimSpace(cur.String()))
}

// firstLine is the first non-blank line of the section's body.
func (s section) firstLine() string {
	for _, l := range s.lines {
		if strings.TrimSpace(l) != "" {
			return strings.TrimSpace(l)
		}
	}
	return ""
}
