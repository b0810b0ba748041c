package docsync

import (
	"fmt"
	"io/fs"
	"strings"
)

// Kind is what a public symbol is, as the first line of its section says it.
type Kind string

const (
	Rule           Kind = "Rule"
	RepositoryRule Kind = "Repository rule"
	Macro          Kind = "Macro"
	Provider       Kind = "Provider"
	Constant       Kind = "Constant" // any other value, e.g. a version string
)

// Required is the Default of a mandatory attribute or a parameter without
// a default.
const Required = "required"

// Param is an attribute of a rule, a parameter of a macro or a field of a
// provider.
type Param struct {
	Name string
	// Type is the attr module function of a rule attribute ("string_list");
	// empty for macros and providers.
	Type string
	// Default is Required or the default's Starlark source on one line
	// (`"none"`, `[]`; for an attribute without one, the attr type's
	// implicit default); empty for provider fields.
	Default string
}

// Symbol is one public name of defs.bzl.
type Symbol struct {
	Name string
	Kind Kind
	// File is the .bzl file whose rule(...), provider(...) or def makes it.
	File string
	// Params are the attributes, parameters or fields in source order,
	// without private ones (a leading underscore) and without *args and
	// **kwargs.
	Params []Param
	// Star lists a macro's "*args" and "**kwargs" parameters as written.
	Star []string
}

// implicitDefaults are the defaults of the attr module's functions when an
// attribute sets none.
var implicitDefaults = map[string]string{
	"bool":                    "False",
	"int":                     "0",
	"int_list":                "[]",
	"label":                   "None",
	"label_keyed_string_dict": "{}",
	"label_list":              "[]",
	"output":                  "None",
	"output_list":             "[]",
	"string":                  `""`,
	"string_dict":             "{}",
	"string_keyed_label_dict": "{}",
	"string_list":             "[]",
	"string_list_dict":        "{}",
}

// Aliases and globals naming globals are followed this far; more is a cycle.
const maxHops = 32

// ReadAPI reads the public symbols of the .bzl file defs (a path of fsys,
// whose root is the repository's) in the order defs binds them.
func ReadAPI(fsys fs.FS, defs string) ([]Symbol, error) {
	r := &reader{fsys: fsys, files: map[string]*bzlFile{}}
	f, err := r.file(defs)
	if err != nil {
		return nil, err
	}
	var api []Symbol
	for _, st := range f.stmts {
		switch st.kind {
		case docStatement, loadStatement:
			continue
		case defStatement, assignStatement:
		default:
			return nil, fmt.Errorf("%s: a top-level statement that is neither load, def nor NAME = VALUE: %.60s", f.at(st.toks[0]), f.text(st.toks))
		}
		if strings.HasPrefix(st.name, "_") {
			continue
		}
		sym, err := r.global(f, st.name, 0)
		if err != nil {
			return nil, fmt.Errorf("public symbol %s of %s: %w", st.name, defs, err)
		}
		sym.Name = st.name
		api = append(api, sym)
	}
	return api, nil
}

type reader struct {
	fsys  fs.FS
	files map[string]*bzlFile
}

func (r *reader) file(name string) (*bzlFile, error) {
	if f, ok := r.files[name]; ok {
		return f, nil
	}
	src, err := fs.ReadFile(r.fsys, name)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	f, err := parseFile(name, string(src))
	if err != nil {
		return nil, err
	}
	r.files[name] = f
	return f, nil
}

// binding finds the statement that binds the global name of f, following
// loads: the file it is in and its name there.
func (r *reader) binding(f *bzlFile, name string, hops int) (*bzlFile, statement, error) {
	for ; hops < maxHops; hops++ {
		st, ok := f.globals[name]
		if !ok {
			return nil, st, fmt.Errorf("%s binds no global %s", f.path, name)
		}
		if st.kind != loadStatement {
			return f, st, nil
		}
		g, err := r.file(st.label)
		if err != nil {
			return nil, st, fmt.Errorf("%s: %w", f.at(st.toks[0]), err)
		}
		f, name = g, st.binds[name]
	}
	return nil, statement{}, fmt.Errorf("%s: %s: more than %d aliases (a cycle?)", f.path, name, maxHops)
}

