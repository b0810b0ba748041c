package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/rules-odp/rules_odp/tools/internal/atomicfile"
	"github.com/rules-odp/rules_odp/tools/internal/image"
	"github.com/rules-odp/rules_odp/tools/internal/registry"
	"github.com/rules-odp/rules_odp/tools/internal/sign"
)

// targetFlags name a pushed image and where its signatures live; shared
// by image sign and image attest.
type targetFlags struct {
	repo, digest, layout, sigRepo *string
	insecure                      *bool
}

func addTargetFlags(fs *flag.FlagSet) *targetFlags {
	return &targetFlags{
		repo:     fs.String("repository", "", "REGISTRY/PATH the image was pushed to (required)"),
		digest:   fs.String("digest", "", "manifest digest sha256:HEX of the pushed image"),
		layout:   fs.String("layout", "", "OCI layout of the pushed image (instead of --digest)"),
		sigRepo:  fs.String("signature-repository", "", "REGISTRY/PATH to store signatures and attestations in (default: --repository; cosign's COSIGN_REPOSITORY, the launcher's tee-signed-image-repos)"),
		insecure: fs.Bool("insecure", false, "allow plain HTTP to the registry"),
	}
}

func (f *targetFlags) target(env *Env) (sign.Target, error) {
	if *f.repo == "" {
		return sign.Target{}, usagef(env, "--repository is required")
	}
	if (*f.digest == "") == (*f.layout == "") {
		return sign.Target{}, usagef(env, "give exactly one of --digest and --layout")
	}
	d := *f.digest
	if *f.layout != "" {
		var err error
		if d, err = image.Digest(*f.layout); err != nil {
			return sign.Target{}, err
		}
	}
	return sign.Target{Repository: *f.repo, Digest: d, SignatureRepository: *f.sigRepo}, nil
}

func (f *targetFlags) remote(env *Env) sign.Remote {
	return sign.Remote{Insecure: *f.insecure, Keychain: registry.NewKeychain(env.getenv)}
}

// keyFlags load the signing key.
type keyFlags struct {
	key, sigalg *string
}

func addKeyFlags(fs *flag.FlagSet) *keyFlags {
	return &keyFlags{
		key:    fs.String("key", "", "PEM private key (PKCS #8, SEC 1 or PKCS #1, unencrypted) to sign with (required)"),
		sigalg: fs.String("sigalg", "", "ECDSA_P256_SHA256, RSASSA_PKCS1V15_SHA256 or RSASSA_PSS_SHA256 (default: ECDSA for P-256 keys, PKCS #1 v1.5 for RSA keys)"),
	}
}

func (f *keyFlags) signer(env *Env) (sign.Signer, error) {
	if *f.key == "" {
		return nil, usagef(env, "--key is required")
	}
	var alg sign.Algorithm
	if *f.sigalg != "" {
		a, err := sign.ParseAlgorithm(*f.sigalg)
		if err != nil {
			return nil, usagef(env, "--sigalg: %v", err)
		}
		alg = a
	}
	return sign.LoadKeyFile(*f.key, alg)
}

