package launchpolicy

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/rules-odp/rules_odp/tools/internal/strictjson"
)

// ValidateConfig checks an OCI image config (the JSON blob) as a
// Confidential Space workload: Validate on its Entrypoint, Cmd and Labels,
// and an image without any argument is refused even if it carries no
// launch-policy label.
func ValidateConfig(rawConfig []byte) error {
	var c struct {
		Config struct {
			Entrypoint []string          `json:"Entrypoint"`
			Cmd        []string          `json:"Cmd"`
			Labels     map[string]string `json:"Labels"`
		} `json:"config"`
	}
	if err := strictjson.Unmarshal(rawConfig, &c); err != nil {
		return fmt.Errorf("parsing image config: %w", err)
	}
	var v validator
	v.labels(c.Config.Labels)
	v.args(c.Config.Entrypoint, c.Config.Cmd, c.Config.Labels, true)
	return v.err()
}

// ConfigRisks returns the risky launch-policy settings (FindRisks) of an
// OCI image config.
func ConfigRisks(rawConfig []byte) ([]Finding, error) {
	var c struct {
		Config struct {
			Labels map[string]string `json:"Labels"`
		} `json:"config"`
	}
	if err := strictjson.Unmarshal(rawConfig, &c); err != nil {
		return nil, fmt.Errorf("parsing image config: %w", err)
	}
	return FindRisks(c.Config.Labels), nil
}

var (
	digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	// serviceAccountRE is deliberately narrow: the value is pasted into a
	// CEL string literal, so quotes, backslashes and spaces must not pass.
	serviceAccountRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]*@[A-Za-z0-9][A-Za-z0-9.-]*$`)
)

// AttributeCondition returns the CEL attribute condition with which a
// Workload Identity Pool provider accepts only attestation tokens of this
// image (by manifest digest) running on a production Confidential Space
// image (stable, debug disabled) and, if serviceAccount is not empty, under
// that service account.
func AttributeCondition(imageDigest, serviceAccount string) (string, error) {
	return Condition{ImageDigest: imageDigest, ServiceAccount: serviceAccount}.Render()
}

// Signer is a key whose signatures admit an image: the signing algorithm
// and the key ID the Confidential Space verifier computes (the hex
// SHA-256 of the DER public key), as the token's
// submods.container.image_signatures carries them.
type Signer struct {
	Algorithm string
	KeyID     string
}

var (
	keyIDRE      = regexp.MustCompile(`^[0-9a-f]{64}$`)
	sigAlgorithm = map[string]bool{"ECDSA_P256_SHA256": true, "RSASSA_PSS_SHA256": true, "RSASSA_PKCS1V15_SHA256": true}
)

// Condition is what an attribute condition requires of a token: the image
// by digest, a signature by one of Signers, or both; always a production
// Confidential Space image; and the service account if given.
type Condition struct {
	ImageDigest    string
	Signers        []Signer
	ServiceAccount string
}

// Render returns the CEL condition. A signature clause reads
//
//	assertion.submods.container.image_signatures.exists(sig,
//	  sig.signature_algorithm + ':' + sig.key_id in ['ALG:KEYID', ...])
//
// so that a new release signed with the same key needs no new condition.
func (c Condition) Render() (string, error) {
	var clauses []string
	if c.ImageDigest == "" && len(c.Signers) == 0 {
		return "", fmt.Errorf("a condition needs an image digest or a signer")
	}
	if c.ImageDigest != "" {
		if !digestRE.MatchString(c.ImageDigest) {
			return "", fmt.Errorf("image digest %q is not sha256:<64 hex digits>", c.ImageDigest)
		}
		clauses = append(clauses, fmt.Sprintf("assertion.submods.container.image_digest == '%s'", c.ImageDigest))
	}
	if len(c.Signers) > 0 {
		var keys []string
		for _, s := range c.Signers {
			if !sigAlgorithm[s.Algorithm] {
				return "", fmt.Errorf("signature algorithm %q is not ECDSA_P256_SHA256, RSASSA_PSS_SHA256 or RSASSA_PKCS1V15_SHA256", s.Algorithm)
			}
			if !keyIDRE.MatchString(s.KeyID) {
				return "", fmt.Errorf("key ID %q is not 64 lower-case hex digits", s.KeyID)
			}
			keys = append(keys, fmt.Sprintf("'%s:%s'", s.Algorithm, s.KeyID))
		}
		clauses = append(clauses, fmt.Sprintf("assertion.submods.container.image_signatures.exists(sig, sig.signature_algorithm + ':' + sig.key_id in [%s])", strings.Join(keys, ", ")))
	}
	clauses = append(clauses,
		"assertion.swname == 'CONFIDENTIAL_SPACE'",
		"'STABLE' in assertion.submods.confidential_space.support_attributes",
		"assertion.dbgstat == 'disabled-since-boot'",
	)
	if c.ServiceAccount != "" {
		if !serviceAccountRE.MatchString(c.ServiceAccount) {
			return "", fmt.Errorf("service account %q is not an email address such as NAME@PROJECT.iam.gserviceaccount.com", c.ServiceAccount)
		}
		clauses = append(clauses, fmt.Sprintf("'%s' in assertion.google_service_accounts", c.ServiceAccount))
	}
	return strings.Join(clauses, " &&\n"), nil
}
