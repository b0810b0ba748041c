package image

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/rules-odp/rules_odp/tools/internal/launchpolicy"
)

// HistoryCreatedBy is the created_by text of the history entry added for
// each layer. It is part of the config, hence of every digest: it names
// neither paths nor versions, and changing it is a breaking change.
const HistoryCreatedBy = "rules_odp image assemble"

type historyEntry struct {
	Created   string `json:"created"`
	CreatedBy string `json:"created_by"`
}

type rootFS struct {
	Type    string   `json:"type"`
	DiffIDs []string `json:"diff_ids"`
}

// marshal encodes v compactly without HTML escaping, so that "<", ">" and
// "&" in labels stay readable; the trailing newline of Encoder is dropped.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// configInput is what the final config is made of.
type configInput struct {
	base       []byte // raw base config, nil for scratch
	baseLayout string // where it comes from, for errors
	baseLayers int    // number of layers of the base manifest
	platform   Platform
	override   *ConfigOverride
	policy     map[string]string // launch-policy labels, added last
	// replacePolicy drops every launch-policy label of the base first: a
	// declared policy replaces the base's (an absent label is the
	// launcher's default).
	replacePolicy bool
	created       string
	diffIDs       []string // of the added layers
}

// buildConfig renders the image config. Fields of the base config that we
// do not merge (e.g. Volumes, Healthcheck, os.version) are kept as they
// are; the document is written with sorted keys, so its bytes depend only
// on the inputs.
func buildConfig(in configInput) ([]byte, *runConfig, error) {
	top := map[string]json.RawMessage{}
	cfgObj := map[string]json.RawMessage{}
	var rc runConfig
	var base rootFS
	var history []json.RawMessage
	if in.base != nil {
		if err := json.Unmarshal(in.base, &top); err != nil {
			return nil, nil, in.baseErrorf("parsing config: %w", err)
		}
		if raw, ok := top["config"]; ok && string(raw) != "null" {
			if err := json.Unmarshal(raw, &cfgObj); err != nil {
				return nil, nil, in.baseErrorf("parsing config's config object: %w", err)
			}
			if err := json.Unmarshal(raw, &rc); err != nil {
				return nil, nil, in.baseErrorf("parsing config's config object: %w", err)
			}
		}
		raw, ok := top["rootfs"]
		if !ok {
			return nil, nil, in.baseErrorf("config has no rootfs")
		}
		if err := json.Unmarshal(raw, &base); err != nil {
			return nil, nil, in.baseErrorf("parsing config's rootfs: %w", err)
		}
		if base.Type != "layers" {
			return nil, nil, in.baseErrorf("config's rootfs.type is %q, want \"layers\"", base.Type)
		}
		if len(base.DiffIDs) != in.baseLayers {
			return nil, nil, in.baseErrorf("config lists %d diff_ids but its manifest has %d layers", len(base.DiffIDs), in.baseLayers)
		}
		for _, d := range base.DiffIDs {
			if err := CheckDigest(d); err != nil {
				return nil, nil, in.baseErrorf("config's diff_ids: %w", err)
			}
		}
		if raw, ok := top["history"]; ok && string(raw) != "null" {
			if err := json.Unmarshal(raw, &history); err != nil {
				return nil, nil, in.baseErrorf("parsing config's history: %w", err)
			}
		}
	} else {
		set := func(k string, v any) {
			b, _ := marshal(v)
			top[k] = b
		}
		set("architecture", in.platform.Architecture)
		set("os", in.platform.OS)
		if in.platform.Variant != "" {
			set("variant", in.platform.Variant)
		}
	}

	if in.replacePolicy {
		for k := range rc.Labels {
			if launchpolicy.IsPolicyLabel(k) {
				delete(rc.Labels, k)
			}
		}
	}
	if err := rc.apply(in.override); err != nil {
		return nil, nil, in.baseErrorf("%w", err)
	}
	// What CONFIG.json set was checked when it was parsed: a value refused
	// here came from the base.
	if err := checkRunConfig(&rc); err != nil {
		return nil, nil, in.baseErrorf("config: %w; set the field in CONFIG.json to replace it", err)
	}
	for k, v := range in.policy {
		if rc.Labels == nil {
			rc.Labels = map[string]string{}
		}
		rc.Labels[k] = v
	}

	fields := []struct {
		name  string
		value any
		empty bool
	}{
		{"User", rc.User, rc.User == ""},
		{"ExposedPorts", rc.ExposedPorts, len(rc.ExposedPorts) == 0},
		{"Env", rc.Env, len(rc.Env) == 0},
		{"Entrypoint", rc.Entrypoint, len(rc.Entrypoint) == 0},
		{"Cmd", rc.Cmd, len(rc.Cmd) == 0},
		{"WorkingDir", rc.WorkingDir, rc.WorkingDir == ""},
		{"Labels", rc.Labels, len(rc.Labels) == 0},
		{"StopSignal", rc.StopSignal, rc.StopSignal == ""},
	}
	for _, f := range fields {
		if f.empty {
			delete(cfgObj, f.name)
			continue
		}
		b, err := marshal(f.value)
		if err != nil {
			return nil, nil, err
		}
		cfgObj[f.name] = b
	}

	var err error
	put := func(k string, v any) {
		if err != nil {
			return
		}
		top[k], err = marshal(v)
	}
	put("config", cfgObj)
	put("created", in.created)
	put("rootfs", rootFS{Type: "layers", DiffIDs: append(append([]string{}, base.DiffIDs...), in.diffIDs...)})
	for range in.diffIDs {
		var b []byte
		b, err = marshal(historyEntry{Created: in.created, CreatedBy: HistoryCreatedBy})
		history = append(history, b)
	}
	if len(history) > 0 {
		put("history", history)
	}
	if err != nil {
		return nil, nil, err
	}
	out, err := marshal(top)
	if err != nil {
		return nil, nil, err
	}
	return out, &rc, nil
}

// configDiffIDs returns rootfs.diff_ids of a config that buildConfig has
// already accepted (one well-formed digest per layer).
func configDiffIDs(raw []byte) ([]string, error) {
	var c struct {
		RootFS rootFS `json:"rootfs"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("parsing config: %w", err)
	}
	return c.RootFS.DiffIDs, nil
}

// baseErrorf is an error about the base config, naming the base.
func (in *configInput) baseErrorf(format string, a ...any) error {
	return fmt.Errorf("base %q: "+format, append([]any{in.baseLayout}, a...)...)
}
