package provenance

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/rules-odp/rules_odp/tools/internal/atomicfile"
	"github.com/rules-odp/rules_odp/tools/internal/budget"
	"github.com/rules-odp/rules_odp/tools/internal/strictjson"
)

// Marshal encodes s with every object's keys sorted, two-space indents,
// no HTML escaping and a final newline: the same statement always gives
// the same bytes, whatever the field order of the Go types.
func (s *Statement) Marshal() ([]byte, error) {
	raw, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	// Decoding into generic values and encoding again sorts the keys
	// (encoding/json writes map keys in order).
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// WriteFile writes the statement to path atomically.
func (s *Statement) WriteFile(path string) error {
	b, err := s.Marshal()
	if err != nil {
		return err
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// maxRecordLine bounds one line of a push record.
const maxRecordLine = 1 << 20

// ReadPushRecord reads a push record: JSON Lines of {"image", "digest"},
// as `odptool image push --record` writes them (records of several
// pushes may be concatenated). Blank lines are skipped; unknown fields,
// missing fields and malformed digests are errors.
func ReadPushRecord(r io.Reader) ([]Pushed, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxRecordLine)
	var out []Pushed
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var p Pushed
		if err := strictjson.UnmarshalKnown(line, &p); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if p.Image == "" || p.Digest == "" {
			return nil, fmt.Errorf("line %d: want both \"image\" and \"digest\"", n)
		}
		if _, _, err := SplitImage(p.Image); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if _, err := DigestSet(p.Digest); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, p)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("no image in the push record")
	}
	return out, nil
}

// ReadPushRecordFile is ReadPushRecord on a file.
func ReadPushRecordFile(path string) ([]Pushed, error) {
	f, err := budget.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading push record: %w", err)
	}
	defer f.Close()
	ps, err := ReadPushRecord(f)
	if err != nil {
		return nil, fmt.Errorf("push record %q: %w", path, err)
	}
	return ps, nil
}

// HashFile returns the OCI-form digest ("sha256:<hex>") of a file.
func HashFile(path string) (string, error) {
	f, err := budget.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading %q: %w", path, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}
