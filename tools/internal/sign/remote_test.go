package sign_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/rules-odp/rules_odp/tools/internal/sign"
	"github.com/rules-odp/rules_odp/tools/internal/testregistry"
)

// brokenSigner stands for a signer (a KMS key, say) that returns a
// signature the verifier would not accept.
type brokenSigner struct{ sign.Signer }

func (b brokenSigner) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	sig, err := b.Signer.Sign(ctx, msg)
	if err != nil {
		return nil, err
	}
	sig[len(sig)/2] ^= 1
	return sig, nil
}

// otherKeySigner claims one key but signs with another.
type otherKeySigner struct {
	sign.Signer
	pub crypto.PublicKey
}

func (o otherKeySigner) Public() crypto.PublicKey { return o.pub }

func TestSignImageRefuses(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Options{})
	ctx := context.Background()
	s, err := sign.NewSigner(fixedECKey(t), "")
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	digest := pushTestImage(t, reg.Host, "odp/app", "v1", "hello")
	for _, tc := range []struct {
		name   string
		target sign.Target
		signer sign.Signer
		want   string
	}{
		{"not pushed", sign.Target{Repository: reg.Host + "/odp/other", Digest: digest}, s, "is not in the registry: push the image first"},
		{"bad signature", sign.Target{Repository: reg.Host + "/odp/app", Digest: digest}, brokenSigner{s}, "the Confidential Space verifier would reject this signature"},
		{"key mismatch", sign.Target{Repository: reg.Host + "/odp/app", Digest: digest}, otherKeySigner{s, otherKey.Public()}, "the Confidential Space verifier would reject this signature"},
		{"no host", sign.Target{Repository: "odp/app", Digest: digest}, s, "does not start with a registry host"},
		{"bad digest", sign.Target{Repository: reg.Host + "/odp/app", Digest: "sha256:1"}, s, "not sha256:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sign.SignImage(ctx, tc.target, tc.signer, sign.Remote{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	// Nothing was stored by the refused attempts.
	tag, err := name.NewTag(reg.Host + "/odp/app:sha256-" + strings.TrimPrefix(digest, "sha256:") + ".sig")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := remote.Head(tag); err == nil {
		t.Error("a refused signature was pushed")
	}
	if _, err := sign.VerifySignatures(ctx, sign.Target{Repository: reg.Host + "/odp/app", Digest: digest}, s.Public(), sign.Remote{}); err == nil || !strings.Contains(err.Error(), "does not exist: the image is not signed") {
		t.Errorf("VerifySignatures of an unsigned image: %v", err)
	}
	if _, err := sign.AttestImage(ctx, sign.Target{Repository: reg.Host + "/odp/other", Digest: digest}, []byte(`{}`), "https://spdx.dev/Document", s, sign.Remote{}); err == nil || !strings.Contains(err.Error(), "push the image first") {
		t.Errorf("attesting an image that is not there: %v", err)
	}
}
