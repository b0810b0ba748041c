package image_test

// Independent readers of our layouts: if skopeo, umoci, crane, podman and
// go-containerregistry's validator disagree with us, we are wrong.

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/validate"
	"github.com/rules-odp/rules_odp/tools/internal/image"
)

// busyboxLayer is a runnable layer: Debian's static busybox at /bin.
func busyboxLayer(t testing.TB, dir string) string {
	t.Helper()
	bb := "/bin/busybox"
	if !fileExists(bb) {
		tool(t, "busybox") // fails with CI=true, skips elsewhere
	}
	body, err := os.ReadFile(bb)
	if err != nil {
		t.Fatal(err)
	}
	return writeTar(t, filepath.Join(dir, "busybox.tar"), []tarFile{
		{name: "bin/"},
		{name: "bin/busybox", body: string(body), mode: 0o755},
		{name: "bin/sh", link: "busybox"},
		{name: "etc/"},
		{name: "etc/odp-message", body: "hello from a rules_odp layer\n"},
	})
}

// refereeImage assembles an image on the testdata base with a busybox layer,
// plus both archives.
func refereeImage(t *testing.T) (dir string, res *image.Result) {
	dir = t.TempDir()
	layer := busyboxLayer(t, dir)
	res = mustAssemble(t, image.AssembleOptions{
		Out:           filepath.Join(dir, "out"),
		Layers:        []string{layer, td("layers", "app.tar")},
		Config:        mustOverride(t, `{"Entrypoint":["/bin/busybox"],"Cmd":["cat","/etc/odp-message","/app/hello.txt"],"Env":["ODP=1"]}`),
		DockerArchive: filepath.Join(dir, "docker.tar"),
		OCIArchive:    filepath.Join(dir, "oci.tar"),
		Tag:           "localhost/odp-referee:docker",
	})
	return dir, res
}

func TestSkopeoReadsLayout(t *testing.T) {
	skopeo := tool(t, "skopeo")
	dir, res := refereeImage(t)
	out := filepath.Join(dir, "out")

	var inspect struct {
		Digest string
		Layers []string
		Env    []string
	}
	if err := json.Unmarshal([]byte(run(t, skopeo, "inspect", "oci:"+out)), &inspect); err != nil {
		t.Fatal(err)
	}
	if inspect.Digest != res.ManifestDigest {
		t.Errorf("skopeo inspect digest %s, ours %s", inspect.Digest, res.ManifestDigest)
	}
	raw := run(t, skopeo, "inspect", "--raw", "oci:"+out)
	ours, _ := os.ReadFile(filepath.Join(out, "blobs", "sha256", res.ManifestDigest[7:]))
	if raw != string(ours) {
		t.Errorf("skopeo --raw manifest differs from ours:\n%s\n%s", raw, ours)
	}

	// A copy by an independent tool keeps our digest.
	cp := filepath.Join(dir, "copy")
	run(t, skopeo, "copy", "--preserve-digests", "oci:"+out, "oci:"+cp+":copy")
	var idx image.Index
	readJSON(t, filepath.Join(cp, "index.json"), &idx)
	if len(idx.Manifests) != 1 || idx.Manifests[0].Digest != res.ManifestDigest {
		t.Errorf("skopeo copy produced %+v, want digest %s", idx.Manifests, res.ManifestDigest)
	}
	// And reads both archives to the same digest.
	if err := json.Unmarshal([]byte(run(t, skopeo, "inspect", "oci-archive:"+filepath.Join(dir, "oci.tar"))), &inspect); err != nil {
		t.Fatal(err)
	}
	if inspect.Digest != res.ManifestDigest {
		t.Errorf("skopeo inspect oci-archive digest %s, ours %s", inspect.Digest, res.ManifestDigest)
	}
	var dock struct{ Layers []string }
	if err := json.Unmarshal([]byte(run(t, skopeo, "inspect", "docker-archive:"+filepath.Join(dir, "docker.tar"))), &dock); err != nil {
		t.Fatal(err)
	}
	info, _ := image.Inspect(out)
	var diffIDs []string
	for _, l := range info.Layers {
		diffIDs = append(diffIDs, l.DiffID)
	}
	// docker-archive layers are identified by their diff_ids.
	if diff := cmp.Diff(diffIDs, dock.Layers); diff != "" {
		t.Errorf("docker-archive layers (-ours +skopeo):\n%s", diff)
	}
}

