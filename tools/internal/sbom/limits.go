package sbom

// Limits are the budgets within which Scan reads untrusted bytes. What
// exceeds one is an error naming the file and the budget, never a silent
// truncation.
type Limits struct {
	// LayerEntries bounds the tar entries of one layer.
	LayerEntries int
	// StatusFile bounds a dpkg status file or record.
	StatusFile int64
	// TextFile bounds a copyright file, a Python METADATA / PKG-INFO, an
	// md5sums list.
	TextFile int64
	// Jar bounds a jar file of the image (spooled to a temporary file).
	Jar int64
	// NestedJar bounds a compressed jar inside a jar (held in memory;
	// stored ones are read in place).
	NestedJar int64
	// JarEntries bounds the entries of one jar.
	JarEntries int
	// JarDepth bounds the nesting of jars in jars.
	JarDepth int
	// JarText bounds a pom.properties or MANIFEST.MF.
	JarText int64
}

// DefaultLimits are generous for real images and small enough that a
// hostile layer cannot exhaust memory.
var DefaultLimits = Limits{
	LayerEntries: 1 << 20,
	StatusFile:   64 << 20,
	TextFile:     16 << 20,
	Jar:          4 << 30,
	NestedJar:    256 << 20,
	JarEntries:   1 << 18,
	JarDepth:     4,
	JarText:      1 << 20,
}
