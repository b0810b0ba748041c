package cli

import (
	"flag"
	"fmt"

	"github.com/rules-odp/rules_odp/tools/internal/image"
	"github.com/rules-odp/rules_odp/tools/internal/launchpolicy"
)

func init() {
	register(&Command{
		Noun:    "tee",
		Verb:    "policy",
		Args:    "[--service-account SA] LAYOUT",
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

A warning line goes to stderr for each risky setting the image's policy
acknowledges (acknowledge_risks: an LD_* variable the operator may set, a
mount allowed at /, a command override): the condition pins the image, not
what the operator does with those.`,
		Flags: func(fs *flag.FlagSet, env *Env) func([]string) error {
			sa := fs.String("service-account", "", "service account the workload must run as (NAME@PROJECT.iam.gserviceaccount.com)")
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
				cond, err := launchpolicy.AttributeCondition(img.Descriptor.Digest, *sa)
				if err != nil {
					return err
				}
				fmt.Fprintln(env.Stdout, cond)
				return nil
			}
		},
	})
}
