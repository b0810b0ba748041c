// Generates tools/internal/image/testdata inputs once; they are checked in
// so golden digests do not depend on the Go version's tar/gzip.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"time"
)

func tarOf(files [][2]string) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, f := range files {
		name, body := f[0], f[1]
		h := &tar.Header{Name: name, Mode: 0o644, ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg, Size: int64(len(body)), Format: tar.FormatUSTAR}
		if name[len(name)-1] == '/' {
			h.Typeflag, h.Mode, h.Size = tar.TypeDir, 0o755, 0
		}
		must(tw.WriteHeader(h))
		_, err := tw.Write([]byte(body))
		must(err)
	}
	must(tw.Close())
	return b.Bytes()
}

func gz(b []byte) []byte {
	var out bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&out, 9)
	zw.ModTime = time.Unix(0, 0)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func dg(b []byte) string { s := sha256.Sum256(b); return "sha256:" + hex.EncodeToString(s[:]) }

type desc struct {
	MediaType string            `json:"mediaType"`
	Digest    string            `json:"digest"`
	Size      int               `json:"size"`
	Platform  map[string]string `json:"platform,omitempty"`
}

func writeBlob(dir string, b []byte) desc {
	p := filepath.Join(dir, "blobs", "sha256")
	must(os.MkdirAll(p, 0o755))
	d := dg(b)
	must(os.WriteFile(filepath.Join(p, d[7:]), b, 0o644))
	return desc{Digest: d, Size: len(b)}
}

func js(v any) []byte { b, err := json.Marshal(v); must(err); return b }

type baseSpec struct {
	arch      string
	docker    bool
	layerType string
}

func makeImage(dir string, arch string, docker bool, l1, l2 []byte) desc {
	cfg := map[string]any{
		"architecture": arch, "os": "linux", "created": "2024-01-02T03:04:05Z",
		"config":  map[string]any{"Env": []string{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"}, "Cmd": []string{"/bin/sh"}, "Labels": map[string]string{"org.example.base": "yes"}, "WorkingDir": "/", "Volumes": map[string]any{"/data": map[string]any{}}},
		"rootfs":  map[string]any{"type": "layers", "diff_ids": []string{dg(l1), dg(l2)}},
		"history": []map[string]any{{"created": "2024-01-02T03:04:05Z", "created_by": "base layer 1"}, {"created": "2024-01-02T03:04:05Z", "created_by": "base layer 2"}},
	}
	if arch == "arm64" {
		cfg["variant"] = "v8"
	}
	cb := js(cfg)
	cd := writeBlob(dir, cb)
	lt := "application/vnd.oci.image.layer.v1.tar+gzip"
	ct := "application/vnd.oci.image.config.v1+json"
	mt := "application/vnd.oci.image.manifest.v1+json"
	if docker {
		lt = "application/vnd.docker.image.rootfs.diff.tar.gzip"
		ct = "application/vnd.docker.container.image.v1+json"
		mt = "application/vnd.docker.distribution.manifest.v2+json"
	}
	cd.MediaType = ct
	g1, g2 := gz(l1), gz(l2)
	d1 := writeBlob(dir, g1)
	d1.MediaType = lt
	d2 := writeBlob(dir, g2)
	d2.MediaType = lt
	m := map[string]any{"schemaVersion": 2, "mediaType": mt, "config": cd, "layers": []desc{d1, d2}}
	md := writeBlob(dir, js(m))
	md.MediaType = mt
	return md
}

func layout(dir string, idx any) {
	must(os.MkdirAll(dir, 0o755))
	must(os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644))
	must(os.WriteFile(filepath.Join(dir, "index.json"), js(idx), 0o644))
}

func main() {
	out := os.Args[1]
	l1 := tarOf([][2]string{{"bin/", ""}, {"bin/sh", "#!fake shell\n"}, {"etc/", ""}, {"etc/os-release", "ID=odptest\n"}})
	l2 := tarOf([][2]string{{"usr/", ""}, {"usr/share/", ""}, {"usr/share/base.txt", "base layer two\n"}})
	must(os.MkdirAll(filepath.Join(out, "layers"), 0o755))
	must(os.WriteFile(filepath.Join(out, "layers", "app.tar"), tarOf([][2]string{{"app/", ""}, {"app/hello.txt", "hello from rules_odp\n"}}), 0o644))
	must(os.WriteFile(filepath.Join(out, "layers", "data.tar.gz"), gz(tarOf([][2]string{{"etc/", ""}, {"etc/odp.conf", "mode=test\n"}})), 0o644))

	for _, b := range []struct {
		dir    string
		docker bool
	}{{"base-oci", false}, {"base-docker", true}} {
		dir := filepath.Join(out, b.dir)
		md := makeImage(dir, "amd64", b.docker, l1, l2)
		it := "application/vnd.oci.image.index.v1+json"
		layout(dir, map[string]any{"schemaVersion": 2, "mediaType": it, "manifests": []desc{md}})
	}
	// An index.json pointing at a multi-platform index, as oci_pull of a
	// multi-arch image produces.
	dir := filepath.Join(out, "base-index")
	amd := makeImage(dir, "amd64", false, l1, l2)
	amd.Platform = map[string]string{"os": "linux", "architecture": "amd64"}
	arm := makeImage(dir, "arm64", false, l2, l1)
	arm.Platform = map[string]string{"os": "linux", "architecture": "arm64", "variant": "v8"}
	it := "application/vnd.oci.image.index.v1+json"
	inner := writeBlob(dir, js(map[string]any{"schemaVersion": 2, "mediaType": it, "manifests": []desc{amd, arm}}))
	inner.MediaType = it
	layout(dir, map[string]any{"schemaVersion": 2, "mediaType": it, "manifests": []desc{inner}})
}
