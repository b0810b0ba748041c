// Package sbom lists what an OCI image holds, from the exact bytes of its
// layers, and renders the list as SPDX 2.3 JSON or CycloneDX 1.5 JSON.
//
// Scan reads every layer of the image in order and applies it as a
// runtime would (later files replace earlier ones, whiteouts delete), so
// the inventory is that of the file system the container sees. It finds:
//
//   - Debian packages: dpkg status records (var/lib/dpkg/status.d/<pkg>,
//     as our .deb repacker and distroless write them, and
//     var/lib/dpkg/status), with the license from
//     usr/share/doc/<pkg>/copyright when that file is machine-readable
//     (DEP-5), the files listed in their md5sums, and the .deb's SHA-256
//     from lock files when given;
//   - Python distributions: *.dist-info/METADATA, *.egg-info/PKG-INFO and
//     single-file *.egg-info;
//   - jars (.jar, .war, .ear) and the jars nested in them, with Maven
//     coordinates from META-INF/maven/**/pom.properties;
//   - native libraries (*.so, *.so.N...) by SHA-256 and SHA-1.
//
// Every parser of file contents reads within a fixed budget (Limits) and
// refuses what exceeds it. Nothing comes from the clock, the machine or
// randomness: the same image and options give the same bytes.
// docs/supply-chain.md is the user-facing contract.
package sbom
