package registry_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rules-odp/rules_odp/tools/internal/budget/budgettest"
	"github.com/rules-odp/rules_odp/tools/internal/image"
	"github.com/rules-odp/rules_odp/tools/internal/registry"
	"github.com/rules-odp/rules_odp/tools/internal/testregistry"
)

// TestMisbehavingRegistry pushes to a fake registry on 127.0.0.1 that
// hangs, redirects or names hosts elsewhere, lies about the blobs it has
// or serves other manifest bytes. Each push must fail (not hang: a short
// --timeout and backoff bound it; no wall clock is asserted), naming what
// went wrong, and reach no other host with plain HTTP or credentials.
func TestMisbehavingRegistry(t *testing.T) {
	layout, res := makeLayout(t, image.KeepAsIs, layerTar(t, t.TempDir(), "f", 2048, 1))
	const idle = 300 * time.Millisecond
	tests := []struct {
		name     string
		mis      func(sink *testregistry.Sink) testregistry.Misbehavior
		insecure bool
		creds    bool
		want     string
		wantErr  any
		sinkHit  bool // whether the request may reach the other host
	}{
		{name: "hangs at /v2/", mis: func(*testregistry.Sink) testregistry.Misbehavior { return testregistry.Misbehavior{HangPing: true} },
			want: "no progress for 300ms", wantErr: new(*registry.TimeoutError)},
		{name: "hangs mid-upload", mis: func(*testregistry.Sink) testregistry.Misbehavior { return testregistry.Misbehavior{HangUpload: true} },
			want: "no progress for 300ms", wantErr: new(*registry.TimeoutError)},
		{name: "drops every connection", mis: func(*testregistry.Sink) testregistry.Misbehavior { return testregistry.Misbehavior{DropAll: true} },
			want: "EOF"},
		{name: "upload location on another host over plain HTTP", mis: func(s *testregistry.Sink) testregistry.Misbehavior {
			return testregistry.Misbehavior{UploadLocation: s.URL}
		}, want: "which is not the registry", wantErr: new(*registry.PolicyError)},
		{name: "token realm on another host over plain HTTP", mis: func(s *testregistry.Sink) testregistry.Misbehavior {
			return testregistry.Misbehavior{Realm: "http://localhost:" + port(s.Host) + "/token"}
		}, creds: true, want: "plain HTTP to localhost:", wantErr: new(*registry.PolicyError)},
		{name: "token realm elsewhere, --insecure: no credentials sent along", mis: func(s *testregistry.Sink) testregistry.Misbehavior {
			return testregistry.Misbehavior{Realm: "http://localhost:" + port(s.Host) + "/token"}
		}, insecure: true, creds: true, sinkHit: true, want: "token"},
		{name: "upload location elsewhere, --insecure: no credentials sent along", mis: func(s *testregistry.Sink) testregistry.Misbehavior {
			return testregistry.Misbehavior{UploadLocation: s.URL}
		}, insecure: true, creds: true, sinkHit: true, want: "404"},
		{name: "lies on HEAD about blobs it does not have", mis: func(*testregistry.Sink) testregistry.Misbehavior { return testregistry.Misbehavior{LieOnHead: true} },
			want: "the registry claims to have blob sha256:", wantErr: new(*registry.PolicyError)},
		{name: "serves other manifest bytes", mis: func(*testregistry.Sink) testregistry.Misbehavior {
			return testregistry.Misbehavior{OtherManifest: true}
		},
			want: res.ManifestDigest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sink := testregistry.StartSink(t)
			fake := testregistry.StartFake(t, tc.mis(sink))
			opts := registry.PushOptions{Repository: fake.Host + "/odp/app", Tags: []string{"v1"}, Backoff: &fastBackoff, Timeout: idle, Insecure: tc.insecure}
			if tc.creds {
				dir := t.TempDir()
				opts.Keychain = registry.NewKeychain(envFunc(map[string]string{"REGISTRY_AUTH_FILE": authFile(t, filepath.Join(dir, "auth.json"), fake.Host, "user", "secret-password")}))
			}
			err := budgettest.Bounded(t, 64<<20, func() error {
				pushed, err := registry.Push(context.Background(), layout, opts)
				if err == nil {
					t.Errorf("push reported success: %+v", pushed)
				}
				return err
			})
			t.Logf("refused: %v", err)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Push = %v, want an error containing %q", err, tc.want)
			}
			if tc.wantErr != nil && !errors.As(err, tc.wantErr) {
				t.Errorf("error %v is not a %T", err, tc.wantErr)
			}
			seen := sink.Seen()
			if !tc.sinkHit && len(seen) > 0 {
				t.Errorf("the other host was reached: %v", seen)
			}
			for _, s := range seen {
				if !strings.HasSuffix(s, `Authorization=""`) {
					t.Errorf("credentials went to the other host: %s", s)
				}
			}
			if tc.sinkHit && len(seen) == 0 {
				t.Errorf("with --insecure the other host was not reached (the test shows nothing)")
			}
		})
	}
}

// TestMisbehavingRegistryWorksWhenBehaving: the fake registry is a fair
// test double: the same push to it, behaving, succeeds and stores the blobs.
func TestMisbehavingRegistryWorksWhenBehaving(t *testing.T) {
	layout, res := makeLayout(t, image.KeepAsIs, layerTar(t, t.TempDir(), "f", 2048, 1))
	fake := testregistry.StartFake(t, testregistry.Misbehavior{})
	pushed, err := registry.Push(context.Background(), layout, registry.PushOptions{Repository: fake.Host + "/odp/app", Tags: []string{"v1"}, Backoff: &fastBackoff, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if pushed.Digest != res.ManifestDigest || !fake.HasBlob(res.ConfigDigest) {
		t.Errorf("pushed %+v; config blob stored: %v", pushed, fake.HasBlob(res.ConfigDigest))
	}
	record := filepath.Join(t.TempDir(), "record.jsonl")
	if err := registry.WriteRecord(record, pushed); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(record); err != nil {
		t.Fatal(err)
	}
}

func port(host string) string { return host[strings.LastIndexByte(host, ':')+1:] }
