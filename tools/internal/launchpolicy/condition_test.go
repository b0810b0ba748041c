package launchpolicy_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rules-odp/rules_odp/tools/internal/launchpolicy"
)

const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestAttributeCondition(t *testing.T) {
	got, err := launchpolicy.AttributeCondition(digest, "workload@proj-1.iam.gserviceaccount.com")
	if err != nil {
		t.Fatal(err)
	}
	want := "assertion.submods.container.image_digest == '" + digest + "' &&\n" +
		"assertion.swname == 'CONFIDENTIAL_SPACE' &&\n" +
		"'STABLE' in assertion.submods.confidential_space.support_attributes &&\n" +
		"assertion.dbgstat == 'disabled-since-boot' &&\n" +
		"'workload@proj-1.iam.gserviceaccount.com' in assertion.google_service_accounts"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("AttributeCondition (-want +got):\n%s", diff)
	}
	noSA, err := launchpolicy.AttributeCondition(digest, "")
	if err != nil {
		t.Fatal(err)
	}
	if noSA != want[:strings.LastIndex(want, " &&\n")] {
		t.Errorf("without a service account: %q", noSA)
	}
}

func TestAttributeConditionRefuses(t *testing.T) {
	for _, tc := range []struct{ digest, sa, want string }{
		{digest: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", want: `image digest "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" is not sha256:<64 hex digits>`},
		{digest: "sha256:ABC", want: `image digest "sha256:ABC" is not sha256:<64 hex digits>`},
		{digest: digest, sa: "x' || true || '", want: `service account "x' || true || '" is not an email address such as NAME@PROJECT.iam.gserviceaccount.com`},
		{digest: digest, sa: "no-at-sign", want: `service account "no-at-sign" is not an email address`},
		{digest: digest, sa: `a\@b`, want: `service account "a\\@b" is not an email address`},
	} {
		_, err := launchpolicy.AttributeCondition(tc.digest, tc.sa)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("AttributeCondition(%q, %q) error %v, want prefix %q", tc.digest, tc.sa, err, tc.want)
		}
	}
}

func TestSignatureCondition(t *testing.T) {
	keyA := strings.Repeat("a1", 32)
	keyB := strings.Repeat("b2", 32)
	tail := "assertion.swname == 'CONFIDENTIAL_SPACE' &&\n" +
		"'STABLE' in assertion.submods.confidential_space.support_attributes &&\n" +
		"assertion.dbgstat == 'disabled-since-boot'"
	sigClause := "assertion.submods.container.image_signatures.exists(sig, sig.signature_algorithm + ':' + sig.key_id in ['ECDSA_P256_SHA256:" + keyA + "', 'RSASSA_PSS_SHA256:" + keyB + "'])"
	for _, tc := range []struct {
		name string
		c    launchpolicy.Condition
		want string
	}{
		{"signers", launchpolicy.Condition{Signers: []launchpolicy.Signer{{"ECDSA_P256_SHA256", keyA}, {"RSASSA_PSS_SHA256", keyB}}}, sigClause + " &&\n" + tail},
		{"digest and signer", launchpolicy.Condition{ImageDigest: digest, Signers: []launchpolicy.Signer{{"ECDSA_P256_SHA256", keyA}, {"RSASSA_PSS_SHA256", keyB}}, ServiceAccount: "w@p.iam.gserviceaccount.com"},
			"assertion.submods.container.image_digest == '" + digest + "' &&\n" + sigClause + " &&\n" + tail + " &&\n'w@p.iam.gserviceaccount.com' in assertion.google_service_accounts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.c.Render()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	for _, tc := range []struct {
		name string
		c    launchpolicy.Condition
		want string
	}{
		{"nothing", launchpolicy.Condition{}, "needs an image digest or a signer"},
		{"bad algorithm", launchpolicy.Condition{Signers: []launchpolicy.Signer{{"ECDSA_P384_SHA384", keyA}}}, "signature algorithm"},
		{"upper-case key ID", launchpolicy.Condition{Signers: []launchpolicy.Signer{{"ECDSA_P256_SHA256", strings.ToUpper(keyA)}}}, "key ID"},
		{"quote in key ID", launchpolicy.Condition{Signers: []launchpolicy.Signer{{"ECDSA_P256_SHA256", "x' || true || '"}}}, "key ID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.c.Render()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestValidateConfig(t *testing.T) {
	for _, tc := range []struct {
		name, config string
		want         []string
	}{
		{name: "seed image", config: `{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/usr/bin/java"],"Labels":{"tee.launch_policy.allow_env_override":"FCP_OPTS","tee.launch_policy.log_redirect":"always","tee.launch_policy.monitoring_memory_allow":"always"}}}`},
		{name: "no labels, with cmd", config: `{"config":{"Cmd":["/app"]}}`},
		{
			name:   "no labels, no args: refused, the caller says it is a TEE image",
			config: `{"config":{}}`,
			want:   []string{"image config: the image has neither Entrypoint nor Cmd; the Confidential Space launcher refuses to start a container without an argument; set an Entrypoint"},
		},
		{
			name:   "no config section",
			config: `{"architecture":"amd64"}`,
			want:   []string{"image config: the image has neither Entrypoint nor Cmd; the Confidential Space launcher refuses to start a container without an argument; set an Entrypoint"},
		},
		{
			name:   "bad label",
			config: `{"config":{"Entrypoint":["/app"],"Labels":{"tee.launch_policy.allow_cgroups":"maybe"}}}`,
			want:   []string{`label "tee.launch_policy.allow_cgroups"="maybe"` + boolMsg},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := messages(t, launchpolicy.ValidateConfig([]byte(tc.config)))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ValidateConfig (-want +got):\n%s", diff)
			}
		})
	}
	if err := launchpolicy.ValidateConfig([]byte(`{"config":`)); err == nil || !strings.HasPrefix(err.Error(), "parsing image config: ") {
		t.Errorf("truncated config: error %v", err)
	}
}
