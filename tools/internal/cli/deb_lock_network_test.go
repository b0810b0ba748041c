package cli

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A mirror that sends the headers and some of the index and then stops
// must fail the lock after --timeout, naming the index, with nothing
// written.
func TestDebLockStalledMirror(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100000")
		w.Write([]byte("Package: a\n"))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)

	out := filepath.Join(t.TempDir(), "lock.json")
	start := time.Now()
	err := RunEnv([]string{"deb", "lock", "--index", srv.URL + "/Packages", "--timeout", "300ms", "--out", out, "a"}, &Env{Stdout: &strings.Builder{}, Stderr: &strings.Builder{}})
	if err == nil {
		t.Fatal("deb lock succeeded against a stalled mirror")
	}
	for _, want := range []string{"mirror stopped answering", srv.URL + "/Packages", "--timeout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("took %s to give up on a stalled mirror", took)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock written despite the error: %v", err)
	}
}

func TestCheckMirrorRedirect(t *testing.T) {
	get := func(u string) *http.Request {
		r, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	many := make([]*http.Request, 10)
	for i := range many {
		many[i] = get("http://mirror.test/x")
	}
	for _, tc := range []struct {
		name    string
		from    string
		to      string
		via     []*http.Request
		wantErr string
	}{
		{name: "https to https", from: "https://a.test/P", to: "https://b.test/P"},
		{name: "http to https", from: "http://a.test/P", to: "https://a.test/P"},
		{name: "http to http", from: "http://a.test/P", to: "http://b.test/P"},
		{name: "https to http", from: "https://a.test/P", to: "http://a.test/P", wantErr: "plain http"},
		{name: "too many", to: "http://a.test/P", via: many, wantErr: "10 redirects"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			via := tc.via
			if via == nil {
				via = []*http.Request{get(tc.from)}
			}
			err := checkMirrorRedirect(get(tc.to), via)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}
