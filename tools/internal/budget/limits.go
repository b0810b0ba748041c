package budget

// JSON documents.
const (
	// ImageJSONBytes bounds an image JSON document read into memory:
	// oci-layout, index.json, image indexes, manifests and configs (local
	// or from a registry), CONFIG.json and launch policies. Registries cap
	// manifests at 4 MiB; real configs are kilobytes.
	ImageJSONBytes = 8 << 20
	// SpecJSONBytes bounds the generated JSON inputs that list many files:
	// layer file specs, runfiles specs, Debian lock files, push records.
	SpecJSONBytes = 64 << 20
	// JSONDepth bounds the nesting of arrays and objects in any JSON input.
	JSONDepth = 64
)

// Image layouts and registries.
const (
	// IndexDepth bounds image indexes nested in image indexes.
	IndexDepth = 4
	// IndexEntries bounds the descriptors read from all the indexes of one
	// layout or reference together (a multi-platform image with
	// attestations lists a few dozen), so that nesting cannot fan out.
	IndexEntries = 1024
)

// Tar streams: layers added to an image, base image layers, layers compared
// by image diff, layers checked for build-machine paths.
const (
	// TarEntries bounds the entries of one layer.
	TarEntries = 1 << 20
	// TarNameBytes bounds one entry name or link target (Linux PATH_MAX:
	// no runtime can create a longer path).
	TarNameBytes = 4096
	// TarPAXBytes bounds the PAX records of one header (keys and values).
	TarPAXBytes = 64 << 10
	// TarHeaderBytes bounds the names and link targets of one layer kept
	// in memory (for the masking check and comparisons).
	TarHeaderBytes = 64 << 20
	// RunTarEntries and RunHeaderBytes bound the same over every layer
	// one command reads (a base image may have many layers).
	RunTarEntries  = 4 << 20
	RunHeaderBytes = 256 << 20
)

// Decompression.
const (
	// Ratio bounds decompressed bytes per compressed byte read, once more
	// than RatioFloor bytes were decompressed: gzip and zstd layers, and
	// the deflated entries of a jar counted over the whole jar. Real layers
	// and jars compress 2 to 10 times; a bomb expands a thousandfold.
	Ratio = 200
	// RatioFloor is the decompressed size below which Ratio does not
	// apply (a small, highly compressible file is no bomb).
	RatioFloor = 64 << 20
)

// Jars (odptool jar normalize).
const (
	// JarNesting bounds jars inside jars (Spring Boot nests one level).
	JarNesting = 4
	// JarHeldBytes bounds the entry contents held in memory at once to be
	// rewritten (manifests, nested jars, recompressed entries), summed
	// over the nesting levels being rewritten, the rewritten copies
	// included.
	JarHeldBytes = 512 << 20
	// JarEntries bounds the entries of a jar and its nested jars together.
	JarEntries = 1 << 20
	// JarManifestBytes bounds a manifest that is parsed and rewritten.
	JarManifestBytes = 16 << 20
)

// Debian packages (odptool deb repack): the largest bookworm packages
// unpack to a few GiB.
const (
	DebEntries   = 1 << 20
	DebFileBytes = 4 << 30
	DebTotalSize = 8 << 30
)

// The dpkg database of an image (var/lib/dpkg: the status file, status.d
// records, md5sums and file lists), read from base layers for the
// ownership checks of image assemble and for deb lock --exclude-installed.
const (
	// DpkgFileBytes bounds one file of the database (a status file of a
	// full Debian system is a few MiB).
	DpkgFileBytes = 64 << 20
	// DpkgTotalBytes bounds the database files held at once, over all
	// the layers of one image.
	DpkgTotalBytes = 256 << 20
)

// Runfiles (odptool layer runfiles).
const (
	// ManifestLineBytes bounds one line of a runfiles manifest: two paths
	// of at most TarNameBytes, escaped.
	ManifestLineBytes = 4 * TarNameBytes
	// LauncherBytes bounds a py_binary launcher read into memory (Bazel's
	// stubs are ~15 KB).
	LauncherBytes = 16 << 20
)
