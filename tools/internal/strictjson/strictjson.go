// Package strictjson decodes JSON inputs without the silent choices of
// encoding/json: a key given twice in one object (encoding/json keeps the
// last), invalid UTF-8 and unpaired UTF-16 surrogate escapes (replaced by
// U+FFFD), data after the value and nesting deeper than budget.JSONDepth
// are errors. Every JSON input of odptool goes through it: image configs,
// indexes and manifests, CONFIG.json, launch policies, file and runfiles
// specs, lock files and push records.
package strictjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/rules-odp/rules_odp/tools/internal/budget"
)

// Check validates data as one strict JSON value (see the package
// documentation).
func Check(data []byte) error {
	if !utf8.Valid(data) {
		i := invalidUTF8At(data)
		return fmt.Errorf("invalid UTF-8 at byte %d", i)
	}
	if err := checkSurrogates(data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := checkValue(dec, 0); err != nil {
		return err
	}
	if rest := bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		return fmt.Errorf("trailing data after the JSON value at byte %d (more than one JSON value?)", len(data)-len(rest))
	}
	return nil
}

// Unmarshal checks data (Check) and decodes it into v as json.Unmarshal
// does.
func Unmarshal(data []byte, v any) error {
	if err := Check(data); err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// UnmarshalKnown is Unmarshal refusing object fields that v's struct types
// do not have.
func UnmarshalKnown(data []byte, v any) error {
	if err := Check(data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// checkValue reads one value; depth is the nesting of its container.
func checkValue(dec *json.Decoder, depth int) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	if depth+1 > budget.JSONDepth {
		return &budget.Error{Budget: "JSON nesting depth", Limit: budget.JSONDepth, Got: int64(depth + 1)}
	}
	switch d {
	case '[':
		for dec.More() {
			if err := checkValue(dec, depth+1); err != nil {
				return err
			}
		}
	case '{':
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := tok.(string)
			if seen[key] {
				return fmt.Errorf("key %q appears twice in one object (which one counts would be a guess)", key)
			}
			seen[key] = true
			if err := checkValue(dec, depth+1); err != nil {
				return fmt.Errorf("%q: %w", key, err)
			}
		}
	}
	_, err = dec.Token() // the closing delimiter
	return err
}

func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}

// checkSurrogates refuses \uD800-\uDFFF escapes that do not form a pair:
// encoding/json turns them into U+FFFD. Outside strings a valid document
// has no backslash, so every backslash starts an escape.
func checkSurrogates(b []byte) error {
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		if i+1 >= len(b) {
			return nil // the decoder reports the truncation
		}
		if b[i+1] != 'u' {
			i++ // \" \\ \/ \b \f \n \r \t
			continue
		}
		r, ok := hex4(b, i+2)
		if !ok {
			return nil // the decoder reports the bad escape
		}
		switch {
		case 0xD800 <= r && r < 0xDC00:
			lo, ok := hex4(b, i+8)
			if !ok || b[i+6] != '\\' || b[i+7] != 'u' || lo < 0xDC00 || lo > 0xDFFF {
				return fmt.Errorf("unpaired UTF-16 surrogate \\u%04X at byte %d", r, i)
			}
			i += 11
		case 0xDC00 <= r && r <= 0xDFFF:
			return fmt.Errorf("unpaired UTF-16 surrogate \\u%04X at byte %d", r, i)
		default:
			i += 5
		}
	}
	return nil
}

// hex4 reads the four hex digits at b[i:i+4].
func hex4(b []byte, i int) (rune, bool) {
	if i < 0 || i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
