// Package sign signs pushed images the way cosign does and the way the
// Confidential Space launcher and its attestation verifier accept, and
// attaches in-toto attestations (SLSA provenance, SBOMs) to them.
//
// Signatures are cosign "simple signing" payloads for REPO@DIGEST whose
// optional section carries the public key (dev.cosignproject.cosign/pub,
// unpadded base64 of the PEM) and the algorithm
// (dev.cosignproject.cosign/sigalg). They are stored as cosign stores
// them: a manifest tagged sha256-<hex>.sig whose layers are the payloads,
// each annotated with its base64 signature. Attestations are DSSE
// envelopes of in-toto statements under sha256-<hex>.att, one layer each,
// annotated with their predicateType.
//
// LauncherVerify checks a signature exactly as the Confidential Space
// verifier does (GoogleCloudPlatform/confidential-space,
// server/signedcontainer), so that a signature it would reject fails
// here first; KeyID is the key_id the attestation token then carries.
//
// Keys are behind the Signer interface: LoadKeyFile reads PEM private keys,
// and any crypto.Signer (a Cloud KMS or HSM key) can be used through
// NewSigner. docs/supply-chain.md is the user-facing contract.
package sign
