// Package jarnorm rewrites a jar (or any zip read by Java) so that its
// bytes depend only on the files it holds, not on when, where or by which
// tool it was built.
//
// Maven, Gradle, Bazel and Spring Boot stamp entry times, add extra fields
// (extended timestamps, unix uid/gid, the jar tool's 0xCAFE marker), keep
// file modes and write volatile manifest lines (Build-Jdk, Built-By, ...).
// Each of those changes the jar's digest, hence the layer's and the
// image's. Normalize removes them; a second Normalize is a no-op. What
// the jar means to Java is kept, entry order included.
//
// # What the output looks like
//
//   - Entry order: the input's, as its central directory lists it (the
//     local headers must list the entries in the same order, or the jar is
//     refused), except that "META-INF/" and then "META-INF/MANIFEST.MF"
//     are moved to the front, where java.util.jar.JarInputStream requires
//     them. The order is meaning, not noise: Spring Boot without
//     BOOT-INF/classpath.idx (the case of jars built by rules_spring)
//     builds its class path in entry order, so the first of two nested jars
//     holding the same class wins. Options.SortEntries sorts instead:
//     "META-INF/", the manifest, the other META-INF/ entries (signature
//     files must precede the entries they sign for JarInputStream), then
//     all other entries, each group by name (byte order); use it only for
//     jars whose readers ignore the order. Either way the set of entries is
//     kept as is: no directory entry is added or removed, and nested jars
//     are ordered the same way as the jar holding them.
//   - Every entry gets the same DOS time: 1980-01-01 00:00:00 unless
//     Options.Modified says otherwise (e.g. from SOURCE_DATE_EPOCH; times
//     before 1980 are clamped to it, DOS times have 2-second resolution).
//   - No extra fields, no comments (entry or archive), "version made by"
//     2.0/MS-DOS, "version needed" 2.0, external attributes 0, the UTF-8
//     name flag set, sizes and CRC in the local header and no data
//     descriptors. File modes are dropped as the jar tool does: Java never
//     reads them, and they vary with the umask of the machine that built the
//     jar.
//   - Each entry keeps its compression method: STORED stays STORED (Spring
//     Boot requires nested jars to be stored), DEFLATED stays DEFLATED.
//     Directory entries are written STORED and empty.
//   - Deflated entries are copied raw: their compressed bytes are kept
//     after they were fully decompressed and checked against CRC and sizes.
//     This makes the output depend only on the input bytes, never on the
//     Go release or a compression library. Only entries whose content we
//     change (the manifest, nested jars) or, with Options.Recompress, every
//     deflated entry, are compressed again, with
//     github.com/klauspost/compress/flate at level 9, pinned by go.mod.
//     Recompress makes jars whose only difference is the deflater that wrote
//     them (JDK 17 vs 21, zlib vs zlib-ng) identical.
//   - The manifest (META-INF/MANIFEST.MF, matched case-insensitively as
//     Java does) is rewritten: the attributes in
//     DefaultDropManifestAttributes and Options.DropManifestAttributes are
//     removed from its main section (per-entry sections are kept as they
//     are), every other line keeps its order, line endings become CRLF, and
//     lines are wrapped at 72 bytes exactly as java.util.jar.Manifest writes
//     them.
//   - Signed jars (a META-INF/*.SF entry) keep their manifest byte for byte,
//     because the signature covers it; everything else is normalised, which
//     signatures do not cover.
//   - Nested jars (entries named *.jar, e.g. Spring Boot's BOOT-INF/lib/)
//     are normalised the same way, recursively, unless Options.SkipNested:
//     they carry their own timestamps, and the ones built alongside the
//     application change with every build.
//
// # Hostile or broken input
//
// Normalize reads the central directory (as java.util.zip.ZipFile does) and
// walks the local headers from the first byte (as JarInputStream does), and
// refuses the jar unless both views agree entry for entry: order, names,
// methods, flags, CRCs and sizes, data descriptors included, no bytes before
// the first entry, between entries or after the end record. It also refuses
// duplicate names, names that are absolute or contain "..", "." or empty
// elements, backslashes or NUL, invalid UTF-8 names, encrypted entries,
// methods other than STORED and DEFLATED, entries of 4 GiB or more (zip64),
// deflate streams that do not end exactly at the entry's compressed size and
// CRC or size mismatches.
package jarnorm
