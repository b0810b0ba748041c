package imagediff

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
)

// Kinds of Difference.
const (
	Changed = "changed"
	Added   = "added"   // only in B
	Removed = "removed" // only in A
)

// Difference is one thing that differs between A and B.
type Difference struct {
	// Scope is "index", "manifest", "config" or "layer".
	Scope string `json:"scope"`
	// Layer is the 1-based position of the layer (scope "layer").
	Layer int `json:"layer,omitempty"`
	// Path is a file's path in the layer, rooted at "/"; empty for a
	// difference of the layer itself.
	Path string `json:"path,omitempty"`
	// Occurrence numbers the entries of a path a layer holds more than
	// once (1-based); 0 when the path occurs once in both layers.
	Occurrence int `json:"occurrence,omitempty"`
	// Field names what differs: a JSON path for index, manifest and config
	// (config.Labels["k"]), a descriptor field or "layer" for a layer,
	// an entry attribute or "entry" for a file (see docs/diff.md).
	Field string `json:"field"`
	// Kind is Changed, Added or Removed.
	Kind string `json:"kind"`
	// A and B are the values in each image as text; the side that lacks
	// the thing is empty (and omitted from JSON). Present values are
	// never empty: JSON values keep their quotes.
	A string `json:"a,omitempty"`
	B string `json:"b,omitempty"`
}

// Report is the outcome of Compare.
type Report struct {
	A           string       `json:"a"`
	B           string       `json:"b"`
	Semantic    bool         `json:"semantic"`
	Same        bool         `json:"same"`
	Differences []Difference `json:"differences"`
}

// WriteJSON writes the report as one indented JSON object.
func (r *Report) WriteJSON(w io.Writer) error {
	out := *r
	if out.Differences == nil {
		out.Differences = []Difference{}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// WriteText writes one line per difference and nothing when the images
// are the same, like diff(1).
func (r *Report) WriteText(w io.Writer) error {
	for _, d := range r.Differences {
		if _, err := fmt.Fprintln(w, d.String()); err != nil {
			return err
		}
	}
	return nil
}

// String renders d as one line: `SCOPE: FIELD: A -> B`, `SCOPE: FIELD:
// added B` or `SCOPE: FIELD: removed A`, where SCOPE is index, manifest,
// config, `layer N` or `layer N PATH`.
func (d Difference) String() string {
	var b strings.Builder
	b.WriteString(d.Scope)
	if d.Scope == "layer" {
		fmt.Fprintf(&b, " %d", d.Layer)
	}
	if d.Path != "" {
		b.WriteString(" " + quotePath(d.Path))
	}
	if d.Occurrence > 0 {
		fmt.Fprintf(&b, " (entry %d of the path)", d.Occurrence)
	}
	fmt.Fprintf(&b, ": %s: ", d.Field)
	switch d.Kind {
	case Added:
		b.WriteString("added " + oneLine(d.B))
	case Removed:
		b.WriteString("removed " + oneLine(d.A))
	default:
		b.WriteString(oneLine(d.A) + " -> " + oneLine(d.B))
	}
	return b.String()
}

// quotePath keeps ordinary paths readable and quotes the others, so that
// a hostile name (spaces, newlines, escapes) cannot forge output lines.
func quotePath(p string) string {
	for _, r := range p {
		if r == ' ' || r == '"' || r == '\\' || !unicode.IsPrint(r) {
			return strconv.Quote(p)
		}
	}
	return p
}

// oneLine guards against values with line breaks (labels, xattrs).
func oneLine(s string) string {
	if strings.ContainsAny(s, "\n\r") {
		return strconv.Quote(s)
	}
	return s
}
