package sbom

// Kind is the ecosystem of a package.
type Kind string

// Kinds of packages, in the order documents list them.
const (
	KindDeb    Kind = "deb"
	KindPython Kind = "python"
	KindJava   Kind = "java"
)

var kindOrder = map[Kind]int{KindDeb: 0, KindPython: 1, KindJava: 2}

// Inventory is what Scan found in an image.
type Inventory struct {
	// Name names the image in documents (a repository, or the digest).
	Name string
	// Digest is the image manifest digest, ConfigDigest the image ID.
	Digest, ConfigDigest string
	// Layers are the image's layers in order.
	Layers []Layer
	// Base is the base image, if known.
	Base *Base
	// Packages are sorted: by kind, then name, version, architecture,
	// layer and path.
	Packages []Package
	// Files are the native libraries, sorted by path.
	Files []File
}

// Layer is one layer of the image.
type Layer struct {
	Digest, DiffID string
}

// Base is the image the image was built on.
type Base struct {
	// Name is what the user called it (a repository, or a label).
	Name string
	// Digest is its manifest digest.
	Digest string
	// Layers is how many of the image's first layers are the base's
	// (0 when the base is known by digest only).
	Layers int
}

// Package is one package found in the image.
type Package struct {
	Kind          Kind
	Name, Version string
	// Arch is a Debian package's architecture.
	Arch string
	// Source and SourceVersion name a Debian package's source package.
	Source, SourceVersion string
	// Group is a Maven package's groupId.
	Group string
	// PURL is the package URL ("" when unknown, e.g. a jar without
	// Maven coordinates).
	PURL string
	// SHA256 is of the .deb (from a lock file) or of the jar file; SHA1
	// of the jar file.
	SHA256, SHA1 string
	// License is an SPDX license expression, "" for none known.
	License string
	// Layer is the 0-based index of the layer the evidence is in, Path the
	// evidence: a status record, a dist-info directory, a jar ("!" joins
	// the paths of nested jars).
	Layer int
	Path  string
	// Parent is the index in Inventory.Packages of the jar a nested jar is
	// in, or -1.
	Parent int
}

// File is a native library.
type File struct {
	Path         string
	Layer        int
	Size         int64
	SHA256, SHA1 string
	// Owner is the index in Inventory.Packages of the Debian package whose
	// md5sums list the file, or -1.
	Owner int
}
