package launchpolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"reflect"
	"strings"

	"github.com/rules-odp/rules_odp/tools/internal/strictjson"
)

// Policy is a launch policy as written by a workload author. See the
// package documentation for the JSON format and the meaning of each field.
type Policy struct {
	AllowEnvOverride       []string `json:"allow_env_override,omitempty"`
	AllowCmdOverride       bool     `json:"allow_cmd_override,omitempty"`
	LogRedirect            string   `json:"log_redirect,omitempty"`            // always|never|debugonly
	MonitoringMemoryAllow  string   `json:"monitoring_memory_allow,omitempty"` // legacy: always|never|debugonly
	HardenedMonitoring     string   `json:"hardened_monitoring,omitempty"`     // none|memoryonly|all
	DebugMonitoring        string   `json:"debug_monitoring,omitempty"`        // none|memoryonly|all
	AllowMountDestinations []string `json:"allow_mount_destinations,omitempty"`
	AllowCapabilities      bool     `json:"allow_capabilities,omitempty"`
	AllowCgroups           bool     `json:"allow_cgroups,omitempty"`
	// AcknowledgeRisks lists the risky settings (see Risk) the policy
	// takes on purpose. It is not rendered as a label.
	AcknowledgeRisks []string `json:"acknowledge_risks,omitempty"`
}

// jsonFields are the exact field names Parse accepts. encoding/json alone
// would also match them case-insensitively and let a duplicate win
// silently.
var jsonFields = func() map[string]bool {
	m := map[string]bool{}
	t := reflect.TypeOf(Policy{})
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		m[name] = true
	}
	return m
}()

// Parse reads a launch policy file strictly (see the package
// documentation) and checks that the launcher would accept it.
func Parse(data []byte) (*Policy, error) {
	if err := checkFields(data); err != nil {
		return nil, fmt.Errorf("parsing launch policy: %w", err)
	}
	// Duplicate keys at any depth, invalid UTF-8, nesting.
	if err := strictjson.Check(data); err != nil {
		return nil, fmt.Errorf("parsing launch policy: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Policy
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("parsing launch policy: %w", err)
	}
	if _, err := p.Labels(); err != nil {
		return nil, err
	}
	return &p, nil
}

// checkFields walks the top-level object: exact known names, each once,
// no null, nothing after the object.
func checkFields(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("want a JSON object, got %v", tok)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		name, _ := tok.(string)
		switch {
		case !jsonFields[name]:
			return fmt.Errorf("unknown field %q (known: %s)", name, strings.Join(fieldNames(), ", "))
		case seen[name]:
			return fmt.Errorf("field %q appears twice", name)
		}
		seen[name] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("field %q: %w", name, err)
		}
		if string(raw) == "null" {
			return fmt.Errorf("field %q is null; omit the field to keep the launcher's default", name)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the JSON object")
	}
	return nil
}

func fieldNames() []string {
	var names []string
	t := reflect.TypeOf(Policy{})
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		names = append(names, name)
	}
	return names
}

// Labels renders the policy as image labels after checking it the way
// Validate does. Only set fields are rendered; values are canonical: lists
// joined without spaces, mount paths cleaned, enums trimmed and lower-cased,
// booleans "true".
func (p *Policy) Labels() (map[string]string, error) {
	var v validator
	raw := map[string]string{}
	if len(p.AllowEnvOverride) > 0 {
		raw[LabelAllowEnvOverride] = strings.Join(p.AllowEnvOverride, ",")
		v.listItems(LabelAllowEnvOverride, p.AllowEnvOverride, ",", func(s string) string { return s })
	}
	if len(p.AllowMountDestinations) > 0 {
		raw[LabelAllowMountDestinations] = strings.Join(p.AllowMountDestinations, ":")
		v.listItems(LabelAllowMountDestinations, p.AllowMountDestinations, ":", path.Clean)
	}
	for label, set := range map[string]bool{
		LabelAllowCmdOverride:  p.AllowCmdOverride,
		LabelAllowCapabilities: p.AllowCapabilities,
		LabelAllowCgroups:      p.AllowCgroups,
	} {
		if set {
			raw[label] = "true"
		}
	}
	for label, val := range map[string]string{
		LabelLogRedirect:           p.LogRedirect,
		LabelMonitoringMemoryAllow: p.MonitoringMemoryAllow,
		LabelHardenedMonitoring:    p.HardenedMonitoring,
		LabelDebugMonitoring:       p.DebugMonitoring,
	} {
		if val != "" {
			raw[label] = val
		}
	}
	v.labels(raw)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := checkAcknowledged(FindRisks(raw), p.AcknowledgeRisks); err != nil {
		return nil, err
	}

	out := map[string]string{}
	for label, val := range raw {
		switch label {
		case LabelLogRedirect, LabelMonitoringMemoryAllow:
			val, _ = parseLegacyPolicy(val)
		case LabelHardenedMonitoring, LabelDebugMonitoring:
			val, _ = parseMonitoring(val)
		case LabelAllowMountDestinations:
			clean := make([]string, len(p.AllowMountDestinations))
			for i, d := range p.AllowMountDestinations {
				clean[i] = path.Clean(d)
			}
			val = strings.Join(clean, ":")
		}
		out[label] = val
	}
	return out, nil
}

// listItems checks what only the typed form can get wrong: an item that is
// empty, contains the separator (it would become two items) or repeats
// another once normalised.
func (v *validator) listItems(label string, items []string, sep string, norm func(string) string) {
	value := strings.Join(items, sep)
	seen := map[string]bool{}
	for _, item := range items {
		switch {
		case item == "":
			v.refuse(label, value, "the list has an empty entry; remove it")
		case strings.Contains(item, sep):
			v.refuse(label, value, "entry %q contains the list separator %q, so the launcher would read it as several entries; give each as its own list element", item, sep)
		case seen[norm(item)]:
			v.refuse(label, value, "entry %q is listed twice; remove the duplicate", item)
		}
		seen[norm(item)] = true
	}
}
