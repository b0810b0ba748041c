// Package image assembles OCI image layouts from a base layout, a config
// and layer files, and reads them back.
//
// The output must have the same digest on every machine and across
// releases of rules_odp, because Confidential Space attests to it: every
// byte of the config and manifest is produced here from the inputs alone
// (no clock, no user, no paths, no tool version), and golden digests in the
// tests pin the encoding. docs/image.md is the user-facing contract.
//
// Assembly costs do not grow with the base image: base layer blobs are hard
// linked into the output (copied only where linking is impossible) and are
// never decompressed or recompressed; only the base manifest and config are
// read.
package image
