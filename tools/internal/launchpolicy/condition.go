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
	if !digestRE.MatchString(imageDigest) {
		return "", fmt.Errorf("image digest %q is not sha256:<64 hex digits>", imageDigest)
	}
	clauses := []string{
		fmt.Sprintf("assertion.submods.container.image_digest == '%s'", imageDigest),
		"assertion.swname == 'CONFIDENTIAL_SPACE'",
		"'STABLE' in assertion.submods.confidential_space.support_attributes",
		"assertion.dbgstat == 'disabled-since-boot'",
	}
	if serviceAccount != "" {
		if !serviceAccountRE.MatchString(serviceAccount) {
			return "", fmt.Errorf("service account %q is not an email address such as NAME@PROJECT.iam.gserviceaccount.com", serviceAccount)
		}
		clauses = append(clauses, fmt.Sprintf("'%s' in assertion.google_service_accounts", serviceAccount))
	}
	return strings.Join(clauses, " &&\n"), nil
}
