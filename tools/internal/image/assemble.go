package image

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rules-odp/rules_odp/tools/internal/atomicfile"
	"github.com/rules-odp/rules_odp/tools/internal/budget"
	"github.com/rules-odp/rules_odp/tools/internal/launchpolicy"
)

// DefaultCreated is the `created` time of every image unless overridden:
// the Unix epoch, so that the config does not depend on when it was built.
const DefaultCreated = "1970-01-01T00:00:00Z"

// AssembleOptions are the inputs of Assemble.
type AssembleOptions struct {
	// Out is the layout directory to write; it is replaced atomically.
	Out string
	// Base is an OCI layout to build on; "" means scratch.
	Base string
	// Platform chooses the base manifest from an index and, for scratch,
	// is written into the config. The zero value means DefaultPlatform.
	Platform Platform
	// Config is the user's config override (may be nil).
	Config *ConfigOverride
	// LaunchPolicy is the content of a launch policy file (nil: none).
	LaunchPolicy []byte
	// Layers are appended in this order.
	Layers []string
	// Created is the config's and history's `created` time; the zero
	// value means DefaultCreated.
	Created time.Time
	// Compression of uncompressed tar layers.
	Compression Compression
	// TrustBaseLayers skips the full read of uncompressed base layers:
	// they are checked by size only, and the masking check seeks over
	// their files. By default every base layer is read in full and checked
	// against its digest and its diff_id (compressed ones are read in full
	// anyway, since the masking check decompresses them); see
	// docs/image.md.
	TrustBaseLayers bool
	// InheritLaunchPolicy keeps the base's tee.launch_policy.* labels in
	// an image assembled without LaunchPolicy (they are validated); without
	// it such a base is refused. With LaunchPolicy the base's labels are
	// always replaced.
	InheritLaunchPolicy bool
	// DockerArchive and OCIArchive, when set, are tarballs written as well;
	// Tag (REPO:TAG) names the image in the docker archive.
	DockerArchive, OCIArchive, Tag string
	// DigestFile and ImageIDFile, when set, receive the manifest digest
	// and the config digest ("sha256:<hex>", no newline, as rules_oci's
	// .digest files), written only once the layout is in place.
	DigestFile, ImageIDFile string
}

// Result describes an assembled image. Digests are "sha256:<hex>".
type Result struct {
	ManifestDigest string
	ManifestSize   int64
	ConfigDigest   string
}

