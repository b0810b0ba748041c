package docsync

import (
	"fmt"
	"strings"
)

// The table each kind of symbol documents its attributes, parameters or
// fields in: the header of the first column, the other columns checked.
type tableSpec struct {
	noun    string // attribute, parameter, field
	first   string
	columns []string
}

var specs = map[Kind]tableSpec{
	Rule:           {"attribute", "Attribute", []string{"Type", "Default", "Description"}},
	RepositoryRule: {"attribute", "Attribute", []string{"Type", "Default", "Description"}},
	Macro:          {"parameter", "Parameter", []string{"Default", "Description"}},
	Provider:       {"field", "Field", []string{"Description"}},
}

// Names documented only when there is something to say: Bazel's own
// attributes of every rule and the same-named parameters of macros, which
// forward them.
var optional = map[string]bool{"name": true, "visibility": true, "tags": true}

// Check compares the public API with the Markdown of its reference docs and
// returns one sentence per difference, saying what to add, change or remove
// where (lines are the docs'). None means the docs are in sync.
func Check(api []Symbol, docs string) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	exported := map[string]Symbol{}
	for _, sym := range api {
		exported[sym.Name] = sym
	}
	secs := sections(docs)
	byName := map[string]section{}
	var order []string
	for _, s := range secs {
		if _, ok := exported[s.name]; !ok {
			add("line %d: remove section %q: defs.bzl exports no %s", s.line, "## "+s.name, s.name)
			continue
		}
		if first, dup := byName[s.name]; dup {
			add("line %d: section %q again (first at line %d): keep one", s.line, "## "+s.name, first.line)
			continue
		}
		byName[s.name] = s
		order = append(order, s.name)
	}

	var want []string
	prev := ""
	for _, sym := range api {
		s, ok := byName[sym.Name]
		if !ok {
			where := "before the first section"
			if prev != "" {
				where = fmt.Sprintf("after %q", "## "+prev)
			}
			add("add a section %q %s for %s %s (%s), starting %q", "## "+sym.Name, where, strings.ToLower(string(sym.Kind)), sym.Name, sym.File, "**"+string(sym.Kind)+".**")
		} else {
			want = append(want, sym.Name)
			problems = append(problems, checkSection(sym, s)...)
		}
		prev = sym.Name
	}
	if strings.Join(order, " ") != strings.Join(want, " ") {
		add("reorder the sections as defs.bzl exports the symbols: %s", strings.Join(want, ", "))
	}
	return problems
}

func checkSection(sym Symbol, s section) []string {
	var problems []string
	head := fmt.Sprintf("section %q", "## "+s.name)
	add := func(line int, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("line %d: %s: %s", line, head, fmt.Sprintf(format, args...)))
	}

	kindLine := "**" + string(sym.Kind) + ".**"
	if first := s.firstLine(); !strings.HasPrefix(first, kindLine) {
		add(s.line, "start with %q (%s is %s %s in %s), not %q", kindLine, sym.Name, strings.ToLower(indefinite(sym.Kind)), strings.ToLower(string(sym.Kind)), sym.File, first)
	}
	spec, ok := specs[sym.Kind]
	if !ok {
		return problems
	}

	var required []Param
	known := map[string]Param{}
	for _, p := range sym.Params {
		known[p.Name] = p
		if !optional[p.Name] {
			required = append(required, p)
		}
	}
	allowed := map[string]bool{}
	for _, star := range sym.Star {
		allowed[star] = true
	}
	if sym.Kind == Rule || sym.Kind == RepositoryRule {
		for name := range optional {
			allowed[name] = true
		}
	}

	// The table of attributes, parameters or fields: the one whose first
	// column is headed like that.
	var found *table
	for i, t := range s.tables {
		h := strings.ToLower(t.header[0])
		if h != "attribute" && h != "parameter" && h != "field" {
			continue
		}
		if h != spec.noun {
			add(s.line, "the table headed %q: %s is %s %s, so head its first column %q", t.header[0], sym.Name, strings.ToLower(indefinite(sym.Kind)), strings.ToLower(string(sym.Kind)), spec.first)
			continue
		}
		if found != nil {
			add(s.line, "two tables headed %q: keep one", spec.first)
			continue
		}
		found = &s.tables[i]
	}
	if found == nil {
		if len(required) > 0 {
			add(s.line, "add a table %q with a row for each %s: %s", "| "+spec.first+" | "+strings.Join(spec.columns, " | ")+" |", spec.noun, backticked(required))
		}
		return problems
	}

	column := map[string]int{}
	for i, h := range found.header {
		column[h] = i
	}
	for _, c := range spec.columns {
		if _, ok := column[c]; !ok {
			add(s.line, "add a column %q to the %s table", c, spec.first)
		}
	}
	cell := func(r row, name string) (string, bool) {
		i, ok := column[name]
		if !ok {
			return "", false
		}
		if i >= len(r.cells) {
			return "", true
		}
		return r.cells[i], true
	}

	seen := map[string]int{}
	for _, r := range found.rows {
		name, ok := strings.CutPrefix(r.cells[0], "`")
		name, ok2 := strings.CutSuffix(name, "`")
		if !ok || !ok2 || name == "" || strings.Contains(name, "`") {
			add(r.line, "the row %q: write the %s's name in backticks, as `name`", r.cells[0], spec.noun)
			continue
		}
		if first, dup := seen[name]; dup {
			add(r.line, "the row of `%s` again (first at line %d): keep one", name, first)
			continue
		}
		seen[name] = r.line
		p, isParam := known[name]
		if !isParam {
			if !allowed[name] {
				add(r.line, "remove the row of `%s`: %s %s (%s) has no %s %s", name, strings.ToLower(string(sym.Kind)), sym.Name, sym.File, spec.noun, name)
			}
			continue
		}
		if got, ok := cell(r, "Type"); ok && p.Type != "" && got != "`"+p.Type+"`" {
			add(r.line, "the row of `%s`: Type %q, want %q (attr.%s)", name, got, "`"+p.Type+"`", p.Type)
		}
		if got, ok := cell(r, "Default"); ok && p.Default != "" && got != defaultCell(p.Default) {
			add(r.line, "the row of `%s`: Default %q, want %q", name, got, defaultCell(p.Default))
		}
		if got, ok := cell(r, "Description"); ok && got == "" {
			add(r.line, "the row of `%s`: empty Description", name)
		}
	}
	for _, p := range required {
		if _, ok := seen[p.Name]; !ok {
			add(s.line, "add a row for %s `%s` to the %s table: %s", spec.noun, p.Name, spec.first, rowTemplate(spec, p))
		}
	}
	return problems
}

// defaultCell is how a Default is written in a table.
func defaultCell(d string) string {
	if d == Required {
		return Required
	}
	return "`" + d + "`"
}

func rowTemplate(spec tableSpec, p Param) string {
	cs := []string{"`" + p.Name + "`"}
	for _, c := range spec.columns {
		switch c {
		case "Type":
			cs = append(cs, "`"+p.Type+"`")
		case "Default":
			cs = append(cs, defaultCell(p.Default))
		default:
			cs = append(cs, "...")
		}
	}
	for i := range cs {
		cs[i] = strings.ReplaceAll(cs[i], "|", `\|`)
	}
	return "| " + strings.Join(cs, " | ") + " |"
}

func backticked(ps []Param) string {
	var names []string
	for _, p := range ps {
		names = append(names, "`"+p.Name+"`")
	}
	return strings.Join(names, ", ")
}

func indefinite(k Kind) string {
	switch string(k)[0] {
	case 'A', 'E', 'I', 'O', 'U':
		return "an"
	}
	return "a"
}
