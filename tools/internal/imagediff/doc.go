// Package imagediff compares two OCI images and names every difference:
// in the index, the manifest, the config (field by field) and the layers,
// down to the files inside layers that differ.
//
// Cost follows what differs, not what exists: equal manifest digests end
// the comparison after reading two small blobs, layers with equal digests
// (or, in semantic mode, equal diff_ids) are never read, and layers that
// are read are streamed once, their digests and diff_ids verified on the
// way. docs/diff.md is the user-facing contract.
package imagediff