// global makes the Symbol of the global name of f.
func (r *reader) global(f *bzlFile, name string, hops int) (Symbol, error) {
	if hops >= maxHops {
		return Symbol{}, fmt.Errorf("%s: %s: more than %d aliases (a cycle?)", f.path, name, maxHops)
	}
	f, st, err := r.binding(f, name, hops)
	if err != nil {
		return Symbol{}, err
	}
	if st.kind == defStatement {
		return r.macro(f, st)
	}
	v := st.value
	if len(v) == 1 && v[0].kind == identToken {
		return r.global(f, v[0].text, hops+1)
	}
	callee, args, ok := call(v)
	if !ok {
		return Symbol{Kind: Constant, File: f.path}, nil
	}
	kwargs, err := keywords(f, args)
	if err != nil {
		return Symbol{}, err
	}
	switch callee {
	case "rule", "repository_rule":
		sym := Symbol{Kind: Rule, File: f.path}
		if callee == "repository_rule" {
			sym.Kind = RepositoryRule
		}
		if attrs, ok := kwargs["attrs"]; ok {
			if sym.Params, err = r.attrs(f, attrs, 0); err != nil {
				return Symbol{}, fmt.Errorf("attrs of %s: %w", name, err)
			}
		}
		return sym, nil
	case "provider":
		sym := Symbol{Kind: Provider, File: f.path}
		if fields, ok := kwargs["fields"]; ok {
			if sym.Params, err = r.fields(f, fields, 0); err != nil {
				return Symbol{}, fmt.Errorf("fields of %s: %w", name, err)
			}
		}
		return sym, nil
	}
	// A function of these files that makes rules is beyond a textual reading;
	// a call of anything else (struct, Label, select, ...) is a value.
	if g, st, err := r.binding(f, callee, hops); err == nil && st.kind == defStatement {
		return Symbol{}, fmt.Errorf("%s: %s is made by calling %s (%s), whose result cannot be read without running it", f.at(v[0]), name, callee, g.at(st.toks[0]))
	}
	return Symbol{Kind: Constant, File: f.path}, nil
}

// call splits `NAME(args)` into NAME and the argument list.
func call(v []token) (string, [][]token, bool) {
	if len(v) < 3 || v[0].kind != identToken {
		return "", nil, false
	}
	inner, ok := bracketed(v[1:], "(")
	if !ok {
		return "", nil, false
	}
	return v[0].text, split(inner, ","), true
}

// keywords are the NAME = VALUE arguments of a call.
func keywords(f *bzlFile, args [][]token) (map[string][]token, error) {
	kw := map[string][]token{}
	for _, a := range args {
		if len(a) > 2 && a[0].kind == identToken && a[1].is("=") {
			if _, dup := kw[a[0].text]; dup {
				return nil, fmt.Errorf("%s: argument %s given twice", f.at(a[0]), a[0].text)
			}
			kw[a[0].text] = a[2:]
		}
	}
	return kw, nil
}

// value resolves a global name used as a value to its right-hand side.
func (r *reader) value(f *bzlFile, name string, hops int) (*bzlFile, []token, error) {
	g, st, err := r.binding(f, name, hops)
	if err != nil {
		return nil, nil, err
	}
	if st.kind != assignStatement {
		return nil, nil, fmt.Errorf("%s: %s is not NAME = VALUE", g.at(st.toks[0]), name)
	}
	return g, st.value, nil
}

// attrs reads an attrs dict: a literal, a global naming one, dict(A, k = v)
// or A | B.
func (r *reader) attrs(f *bzlFile, v []token, hops int) ([]Param, error) {
	if hops >= maxHops {
		return nil, fmt.Errorf("%s: more than %d globals naming globals (a cycle?)", f.path, maxHops)
	}
	if len(v) == 0 {
		return nil, fmt.Errorf("%s: empty expression", f.path)
	}
	if parts := split(v, "|"); len(parts) > 1 {
		var ps []Param
		for _, p := range parts {
			more, err := r.attrs(f, p, hops+1)
			if err != nil {
				return nil, err
			}
			ps = merge(ps, more)
		}
		return ps, nil
	}
	if len(v) == 1 && v[0].kind == identToken {
		g, w, err := r.value(f, v[0].text, hops)
		if err != nil {
			return nil, err
		}
		return r.attrs(g, w, hops+1)
	}
	if inner, ok := bracketed(v, "{"); ok {
		var ps []Param
		for _, entry := range split(inner, ",") {
			if len(entry) < 3 || entry[0].kind != stringToken || !entry[1].is(":") {
				return nil, fmt.Errorf("%s: want \"name\": attr.TYPE(...), got %.60s", f.at(entry[0]), f.text(entry))
			}
			if strings.HasPrefix(entry[0].text, "_") {
				continue // private: not API, and may be of any form
			}
			p, err := r.attr(f, entry[0].text, entry[2:], hops)
			if err != nil {
				return nil, err
			}
			ps = merge(ps, []Param{p})
		}
		return ps, nil
	}
	if callee, args, ok := call(v); ok && callee == "dict" {
		var ps []Param
		for _, a := range args {
			var more []Param
			var err error
			if len(a) > 2 && a[0].kind == identToken && a[1].is("=") {
				if strings.HasPrefix(a[0].text, "_") {
					continue
				}
				var p Param
				p, err = r.attr(f, a[0].text, a[2:], hops)
				more = []Param{p}
			} else {
				more, err = r.attrs(f, a, hops+1)
			}
			if err != nil {
				return nil, err
			}
			ps = merge(ps, more)
		}
		return ps, nil
	}
	return nil, fmt.Errorf("%s: cannot read the attributes of %.60s (docsync reads dict literals, globals, dict(...) and |)", f.at(v[0]), f.text(v))
}

