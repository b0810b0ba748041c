package docsync

import (
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// A .bzl file, split into its top-level statements.
type bzlFile struct {
	path  string
	src   string
	stmts []statement
	// Top-level names: the statement that binds each.
	globals map[string]statement
}

type statementKind int

const (
	otherStatement  statementKind = iota
	docStatement                  // a string on its own, such as the module doc string
	loadStatement                 // load("label", local = "remote", "name")
	defStatement                  // def NAME(...): ...
	assignStatement               // NAME = value
)

type statement struct {
	kind  statementKind
	toks  []token
	name  string            // def and assignment: the name bound
	value []token           // assignment: the right-hand side
	label string            // load: the file loaded, a path of the fs.FS
	binds map[string]string // load: local name -> name in the loaded file
	order []string          // load: the local names, in source order
}

// at names a position of f for error messages.
func (f *bzlFile) at(t token) string { return fmt.Sprintf("%s:%d", f.path, t.line) }

// parseFile splits src into top-level statements (Starlark's indentation
// makes every line not at column 0 part of the statement before).
func parseFile(name, src string) (*bzlFile, error) {
	toks, err := scan(src)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	f := &bzlFile{path: name, src: src, globals: map[string]statement{}}
	for start := 0; start < len(toks); {
		end := start + 1
		for end < len(toks) && !startsStatement(toks[end]) {
			end++
		}
		st, err := f.statement(toks[start:end])
		if err != nil {
			return nil, err
		}
		f.stmts = append(f.stmts, st)
		var bound []string
		switch st.kind {
		case defStatement, assignStatement:
			bound = []string{st.name}
		case loadStatement:
			bound = st.order
		}
		for _, name := range bound {
			if prev, ok := f.globals[name]; ok {
				return nil, fmt.Errorf("%s: %s is bound twice (first at %s)", f.at(toks[start]), name, f.at(prev.toks[0]))
			}
			f.globals[name] = st
		}
		start = end
	}
	return f, nil
}

// startsStatement: a token at column 0 outside brackets, except the
// closing bracket of a call written as `x = rule(\n...\n)`.
func startsStatement(t token) bool {
	return t.col == 0 && t.depth == 0 && !(t.kind == opToken && strings.Contains(")]}", t.text))
}

func (f *bzlFile) statement(toks []token) (statement, error) {
	st := statement{kind: otherStatement, toks: toks}
	first := toks[0]
	switch {
	case len(toks) == 1 && first.kind == stringToken:
		st.kind = docStatement
	case first.kind == identToken && first.text == "load" && len(toks) > 1 && toks[1].is("("):
		if err := f.load(&st); err != nil {
			return st, err
		}
	case first.kind == identToken && first.text == "def":
		if len(toks) < 3 || toks[1].kind != identToken || !toks[2].is("(") {
			return st, fmt.Errorf("%s: def without NAME(", f.at(first))
		}
		st.kind, st.name = defStatement, toks[1].text
	case first.kind == identToken && len(toks) > 2 && toks[1].is("="):
		st.kind, st.name, st.value = assignStatement, first.text, toks[2:]
	}
	return st, nil
}

func (f *bzlFile) load(st *statement) error {
	toks := st.toks
	inner, ok := bracketed(toks[1:], "(")
	if !ok {
		return fmt.Errorf("%s: load(...) followed by more on its line", f.at(toks[0]))
	}
	parts := split(inner, ",")
	if len(parts) == 0 || len(parts[0]) != 1 || parts[0][0].kind != stringToken {
		return fmt.Errorf("%s: load(...) does not start with a label string", f.at(toks[0]))
	}
	label, err := resolveLabel(f.path, parts[0][0].text)
	if err != nil {
		return fmt.Errorf("%s: %w", f.at(toks[0]), err)
	}
	st.kind, st.label, st.binds = loadStatement, label, map[string]string{}
	for _, p := range parts[1:] {
		var local, remote string
		switch {
		case len(p) == 1 && p[0].kind == stringToken:
			local, remote = p[0].text, p[0].text
		case len(p) == 3 && p[0].kind == identToken && p[1].is("=") && p[2].kind == stringToken:
			local, remote = p[0].text, p[2].text
		default:
			return fmt.Errorf("%s: load of %s: want \"name\" or local = \"name\", got %s", f.at(p[0]), label, f.text(p))
		}
		st.binds[local] = remote
		st.order = append(st.order, local)
	}
	return nil
}

// text is the source of toks, on one line.
func (f *bzlFile) text(toks []token) string {
	if len(toks) == 0 {
		return ""
	}
	lines := strings.Split(f.src[toks[0].off:toks[len(toks)-1].end], "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, " ")
}

// resolveLabel turns the label of a load into a path of the fs.FS, whose
// root is the main repository's.
func resolveLabel(from, label string) (string, error) {
	l := label
	if strings.HasPrefix(l, "@") {
		repo, rest, ok := strings.Cut(l[1:], "//")
		if !ok {
			return "", fmt.Errorf("label %q has no //", label)
		}
		if repo != "" && repo != "rules_odp" {
			return "", fmt.Errorf("label %q is in another repository (%s); only rules_odp's own files can be read", label, repo)
		}
		l = "//" + rest
	}
	var p string
	switch {
	case strings.HasPrefix(l, "//"):
		pkg, name, ok := strings.Cut(l[2:], ":")
		if !ok {
			return "", fmt.Errorf("label %q names no file (no ':')", label)
		}
		p = path.Join(pkg, name)
	case strings.HasPrefix(l, ":"):
		p = path.Join(path.Dir(from), l[1:])
	default:
		return "", fmt.Errorf("label %q is neither //PACKAGE:FILE nor :FILE", label)
	}
	if !fs.ValidPath(p) || !strings.HasSuffix(p, ".bzl") {
		return "", fmt.Errorf("label %q is not a .bzl file of the repository", label)
	}
	return p, nil
}
