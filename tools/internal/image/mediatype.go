package image

import "fmt"

// Media types of the OCI image spec (and the Docker ones a base may use).
const (
	MediaTypeOCIManifest = "application/vnd.oci.image.manifest.v1+json"
	MediaTypeOCIIndex    = "application/vnd.oci.image.index.v1+json"
	MediaTypeOCIConfig   = "application/vnd.oci.image.config.v1+json"
	MediaTypeLayerTar    = "application/vnd.oci.image.layer.v1.tar"
	MediaTypeLayerGzip   = "application/vnd.oci.image.layer.v1.tar+gzip"
	MediaTypeLayerZstd   = "application/vnd.oci.image.layer.v1.tar+zstd"

	MediaTypeDockerManifest     = "application/vnd.docker.distribution.manifest.v2+json"
	MediaTypeDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
	MediaTypeDockerConfig       = "application/vnd.docker.container.image.v1+json"
	MediaTypeDockerLayerGzip    = "application/vnd.docker.image.rootfs.diff.tar.gzip"
)

func isManifestType(mt string) bool {
	return mt == MediaTypeOCIManifest || mt == MediaTypeDockerManifest
}

func isIndexType(mt string) bool {
	return mt == MediaTypeOCIIndex || mt == MediaTypeDockerManifestList
}

// outputLayerMediaType maps the media type of a base layer to the one the
// output manifest uses. The blob's bytes never change, so only types whose
// byte formats are identical may be mapped: the OCI image spec declares the
// Docker gzip layer type interchangeable with the OCI one. Foreign and
// non-distributable layers are refused: they are not in the layout and
// registries treat them specially.
func outputLayerMediaType(mt string) (string, error) {
	switch mt {
	case MediaTypeLayerTar, MediaTypeLayerGzip, MediaTypeLayerZstd:
		return mt, nil
	case MediaTypeDockerLayerGzip:
		return MediaTypeLayerGzip, nil
	}
	return "", fmt.Errorf("unsupported layer media type %q (supported: %s, %s, %s, %s)",
		mt, MediaTypeLayerTar, MediaTypeLayerGzip, MediaTypeLayerZstd, MediaTypeDockerLayerGzip)
}