// attr reads one attribute: attr.TYPE(...) or a global naming one.
func (r *reader) attr(f *bzlFile, name string, v []token, hops int) (Param, error) {
	if hops >= maxHops {
		return Param{}, fmt.Errorf("%s: more than %d globals naming globals (a cycle?)", f.path, maxHops)
	}
	if len(v) == 1 && v[0].kind == identToken {
		g, w, err := r.value(f, v[0].text, hops)
		if err != nil {
			return Param{}, err
		}
		return r.attr(g, name, w, hops+1)
	}
	if len(v) < 4 || v[0].kind != identToken || v[0].text != "attr" || !v[1].is(".") {
		return Param{}, fmt.Errorf("%s: attribute %q: want attr.TYPE(...), got %.60s", f.at(v[0]), name, f.text(v))
	}
	typ, args, ok := call(v[2:])
	if !ok {
		return Param{}, fmt.Errorf("%s: attribute %q: want attr.TYPE(...), got %.60s", f.at(v[0]), name, f.text(v))
	}
	kwargs, err := keywords(f, args)
	if err != nil {
		return Param{}, err
	}
	p := Param{Name: name, Type: typ}
	switch m, d := kwargs["mandatory"], kwargs["default"]; {
	case len(m) == 1 && m[0].text == "True":
		p.Default = Required
	case d != nil:
		p.Default = f.text(d)
	default:
		implicit, ok := implicitDefaults[typ]
		if !ok {
			return Param{}, fmt.Errorf("%s: attribute %q: attr.%s sets no default and docsync does not know the implicit one; add it to implicitDefaults", f.at(v[0]), name, typ)
		}
		p.Default = implicit
	}
	return p, nil
}

// merge adds more to ps as dict updates do: a name seen before keeps its
// place and takes the new value. Private names are left out.
func merge(ps, more []Param) []Param {
next:
	for _, m := range more {
		if strings.HasPrefix(m.Name, "_") {
			continue
		}
		for i := range ps {
			if ps[i].Name == m.Name {
				ps[i] = m
				continue next
			}
		}
		ps = append(ps, m)
	}
	return ps
}

// fields reads a provider's fields: a dict of docs, a list of names, or a
// global naming either.
func (r *reader) fields(f *bzlFile, v []token, hops int) ([]Param, error) {
	if hops >= maxHops {
		return nil, fmt.Errorf("%s: more than %d globals naming globals (a cycle?)", f.path, maxHops)
	}
	if len(v) == 1 && v[0].kind == identToken {
		g, w, err := r.value(f, v[0].text, hops)
		if err != nil {
			return nil, err
		}
		return r.fields(g, w, hops+1)
	}
	var ps []Param
	if inner, ok := bracketed(v, "{"); ok {
		for _, entry := range split(inner, ",") {
			if len(entry) < 3 || entry[0].kind != stringToken || !entry[1].is(":") {
				return nil, fmt.Errorf("%s: want \"field\": \"doc\", got %.60s", f.at(entry[0]), f.text(entry))
			}
			ps = merge(ps, []Param{{Name: entry[0].text}})
		}
		return ps, nil
	}
	if inner, ok := bracketed(v, "["); ok {
		for _, entry := range split(inner, ",") {
			if len(entry) != 1 || entry[0].kind != stringToken {
				return nil, fmt.Errorf("%s: want \"field\", got %.60s", f.at(entry[0]), f.text(entry))
			}
			ps = merge(ps, []Param{{Name: entry[0].text}})
		}
		return ps, nil
	}
	return nil, fmt.Errorf("%s: cannot read the fields of %.60s (docsync reads dict and list literals and globals)", f.at(v[0]), f.text(v))
}

// macro reads the parameters of a def.
func (r *reader) macro(f *bzlFile, st statement) (Symbol, error) {
	sym := Symbol{Kind: Macro, File: f.path}
	open := 2 // def NAME (
	end := matching(st.toks, open)
	if end < 0 {
		return Symbol{}, fmt.Errorf("%s: def %s: parameter list not closed", f.at(st.toks[0]), st.name)
	}
	for _, p := range split(st.toks[open+1:end], ",") {
		switch {
		case len(p) == 1 && p[0].is("*"):
			// Keyword-only parameters follow.
		case len(p) == 2 && (p[0].is("*") || p[0].is("**")) && p[1].kind == identToken:
			sym.Star = append(sym.Star, p[0].text+p[1].text)
		case len(p) == 1 && p[0].kind == identToken:
			sym.Params = merge(sym.Params, []Param{{Name: p[0].text, Default: Required}})
		case len(p) > 2 && p[0].kind == identToken && p[1].is("="):
			sym.Params = merge(sym.Params, []Param{{Name: p[0].text, Default: f.text(p[2:])}})
		default:
			return Symbol{}, fmt.Errorf("%s: def %s: cannot read parameter %.60s", f.at(p[0]), st.name, f.text(p))
		}
	}
	return sym, nil
}
