// Package budget is the one input-budget policy of odptool: every reader of
// untrusted bytes (layer tars, base image layouts, registries, jars, JSON
// documents, Debian packages, runfiles manifests) takes its limits from
// here, so that a hostile input is refused within a fixed amount of memory
// and work, with an error that names the input and the budget it ran over.
//
// The limits are far above what real inputs need and are listed, with the
// refusal rules, in docs/inputs.md; a test keeps that page in sync with the
// constants below.
//
// The package also holds the one way odptool opens an input file (Open,
// ReadFile): a FIFO, a device or a socket where a file is expected is
// refused instead of blocking forever, and the checks are made on the file
// actually opened.
package budget
