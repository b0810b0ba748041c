package image

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/rules-odp/rules_odp/tools/internal/strictjson"
)

// ConfigOverride is the user's CONFIG.json: the fields of the OCI image
// config's `config` object that an image build may set, with the spec's
// spelling. A nil field was not given and keeps the base's value.
type ConfigOverride struct {
	Entrypoint   *[]string
	Cmd          *[]string
	Env          *[]string
	Labels       *map[string]string
	User         *string
	WorkingDir   *string
	ExposedPorts *map[string]struct{}
	StopSignal   *string
}

var overrideFields = []string{"Entrypoint", "Cmd", "Env", "Labels", "User", "WorkingDir", "ExposedPorts", "StopSignal"}

// ParseConfigOverride reads CONFIG.json strictly: one object, only the
// fields above (exact case), each at most once, no null, nothing after the
// object. A typo must not silently produce an image without the setting.
func ParseConfigOverride(data []byte) (*ConfigOverride, error) {
	fields, err := strictObject(data, overrideFields)
	if err != nil {
		return nil, fmt.Errorf("parsing config: %w", err)
	}
	// Duplicate keys at any depth, invalid UTF-8, nesting.
	if err := strictjson.Check(data); err != nil {
		return nil, fmt.Errorf("parsing config: %w", err)
	}
	var o ConfigOverride
	for name, raw := range fields {
		var err error
		switch name {
		case "Entrypoint":
			o.Entrypoint, err = decodeStrict[[]string](raw)
			if err == nil {
				err = checkArgs(*o.Entrypoint)
			}
		case "Cmd":
			o.Cmd, err = decodeStrict[[]string](raw)
			if err == nil {
				err = checkArgs(*o.Cmd)
			}
		case "Env":
			o.Env, err = decodeStrict[[]string](raw)
			if err == nil {
				err = checkEnv(*o.Env)
			}
		case "Labels":
			o.Labels, err = decodeStrict[map[string]string](raw)
			if err == nil {
				err = checkUniqueKeys(raw)
			}
			if err == nil {
				err = checkLabels(*o.Labels)
			}
		case "User":
			o.User, err = decodeStrict[string](raw)
			if err == nil {
				err = checkValue(*o.User)
			}
		case "WorkingDir":
			o.WorkingDir, err = decodeStrict[string](raw)
			if err == nil && *o.WorkingDir != "" && !strings.HasPrefix(*o.WorkingDir, "/") {
				err = fmt.Errorf("%q is not an absolute path", *o.WorkingDir)
			}
			if err == nil {
				err = checkValue(*o.WorkingDir)
			}
		case "ExposedPorts":
			o.ExposedPorts, err = decodeStrict[map[string]struct{}](raw)
			if err == nil {
				err = checkUniqueKeys(raw)
			}
			if err == nil {
				err = checkPorts(*o.ExposedPorts)
			}
		case "StopSignal":
			o.StopSignal, err = decodeStrict[string](raw)
			if err == nil {
				err = checkValue(*o.StopSignal)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("parsing config: field %q: %w", name, err)
		}
	}
	return &o, nil
}

// strictObject splits a JSON object into its fields, refusing unknown,
// duplicate and null fields and trailing data.
func strictObject(data []byte, known []string) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("want a JSON object, got %v", tok)
	}
	out := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := tok.(string)
		if !contains(known, name) {
			return nil, fmt.Errorf("unknown field %q (known: %s)", name, strings.Join(known, ", "))
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("field %q appears twice", name)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("field %q: %w", name, err)
		}
		if string(raw) == "null" {
			return nil, fmt.Errorf("field %q is null; omit it to keep the base's value, or give an empty value", name)
		}
		out[name] = raw
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON object")
	}
	return out, nil
}

// checkUniqueKeys refuses an object with a key given twice, which
// json.Unmarshal would resolve silently in favour of the last.
func checkUniqueKeys(raw json.RawMessage) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return err
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		k, _ := tok.(string)
		if seen[k] {
			return fmt.Errorf("key %q appears twice", k)
		}
		seen[k] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return err
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// decodeStrict decodes one value; json.Unmarshal would accept a null
// element inside a list as "" and an object key twice.
func decodeStrict[T any](raw json.RawMessage) (*T, error) {
	if bytes.Contains(raw, []byte("null")) {
		// Cheap pre-check; the exact check is below.
		var probe any
		if err := json.Unmarshal(raw, &probe); err != nil {
			return nil, err
		}
		if hasNull(probe) {
			return nil, errors.New("null is not allowed")
		}
	}
	var v T
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return &v, nil
}