// FormatCreated renders a time the way configs carry it: RFC 3339 in UTC,
// fractional seconds only when there are any.
func FormatCreated(t time.Time) string {
	if t.IsZero() {
		return DefaultCreated
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// Assemble writes an OCI image layout with one manifest made of the base,
// the config and the layers. On any error nothing is left at Out nor at
// the archive paths.
func Assemble(opts AssembleOptions) (res *Result, err error) {
	if opts.Out == "" {
		return nil, errors.New("no output directory")
	}
	if opts.DockerArchive != "" && opts.Tag == "" {
		return nil, errors.New("a docker archive needs a tag (REPO:TAG)")
	}
	if err := distinctOutputs(opts); err != nil {
		return nil, err
	}
	platform := opts.Platform
	if platform == (Platform{}) {
		platform = DefaultPlatform
	}

	var base *Image
	if opts.Base != "" {
		if base, err = ReadImage(opts.Base, platform); err != nil {
			return nil, err
		}
	}
	if opts.LaunchPolicy != nil && opts.InheritLaunchPolicy {
		return nil, errors.New("a declared launch policy replaces the base's: it cannot be combined with inheriting the base's")
	}
	policy, err := policyLabels(opts.LaunchPolicy, opts.Config)
	if err != nil {
		return nil, err
	}

	var written []string
	defer func() {
		if err != nil {
			for _, p := range written {
				os.Remove(p)
			}
		}
	}()
	err = atomicfile.WriteDir(opts.Out, func(tmp string) error {
		r, err := writeLayout(tmp, base, platform, policy, opts)
		if err != nil {
			return err
		}
		res = r
		for _, a := range []struct {
			path  string
			write func(string, string, string) error
		}{
			{opts.DockerArchive, func(p, layout, tag string) error { return WriteDockerArchive(p, layout, tag) }},
			{opts.OCIArchive, func(p, layout, _ string) error { return WriteOCIArchive(p, layout) }},
		} {
			if a.path == "" {
				continue
			}
			if err := a.write(a.path, tmp, opts.Tag); err != nil {
				return err
			}
			written = append(written, a.path)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, f := range []struct{ path, digest string }{
		{opts.DigestFile, res.ManifestDigest},
		{opts.ImageIDFile, res.ConfigDigest},
	} {
		if f.path == "" {
			continue
		}
		if err = writeDigestFile(f.path, f.digest); err != nil {
			// A layout without its digest file would be a half-done output.
			os.RemoveAll(opts.Out)
			return nil, err
		}
		written = append(written, f.path)
	}
	return res, nil
}

// distinctOutputs refuses two outputs at one path: the second would
// silently replace the first.
func distinctOutputs(opts AssembleOptions) error {
	seen := map[string]string{}
	for _, o := range []struct{ what, path string }{
		{"output layout", opts.Out},
		{"docker archive", opts.DockerArchive},
		{"oci archive", opts.OCIArchive},
		{"digest file", opts.DigestFile},
		{"image id file", opts.ImageIDFile},
	} {
		if o.path == "" {
			continue
		}
		p := filepath.Clean(o.path)
		if prev, dup := seen[p]; dup {
			return fmt.Errorf("the %s and the %s are both %q", prev, o.what, o.path)
		}
		seen[p] = o.what
	}
	return nil
}

func writeDigestFile(path, digest string) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := io.WriteString(w, digest)
		return err
	})
}

// declaredPolicy is a parsed --launch-policy.
type declaredPolicy struct {
	labels       map[string]string
	acknowledged []string
}

// policyLabels renders the launch policy and refuses a CONFIG.json that
// sets a launch-policy label the policy does not set to the same value:
// with a declared policy the image carries exactly its labels.
func policyLabels(data []byte, o *ConfigOverride) (*declaredPolicy, error) {
	if data == nil {
		return nil, nil
	}
	p, err := launchpolicy.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("launch policy refused: %w", err)
	}
	labels, err := p.Labels()
	if err != nil {
		return nil, fmt.Errorf("launch policy refused: %w", err)
	}
	if o != nil && o.Labels != nil {
		for _, k := range labelKeys(*o.Labels) {
			v := (*o.Labels)[k]
			want, ok := labels[k]
			switch {
			case ok && v != want:
				return nil, fmt.Errorf("label %q is %q in the config but %q in the launch policy; set it in one place", k, v, want)
			case !ok && launchpolicy.IsPolicyLabel(k):
				return nil, fmt.Errorf("label %q=%q is set in the config but not by the launch policy; with --launch-policy the policy alone declares the image's launch-policy labels: set it there", k, v)
			}
		}
	}
	return &declaredPolicy{labels: labels, acknowledged: p.AcknowledgeRisks}, nil
}

// basePolicyLabels lists the launch-policy labels of a base config, as
// "KEY=VALUE", sorted.
func basePolicyLabels(raw []byte) ([]string, error) {
	var c struct {
		Config struct {
			Labels map[string]string `json:"Labels"`
		} `json:"config"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("parsing base config: %w", err)
	}
	var out []string
	for _, k := range labelKeys(c.Config.Labels) {
		if launchpolicy.IsPolicyLabel(k) {
			out = append(out, k+"="+c.Config.Labels[k])
		}
	}
	return out, nil
}

func writeLayout(dir string, base *Image, platform Platform, policy *declaredPolicy, opts AssembleOptions) (*Result, error) {
	blobs := filepath.Join(dir, "blobs", "sha256")
	for _, d := range []string{filepath.Join(dir, "blobs"), blobs} {
		if err := mkdir(d); err != nil {
			return nil, fmt.Errorf("creating %q: %w", d, err)
		}
	}

	baseLayers := 0
	var baseConfig []byte
	var baseLayout string
	if base != nil {
		baseLayers = len(base.Manifest.Layers)
		baseConfig, baseLayout = base.RawConfig, base.Layout
	}
	in := configInput{
		base:       baseConfig,
		baseLayout: baseLayout,
		baseLayers: baseLayers,
		platform:   platform,
		override:   opts.Config,
		created:    FormatCreated(opts.Created),
	}
	var acknowledged []string
	if policy != nil {
		in.policy, in.replacePolicy, acknowledged = policy.labels, true, policy.acknowledged
	} else if base != nil && !opts.InheritLaunchPolicy {
		// The base's launch policy would silently become the image's.
		inherited, err := basePolicyLabels(base.RawConfig)
		if err != nil {
			return nil, fmt.Errorf("base %q: %w", base.Layout, err)
		}
		if len(inherited) > 0 {
			return nil, fmt.Errorf("base %q carries the launch-policy labels %s: the image would inherit the base's Confidential Space launch policy unseen; "+
				"declare the image's own policy with --launch-policy (odp_launch_policy), which replaces the base's labels, or keep them with --inherit-launch-policy",
				base.Layout, strings.Join(inherited, ", "))
		}
	}
	// Refuse a bad launch policy before reading any layer: the layers do
	// not change Entrypoint, Cmd or Labels.
	_, rc, err := buildConfig(in)
	if err != nil {
		return nil, err
	}
	if policy != nil || hasTEELabel(rc.Labels) {
		if err := launchpolicy.Validate(rc.Entrypoint, rc.Cmd, rc.Labels); err != nil {
			return nil, fmt.Errorf("launch policy refused: %w", err)
		}
		// Labels of a declared policy take only the risks it
		// acknowledges; inherited or CONFIG.json labels take none.
		if err := launchpolicy.CheckRisks(rc.Labels, acknowledged); err != nil {
			return nil, fmt.Errorf("launch policy refused: %w", err)
		}
	}

	// The base layers are read for the masking check while the added
	// layers are; the stack is checked before anything is named index.json.
	// One budget bounds the headers of all of them.
	var run budget.Run
	var kept budget.Kept
	var baseDiffIDs []string
	if base != nil {
		if baseDiffIDs, err = configDiffIDs(base.RawConfig); err != nil {
			return nil, fmt.Errorf("base %q: %w", base.Layout, err)
		}
	}
	scan := startBaseScan(base, baseDiffIDs, opts.TrustBaseLayers, &run, &kept)
	defer scan.stop()

	var layers []Descriptor
	if base != nil {
		for i, l := range base.Manifest.Layers {
			mt, err := outputLayerMediaType(l.MediaType)
			if err != nil {
				return nil, fmt.Errorf("base %q layer %d (%s): %w", base.Layout, i+1, l.Digest, err)
			}
			src, err := blobPath(base.Layout, l.Digest)
			if err != nil {
				return nil, err
			}
			if err := checkBlobSize(src, l); err != nil {
				return nil, fmt.Errorf("base %q: %w", base.Layout, err)
			}
			if err := placeBlob(src, filepath.Join(blobs, l.Digest[len("sha256:"):]), l); err != nil {
				return nil, fmt.Errorf("base %q: %w", base.Layout, err)
			}
			layers = append(layers, Descriptor{MediaType: mt, Digest: l.Digest, Size: l.Size, Annotations: l.Annotations})
		}
	}

	var diffIDs []string
	var added [][]tarEntry
	for _, p := range opts.Layers {
		l, err := readLayer(p, opts.Compression, dir, &run, &kept)
		if err != nil {
			return nil, err
		}
		dst := filepath.Join(blobs, l.desc.Digest[len("sha256:"):])
		if l.temp {
			if _, statErr := os.Lstat(dst); statErr == nil {
				err = os.Remove(l.src)
			} else {
				err = os.Rename(l.src, dst)
			}
		} else {
			err = placeBlob(p, dst, l.desc)
		}
		if err != nil {
			return nil, fmt.Errorf("layer %q: %w", p, err)
		}
		layers = append(layers, l.desc)
		diffIDs = append(diffIDs, l.diffID)
		added = append(added, l.entries)
	}
	if err := checkStack(base, scan, opts.Layers, added); err != nil {
		return nil, err
	}

	in.diffIDs = diffIDs
	config, _, err := buildConfig(in)
	if err != nil {
		return nil, err
	}

	configDesc := Descriptor{MediaType: MediaTypeOCIConfig, Digest: digestOf(config), Size: int64(len(config))}
	if layers == nil {
		layers = []Descriptor{}
	}
	manifest, err := marshal(Manifest{SchemaVersion: 2, MediaType: MediaTypeOCIManifest, Config: configDesc, Layers: layers})
	if err != nil {
		return nil, err
	}
	manifestDesc := Descriptor{MediaType: MediaTypeOCIManifest, Digest: digestOf(manifest), Size: int64(len(manifest))}
	index, err := marshal(Index{SchemaVersion: 2, MediaType: MediaTypeOCIIndex, Manifests: []Descriptor{manifestDesc}})
	if err != nil {
		return nil, err
	}
	for _, b := range [][]byte{config, manifest} {
		p := filepath.Join(blobs, digestOf(b)[len("sha256:"):])
		if _, err := os.Lstat(p); err == nil {
			continue
		}
		if err := writeFile(p, b); err != nil {
			return nil, fmt.Errorf("writing blob: %w", err)
		}
	}
	if err := writeFile(filepath.Join(dir, "index.json"), index); err != nil {
		return nil, fmt.Errorf("writing index.json: %w", err)
	}
	if err := writeFile(filepath.Join(dir, "oci-layout"), []byte(layoutFile)); err != nil {
		return nil, fmt.Errorf("writing oci-layout: %w", err)
	}
	return &Result{ManifestDigest: manifestDesc.Digest, ManifestSize: manifestDesc.Size, ConfigDigest: configDesc.Digest}, nil
}

// hasTEELabel reports labels that mark a Confidential Space workload (or
// look as if they meant to), which are validated even without a policy.
func hasTEELabel(labels map[string]string) bool {
	for k := range labels {
		if strings.HasPrefix(strings.ToLower(k), "tee.") {
			return true
		}
	}
	return false
}