func TestUmociUnpacks(t *testing.T) {
	umoci := tool(t, "umoci")
	dir, res := refereeImage(t)
	// umoci finds images by the ref.name annotation, which our index.json
	// deliberately does not carry; give it one in a copy that shares our
	// blobs (the blobs are what is being checked).
	ref := filepath.Join(dir, "ref")
	copyDir(t, filepath.Join(dir, "out"), ref)
	idx := image.Index{SchemaVersion: 2, MediaType: image.MediaTypeOCIIndex, Manifests: []image.Descriptor{{
		MediaType: image.MediaTypeOCIManifest, Digest: res.ManifestDigest, Size: res.ManifestSize,
		Annotations: map[string]string{"org.opencontainers.image.ref.name": "latest"},
	}}}
	b, _ := json.Marshal(idx)
	if err := os.WriteFile(filepath.Join(ref, "index.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(dir, "bundle")
	run(t, umoci, "unpack", "--rootless", "--image", ref+":latest", bundle)
	got, err := os.ReadFile(filepath.Join(bundle, "rootfs", "app", "hello.txt"))
	if err != nil || string(got) != "hello from rules_odp\n" {
		t.Errorf("rootfs/app/hello.txt = %q, %v", got, err)
	}
	var spec struct {
		Process struct {
			Args []string `json:"args"`
			Env  []string `json:"env"`
		} `json:"process"`
	}
	readJSON(t, filepath.Join(bundle, "config.json"), &spec)
	want := []string{"/bin/busybox", "cat", "/etc/odp-message", "/app/hello.txt"}
	if diff := cmp.Diff(want, spec.Process.Args); diff != "" {
		t.Errorf("umoci process args (-want +got):\n%s", diff)
	}
	if !contains(spec.Process.Env, "ODP=1") {
		t.Errorf("umoci env %v lacks ODP=1", spec.Process.Env)
	}
}

func TestGoContainerRegistryValidates(t *testing.T) {
	for _, tc := range goldenCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.Out = filepath.Join(t.TempDir(), "out")
			res := mustAssemble(t, opts)
			p, err := layout.FromPath(opts.Out)
			if err != nil {
				t.Fatal(err)
			}
			h, _ := v1.NewHash(res.ManifestDigest)
			img, err := p.Image(h)
			if err != nil {
				t.Fatal(err)
			}
			// validate's full mode gunzips every layer whatever its media
			// type (go-containerregistry validate/layer.go), so it cannot
			// check uncompressed layers; those images get the fast mode,
			// which still checks manifest, config and descriptors.
			var vopts []validate.Option
			info, err := image.Inspect(opts.Out)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range info.Layers {
				if l.MediaType == image.MediaTypeLayerTar {
					vopts = []validate.Option{validate.Fast}
				}
			}
			if err := validate.Image(img, vopts...); err != nil {
				t.Errorf("validate.Image: %v", err)
			}
		})
	}
}

func TestCraneValidatesDockerArchive(t *testing.T) {
	crane := tool(t, "crane")
	dir, _ := refereeImage(t)
	out := run(t, crane, "validate", "--tarball", filepath.Join(dir, "docker.tar"))
	if !strings.Contains(out, "PASS") {
		t.Errorf("crane validate: %s", out)
	}
}

// podmanArgs are what this machine needs to run containers (see
// shared notes: crun fails here, default ulimits exceed the hard limits).
func podmanRun(t *testing.T, podman, ref string, args ...string) string {
	t.Helper()
	full := append([]string{"--runtime", "runc", "--cgroup-manager=cgroupfs", "run", "--rm", "--network=none",
		"--ulimit", "nofile=10000:10000", "--ulimit", "nproc=1000:1000", ref}, args...)
	return run(t, podman, full...)
}

func TestPodmanRunsAssembledImage(t *testing.T) {
	podman := tool(t, "podman")
	skopeo := tool(t, "skopeo")
	tool(t, "runc")
	if os.Geteuid() != 0 {
		t.Skip("podman with runc/cgroupfs is set up for root here")
	}
	dir, res := refereeImage(t)
	want := "hello from a rules_odp layer\nhello from rules_odp\n"
	names := []string{"localhost/odp-referee:oci", "localhost/odp-referee:docker", "localhost/odp-referee:ociarchive"}
	t.Cleanup(func() {
		exec.Command(podman, append([]string{"rmi", "-f"}, names...)...).Run()
	})

	t.Run("layout via skopeo copy", func(t *testing.T) {
		run(t, skopeo, "copy", "oci:"+filepath.Join(dir, "out"), "containers-storage:"+names[0])
		if got := podmanRun(t, podman, names[0]); got != want {
			t.Errorf("output %q, want %q", got, want)
		}
		digest := strings.TrimSpace(run(t, podman, "image", "inspect", "--format", "{{.Digest}}", names[0]))
		if digest != res.ManifestDigest {
			t.Errorf("podman sees digest %s, ours %s", digest, res.ManifestDigest)
		}
	})
	t.Run("docker-archive via podman load", func(t *testing.T) {
		out := run(t, podman, "load", "-i", filepath.Join(dir, "docker.tar"))
		if !strings.Contains(out, names[1]) {
			t.Errorf("podman load: %s", out)
		}
		if got := podmanRun(t, podman, names[1], "echo", "args", "override"); got != "args override\n" {
			t.Errorf("output %q", got)
		}
		id := strings.TrimSpace(run(t, podman, "image", "inspect", "--format", "{{.Id}}", names[1]))
		if "sha256:"+id != res.ConfigDigest {
			t.Errorf("podman image ID %s, our config digest %s", id, res.ConfigDigest)
		}
	})
	t.Run("oci-archive via podman load", func(t *testing.T) {
		out := run(t, podman, "load", "-i", filepath.Join(dir, "oci.tar"))
		if !strings.Contains(out, res.ConfigDigest) {
			t.Errorf("podman load: %s, want image %s", out, res.ConfigDigest)
		}
		run(t, podman, "tag", res.ConfigDigest[7:], names[2])
		if got := podmanRun(t, podman, names[2]); got != want {
			t.Errorf("output %q, want %q", got, want)
		}
	})
}
