package imagediff

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// decodeJSON decodes one JSON value, keeping numbers as written.
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return v, nil
}

// render is the compact JSON of a decoded value; object keys come out
// sorted, so equal values render equally.
func render(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Decoded JSON always encodes; keep going with something visible.
		return "<" + err.Error() + ">"
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// walker compares two decoded JSON documents field by field.
type walker struct {
	scope string
	layer int
	// skip says which paths (as rendered) not to compare.
	skip func(path string) bool
	// semantic makes Env order irrelevant.
	semantic bool
	out      *[]Difference
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// mapLike are objects whose keys are data, not field names: their keys
// are always written ["key"] so that dots in them cannot mislead.
var mapLike = map[string]bool{"annotations": true, "Labels": true, "ExposedPorts": true, "Volumes": true}

func childPath(parent, key string) string {
	last := parent
	if i := strings.LastIndexAny(parent, ".]"); i >= 0 {
		last = parent[i+1:]
	}
	if parent != "" && mapLike[last] || !identRE.MatchString(key) {
		return parent + "[" + strconv.Quote(key) + "]"
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func (w *walker) emit(path, kind, a, b string) {
	if path == "" {
		path = "." // the document itself, when it is not an object
	}
	*w.out = append(*w.out, Difference{Scope: w.scope, Layer: w.layer, Field: path, Kind: kind, A: a, B: b})
}

// walk compares a and b at path; hasA/hasB say whether each side has the
// field at all (a JSON null is a value).
func (w *walker) walk(path string, a, b any, hasA, hasB bool) {
	if !hasA && !hasB || w.skip != nil && w.skip(path) {
		return
	}
	switch {
	case !hasA:
		w.emit(path, Added, "", render(b))
		return
	case !hasB:
		w.emit(path, Removed, render(a), "")
		return
	}
	if path == "config.Env" && w.scope == "config" && w.env(path, a, b) {
		return
	}
	ma, okA := a.(map[string]any)
	mb, okB := b.(map[string]any)
	if okA && okB {
		for _, k := range unionKeys(ma, mb) {
			va, inA := ma[k]
			vb, inB := mb[k]
			w.walk(childPath(path, k), va, vb, inA, inB)
		}
		return
	}
	la, okA := a.([]any)
	lb, okB := b.([]any)
	if okA && okB && (hasObject(la) || hasObject(lb)) {
		// Lists of records (history, manifests) compare element by
		// element; lists of strings (Cmd) are one value.
		for i := 0; i < len(la) || i < len(lb); i++ {
			var va, vb any
			if i < len(la) {
				va = la[i]
			}
			if i < len(lb) {
				vb = lb[i]
			}
			w.walk(path+"["+strconv.Itoa(i)+"]", va, vb, i < len(la), i < len(lb))
		}
		return
	}
	if ra, rb := render(a), render(b); ra != rb {
		w.emit(path, Changed, ra, rb)
	}
}

// env compares Env by variable name, which is how a process sees it; the
// order of the list is a difference only in strict mode. It reports false
// when Env is not a list of strings, to be compared as plain JSON.
func (w *walker) env(path string, a, b any) bool {
	na, okA := envMap(a)
	nb, okB := envMap(b)
	if !okA || !okB {
		return false
	}
	for _, k := range unionKeys(na, nb) {
		va, inA := na[k]
		vb, inB := nb[k]
		w.walk(path+"["+strconv.Quote(k)+"]", va, vb, inA, inB)
	}
	if !w.semantic && render(na) == render(nb) {
		if ra, rb := render(a), render(b); ra != rb {
			w.emit(path, Changed, ra, rb)
		}
	}
	return true
}

// envMap maps NAME to VALUE; a later entry wins, as in every runtime. An
// entry without "=" maps to null, so that it differs from NAME= .
func envMap(v any) (map[string]any, bool) {
	l, ok := v.([]any)
	if !ok {
		return nil, false
	}
	m := make(map[string]any, len(l))
	for _, e := range l {
		s, ok := e.(string)
		if !ok {
			return nil, false
		}
		name, val, found := strings.Cut(s, "=")
		if found {
			m[name] = val
		} else {
			m[name] = nil
		}
	}
	return m, true
}

func hasObject(l []any) bool {
	for _, e := range l {
		if _, ok := e.(map[string]any); ok {
			return true
		}
	}
	return false
}

func unionKeys(a, b map[string]any) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// compareJSON decodes two documents and walks them from the root.
func compareJSON(w *walker, a, b []byte) error {
	va, err := decodeJSON(a)
	if err != nil {
		return err
	}
	vb, err := decodeJSON(b)
	if err != nil {
		return err
	}
	w.walk("", va, vb, true, true)
	return nil
}
