package strictjson_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/budget"
	"github.com/rules-odp/rules_odp/tools/internal/strictjson"
)

func TestCheckRefuses(t *testing.T) {
	deep := strings.Repeat("[", budget.JSONDepth+1) + strings.Repeat("]", budget.JSONDepth+1)
	for _, tc := range []struct{ name, json, want string }{
		{"duplicate key", `{"a":1,"a":2}`, `key "a" appears twice`},
		{"duplicate nested key", `{"config":{"Labels":{"x":"1","x":"2"}}}`, `"config": "Labels": key "x" appears twice`},
		{"duplicate key spelled with an escape", `{"a":1,"\u0061":2}`, `key "a" appears twice`},
		{"duplicate key in an array element", `[{"k":1},{"k":1,"k":1}]`, `key "k" appears twice`},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", "invalid UTF-8 at byte 6"},
		{"lone high surrogate", `{"a":"\ud800x"}`, `unpaired UTF-16 surrogate \uD800`},
		{"lone low surrogate", `["\udc00"]`, `unpaired UTF-16 surrogate \uDC00`},
		{"reversed pair", `["\udc00\ud800"]`, `unpaired UTF-16 surrogate`},
		{"trailing data", `{} {}`, "trailing data after the JSON value at byte 3"},
		{"trailing brace", `{}}`, "trailing data after the JSON value at byte 2"},
		{"truncated", `{"a":[1,2`, "EOF"},
		{"too deep", deep, "over the budget for JSON nesting depth"},
		{"empty", ``, "EOF"},
		{"not JSON", `nope`, "invalid character"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := strictjson.Check([]byte(tc.json))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Check(%q) = %v, want an error containing %q", tc.json, err, tc.want)
			}
		})
	}
}

func TestCheckAccepts(t *testing.T) {
	ok := strings.Repeat("[", budget.JSONDepth) + strings.Repeat("]", budget.JSONDepth)
	for _, s := range []string{
		`{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}`,
		`{"A":1,"a":2}`, // keys differ: label keys are case-sensitive
		`"\ud83d\ude00 \\u0041 \\\ud83d\ude00"`,
		`"é ü 中"`, ok, `null`, `[]`, `{}`, ` 1 `,
	} {
		if err := strictjson.Check([]byte(s)); err != nil {
			t.Errorf("Check(%q) = %v", s, err)
		}
	}
}

func TestUnmarshalKnown(t *testing.T) {
	var v struct {
		Path string `json:"path"`
	}
	if err := strictjson.UnmarshalKnown([]byte(`{"path":"a","mdoe":"0644"}`), &v); err == nil || !strings.Contains(err.Error(), `unknown field "mdoe"`) {
		t.Errorf("unknown field: %v", err)
	}
	if err := strictjson.UnmarshalKnown([]byte(`{"path":"a","path":"b"}`), &v); err == nil {
		t.Error("duplicate field accepted")
	}
	if err := strictjson.Unmarshal([]byte(`{"path":"a"}`), &v); err != nil || v.Path != "a" {
		t.Errorf("Unmarshal = %v, %+v", err, v)
	}
}

// FuzzCheck: Check never panics, and whatever it accepts encoding/json
// accepts too, decoding to the same value as a re-encoding of it does
// (nothing was silently replaced or dropped).
func FuzzCheck(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":1,"a":2}`, "\"\xff\"", `"\ud800"`, `[[[[]]]]`, `{"k":"\u00e9\ud83d\ude00"}`, `1 2`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := strictjson.Check([]byte(s))
		if err == nil {
			var v any
			if err := json.Unmarshal([]byte(s), &v); err != nil {
				t.Fatalf("Check accepted %q, json.Unmarshal refused it: %v", s, err)
			}
			again, _ := json.Marshal(v)
			if err := strictjson.Check(again); err != nil {
				t.Fatalf("re-encoding %q of accepted %q refused: %v", again, s, err)
			}
			return
		}
		var be *budget.Error
		_ = errors.As(err, &be) // any error is fine; it must just not panic
	})
}
