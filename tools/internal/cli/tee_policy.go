package cli

import (
	"flag"
	"fmt"

	"github.com/rules-odp/rules_odp/tools/internal/sign"

	"github.com/rules-odp/rules_odp/tools/internal/image"
	"github.com/rules-odp/rules_odp/tools/internal/launchpolicy"
)

func init() {
	register(&Command{
		Noun:    "tee",
		Verb:    "policy",
		Args:    "[--service-account SA] [--pub PUB... [--condition digest|signature|both]] LAYOUT",
		Summary: "check a Confidential Space image and print the condition that pins it",
		Help: `
Checks the one image of the OCI layout LAYOUT the way the Confidential Space
launcher will (tee.launch_policy.* labels, Entrypoint and Cmd) and prints the
Workload Identity Pool attribute condition that admits only attestation tokens
of this image, by manifest digest, running on a production (STABLE,
debug-disabled) Confidential Space image and, with --service-account, under
that service account:

  gcloud iam workload-identity-pools providers update-oidc ... \
    --attribute-condition="$(odptool tee policy --service-account SA LAYOUT)"

The condition holds only if the image is pushed by digest as this single
manifest: pushing an index, or re-compressing layers on the way, changes the
attested digest.

With --pub (repeatable), the condition admits instead any image signed with
one of these keys ("odptool image sign"), by the algorithm and key ID the
attestation token's submods.container.image_signatures carries, so that a
new release signed with the same key needs no new condition:

  assertion.submods.container.image_signatures.exists(sig,
    sig.signature_algorithm + ':' + sig.key_id in ['ALGORITHM:KEY_ID'])

--condition both requires the digest and a signature. The operator must
name the signature repository in the VM metadata tee-signed-image-repos.

A warning line goes to stderr for each risky setting the image's policy
acknowledges (acknowledge_risks: an LD_* variable the operator may set, a
mount allowed at /, a command override): the condition pins the image, not
what the operator does with those.`,
		Flags: func(fs *flag.FlagSet, env *Env) func([]string) error {
			sa := fs.String("service-account", "", "service account the workload must run as (NAME@PROJECT.iam.gserviceaccount.com)")
			var pubs stringList
			fs.Var(&pubs, "pub", "PEM public key whose signature admits the image (repeatable)")
			sigalg := fs.String("sigalg", "", "signature algorithm of the --pub keys: ECDSA_P256_SHA256, RSASSA_PKCS1V15_SHA256 or RSASSA_PSS_SHA256 (default: by key type, PKCS #1 v1.5 for RSA)")
			which := fs.String("condition", "", "digest, signature or both (default: signature with --pub, else digest)")
			return func(args []string) error {
				if len(args) != 1 {
					return usagef(env, "want exactly one LAYOUT, got %d arguments", len(args))
				}
				img, err := image.ReadSingle(args[0])
				if err != nil {
					return err
				}
				if err := launchpolicy.ValidateConfig(img.RawConfig); err != nil {
					return fmt.Errorf("OCI layout %q: the Confidential Space launcher would refuse this image:\n%w", args[0], err)
				}
				// The image was built with these on purpose (image assemble
				// refuses them unless the policy acknowledges them), but
				// whoever pins it must know what the operator may change.
				risks, err := launchpolicy.ConfigRisks(img.RawConfig)
				if err != nil {
					return fmt.Errorf("OCI layout %q: %w", args[0], err)
				}
				for _, r := range risks {
					fmt.Fprintf(env.Stderr, "warning: OCI layout %q: %s\n", args[0], r)
				}
				if *which == "" {
					*which = "digest"
					if len(pubs) > 0 {
						*which = "signature"
					}
				}
				c := launchpolicy.Condition{ServiceAccount: *sa}
				switch *which {
				case "digest":
					if len(pubs) > 0 {
						return usagef(env, "--pub with --condition digest: the keys would not be used")
					}
					c.ImageDigest = img.Descriptor.Digest
				case "signature", "both":
					if len(pubs) == 0 {
						return usagef(env, "--condition %s needs --pub", *which)
					}
					if *which == "both" {
						c.ImageDigest = img.Descriptor.Digest
					}
					for _, p := range pubs {
						s, err := signerOf(p, *sigalg)
						if err != nil {
							return err
						}
						c.Signers = append(c.Signers, s)
					}
				default:
					return usagef(env, "--condition %q: want digest, signature or both", *which)
				}
				cond, err := c.Render()
				if err != nil {
					return err
				}
				fmt.Fprintln(env.Stdout, cond)
				return nil
			}
		},
	})
}

// signerOf reads a public key and gives the algorithm and key ID a
// signature with it carries in the attestation token.
func signerOf(path, sigalg string) (launchpolicy.Signer, error) {
	pub, err := sign.LoadPublicKeyFile(path)
	if err != nil {
		return launchpolicy.Signer{}, err
	}
	alg, err := sign.DefaultAlgorithm(pub)
	if err != nil {
		return launchpolicy.Signer{}, fmt.Errorf("public key %q: %w", path, err)
	}
	if sigalg != "" {
		if alg, err = sign.ParseAlgorithm(sigalg); err != nil {
			return launchpolicy.Signer{}, err
		}
	}
	if err := sign.CheckKey(pub, alg); err != nil {
		return launchpolicy.Signer{}, fmt.Errorf("public key %q: %w", path, err)
	}
	id, err := sign.KeyID(pub)
	if err != nil {
		return launchpolicy.Signer{}, err
	}
	return launchpolicy.Signer{Algorithm: string(alg), KeyID: id}, nil
}