// writeBytes writes b to path atomically ("" writes nothing).
func writeBytes(path string, b []byte) error {
	if path == "" {
		return nil
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

func writeJSONLine(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func init() {
	register(&Command{
		Noun:    "image",
		Verb:    "sign",
		Args:    "--repository REPO (--digest sha256:HEX | --layout LAYOUT) --key KEY [--signature-repository REPO] [--payload-out FILE]",
		Summary: "sign a pushed image for Confidential Space and cosign (sha256-<hex>.sig)",
		Help: `Signs REPO@DIGEST the way cosign does, in the form the Confidential Space
launcher accepts: a simple signing payload whose optional section carries
dev.cosignproject.cosign/pub (the public key as unpadded base64 of its PEM)
and dev.cosignproject.cosign/sigalg, signed with --key and stored as a layer
of the manifest tagged sha256-<hex>.sig in --signature-repository (default
the image's repository). Signatures already there (other keys') are kept;
signing again with the same key adds nothing.

Before anything is pushed, the signature is checked exactly as the
Confidential Space verifier checks it; what it would reject fails here.
The image must already be in the registry.

Prints the key ID the attestation token will carry, as ALGORITHM:KEY_ID
(what "odptool tee policy --pub" puts into the condition), then
SIGNATURE_TAG@MANIFEST_DIGEST. Verify with
  cosign verify --key PUB --insecure-ignore-tlog REPO@DIGEST
(cosign checks RSA keys with PKCS #1 v1.5 only: it cannot verify
RSASSA_PSS_SHA256 signatures, which the launcher accepts).`,
		Flags: func(fs *flag.FlagSet, env *Env) func([]string) error {
			tf := addTargetFlags(fs)
			kf := addKeyFlags(fs)
			payloadOut := fs.String("payload-out", "", "also write the signed payload to this file")
			asJSON := fs.Bool("json", false, "print one JSON object instead of text")
			return func(args []string) error {
				if len(args) != 0 {
					return usagef(env, "unexpected arguments %q", args)
				}
				t, err := tf.target(env)
				if err != nil {
					return err
				}
				s, err := kf.signer(env)
				if err != nil {
					return err
				}
				res, err := sign.SignImage(context.Background(), t, s, tf.remote(env))
				if err != nil {
					return err
				}
				if err := writeBytes(*payloadOut, res.Payload); err != nil {
					return fmt.Errorf("%s is signed, but writing the payload failed: %w", res.Tag, err)
				}
				if *asJSON {
					return writeJSONLine(env.Stdout, map[string]any{
						"image": t.Repository + "@" + t.Digest, "signature": res.Tag + "@" + res.Manifest,
						"algorithm": res.Algorithm, "key_id": res.KeyID, "existed": res.Existed,
					})
				}
				if res.Existed {
					fmt.Fprintf(env.Stderr, "odptool image sign: %s already holds this signature\n", res.Tag)
				}
				fmt.Fprintf(env.Stdout, "%s:%s\n%s@%s\n", res.Algorithm, res.KeyID, res.Tag, res.Manifest)
				return nil
			}
		},
	})
	register(&Command{
		Noun:    "image",
		Verb:    "attest",
		Args:    "--repository REPO (--digest sha256:HEX | --layout LAYOUT) --predicate FILE --type slsaprovenance1|spdxjson|cyclonedx --key KEY [--signature-repository REPO]",
		Summary: "attach a signed in-toto attestation to a pushed image (sha256-<hex>.att)",
		Help: `Attaches FILE to REPO@DIGEST as cosign attest does: an in-toto statement
in a DSSE envelope signed with --key, stored as a layer (media type
application/vnd.dsse.envelope.v1+json, annotated with its predicateType) of
the manifest tagged sha256-<hex>.att. FILE is a predicate (a JSON object:
an SBOM of "odptool image sbom"), which becomes the statement's predicate
with the image as its subject, or a whole in-toto statement about the
image (the provenance of "odptool provenance write" or
"image push --provenance"), which is signed as it is.

--type names the predicate type as cosign does:
  slsaprovenance1  https://slsa.dev/provenance/v1
  spdxjson         https://spdx.dev/Document
  cyclonedx        https://cyclonedx.org/bom
Verify with
  cosign verify-attestation --type TYPE --key PUB --insecure-ignore-tlog REPO@DIGEST
Attesting the same statement again with the same key adds nothing.`,
		Flags: func(fs *flag.FlagSet, env *Env) func([]string) error {
			tf := addTargetFlags(fs)
			kf := addKeyFlags(fs)
			predicate := fs.String("predicate", "", "predicate or in-toto statement JSON file (required)")
			typ := fs.String("type", "", "slsaprovenance1, spdxjson or cyclonedx (required)")
			statementOut := fs.String("statement-out", "", "also write the signed in-toto statement to this file")
			asJSON := fs.Bool("json", false, "print one JSON object instead of text")
			return func(args []string) error {
				if len(args) != 0 {
					return usagef(env, "unexpected arguments %q", args)
				}
				if *predicate == "" || *typ == "" {
					return usagef(env, "--predicate and --type are required")
				}
				uri, err := sign.ParsePredicateType(*typ)
				if err != nil {
					return usagef(env, "--type: %v", err)
				}
				t, err := tf.target(env)
				if err != nil {
					return err
				}
				s, err := kf.signer(env)
				if err != nil {
					return err
				}
				data, err := os.ReadFile(*predicate)
				if err != nil {
					return fmt.Errorf("reading predicate: %w", err)
				}
				res, err := sign.AttestImage(context.Background(), t, data, uri, s, tf.remote(env))
				if err != nil {
					return fmt.Errorf("predicate %q: %w", *predicate, err)
				}
				if err := writeBytes(*statementOut, res.Statement); err != nil {
					return fmt.Errorf("%s is attested, but writing the statement failed: %w", res.Tag, err)
				}
				if *asJSON {
					return writeJSONLine(env.Stdout, map[string]any{
						"image": t.Repository + "@" + t.Digest, "attestation": res.Tag + "@" + res.Manifest,
						"predicate_type": uri, "existed": res.Existed,
					})
				}
				if res.Existed {
					fmt.Fprintf(env.Stderr, "odptool image attest: %s already holds this attestation\n", res.Tag)
				}
				fmt.Fprintf(env.Stdout, "%s@%s\n", res.Tag, res.Manifest)
				return nil
			}
		},
	})
}