func hasNull(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case []any:
		for _, e := range v {
			if hasNull(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range v {
			if hasNull(e) {
				return true
			}
		}
	}
	return false
}

var envNameRE = regexp.MustCompile(`^[^=\x00]+$`)

func envName(kv string) (string, error) {
	name, _, ok := strings.Cut(kv, "=")
	if !ok || !envNameRE.MatchString(name) {
		return "", fmt.Errorf("%q is not NAME=VALUE", kv)
	}
	if err := checkValue(kv); err != nil {
		return "", err
	}
	return name, nil
}

// checkValue refuses a NUL byte or a line break in a value that reaches
// the process: a NUL ends a C string early (execve and getenv see less
// than the config says), and a line break lets one value pass for two in
// every tool that prints configs line by line (and in env files).
func checkValue(v string) error {
	if i := strings.IndexAny(v, "\x00\n\r"); i >= 0 {
		what := map[byte]string{0: "a NUL byte", '\n': "a newline", '\r': "a carriage return"}[v[i]]
		return fmt.Errorf("%q contains %s at byte %d", v, what, i)
	}
	return nil
}

// checkArgs applies checkValue to every argument of Entrypoint or Cmd.
func checkArgs(args []string) error {
	for i, a := range args {
		if err := checkValue(a); err != nil {
			return fmt.Errorf("argument %d: %w", i, err)
		}
	}
	return nil
}

// checkRunConfig applies the same checks to the merged config, which also
// holds what the base image brought.
func checkRunConfig(c *runConfig) error {
	for _, f := range []struct {
		name string
		args []string
	}{{"Entrypoint", c.Entrypoint}, {"Cmd", c.Cmd}} {
		if err := checkArgs(f.args); err != nil {
			return fmt.Errorf("field %q: %w", f.name, err)
		}
	}
	for _, f := range []struct{ name, v string }{{"User", c.User}, {"WorkingDir", c.WorkingDir}, {"StopSignal", c.StopSignal}} {
		if err := checkValue(f.v); err != nil {
			return fmt.Errorf("field %q: %w", f.name, err)
		}
	}
	for _, kv := range c.Env {
		if _, err := envName(kv); err != nil {
			return fmt.Errorf("field \"Env\": %w", err)
		}
	}
	return nil
}

func checkEnv(env []string) error {
	seen := map[string]bool{}
	for _, kv := range env {
		name, err := envName(kv)
		if err != nil {
			return err
		}
		if seen[name] {
			return fmt.Errorf("%q is set twice", name)
		}
		seen[name] = true
	}
	return nil
}

func checkLabels(labels map[string]string) error {
	for k := range labels {
		if k == "" || strings.TrimSpace(k) != k {
			return fmt.Errorf("label key %q is empty or padded with spaces", k)
		}
	}
	return nil
}

var portRE = regexp.MustCompile(`^([0-9]+)(/(tcp|udp|sctp))?$`)

// checkPorts checks the keys; decodeStrict already refused values other
// than {}.
func checkPorts(ports map[string]struct{}) error {
	for p := range ports {
		m := portRE.FindStringSubmatch(p)
		if m == nil {
			return fmt.Errorf("port %q: want PORT, PORT/tcp, PORT/udp or PORT/sctp", p)
		}
		if n, err := strconv.Atoi(m[1]); err != nil || n < 1 || n > 65535 || m[1][0] == '0' {
			return fmt.Errorf("port %q: number out of range 1-65535", p)
		}
	}
	return nil
}

// runConfig is the typed view of the config object's fields we merge.
type runConfig struct {
	User         string              `json:"User,omitempty"`
	ExposedPorts map[string]struct{} `json:"ExposedPorts,omitempty"`
	Env          []string            `json:"Env,omitempty"`
	Entrypoint   []string            `json:"Entrypoint,omitempty"`
	Cmd          []string            `json:"Cmd,omitempty"`
	WorkingDir   string              `json:"WorkingDir,omitempty"`
	Labels       map[string]string   `json:"Labels,omitempty"`
	StopSignal   string              `json:"StopSignal,omitempty"`
}

// apply merges o into c the way a Dockerfile's instructions would:
// Env is merged by name (a base variable keeps its position, new ones are
// appended in the given order), Labels by key, ExposedPorts are added to
// the base's; every other given field replaces the base's. Setting
// Entrypoint without Cmd clears the base's Cmd (Docker does the same:
// base arguments are meaningless to a new program).
func (c *runConfig) apply(o *ConfigOverride) error {
	if o == nil {
		return nil
	}
	if o.Env != nil {
		merged, err := mergeEnv(c.Env, *o.Env)
		if err != nil {
			return err
		}
		c.Env = merged
	}
	if o.Labels != nil {
		if c.Labels == nil {
			c.Labels = map[string]string{}
		}
		for k, v := range *o.Labels {
			c.Labels[k] = v
		}
	}
	if o.ExposedPorts != nil {
		if c.ExposedPorts == nil {
			c.ExposedPorts = map[string]struct{}{}
		}
		for p := range *o.ExposedPorts {
			c.ExposedPorts[p] = struct{}{}
		}
	}
	if o.Entrypoint != nil {
		c.Entrypoint = *o.Entrypoint
		if o.Cmd == nil {
			c.Cmd = nil
		}
	}
	if o.Cmd != nil {
		c.Cmd = *o.Cmd
	}
	if o.User != nil {
		c.User = *o.User
	}
	if o.WorkingDir != nil {
		c.WorkingDir = *o.WorkingDir
	}
	if o.StopSignal != nil {
		c.StopSignal = *o.StopSignal
	}
	return nil
}

func mergeEnv(base, add []string) ([]string, error) {
	out := append([]string(nil), base...)
	pos := map[string]int{}
	for i, kv := range out {
		name, err := envName(kv)
		if err != nil {
			return nil, fmt.Errorf("config Env: %w", err)
		}
		pos[name] = i
	}
	for _, kv := range add {
		name, err := envName(kv)
		if err != nil {
			return nil, err
		}
		if i, ok := pos[name]; ok {
			out[i] = kv
			continue
		}
		pos[name] = len(out)
		out = append(out, kv)
	}
	return out, nil
}

// labelKeys returns the keys of m, sorted.
func labelKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
