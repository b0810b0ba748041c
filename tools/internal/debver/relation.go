package debver

import (
	"fmt"
	"strings"
)

// Op is the operator of a versioned relation.
type Op int

// The operators of Policy §7.1. The obsolete "<" and ">" are not accepted.
const (
	Any Op = iota // no version restriction
	LT            // <<
	LE            // <=
	EQ            // =
	GE            // >=
	GT            // >>
)

var opNames = [...]string{Any: "", LT: "<<", LE: "<=", EQ: "=", GE: ">=", GT: ">>"}

func (o Op) String() string {
	if o < 0 || int(o) >= len(opNames) {
		return fmt.Sprintf("Op(%d)", int(o))
	}
	return opNames[o]
}

// Holds reports whether a version that compares to the relation's version
// as cmp (the sign of Compare(candidate, wanted)) satisfies the operator.
func (o Op) Holds(cmp int) bool {
	switch o {
	case Any:
		return true
	case LT:
		return cmp < 0
	case LE:
		return cmp <= 0
	case EQ:
		return cmp == 0
	case GE:
		return cmp >= 0
	case GT:
		return cmp > 0
	}
	return false
}

// Relation is one package in a relationship field: name[:arch] [(op version)].
type Relation struct {
	Name string
	// Arch is the architecture qualifier after ':' ("any", "native" or an
	// architecture name), or "" when there is none.
	Arch    string
	Op      Op
	Version Version // meaningful only when Op != Any
}

// Satisfies reports whether version v meets the relation's version
// restriction (always true for an unversioned relation).
func (r Relation) Satisfies(v Version) bool {
	return r.Op == Any || r.Op.Holds(Compare(v, r.Version))
}

func (r Relation) String() string {
	s := r.Name
	if r.Arch != "" {
		s += ":" + r.Arch
	}
	if r.Op != Any {
		s += " (" + r.Op.String() + " " + r.Version.String() + ")"
	}
	return s
}

// OrGroup is a list of alternatives "a | b | c"; any one satisfies it.
type OrGroup []Relation

func (g OrGroup) String() string {
	parts := make([]string, len(g))
	for i, r := range g {
		parts[i] = r.String()
	}
	return strings.Join(parts, " | ")
}

// ParseDepends parses the value of a Depends or Pre-Depends field of a
// binary package: comma-separated groups of '|'-separated relations.
// Architecture restrictions ("[amd64]") and build profiles ("<!nocheck>")
// belong to source packages only and are errors here.
func ParseDepends(s string) ([]OrGroup, error) {
	var groups []OrGroup
	for _, part := range strings.Split(s, ",") {
		var g OrGroup
		for _, alt := range strings.Split(part, "|") {
			r, err := parseRelation(alt)
			if err != nil {
				return nil, fmt.Errorf("parsing relation %q: %w", strings.TrimSpace(alt), err)
			}
			g = append(g, r)
		}
		groups = append(groups, g)
	}
	return groups, nil
}

// ParseProvides parses the value of a Provides field: comma-separated
// relations without alternatives, versioned only with "=" (Policy §7.5).
func ParseProvides(s string) ([]Relation, error) {
	var rels []Relation
	for _, part := range strings.Split(s, ",") {
		if strings.Contains(part, "|") {
			return nil, fmt.Errorf("parsing provides %q: alternatives are not allowed", strings.TrimSpace(part))
		}
		r, err := parseRelation(part)
		if err != nil {
			return nil, fmt.Errorf("parsing provides %q: %w", strings.TrimSpace(part), err)
		}
		if r.Op != Any && r.Op != EQ {
			return nil, fmt.Errorf("parsing provides %q: only \"=\" is allowed", strings.TrimSpace(part))
		}
		if r.Arch != "" {
			return nil, fmt.Errorf("parsing provides %q: architecture qualifiers are not allowed", strings.TrimSpace(part))
		}
		rels = append(rels, r)
	}
	return rels, nil
}

// ParseRelation parses a single relation such as "libc6 (>= 2.36)".
func ParseRelation(s string) (Relation, error) {
	r, err := parseRelation(s)
	if err != nil {
		return Relation{}, fmt.Errorf("parsing relation %q: %w", s, err)
	}
	return r, nil
}

func parseRelation(s string) (Relation, error) {
	var r Relation
	s = trimSpace(s)
	if s == "" {
		return r, fmt.Errorf("empty relation")
	}
	n := 0
	for n < len(s) && isNameChar(s[n]) {
		n++
	}
	r.Name = s[:n]
	if n == 0 {
		return r, fmt.Errorf("expected a package name at %q", s)
	}
	if err := CheckName(r.Name); err != nil {
		return r, err
	}
	s = s[n:]
	if strings.HasPrefix(s, ":") {
		n = 1
		for n < len(s) && (isLowerAlnum(s[n]) || s[n] == '-') {
			n++
		}
		r.Arch = s[1:n]
		if r.Arch == "" {
			return r, fmt.Errorf("empty architecture qualifier")
		}
		s = s[n:]
	}
	s = trimSpace(s)
	if strings.HasPrefix(s, "(") {
		end := strings.IndexByte(s, ')')
		if end < 0 {
			return r, fmt.Errorf("missing ')'")
		}
		paren := s[:end+1]
		var inner string
		r.Op, inner = parseOp(trimSpace(s[1:end]))
		s = trimSpace(s[end+1:])
		if r.Op == Any {
			return r, fmt.Errorf("missing or unknown operator in %q (want <<, <=, =, >= or >>)", paren)
		}
		v, err := parse(trimSpace(inner))
		if err != nil {
			return r, err
		}
		r.Version = v
	}
	switch {
	case s == "":
		return r, nil
	case s[0] == '[':
		return r, fmt.Errorf("architecture restrictions are only allowed in source package relations")
	case s[0] == '<':
		return r, fmt.Errorf("build profiles are only allowed in source package relations")
	}
	return r, fmt.Errorf("unexpected %q", s)
}

func parseOp(s string) (Op, string) {
	for _, o := range []Op{LT, LE, GE, GT} {
		if strings.HasPrefix(s, o.String()) {
			return o, s[2:]
		}
	}
	if strings.HasPrefix(s, "=") {
		return EQ, s[1:]
	}
	return Any, s
}

// CheckName reports whether name is a valid package name: characters from
// [a-z0-9+.-], starting with a letter or digit. Like dpkg, and unlike Policy
// §5.6.1, it accepts one-character names.
func CheckName(name string) error {
	if name == "" {
		return fmt.Errorf("package name is empty")
	}
	if !isLowerAlnum(name[0]) {
		return fmt.Errorf("package name %q must start with a lowercase letter or digit", name)
	}
	for i := 0; i < len(name); i++ {
		if !isNameChar(name[i]) {
			return fmt.Errorf("package name %q has invalid character %q", name, name[i])
		}
	}
	return nil
}

func isLowerAlnum(c byte) bool { return isDigit(c) || ('a' <= c && c <= 'z') }
func isNameChar(c byte) bool   { return isLowerAlnum(c) || c == '+' || c == '-' || c == '.' }

// trimSpace removes the whitespace a folded field value may hold between
// tokens, including the newlines of continuation lines.
func trimSpace(s string) string { return strings.Trim(s, " \t\n\r") }
